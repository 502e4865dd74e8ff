"""The live check: every node's output shape or error, and exact parameter and multiply-add counts."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.blocks import REGISTRY, Shape
from netbuilder.core.graph import Graph, Node
from netbuilder.core.params import ShapeError, validate
from netbuilder.core.problems import Problem


@dataclass(slots=True)
class NodeCheck:
    """What the check says about one node. A node downstream of an error has neither shape nor error."""

    input_shapes: list[Shape] = field(default_factory=list)
    output_shape: Shape | None = None
    params: int = 0
    macs: int = 0
    error: str | None = None
    values: dict[str, Any] | None = None  # validated parameters with defaults filled in
    problem: Problem | None = None  # the typed form of a shape error (its kind and numbers)


@dataclass
class Check:
    nodes: dict[str, NodeCheck]
    order: list[str]  # topological order of the nodes outside cycles
    graph_errors: list[str]
    output: str | None  # the node whose result is the network's output

    @property
    def errors(self) -> list[str]:
        return self.graph_errors + [self.nodes[n].error for n in self.nodes if self.nodes[n].error]

    @property
    def valid(self) -> bool:
        return not self.graph_errors and all(c.error is None for c in self.nodes.values())

    @property
    def total_params(self) -> int:
        return sum(c.params for c in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(c.macs for c in self.nodes.values())


def label(node: Node) -> str:
    """How sentences name a node: Conv2d 'conv1'."""
    return f"{node.type} '{node.id}'"


def _validate_raw(kind: str, params: dict[str, Any]) -> tuple[dict[str, Any] | None, Problem | None]:
    try:
        return validate(REGISTRY[kind].params, params), None
    except ShapeError as e:
        return None, e.problem


# node id -> (type, copy of the raw params, validated params, problem): most nodes don't change between checks.
_memo: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None, Problem | None]] = {}


def _validate_node(node: Node) -> tuple[dict[str, Any] | None, str | None, Problem | None]:
    """Validated parameters (shared, read-only), or the node's error sentence and problem."""
    if node.type not in REGISTRY:
        known = ", ".join(REGISTRY)
        return None, f"Block '{node.id}': its type '{node.type}' is unknown (known types: {known}). Change it or delete the block.", None
    hit = _memo.get(node.id)
    if hit is not None and hit[0] == node.type and hit[1] == node.params:
        values, problem = hit[2], hit[3]
    else:
        values, problem = _validate_raw(node.type, node.params)
        if len(_memo) > 100_000:
            _memo.clear()
        _memo[node.id] = (node.type, {k: list(v) if isinstance(v, list) else v for k, v in node.params.items()},
                          values, problem)
    return values, None if problem is None else f"{label(node)}: {problem.sentence}", problem


