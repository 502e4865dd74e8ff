"""The live check: every node's output shape or error, and exact parameter and multiply-add counts."""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.blocks import INPUT, REGISTRY, Shape
from netbuilder.core.check.problems import ErrorKind, Problem
from netbuilder.core.fields import ShapeError, validate
from netbuilder.core.gc_pause import paused_gc
from netbuilder.core.graph import Graph, Node
from netbuilder.core.learning import frozen_blocks
from netbuilder.core.text import at_most, fmt_int, quote


@dataclass(slots=True)
class NodeCheck:
    """What the check says about one node. A node downstream of an error has neither shape nor error."""

    input_shapes: list[Shape] = field(default_factory=list)
    output_shape: Shape | None = None
    params: int = 0
    macs: int = 0
    error: str | None = None  # the sentence: the block's label and its problem's sentence
    values: dict[str, Any] | None = None  # validated parameters with defaults filled in
    problem: Problem | None = None  # what is wrong: a kind with its numbers


@dataclass
class Check:
    nodes: dict[str, NodeCheck]
    order: list[str]  # topological order of the nodes outside cycles
    graph_problems: list[Problem]  # problems of the whole network (no Input, several outputs)
    output: str | None  # the node whose result is the network's output
    frozen: frozenset[str] = frozenset()  # the frozen blocks, whose parameters are not trained (core.learning)

    @property
    def graph_errors(self) -> list[str]:
        return [p.sentence for p in self.graph_problems]

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
    def trainable_params(self) -> int:
        """The parameters of the blocks that are not frozen."""
        return self.total_params - sum(self.nodes[n].params for n in self.frozen if n in self.nodes)

    @property
    def total_macs(self) -> int:
        return sum(c.macs for c in self.nodes.values())


def label(node: Node) -> str:
    """How sentences name a node: Conv2d 'conv1' (Block 'b1' when its type is unknown)."""
    return f"{node.type if node.type in REGISTRY else 'Block'} {quote(node.id)}"


UNKNOWN_TYPE = ErrorKind(
    "unknown_type",
    lambda type, known: f"its type {type} is unknown (known types: {known}). Change it or delete the block.",
)
SECOND_INPUT = ErrorKind(
    "second_input",
    lambda first: f"a network has exactly one Input, and {first} is already one. Delete one of them.",
)
CYCLE = ErrorKind("cycle", lambda path: f"it is part of a cycle ({' → '.join(path)}). Remove one of these connections.")
NO_SUCH_PORT = ErrorKind(
    "no_such_port",
    lambda source, port, ports: (
        f"{source} is connected to its input {port}, but it "
        f"{'takes no input' if ports == 0 else f'has only {ports} input' + ('s' if ports > 1 else '')}. "
        f"Remove that connection{' or raise inputs' if ports > 1 else ''}."
    ),
)
PORT_FED_TWICE = ErrorKind(
    "port_fed_twice",
    lambda port, ports, first, second: (
        f"its {'input' if ports == 1 else f'input {port}'} is fed by both {first} and {second}. "
        f"Remove one of these connections."
    ),
)
NOT_CONNECTED = ErrorKind(
    "not_connected",
    lambda port, ports: (
        "it has no input. Connect a block's output to it."
        if ports == 1
        else f"its input {port} is not connected. Connect a branch to it, or lower inputs."
    ),
)
NO_INPUT_BLOCK = ErrorKind(
    "no_input_block",
    lambda: "The network has no Input block. Add one from the palette and connect it to the first layer.",
)
MANY_OUTPUTS = ErrorKind(
    "many_outputs",
    lambda count, outputs: (
        f"The network has {fmt_int(count)} outputs ({', '.join(outputs)}); it needs exactly one. "
        f"Connect the extra blocks onward or delete them."
    ),
)


def _validate_raw(kind: str, params: dict[str, Any]) -> tuple[dict[str, Any] | None, Problem | None]:
    try:
        return validate(REGISTRY[kind].params, params), None
    except ShapeError as e:
        return None, e.problem


_EXACT = frozenset({int, str, bool, type(None)})  # types whose == is exact
Memo = dict[str, tuple[Any, dict[str, Any] | None, Problem | None]]  # node id -> (exact key, values, problem)


def _typed(value: Any) -> Any:
    """value as a key that == cannot confuse: 12, 12.0 and true differ, so do 0.0 and -0.0; lists item by item.
    A value no file can hold (a dict, say) gets a key equal to nothing, so it is never remembered."""
    kind = type(value)
    if kind in _EXACT:
        return (kind, value)
    if kind is float:
        return (float, repr(value))
    return (kind, *map(_typed, value)) if kind in (list, tuple) else object()


