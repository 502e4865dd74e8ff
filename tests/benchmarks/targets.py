"""Targets for the benchmarks, and their quick mode's verdict.

Every benchmark prints its figures with its targets. With --quick it runs smaller sizes and fewer repeats
and exits 1 when a figure misses its target by more than SLACK (2×): quick enough for CI on every change,
lenient enough that a loaded machine does not fail it, strict enough that a regression is seen.
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

    def judge(self, result: dict) -> str | None:
        """None when the figure is within SLACK of its target, else a line saying by how much it misses."""
        value: object = result
        for key in self.figure.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]  # type: ignore[index]
        assert isinstance(value, (int, float)), f"{self.figure} is not a number: {value!r}"
        bound = self.limit * SLACK if self.most else self.limit / SLACK
        if (value <= bound) if self.most else (value >= bound):
            return None
        side = "at most" if self.most else "at least"
        return f"{self.figure} = {value:g}, target {side} {self.limit:g} (fails past {bound:g})"


def finish(result: dict, targets: list[Target], quick: bool) -> None:
    """Print the figures with their targets; in quick mode, exit 1 when one misses by more than SLACK."""
    result["targets"] = {t.figure: f"{'≤' if t.most else '≥'} {t.limit:g}" for t in targets}
    misses = [line for t in targets if (line := t.judge(result)) is not None]
    if quick:
        result["quick_verdict"] = misses or "every figure within 2× of its target"
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    if quick and misses:
        print("Missed by more than 2×: " + "; ".join(misses), file=sys.stderr)
        sys.exit(1)
