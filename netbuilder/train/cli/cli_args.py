"""The argparse pieces the headless commands share: numeric flags, a training setting as a flag, Ctrl-C that
asks a run to stop after its step, and where runs go by default."""

from __future__ import annotations

import argparse
import math
import signal
from collections.abc import Callable
from typing import Any

from netbuilder.core.text import clean
from netbuilder.records.config import Setting

RUNS_HELP = "the runs folder in the app's data folder, where the window's Runs tab lists them"


def number(kind: type = float, **rules: float) -> Callable[[str], Any]:
    """An argparse type for a numeric flag: a finite int or float within the rules min, max and gt (above);
    anything else (nan, inf, text, out of range) is argparse's exit 2 with a sentence."""

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
        if "gt" in rules and not value > rules["gt"]:
            raise argparse.ArgumentTypeError(f"it must be above {rules['gt']:g}; got {given}.")
        if "min" in rules and value < rules["min"]:
            raise argparse.ArgumentTypeError(f"it must be at least {rules['min']:g}; got {given}.")
        if "max" in rules and value > rules["max"]:
            raise argparse.ArgumentTypeError(f"it must be at most {rules['max']:g}; got {given}.")
        return value

    return parse


def add_setting(group: argparse._ArgumentGroup, setting: Setting) -> None:
    """A training setting as a flag (--batch-size): its kind, rules and help; absent unless given."""
    flag = "--" + setting.name.replace("_", "-")
    if setting.kind is bool:
        group.add_argument(
            flag, dest=setting.name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=setting.help
        )
        return
    choices = setting.rules.get("choices")
    group.add_argument(
        flag,
        dest=setting.name,
        type=number(setting.kind, **{k: setting.rules[k] for k in ("min", "max", "gt") if k in setting.rules})
        if setting.kind in (int, float)
        else setting.kind,
        choices=choices,
        default=argparse.SUPPRESS,
        metavar=None if choices else setting.name.upper(),
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