def _validate_node(
    node: Node, memo: Memo, alike: dict[Any, tuple[dict[str, Any] | None, Problem | None]]
) -> tuple[dict[str, Any] | None, str | None, Problem | None]:
    """Validated parameters (shared, read-only), or the node's error sentence and problem; memo holds
    earlier answers by block, alike this check's answers by exact typed parameters (blocks set alike share one)."""
    if node.type not in REGISTRY:
        known = ", ".join(REGISTRY)
        problem = Problem(UNKNOWN_TYPE, {"type": quote(node.type), "known": known})
        return None, f"{label(node)}: {problem.sentence}", problem
    key = (node.type, tuple((name, _typed(v)) for name, v in node.params.items()))
    hit = memo.get(node.id)
    if hit is not None and hit[0] == key:
        values, problem = hit[1], hit[2]
    else:
        if key not in alike:
            alike[key] = _validate_raw(node.type, node.params)
        values, problem = alike[key]
        memo[node.id] = (key, values, problem)
    return values, None if problem is None else f"{label(node)}: {problem.sentence}", problem


def _components(roots: list[str], succ: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components reachable from roots (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in roots:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            nid, it = work[-1]
            child = next(it, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                found.append(comp)
    return found


def _cycles(roots: list[str], succ: dict[str, list[str]], rank: dict[str, int]) -> list[list[str]]:
    """One cycle per component that has any: its blocks in order from the component's first block in
    document order, found by a breadth-first search inside the component (linear time and memory)."""
    cycles = []
    for comp in _components(roots, succ):
        start = min(comp, key=rank.__getitem__)
        if len(comp) == 1 and start not in succ[start]:
            continue
        members, parent, queue = set(comp), {start: start}, deque([start])
        while queue:
            nid = queue.popleft()
            if start in succ[nid]:
                break
            for child in succ[nid]:
                if child in members and child not in parent:
                    parent[child] = nid
                    queue.append(child)
        path = [nid]
        while path[-1] != start:
            path.append(parent[path[-1]])
        cycles.append(path[::-1])
    return cycles


def _port_problem(n_ports: int, fed: list[tuple[int, str]]) -> Problem | None:
    """An edge into a port that does not exist, a port fed twice, or a port left unfed."""
    seen: dict[int, str] = {}
    for port, src in sorted(fed):
        if port >= n_ports:
            return Problem(NO_SUCH_PORT, {"source": quote(src), "port": port, "ports": n_ports})
        if port in seen:
            return Problem(
                PORT_FED_TWICE, {"port": port, "ports": n_ports, "first": quote(seen[port]), "second": quote(src)}
            )
        seen[port] = src
    if len(fed) < n_ports:
        return Problem(NOT_CONNECTED, {"port": min(set(range(n_ports)) - set(seen)), "ports": n_ports})
    return None


def _fail(res: NodeCheck, node: Node, problem: Problem) -> None:
    res.problem, res.error = problem, f"{label(node)}: {problem.sentence}"


def check(graph: Graph, memo: Memo | None = None) -> Check:
    """Walk the graph in topological order and say, for every node, its output shape or its error.

    memo (by default the graph's own) remembers each node's validated parameters between checks; it
    only ever answers for the exact same type and typed parameters, so it never changes a result.
    """
    with paused_gc():
        return _check(graph, memo)


def _check(graph: Graph, memo: Memo | None) -> Check:
    nodes = graph.nodes
    if memo is None:
        memo = graph.check_memo
    if len(memo) > 2 * len(nodes) + 64:  # forget deleted blocks
        for gone in set(memo) - set(nodes):
            del memo[gone]
    results = {nid: NodeCheck() for nid in nodes}
    alike: dict[Any, tuple[dict[str, Any] | None, Problem | None]] = {}
    graph_problems: list[Problem] = []
    succ: dict[str, list[str]] = {nid: [] for nid in nodes}
    feeds: dict[str, list[tuple[int, str]]] = {nid: [] for nid in nodes}
    for e in graph.edges:
        succ[e.src].append(e.dst)
        feeds[e.dst].append((e.port, e.src))

    inputs = [nid for nid, n in nodes.items() if n.type == INPUT.name]
    if not inputs:
        graph_problems.append(Problem(NO_INPUT_BLOCK, {}))
    for nid, node in nodes.items():
        results[nid].values, results[nid].error, results[nid].problem = _validate_node(node, memo, alike)
    for extra in inputs[1:]:
        _fail(results[extra], nodes[extra], Problem(SECOND_INPUT, {"first": quote(inputs[0])}))

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
    if len(order) < len(nodes):  # each cycle is reported once, on its first block in document order
        placed = set(order)
        for cycle in _cycles([n for n in names if n not in placed], succ, rank):
            _fail(results[cycle[0]], nodes[cycle[0]], Problem(CYCLE, {"path": [*at_most(cycle), cycle[0]]}))

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
            problem = _port_problem(n_ports, fed)
            if problem is not None:
                _fail(res, node, problem)
                continue
            shapes = [results[src].output_shape for _, src in sorted(fed)]
            if None in shapes:
                continue
        res.input_shapes = shapes
        try:
            out = block.output_shape(shapes, values)
        except ShapeError as e:
            _fail(res, node, e.problem)
            continue
        res.output_shape = out
        res.params, res.macs = block.cost(shapes, out, values)

    sinks = [nid for nid in order if not succ[nid] and results[nid].output_shape is not None]
    if len(sinks) > 1:
        graph_problems.append(Problem(MANY_OUTPUTS, {"count": len(sinks), "outputs": at_most(sinks, show=quote)}))
    output = sinks[0] if len(sinks) == 1 else None
    return Check(results, order, graph_problems, output, frozen_blocks(graph))
