"""What the inspector says about a block: its arithmetic written out, warnings, and one-click fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.blocks import fmt_shape, window_out
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import Check

AXES = (("height", "row", "bottom"), ("width", "column", "right"))


@dataclass(frozen=True)
class Fix:
    """A change that repairs or improves a block. kind: params (merge `params`), remove, or insert
    (put a block of `block_type` in front of input `port`)."""

    label: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    block_type: str = ""
    port: int = 0


def _window(p: dict[str, Any], kind: str) -> tuple[Any, Any, Any, Any, bool]:
    if kind == "Conv2d":
        return p["kernel_size"], p["stride"], p["padding"], p["dilation"], False
    return p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"], (1, 1), p["ceil_mode"]


def formula(graph: Graph, check: Check, node_id: str) -> list[str]:
    """The conv/pool arithmetic with this block's numbers, one line per axis (one when both agree)."""
    node, res = graph.nodes[node_id], check.nodes[node_id]
    shape = _upstream_volume(graph, check, node_id)
    if node.type not in ("Conv2d", "Pool2d") or res.values is None or shape is None:
        return []
    k, s, pad, d, ceil = _window(res.values, node.type)
    if pad == "same":
        return [f"padding 'same' keeps {shape[1]}×{shape[2]}: out = in"]
    lines = []
    for axis in (0, 1):
        n = shape[1 + axis]
        kernel = f"{k[axis]}" if d[axis] == 1 else f"{d[axis]}·({k[axis]}−1) − 1"
        lo, hi = ("⌈", "⌉") if ceil else ("⌊", "⌋")
        out = window_out(n, k[axis], s[axis], pad[axis], d[axis], ceil)
        verdict = f"{out}" if out >= 1 else f"{out}, too small"
        lines.append(f"{lo}({n} + 2·{pad[axis]} − {kernel}) / {s[axis]}{hi} + 1 = {verdict}")
    if lines[0] == lines[1] and shape[1] == shape[2]:
        return [f"height, width: {lines[0]}"]
    return [f"height: {lines[0]}", f"width: {lines[1]}"]


def warnings(graph: Graph, check: Check, node_id: str) -> list[str]:
    """Valid but probably unintended: a window division that is not exact drops edge pixels."""
    node, res = graph.nodes[node_id], check.nodes[node_id]
    if node.type not in ("Conv2d", "Pool2d") or res.output_shape is None or len(res.input_shapes[0]) != 3:
        return []
    k, s, pad, d, ceil = _window(res.values or {}, node.type)
    if pad == "same":
        return []
    found = []
    for axis, (name, unit, side) in enumerate(AXES):
        n = res.input_shapes[0][1 + axis]
        rest = (n + 2 * pad[axis] - d[axis] * (k[axis] - 1) - 1) % s[axis]
        if rest and not ceil:
            found.append(
                f"The {name} division is not exact: the last {rest} {unit}{'s' if rest > 1 else ''} at the "
                f"{side} (of the {n} padded by {pad[axis]}) {'are' if rest > 1 else 'is'} never covered, so "
                f"those edge pixels are dropped."
            )
        elif rest:
            found.append(f"The {name} division is not exact: ceil_mode lets the last window hang over the edge.")
    return found


def _keep_size_padding(p: dict[str, Any]) -> tuple[int, int] | None:
    """The padding that keeps height and width at stride 1, if there is one."""
    k, s, d = p["kernel_size"], p["stride"], p["dilation"]
    if s != (1, 1) or any((d[i] * (k[i] - 1)) % 2 for i in (0, 1)):
        return None
    return (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)


def _pair_value(pair: tuple[int, int]) -> Any:
    return pair[0] if pair[0] == pair[1] else list(pair)


def fixes(graph: Graph, check: Check, node_id: str) -> list[Fix]:
    """One-click changes that repair this block's error, or keep its size where it shrinks."""
    node, res = graph.nodes[node_id], check.nodes[node_id]
    p, error = res.values, res.error or ""
    if p is None:
        return []
    found: list[Fix] = []
    if node.type == "Conv2d":
        if "groups" in error:
            found.append(Fix("Set groups to 1", "params", {"groups": 1}))
        if "padding 'same' only works with stride 1" in error:
            found.append(Fix("Set stride to 1", "params", {"stride": 1}))
        inputs = _upstream_volume(graph, check, node_id)
        keep = _keep_size_padding(p)
        shrinks = res.output_shape is not None and inputs and res.output_shape[1:] != inputs[1:]
        if keep is not None and p["padding"] != keep and (shrinks or "is larger than" in error):
            size = f" (keeps {inputs[1]}×{inputs[2]})" if inputs else ""
            found.append(Fix(f"Set padding to {_fmt(keep)}{size}", "params", {"padding": _pair_value(keep)}))
        if "is larger than" in error and inputs and p["dilation"] == (1, 1) and p["padding"] != "same":
            pad = p["padding"]
            keeps = (2 * pad[0] + 1, 2 * pad[1] + 1)
            if p["stride"] == (1, 1) and keeps != (1, 1):
                found.append(Fix(f"Set kernel_size to {_fmt(keeps)} (keeps {inputs[1]}×{inputs[2]})", "params",
                                 {"kernel_size": _pair_value(keeps)}))
            largest = (inputs[1] + 2 * pad[0], inputs[2] + 2 * pad[1])
            found.append(Fix(f"Set kernel_size to {_fmt(largest)} (the largest that fits)", "params",
                             {"kernel_size": _pair_value(largest)}))
    if node.type == "Pool2d":
        if "more than half its" in error:
            half = (p["kernel_size"][0] // 2, p["kernel_size"][1] // 2)
            found.append(Fix(f"Set padding to {_fmt(half)}", "params", {"padding": _pair_value(half)}))
        if "does not fit" in error:
            found.append(Fix("Remove this pooling layer", "remove"))
        if res.output_shape is not None and warnings(graph, check, node_id) and not p["ceil_mode"]:
            found.append(Fix("Turn on ceil_mode (keeps the edge pixels)", "params", {"ceil_mode": True}))
    if node.type in ("Conv2d", "Pool2d") and "receives a vector" in error:
        found.append(Fix("Remove this block", "remove"))
    if node.type == "Concat" and "cannot join volumes with vectors" in error:
        for port, src in sorted((e.port, e.src) for e in graph.in_edges(node_id)):
            shape = check.nodes[src].output_shape
            if shape is not None and len(shape) == 3:
                found.append(Fix(f"Insert Flatten on input {port} ({fmt_shape(shape)})", "insert",
                                 block_type="Flatten", port=port))
    return found


def _fmt(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"[{pair[0]}, {pair[1]}]"


def _upstream_volume(graph: Graph, check: Check, node_id: str) -> tuple[int, ...] | None:
    """The volume reaching a single-input block, also when the block itself failed."""
    ins = graph.in_edges(node_id)
    if len(ins) != 1:
        return None
    shape = check.nodes[ins[0].src].output_shape
    return shape if shape is not None and len(shape) == 3 else None
