"""The one field schema, a block's parameter or a training setting, and strict validation of raw values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.check.problems import ErrorKind, ShapeError
from netbuilder.core.text import clean, fmt_int, quote

WRONG_TYPE = ErrorKind("param_type", lambda name, expected, got: f"{name} must be {expected}; got {got}.")
OUT_OF_RANGE = ErrorKind("param_range", lambda name, bounds, got: f"{name} must be {bounds}; got {got}.")
MISSING = ErrorKind("param_missing", lambda name: f"{name} needs a value.")
UNKNOWN = ErrorKind(
    "param_unknown",
    lambda name, known: f"it has no parameter {name} (its parameters: {known}). Remove or rename it.",
)
SIZE_OUT_OF_RANGE = ErrorKind(
    "param_size", lambda name, bounds, got: f"every size in {name} must be {bounds}; got {got}."
)

__all__ = ["Field", "ShapeError", "coerce", "describe", "is_number", "to_json", "validate"]

Pair = tuple[int, int]


@dataclass(frozen=True)
class Field:
    """One value a person sets, a block's parameter or a training setting: what it may be, how a form shows it
    and how a search varies it. The one schema: validation (`coerce`), the window's widgets, the command line's
    flags and the search's first guesses all read it.

    kind is one of: int, float, bool, choice, text, pair (an int or [h, w]), padding (a pair or "same"),
    shape ([C, H, W] or [F]).
    """

    name: str
    kind: str
    default: Any
    help: str  # the long form: a tooltip, the command line's help
    min: float | None = None
    max: float | None = None
    above: float | None = None  # a lower limit the value must exceed (a learning rate is above 0)
    choices: tuple[str, ...] = field(default=())
    pattern: re.Pattern[str] | None = None  # text: what the whole value must match (help says it in words)
    nullable: bool = False  # None is allowed (a pooling stride of None strides by the window)
    # How a form shows it: a short label (the name when empty), a unit after the number, the step of its spin box,
    # the decimals of a float, and the values an editable list offers for text (any allowed value may be typed).
    label: str = ""
    unit: str = ""
    step: float = 1
    decimals: int = 3
    options: tuple[str, ...] = field(default=())
    # How a search varies it: whether it may be searched at all, and whether its range is on a log scale.
    search: bool = True
    log: bool = False
    # (parameter, values): used only while that other parameter has one of these values.
    used_when: tuple[str, tuple[Any, ...]] | None = None

    def applies(self, values: dict[str, Any]) -> bool:
        """Whether this parameter matters for these values (negative_slope only for leaky_relu)."""
        return self.used_when is None or values.get(self.used_when[0]) in self.used_when[1]

    @property
    def searchable(self) -> bool:
        """Whether a search may vary it: a number, a size, a switch or one of its choices, unless it says not."""
        return self.search and self.kind not in ("text", "shape")

    @property
    def lowest(self) -> float:
        """The least value a form offers: min, or just above `above`, or 0."""
        if self.min is not None:
            return self.min
        return self.above + 10.0**-self.decimals if self.above is not None else 0.0

    @property
    def highest(self) -> float:
        """The largest value a form offers: max, or a large number when there is none."""
        return self.max if self.max is not None else FORM_MOST


FORM_MOST = 1_000_000_000  # a spin box's top when a field has no max
MAX_NUMBER = 1e300  # past this, float() of a whole number and arithmetic on it overflow


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether a value read from a file is a number that is safe to compute with: a whole or decimal number (not
    true/false), finite, at most 1e300 in size. The one test every number from a file passes before it is used:
    it never converts (10**400 compares exactly and is refused; NaN and infinity are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return -MAX_NUMBER <= value <= MAX_NUMBER  # exact for ints of any size; false for NaN and infinity


def describe(value: Any) -> str:
    """A raw value as a sentence shows it: text quoted, escaped and cut short, numbers of any size, JSON's words."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int):
        return fmt_int(value, grouped=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(describe, value[:8])) + (", …]" if len(value) > 8 else "]")
    return clean(value)


def _limit(x: float) -> str:
    return fmt_int(int(x), grouped=False) if float(x).is_integer() else f"{x:g}"


