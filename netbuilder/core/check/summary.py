"""The model summary (torchinfo-style table) and the numbers written for people."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks import REGISTRY, fmt_shape
from netbuilder.core.check.shapes import Check
from netbuilder.core.gc_pause import paused_gc
from netbuilder.core.graph import Graph
from netbuilder.core.text import clean, fmt_int

TITLE_LIMIT = 200


HEADERS = (
    "Block",
    "Type",
    "Settings",
    "Output volume",
    "Params",
    "MACs",
)  # the table's columns, here and in the window


def short(n: int) -> str:
    """12.9 M, 304 k, 0.31 G: a count in three significant digits (any int, however large)."""
    if n >= 10**15:
        return fmt_int(n)
    for limit, suffix in ((10**9, " G"), (10**6, " M"), (10**3, " k")):
        if n >= limit:
            return f"{n / limit:.3g}{suffix}"
    return str(n)


def _number(n: int) -> int | str:
    """n for JSON, or its description when int → str would refuse it (more than 4,300 digits)."""
    return n if n.bit_length() < 14_000 else fmt_int(n)


def volume(check: Check, node_id: str) -> str:
    shape = check.nodes[node_id].output_shape
    return fmt_shape(shape) if shape is not None else "—"


def settings(graph: Graph, check: Check, node_id: str) -> str:
    """The parameters that decide a block's shape, as the canvas writes them: 64 · 3×3 · s1 · p1."""
    res = check.nodes[node_id]
    block = REGISTRY.get(graph.nodes[node_id].type)
    if block is None or res.values is None:
        return ""
    return block.summary(res.values, res.input_shapes)


def ordered(graph: Graph, check: Check) -> list[str]:
    """Topological order, then the nodes on or below cycles in document order."""
    placed = set(check.order)
    return check.order + [n for n in graph.nodes if n not in placed]


def rows(graph: Graph, check: Check) -> list[tuple[str, ...]]:
    """(block, type, settings, output volume, params, MACs) per node."""
    return [
        (
            nid,
            kind if kind in REGISTRY else clean(kind),
            settings(graph, check, nid),
            volume(check, nid),
            fmt_int(check.nodes[nid].params),
            fmt_int(check.nodes[nid].macs),
        )
        for nid in ordered(graph, check)
        for kind in [graph.nodes[nid].type]
    ]


def table(graph: Graph, check: Check, title: str = "") -> str:
    """The summary as text: one row per block, totals, then every error. The title (a document's name,
    a path) is escaped and cut, so a file cannot send control characters to a terminal."""
    header = HEADERS
    with paused_gc():
        body = rows(graph, check)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(6)]

    def line(r: tuple[str, ...]) -> str:
        left = "  ".join(r[i].ljust(widths[i]) for i in range(4))
        return left + "  " + "  ".join(r[i].rjust(widths[i]) for i in (4, 5))

    rule = "─" * len(line(header))
    out = [clean(title, TITLE_LIMIT)] if title else []
    out += [rule, line(header), rule, *(line(r) for r in body), rule]
    out.append(f"Total params: {fmt_int(check.total_params)} ({short(check.total_params)})")
    out.append(f"Trainable params: {fmt_int(check.trainable_params)} ({short(check.trainable_params)})")
    out.append(f"Total MACs:   {fmt_int(check.total_macs)} ({short(check.total_macs)})")
    if check.valid:
        out.append("Valid: yes")
    else:
        out.append(f"Valid: no — {len(check.errors)} error{'s' if len(check.errors) != 1 else ''}:")
        out += [f"  • {e}" for e in check.errors]
    return "\n".join(out)


def as_json(graph: Graph, check: Check) -> dict[str, Any]:
    """The check in the `netbuilder check --json` contract."""
    return {
        "valid": check.valid,
        "errors": check.errors,
        "nodes": [
            {
                "id": nid,
                "type": graph.nodes[nid].type,
                "output_shape": None if res.output_shape is None else [_number(v) for v in res.output_shape],
                "params": _number(res.params),
                "macs": _number(res.macs),
                "error": res.error,
            }
            for nid in ordered(graph, check)
            for res in [check.nodes[nid]]
        ],
        "total_params": _number(check.total_params),
        "trainable_params": _number(check.trainable_params),
        "total_macs": _number(check.total_macs),
    }
