"""Targets for the benchmarks, and their verdict.

Every benchmark prints its figures with their targets and a verdict, and exits 1 when a figure misses its
target, in full mode and with --quick alike (quick: smaller sizes and fewer repeats, for CI on every change).

Ratios (A against B, both timed in one run, interleaved), percentages of one run's own time, memory and counts
are judged at their target in both modes: drifts in machine load touch both sides of a ratio alike.
Only absolute times (milliseconds, seconds: a figure a loaded machine stretches) get slack, and only with
--quick: there they fail past SLACK (2×) their target; in full mode, run on a quiet machine, at the target.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

SLACK = 2.0


@dataclass(frozen=True)
class Target:
    figure: str  # where the figure is in the result, as dotted keys
    limit: float
    most: bool = True  # True: the figure must stay at or below limit; False: at or above
    time: bool = False  # an absolute time (ms, s): quick mode allows SLACK× its target

    def bound(self, quick: bool) -> float:
        """The value past which the figure fails."""
        if not (self.time and quick):
            return self.limit
        return self.limit * SLACK if self.most else self.limit / SLACK

    def describe(self) -> str:
        side = "≤" if self.most else "≥"
        return f"{side} {self.limit:g}" + (f" (absolute time: --quick fails past {SLACK:g}×)" if self.time else "")

    def judge(self, result: dict, quick: bool) -> str | None:
        """None when the figure meets its target (with slack for a time in quick mode), else a line saying how
        it misses."""
        value: object = result
        for key in self.figure.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]  # type: ignore[index]
        assert isinstance(value, (int, float)), f"{self.figure} is not a number: {value!r}"
        bound = self.bound(quick)
        if (value <= bound) if self.most else (value >= bound):
            return None
        side = "at most" if self.most else "at least"
        past = f" (fails past {bound:g})" if bound != self.limit else ""
        return f"{self.figure} = {value:g}, target {side} {self.limit:g}{past}"


def finish(result: dict, targets: list[Target], quick: bool) -> None:
    """Print the figures with their targets and the verdict; exit 1 when a figure misses its target."""
    result["targets"] = {t.figure: t.describe() for t in targets}
    misses = [line for t in targets if (line := t.judge(result, quick)) is not None]
    slack = f"absolute times within {SLACK:g}× of their target, " if quick else ""
    result["verdict"] = misses or f"every figure meets its target ({slack}ratios and the rest at it)"
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    if misses:
        print("Missed: " + "; ".join(misses), file=sys.stderr)
        sys.exit(1)
