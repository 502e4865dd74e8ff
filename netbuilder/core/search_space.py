"""A search space: training settings and block parameters marked "search", each with a range or a list.

Keys name what is searched: a training setting by its name (``lr``), a block parameter as ``BLOCK.PARAM``
(``conv1.out_channels``; block ids hold no dot). The file format stores the space under its optional
``"search"`` key; `Document.with_trial` turns a trial's values into a concrete document.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.fields import Field, ShapeError, coerce, describe, is_number
from netbuilder.core.graph import ID_PATTERN, Graph
from netbuilder.core.text import clean, quote

MAX_CHOICES = 64
Scalar = int | float | str | bool | None
RANGE_KINDS = ("int", "float", "pair", "padding")  # block parameter kinds a range can search
INTEGER_KINDS = ("int", "pair", "padding")
_RANGE_TEXT = re.compile(r"\A\s*(\S+?)\s*(?:…|\.\.\.|\.\.)\s*(\S+?)\s*(log)?\s*\Z")


class SpaceError(ValueError):
    """A search range or list that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Range:
    """Every value from low to high (whole numbers for whole-number settings); log samples evenly in log."""

    low: float
    high: float
    log: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, **({"log": True} if self.log else {})}


@dataclass(frozen=True)
class Choice:
    """One of a list of plain values."""

    values: tuple[Scalar, ...]

    def to_json(self) -> dict[str, Any]:
        return {"choices": list(self.values)}


Dim = Range | Choice


@dataclass
class SearchSpace:
    """training: setting name → its range or list; blocks: block id → parameter name → its range or list."""

    training: dict[str, Dim] = field(default_factory=dict)
    blocks: dict[str, dict[str, Dim]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.training) or any(self.blocks.values())

    def copy(self) -> SearchSpace:
        return SearchSpace(dict(self.training), {nid: dict(p) for nid, p in self.blocks.items()})

    def get(self, node_id: str, param: str) -> Dim | None:
        return self.blocks.get(node_id, {}).get(param)

    def with_block(self, node_id: str, param: str, dim: Dim | None) -> SearchSpace:
        """A copy with one block parameter searched over dim (or, with None, no longer searched)."""
        out = self.copy()
        params = out.blocks.setdefault(node_id, {})
        if dim is None:
            params.pop(param, None)
        else:
            params[param] = dim
        if not params:
            del out.blocks[node_id]
        return out

    def with_setting(self, name: str, dim: Dim | None) -> SearchSpace:
        """A copy with one training setting searched over dim (or, with None, no longer searched)."""
        out = self.copy()
        if dim is None:
            out.training.pop(name, None)
        else:
            out.training[name] = dim
        return out

    def items(self, graph: Graph | None = None) -> list[tuple[str, Dim]]:
        """Every (key, dim), training settings first; with a graph, only the blocks it still holds."""
        out = list(self.training.items())
        for nid, params in self.blocks.items():
            if graph is None or nid in graph.nodes:
                out += [(f"{nid}.{name}", dim) for name, dim in params.items()]
        return out

    def to_json(self, graph: Graph | None = None) -> dict[str, Any]:
        """The file's "search" object (blocks the graph no longer holds are left out)."""
        out: dict[str, Any] = {}
        if self.training:
            out["training"] = {name: dim.to_json() for name, dim in self.training.items()}
        blocks = {
            nid: {name: dim.to_json() for name, dim in params.items()}
            for nid, params in self.blocks.items()
            if params and (graph is None or nid in graph.nodes)
        }
        if blocks:
            out["blocks"] = blocks
        return out


# Reading ---------------------------------------------------------------------------------------


def dim_from_json(raw: Any) -> Dim:
    """A range {"low", "high", "log"} or a list {"choices"} from a file; SpaceError says what is wrong."""
    if not isinstance(raw, dict):
        raise SpaceError('expected {"low": …, "high": …} or {"choices": […]}.')
    if "choices" in raw:
        if set(raw) != {"choices"}:
            raise SpaceError('a list of choices is {"choices": […]} with no other field.')
        values = raw["choices"]
        if not isinstance(values, list):
            raise SpaceError("choices must be a list of plain values.")
        return make_choice(values)
    extra = sorted(set(raw) - {"low", "high", "log"})
    if extra:
        raise SpaceError(f"unknown field {quote(extra[0])} (a range has low, high and log).")
    if "low" not in raw or "high" not in raw:
        raise SpaceError('a range needs both "low" and "high".')
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError("log must be true or false.")
    return make_range(raw["low"], raw["high"], log)


