"""Parameter schemas: what a block's parameters may be, and strict validation of raw values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.text import clean, fmt_int, quote


class ShapeError(Exception):
    """A problem with one block that a person can fix; the message is a sentence saying how."""


Pair = tuple[int, int]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a block type.

    kind is one of: int, float, bool, choice, pair (an int or [h, w]), padding (a pair or "same"),
    shape ([C, H, W] or [F]).
    """

    name: str
    kind: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = field(default=())
    nullable: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    """A raw value as a sentence shows it: text quoted, escaped and cut short, numbers of any size, JSON's words."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int):
        return fmt_int(value, grouped=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_describe, value[:8])) + (", …]" if len(value) > 8 else "]")
    return clean(value)


def _limit(x: float) -> str:
    return fmt_int(int(x), grouped=False) if float(x).is_integer() else f"{x:g}"


def _bounds(spec: ParamSpec) -> str:
    if spec.min is not None and spec.max is not None:
        return f"between {_limit(spec.min)} and {_limit(spec.max)}"
    if spec.min is not None:
        return f"at least {_limit(spec.min)}"
    return f"at most {_limit(spec.max)}"


def _check_int(spec: ParamSpec, value: Any, what: str) -> int:
    if not _is_int(value):
        raise ShapeError(f"{spec.name} must be {what}; got {_describe(value)}.")
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise ShapeError(f"{spec.name} must be {_bounds(spec)}; got {_describe(value)}.")
    return value


def _pair(spec: ParamSpec, value: Any) -> Pair:
    what = "a whole number or a pair [h, w]"
    if _is_int(value):
        v = _check_int(spec, value, what)
        return (v, v)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (_check_int(spec, value[0], what), _check_int(spec, value[1], what))
    raise ShapeError(f"{spec.name} must be {what}; got {_describe(value)}.")


def coerce(spec: ParamSpec, value: Any) -> Any:
    """Return the normalised value of one parameter, or raise ShapeError saying what is wrong."""
    if value is None:
        if spec.nullable:
            return None
        raise ShapeError(f"{spec.name} needs a value.")
    kind = spec.kind
    if kind == "int":
        return _check_int(spec, value, "a whole number")
    if kind == "float":
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)) or value != value:
            raise ShapeError(f"{spec.name} must be a number; got {_describe(value)}.")
        if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
            raise ShapeError(f"{spec.name} must be {_bounds(spec)}; got {_describe(value)}.")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ShapeError(f"{spec.name} must be true or false; got {_describe(value)}.")
        return value
    if kind == "choice":
        if value not in spec.choices:
            raise ShapeError(f"{spec.name} must be one of {', '.join(spec.choices)}; got {_describe(value)}.")
        return value
    if kind == "pair":
        return _pair(spec, value)
    if kind == "padding":
        return "same" if value == "same" else _pair(spec, value)
    if kind == "shape":
        ok = isinstance(value, (list, tuple)) and len(value) in (1, 3) and all(_is_int(v) for v in value)
        if not ok:
            raise ShapeError(f"{spec.name} must be [C, H, W] for images or [F] for vectors; got {_describe(value)}.")
        if any(not spec.min <= v <= spec.max for v in value):
            raise ShapeError(f"every size in {spec.name} must be {_bounds(spec)}; got {_describe(value)}.")
        return tuple(value)
    raise AssertionError(f"unknown parameter kind {kind}")


def validate(specs: tuple[ParamSpec, ...], raw: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults and normalise every value; unknown names and bad values raise ShapeError."""
    names = {s.name for s in specs}
    for name in raw:
        if name not in names:
            known = ", ".join(s.name for s in specs) or "none"
            raise ShapeError(f"it has no parameter {quote(name)} (its parameters: {known}). Remove or rename it.")
    return {s.name: coerce(s, raw.get(s.name, s.default)) for s in specs}


def to_json(value: Any) -> Any:
    """A normalised value as it is written to a file: pairs with equal sides collapse to one int."""
    if isinstance(value, tuple):
        if len(value) == 2 and value[0] == value[1]:
            return value[0]
        return list(value)
    return value
