"""What the inspector says about a block: its arithmetic written out, warnings, and one-click fixes.

The block's own definition says each of these (BlockType.formula, .warnings, .fixes); this module only
gathers what they read from the graph and its check.
"""

from __future__ import annotations

from netbuilder.core.blocks import REGISTRY, Fix, Shape, Situation
from netbuilder.core.check.shapes import Check
from netbuilder.core.graph import Graph

__all__ = ["Fix", "fixes", "formula", "situation", "warnings"]


def situation(graph: Graph, check: Check, node_id: str) -> Situation | None:
    """What a block's explanation reads; None when its parameters themselves are invalid."""
    node, res = graph.nodes[node_id], check.nodes[node_id]
    if res.values is None or node.type not in REGISTRY:
        return None
    edges = graph.in_edges(node_id)
    inputs: list[Shape | None] = [None] * (max((e.port for e in edges), default=-1) + 1)
    for e in edges:
        inputs[e.port] = check.nodes[e.src].output_shape
    return Situation(res.values, inputs, res.output_shape, res.problem)


def formula(graph: Graph, check: Check, node_id: str) -> list[str]:
    """The block's arithmetic with its numbers (the conv/pool formula), one line per axis."""
    s = situation(graph, check, node_id)
    return REGISTRY[graph.nodes[node_id].type].formula(s) if s else []


def warnings(graph: Graph, check: Check, node_id: str) -> list[str]:
    """Valid but probably unintended, such as a window division that drops edge pixels."""
    s = situation(graph, check, node_id)
    return REGISTRY[graph.nodes[node_id].type].warnings(s) if s else []


def fixes(graph: Graph, check: Check, node_id: str) -> list[Fix]:
    """One-click changes that repair this block's problem, or keep its size where it shrinks."""
    s = situation(graph, check, node_id)
    return REGISTRY[graph.nodes[node_id].type].fixes(s) if s else []