def make_range(low: Any, high: Any, log: bool = False) -> Range:
    if not (is_number(low) and is_number(high)):
        raise SpaceError(
            f"a range's ends must be numbers of at most 1e300 in size; got {describe(low)} and {describe(high)}."
        )
    if not low < high:
        raise SpaceError(f"a range's low end must be below its high end; got {describe(low)} … {describe(high)}.")
    if log and low <= 0:
        raise SpaceError(f"a log range must start above 0; got {describe(low)}.")
    return Range(low, high, log)


def make_choice(values: list[Any] | tuple[Any, ...]) -> Choice:
    if not all(v is None or isinstance(v, (str, bool)) or is_number(v) for v in values):
        raise SpaceError("choices must be plain values: numbers (at most 1e300 in size), text, true or false.")
    if len(values) < 2:
        raise SpaceError("give at least two choices to search among.")
    if len(values) > MAX_CHOICES:
        raise SpaceError(f"give at most {MAX_CHOICES} choices.")
    if len({(type(v), v) for v in values}) != len(values):
        raise SpaceError("a choice is listed twice.")
    return Choice(tuple(values))


def check_dim(spec: Field, dim: Dim) -> Dim:
    """dim, when every value it can take is one this field (a block parameter or a training setting) allows; a
    whole-number field's range with its ends as ints. Else SpaceError with the sentence."""
    try:
        if isinstance(dim, Choice):
            for value in dim.values:
                coerce(spec, value)
            return dim
        if spec.kind not in RANGE_KINDS:
            raise SpaceError(f"{spec.name} takes a list of choices, not a range.")
        if spec.kind in INTEGER_KINDS and not all(float(v).is_integer() for v in (dim.low, dim.high)):
            raise SpaceError(f"{spec.name} is a whole number; its range needs whole-number ends.")
        whole = spec.kind in INTEGER_KINDS
        for end in (dim.low, dim.high):
            coerce(spec, int(end) if whole else end)
        return Range(int(dim.low), int(dim.high), dim.log) if whole else dim
    except ShapeError as e:
        raise SpaceError(str(e)) from None


def check_space(space: SearchSpace, graph: Graph) -> None:
    """Raise SpaceError for the first block entry that does not fit its block (a missing block or parameter,
    a value outside the parameter's limits or choices). Blocks of unknown types are not judged."""
    for nid, params in space.blocks.items():
        if nid not in graph.nodes:
            raise SpaceError(f"there is no block {quote(nid)} to search.")
        block = REGISTRY.get(graph.nodes[nid].type)
        if block is None:
            continue
        specs = {s.name: s for s in block.params}
        for name, dim in params.items():
            if name not in specs:
                raise SpaceError(f"{quote(nid)} ({block.name}) has no parameter {quote(name)}.")
            try:
                params[name] = check_dim(specs[name], dim)
            except SpaceError as e:
                raise SpaceError(f"blocks.{nid}.{name}: {e}") from None


def space_from_json(raw: Any) -> SearchSpace:
    """The structure of a file's "search" object (see check_space for its fit to the graph); SpaceError
    names the place: 'blocks.conv1.kernel_size: …'."""
    if not isinstance(raw, dict):
        raise SpaceError('expected an object with "training" and "blocks".')
    extra = sorted(set(raw) - {"training", "blocks"})
    if extra:
        raise SpaceError(f"unknown field {quote(extra[0])} (allowed here: blocks, training).")
    space = SearchSpace()
    training = raw.get("training", {})
    if not isinstance(training, dict):
        raise SpaceError("training must be an object of setting names.")
    for name, dim in training.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", name):
            raise SpaceError(f"{quote(name)} is not a training setting's name.")
        space.training[name] = _placed(f"training.{name}", dim)
    blocks = raw.get("blocks", {})
    if not isinstance(blocks, dict):
        raise SpaceError("blocks must be an object of block ids.")
    for nid, params in blocks.items():
        if not ID_PATTERN.fullmatch(nid):
            raise SpaceError(f"{quote(nid)} is not a block id.")
        if not isinstance(params, dict):
            raise SpaceError(f"blocks.{nid} must be an object of parameter names.")
        space.blocks[nid] = {name: _placed(f"blocks.{nid}.{clean(name, 40)}", dim) for name, dim in params.items()}
    return space


