"""One execution plan for a valid graph: the ordered steps that `build` runs and `codegen` prints.

Each step names its block, how the block computes (a torch.nn layer, a function of its inputs, or the
network's input), the blocks it reads by port, and the values no later step reads (freed after it).
A trailing softmax is the last step; forward() stops before it (it is left to `predict`), so
training can use cross-entropy on the logits. The plan is plain data: it imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from netbuilder.core.blocks import REGISTRY, Compute, Layer, Shape
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import Check


@dataclass(frozen=True)
class Step:
    node: str
    compute: Compute
    inputs: tuple[str, ...]  # the blocks read, by port
    frees: tuple[str, ...]  # the values that no later step reads


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    input: str  # the Input block
    input_shape: Shape
    logits: str  # the block whose value forward() returns
    softmax: str | None  # a trailing softmax block, applied by predict() only

    def forward_steps(self) -> tuple[Step, ...]:
        """The steps up to the logits: what forward() runs."""
        return self.steps[: [s.node for s in self.steps].index(self.logits) + 1]

    def layers(self) -> list[tuple[str, Layer]]:
        """The blocks computed by a torch.nn layer, in order, with their layer."""
        return [(s.node, s.compute) for s in self.steps if isinstance(s.compute, Layer)]


def plan(graph: Graph, result: Check) -> Plan:
    """The plan of a graph whose check is valid (result.valid)."""
    assert result.valid and result.output is not None
    output = result.output
    values = result.nodes[output].values or {}
    softmax = output if REGISTRY[graph.nodes[output].type].probabilities(values) else None
    logits = graph.in_edges(output)[0].src if softmax else output
    order = result.order
    sources = {nid: tuple(e.src for e in sorted(graph.in_edges(nid), key=lambda e: e.port)) for nid in order}
    last: dict[str, int] = {}
    for i, nid in enumerate(order):
        for src in sources[nid]:
            last[src] = i
    frees: dict[int, list[str]] = {}
    for src, i in last.items():
        frees.setdefault(i, []).append(src)
    steps = []
    for i, nid in enumerate(order):
        node, res = graph.nodes[nid], result.nodes[nid]
        compute = REGISTRY[node.type].compute(res.values or {}, res.input_shapes)
        steps.append(Step(nid, compute, sources[nid], tuple(frees.get(i, ()))))
    first = steps[0]
    shape = result.nodes[first.node].output_shape
    assert shape is not None
    return Plan(tuple(steps), first.node, shape, logits, softmax)
