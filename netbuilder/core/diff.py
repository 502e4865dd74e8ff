"""What differs between two networks, in sentences: blocks added, removed or changed, and connections."""

from __future__ import annotations

from netbuilder.core.graph import Graph
from netbuilder.core.text import clean


def _value(params: dict, name: str) -> str:
    return clean(params[name]) if name in params else "default"


def graph_diff(a: Graph, b: Graph) -> list[str]:
    """From a to b: one line per difference, in a's then b's document order; empty when they are the same."""
    lines = [f"removed {clean(a.nodes[n].type)} '{n}'" for n in a.nodes if n not in b.nodes]
    lines += [f"added {clean(b.nodes[n].type)} '{n}'" for n in b.nodes if n not in a.nodes]
    for nid in (n for n in a.nodes if n in b.nodes):
        old, new = a.nodes[nid], b.nodes[nid]
        if old.type != new.type:
            lines.append(f"'{nid}' changed from {clean(old.type)} to {clean(new.type)}")
            continue
        for name in sorted(set(old.params) | set(new.params)):
            if old.params.get(name) != new.params.get(name):
                lines.append(f"'{nid}' {clean(name)}: {_value(old.params, name)} → {_value(new.params, name)}")
        for name in ("frozen", "lr_mult"):  # how it learns (core.learning)
            if getattr(old, name) != getattr(new, name):
                lines.append(f"'{nid}' {name}: {getattr(old, name)} → {getattr(new, name)}")
    old_edges, new_edges = set(a.edges), set(b.edges)
    lines += [f"disconnected '{e.src}' → '{e.dst}'" for e in a.edges if e not in new_edges]
    lines += [f"connected '{e.src}' → '{e.dst}'" for e in b.edges if e not in old_edges]
    return lines


def settings_diff(a: dict, b: dict) -> list[str]:
    """Settings that differ between two runs: name: old → new."""
    return [f"{k}: {a.get(k)} → {b.get(k)}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
