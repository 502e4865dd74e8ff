"""Small builders for test graphs."""

from __future__ import annotations

from typing import Any

from netbuilder.core.graph import Edge, Graph, Node


def chain(*blocks: tuple[str, str, dict[str, Any]]) -> Graph:
    """A straight chain of (id, type, params), each fed by the one before."""
    g = Graph()
    prev = None
    for nid, kind, params in blocks:
        g.add_node(Node(nid, kind, dict(params)))
        if prev is not None:
            g.add_edge(Edge(prev, nid))
        prev = nid
    return g


def image(c: int = 3, h: int = 32, w: int = 32) -> tuple[str, str, dict[str, Any]]:
    return ("input", "Input", {"shape": [c, h, w]})
