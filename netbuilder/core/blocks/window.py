"""The sliding-window arithmetic that Conv2d and Pool2d share, written out with a block's numbers."""

from __future__ import annotations

from netbuilder.core.blocks.base import Situation, window_out
from netbuilder.core.fields import Pair

Window = tuple[Pair, Pair, Pair | str, Pair, bool]  # kernel_size, stride, padding, dilation, ceil_mode

AXES = (("height", "row", "bottom"), ("width", "column", "right"))


def formula(s: Situation, window: Window) -> list[str]:
    """The conv/pool arithmetic: the rule, then with this block's numbers one line per axis (one when both
    agree)."""
    shape = s.volume
    if shape is None:
        return []
    k, st, pad, d, ceil = window
    if pad == "same":
        return [f"padding 'same' keeps {shape[1]}×{shape[2]}: out = in"]
    lo, hi = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    span = "n + 2p − k" if d == (1, 1) else "n + 2p − d·(k−1) − 1"  # as the lines below write it
    rule = f"out = {lo}({span}) / s{hi} + 1"
    assert not isinstance(pad, str)
    lines = []
    for axis in (0, 1):
        n = shape[1 + axis]
        kernel = f"{k[axis]}" if d[axis] == 1 else f"{d[axis]}·({k[axis]}−1) − 1"
        out = window_out(n, k[axis], st[axis], pad[axis], d[axis], ceil)
        verdict = f"{out}" if out >= 1 else f"{out}, too small"
        lines.append(f"{lo}({n} + 2·{pad[axis]} − {kernel}) / {st[axis]}{hi} + 1 = {verdict}")
    if lines[0] == lines[1] and shape[1] == shape[2]:
        return [rule, f"height, width: {lines[0]}"]
    return [rule, f"height: {lines[0]}", f"width: {lines[1]}"]


def warnings(s: Situation, window: Window) -> list[str]:
    """Valid but probably unintended: a window division that is not exact drops edge pixels."""
    shape = s.volume
    k, st, pad, d, ceil = window
    if s.output is None or shape is None or pad == "same":
        return []
    assert not isinstance(pad, str)
    found = []
    for axis, (name, unit, side) in enumerate(AXES):
        n = shape[1 + axis]
        rest = (n + 2 * pad[axis] - d[axis] * (k[axis] - 1) - 1) % st[axis]
        if rest and not ceil:
            found.append(
                f"The {name} division is not exact: the last {rest} {unit}{'s' if rest > 1 else ''} at the "
                f"{side} (of the {n} padded by {pad[axis]}) {'are' if rest > 1 else 'is'} never covered, so "
                f"those edge pixels are dropped."
            )
        elif rest:
            found.append(f"The {name} division is not exact: ceil_mode lets the last window hang over the edge.")
    return found