def _cycles(graph: Graph, succ: dict[str, list[str]]) -> dict[str, str]:
    """Nodes on a cycle, each with the cycle written out (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: dict[str, str] = {}
    counter = 0
    for root in graph.nodes:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            nid, it = work[-1]
            child = next(it, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ[child])))
                elif child in on_stack:
                    low[nid] = min(low[nid], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[nid])
            if low[nid] == index[nid]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == nid:
                        break
                if len(comp) > 1 or nid in succ[nid]:
                    members = [n for n in graph.nodes if n in set(comp)]
                    path = " → ".join(members + [members[0]])
                    for m in members:
                        found[m] = path
    return found


def _port_error(node: Node, n_ports: int, fed: list[tuple[int, str]]) -> str | None:
    """An edge into a port that does not exist, or a port fed twice, as a sentence."""
    seen: dict[int, str] = {}
    for port, src in sorted(fed):
        if port >= n_ports:
            what = "takes no input" if n_ports == 0 else f"has only {n_ports} input{'s' if n_ports > 1 else ''}"
            return (
                f"{label(node)}: '{src}' is connected to its input {port}, but it {what}. "
                f"Remove that connection{' or raise inputs' if n_ports > 1 else ''}."
            )
        if port in seen:
            which = "input" if n_ports == 1 else f"input {port}"
            return f"{label(node)}: its {which} is fed by both '{seen[port]}' and '{src}'. Remove one of these connections."
        seen[port] = src
    return None


def _missing_port_error(node: Node, n_ports: int, fed: list[tuple[int, str]]) -> str:
    if n_ports == 1:
        return f"{label(node)}: it has no input. Connect a block's output to it."
    port = min(set(range(n_ports)) - {p for p, _ in fed})
    return f"{label(node)}: its input {port} is not connected. Connect a branch to it, or lower inputs."


def check(graph: Graph) -> Check:
    """Walk the graph in topological order and say, for every node, its output shape or its error."""
    nodes = graph.nodes
    results = {nid: NodeCheck() for nid in nodes}
    graph_errors: list[str] = []
    succ: dict[str, list[str]] = {nid: [] for nid in nodes}
    feeds: dict[str, list[tuple[int, str]]] = {nid: [] for nid in nodes}
    for e in graph.edges:
        succ[e.src].append(e.dst)
        feeds[e.dst].append((e.port, e.src))

    inputs = [nid for nid, n in nodes.items() if n.type == "Input"]
    if not inputs:
        graph_errors.append(
            "The network has no Input block. Add one from the palette and connect it to the first layer."
        )
    for nid, node in nodes.items():
        results[nid].values, results[nid].error, results[nid].problem = _validate_node(node)
    for extra in inputs[1:]:
        results[extra].error = (
            f"Input '{extra}': a network has exactly one Input, and '{inputs[0]}' is already one. "
            f"Delete one of them."
        )

    # Kahn's algorithm, taking ready nodes in document order; nodes on or below a cycle never become
    # ready and keep no shape.
    names = list(nodes)
    rank = {nid: i for i, nid in enumerate(names)}
    pending = {nid: len(feeds[nid]) for nid in names}
    ready = [i for i, nid in enumerate(names) if not pending[nid]]
    order: list[str] = []
    while ready:
        nid = names[heapq.heappop(ready)]
        order.append(nid)
        for child in succ[nid]:
            pending[child] -= 1
            if not pending[child]:
                heapq.heappush(ready, rank[child])
    if len(order) < len(nodes):
        for nid, path in _cycles(graph, succ).items():
            results[nid].error = f"{label(nodes[nid])}: it is part of a cycle ({path}). Remove one of these connections."

    for nid in order:
        res = results[nid]
        if res.error:
            continue
        node, values, fed = nodes[nid], res.values, feeds[nid]
        block = REGISTRY[node.type]
        n_ports = block.inputs(values)
        if len(fed) == n_ports == 1 and fed[0][0] == 0:  # the common case: one input, properly fed
            shape = results[fed[0][1]].output_shape
            if shape is None:
                continue
            shapes = [shape]
        else:
            res.error = _port_error(node, n_ports, fed)
            if res.error is None and len(fed) < n_ports:
                res.error = _missing_port_error(node, n_ports, fed)
            if res.error:
                continue
            shapes = [results[src].output_shape for _, src in sorted(fed)]
            if None in shapes:
                continue
        res.input_shapes = shapes
        try:
            out = block.output_shape(shapes, values)
        except ShapeError as e:
            res.error, res.problem = f"{label(node)}: {e}", e.problem
            continue
        res.output_shape = out
        res.params, res.macs = block.cost(shapes, out, values)

    sinks = [nid for nid in order if not succ[nid] and results[nid].output_shape is not None]
    if len(sinks) > 1:
        listed = ", ".join(f"'{s}'" for s in sinks)
        graph_errors.append(
            f"The network has {len(sinks)} outputs ({listed}); it needs exactly one. "
            f"Connect the extra blocks onward or delete them."
        )
    output = sinks[0] if len(sinks) == 1 else None
    return Check(results, order, graph_errors, output)
