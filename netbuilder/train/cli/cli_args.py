"""The argparse pieces the headless commands share: numeric flags, a training setting as a flag, Ctrl-C that
asks a run to stop after its step, and where runs go by default."""

from __future__ import annotations

import argparse
import math
import signal
from collections.abc import Callable
from typing import Any

from netbuilder.core.fields import Field, bounds_text, outside
from netbuilder.core.text import clean

RUNS_HELP = "the runs folder in the app's data folder, where the window's Runs tab lists them"


def number(kind: type = float, **limits: float) -> Callable[[str], Any]:
    """An argparse type for a numeric flag: a finite int or float within the limits (min, max, above) as a Field
    checks them; anything else (nan, inf, text, out of range) is argparse's exit 2 with a sentence."""
    field = Field("it", "int" if kind is int else "float", None, "", **limits)

    def parse(text: str) -> Any:
        given = clean(text)
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{given} is not {'a whole number' if kind is int else 'a number'}."
            ) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"it must be a finite number; got {given}.")
        if outside(field, value):
            raise argparse.ArgumentTypeError(f"it must be {bounds_text(field)}; got {given}.")
        return value

    return parse


def add_setting(group: argparse._ArgumentGroup, setting: Field) -> None:
    """A training setting as a flag (--batch-size): its kind, limits and help; absent unless given."""
    flag = "--" + setting.name.replace("_", "-")
    if setting.kind == "bool":
        group.add_argument(
            flag, dest=setting.name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=setting.help
        )
        return
    numeric = {"int": int, "float": float}.get(setting.kind)
    limits = {k: v for k, v in (("min", setting.min), ("max", setting.max), ("above", setting.above)) if v is not None}
    group.add_argument(
        flag,
        dest=setting.name,
        type=number(numeric, **limits) if numeric else str,
        choices=setting.choices or None,
        default=argparse.SUPPRESS,
        metavar=None if setting.choices else setting.name.upper(),
        help=setting.help,
    )


class CtrlC:
    """The first Ctrl-C asks the run to stop after its current step; a second one interrupts at once.
    (Under torchrun the processes must stop together, so Ctrl-C keeps its usual meaning there.)"""

    def __init__(self, active: bool) -> None:
        self.active, self.requested, self.previous = active, False, None

    def __enter__(self) -> Callable[[], bool]:
        if self.active:
            try:
                self.previous = signal.signal(signal.SIGINT, self._handle)
            except ValueError:  # not the main thread: leave Ctrl-C alone
                self.active = False
        return lambda: self.requested

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self.previous)