def _placed(where: str, raw: Any) -> Dim:
    try:
        return dim_from_json(raw)
    except SpaceError as e:
        raise SpaceError(f"{where}: {e}") from None


def first_guess(spec: Field, value: Any) -> Dim | None:
    """The range or list a field gets when it is first marked "search": around its value, within its limits, on a
    log scale where the field says so (None when nothing simple fits)."""
    if isinstance(value, tuple):
        value = value[0]
    candidates: list[Dim] = []
    if spec.kind == "bool":
        candidates.append(Choice((False, True)))
    elif spec.kind == "choice":
        candidates.append(Choice((value, *[c for c in spec.choices if c != value][:1])))
    elif spec.kind == "float" and is_number(value):
        low = spec.lowest
        high = spec.max if spec.max is not None else max(1.0, 2 * value)
        if spec.log and value > 0:
            candidates.append(Range(max(low, _round(value / 10)), min(high, _round(value * 10)), log=True))
        candidates.append(Range(max(low, _round(value / 2)), min(high, _round(value * 1.5)) or high))
        candidates.append(Range(low, high))
    elif isinstance(value, str):  # padding "same"
        candidates.append(Choice((value, 0)))
    elif is_number(value) and isinstance(value, int):
        if spec.name == "kernel_size":
            candidates.append(Choice((value, value + 2)))
        candidates.append(Choice((max(1, value // 2), value, value * 2)))
        candidates.append(Choice((value, value + 1)))
    for dim in candidates:
        try:
            if isinstance(dim, Choice):
                dim = make_choice(list(dict.fromkeys(dim.values)))  # each value once, in order
            return check_dim(spec, dim)
        except SpaceError:
            continue
    return None


def _round(x: float) -> float:
    return float(f"{x:.3g}")


# Text, as the inspector edits it ---------------------------------------------------------------


def _scalar(text: str) -> Scalar:
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if kind is float and not math.isfinite(value):
            break
        return value
    return text


def parse_text(text: str) -> Dim:
    """ "32, 64, 128" (a list), "0.1 … 0.5" or "0.1 .. 0.5" (a range), "1e-4 … 1e-1 log" (a log range)."""
    match = _RANGE_TEXT.match(text)
    if match and "," not in text:
        low, high = _scalar(match.group(1)), _scalar(match.group(2))
        return make_range(low, high, bool(match.group(3)))
    values = [_scalar(part) for part in text.split(",") if part.strip()]
    if len(values) < 2:
        raise SpaceError(
            'write a list such as "32, 64, 128" or a range such as "0.1 … 0.5" (add "log" for a log range).'
        )
    return make_choice(values)


def format_text(dim: Dim) -> str:
    """The text parse_text reads back as dim."""
    if isinstance(dim, Range):
        return f"{dim.low:g} … {dim.high:g}" + (" log" if dim.log else "")
    return ", ".join(
        "true" if v is True else "false" if v is False else f"{v:g}" if isinstance(v, float) else str(v)
        for v in dim.values
    )


# Trials ----------------------------------------------------------------------------------------


def split(values: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """A trial's values as (block id → {param: value}, training setting → value)."""
    blocks: dict[str, dict[str, Any]] = {}
    training: dict[str, Any] = {}
    for key, value in values.items():
        nid, dot, param = key.partition(".")
        if dot:
            blocks.setdefault(nid, {})[param] = value
        else:
            training[key] = value
    return blocks, training