def bounds_text(spec: Field) -> str:
    """The field's limits as a sentence says them: "between 1 and 64", "above 0 and at most 100"."""
    if spec.min is not None and spec.max is not None:
        return f"between {_limit(spec.min)} and {_limit(spec.max)}"
    lower = f"at least {_limit(spec.min)}" if spec.min is not None else None
    if spec.above is not None:
        lower = f"above {_limit(spec.above)}"
    upper = f"at most {_limit(spec.max)}" if spec.max is not None else None
    return " and ".join(part for part in (lower, upper) if part) or "at most 1e300 in size"


def outside(spec: Field, value: float) -> bool:
    """Whether a number lies outside the field's limits."""
    return (
        (spec.min is not None and value < spec.min)
        or (spec.above is not None and not value > spec.above)
        or (spec.max is not None and value > spec.max)
    )


def _check_int(spec: Field, value: Any, what: str) -> int:
    if not _is_int(value):
        raise WRONG_TYPE(name=spec.name, expected=what, got=describe(value))
    if not -MAX_NUMBER <= value <= MAX_NUMBER or outside(spec, value):
        raise OUT_OF_RANGE(name=spec.name, bounds=bounds_text(spec), got=describe(value))
    return value


def _pair(spec: Field, value: Any) -> Pair:
    what = "a whole number or a pair [h, w]"
    if _is_int(value):
        v = _check_int(spec, value, what)
        return (v, v)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (_check_int(spec, value[0], what), _check_int(spec, value[1], what))
    raise WRONG_TYPE(name=spec.name, expected=what, got=describe(value))


def coerce(spec: Field, value: Any) -> Any:
    """Return the normalised value of one parameter, or raise ShapeError saying what is wrong."""
    if value is None:
        if spec.nullable:
            return None
        raise MISSING(name=spec.name)
    kind = spec.kind
    if kind == "int":
        return _check_int(spec, value, "a whole number")
    if kind == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            raise WRONG_TYPE(name=spec.name, expected="a number", got=describe(value))
        if not is_number(value) or outside(spec, value):
            raise OUT_OF_RANGE(name=spec.name, bounds=bounds_text(spec), got=describe(value))
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise WRONG_TYPE(name=spec.name, expected="true or false", got=describe(value))
        return value
    if kind == "choice":
        if value not in spec.choices:
            raise WRONG_TYPE(name=spec.name, expected=f"one of {', '.join(spec.choices)}", got=describe(value))
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise WRONG_TYPE(name=spec.name, expected="text", got=describe(value))
        if spec.pattern is not None and not spec.pattern.fullmatch(value):
            raise WRONG_TYPE(name=spec.name, expected=spec.help, got=describe(value))
        return value
    if kind == "pair":
        return _pair(spec, value)
    if kind == "padding":
        return "same" if value == "same" else _pair(spec, value)
    if kind == "shape":
        ok = isinstance(value, (list, tuple)) and len(value) in (1, 3) and all(_is_int(v) for v in value)
        if not ok:
            raise WRONG_TYPE(name=spec.name, expected="[C, H, W] for images or [F] for vectors", got=describe(value))
        if any(not spec.min <= v <= spec.max for v in value):
            raise SIZE_OUT_OF_RANGE(name=spec.name, bounds=bounds_text(spec), got=describe(value))
        return tuple(value)
    raise AssertionError(f"unknown parameter kind {kind}")


def validate(specs: tuple[Field, ...], raw: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults and normalise every value; unknown names and bad values raise ShapeError."""
    names = {s.name for s in specs}
    for name in raw:
        if name not in names:
            known = ", ".join(s.name for s in specs) or "none"
            raise UNKNOWN(name=quote(name), known=known)
    return {s.name: coerce(s, raw.get(s.name, s.default)) for s in specs}


def to_json(value: Any) -> Any:
    """A normalised value as it is written to a file: pairs with equal sides collapse to one int."""
    if isinstance(value, tuple):
        if len(value) == 2 and value[0] == value[1]:
            return value[0]
        return list(value)
    return value
