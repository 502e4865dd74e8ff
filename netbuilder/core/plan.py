"""One execution plan for a valid graph: the ordered steps that `build` runs and `codegen` prints.

Each step names its block, how the block computes (a torch.nn layer, a function of its inputs, or the
network's input), the blocks it reads by port, and the values no later step reads (freed after it).
A trailing softmax is the last step; forward() stops before it (it is left to `predict`), so
training can use cross-entropy on the logits. The plan is plain data: it imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from netbuilder.core.blocks import REGISTRY, Compute, Layer, Shape, Source
from netbuilder.core.check.shapes import Check
from netbuilder.core.graph import Graph, blocks_in
from netbuilder.core.groups import depths

MAX_NESTING = 12  # groups inside this many others stay flat: code nests within Python's parser limits and 79 columns


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


# Groups as submodules ----------------------------------------------------------------------------------
# Code export turns a group into one submodule when the group can be called once: its blocks run one after
# another in the plan, and exactly one of their values is used after it. A straight chain (one input, each
# block feeding the next) is an nn.Sequential; any other group is a small module class of its own.


@dataclass(frozen=True)
class Unit:
    """A group computed as one submodule: its items (steps and nested units) in plan order, the values it
    reads from outside (block ids, in order of first use), and whether it is a straight chain."""

    group: str
    items: tuple[Step | Unit, ...]
    inputs: tuple[str, ...]
    chain: bool

    @property
    def node(self) -> str:
        """The block whose value the unit returns: its last item's."""
        return self.items[-1].node

    def blocks(self) -> list[str]:
        """Its blocks, nested units' included, in plan order."""
        return [b for item in self.items for b in ([item.node] if isinstance(item, Step) else item.blocks())]


@dataclass(frozen=True)
class Nesting:
    """forward_steps() with groups that can be submodules taken together as units (the Input first), and the
    groups left as flat layers, each with why."""

    items: tuple[Step | Unit, ...]
    flat: tuple[tuple[str, str], ...]


def reads(item: Step | Unit) -> tuple[str, ...]:
    """The values an item reads: a step's inputs by port, a unit's inputs."""
    return item.inputs


def nest(execution: Plan, graph: Graph) -> Nesting:
    """The plan's forward steps arranged by the graph's groups (core.groups). A group's blocks that forward()
    does not run (the Input, a trailing softmax) are left out of it; a group that cannot be called once is
    left as flat layers, and its nested groups are tried in its place. A group nested MAX_NESTING deep is left
    flat with all it holds, so the nesting (and its recursion here) is bounded whatever the file."""
    steps = execution.forward_steps()
    by_node = {s.node: s for s in steps}
    computed = {s.node for s in steps if not isinstance(s.compute, Source)}
    readers: dict[str, set[str | None]] = {s.node: set() for s in steps}
    for s in steps:
        for src in s.inputs:
            readers[src].add(s.node)
    readers[execution.logits].add(None)  # read by forward's return statement
    owner = {member: gid for gid, group in graph.groups.items() for member in group.members}
    children: dict[str | None, list[str]] = {}
    for gid in graph.groups:
        children.setdefault(owner.get(gid), []).append(gid)
    flat: list[tuple[str, str]] = []
    level = depths(graph)

    def inside(gid: str) -> int:
        """How many groups a group holds, at any depth."""
        stack, n = list(children.get(gid, [])), 0
        while stack:
            n += 1
            stack += children.get(stack.pop(), [])
        return n

    def unit(gid: str, items: list[Step | Unit], members: set[str]) -> Unit | str:
        inputs = tuple(dict.fromkeys(src for item in items for src in reads(item) if src not in members))
        used_after = [m for m in members if readers[m] - members]
        if len(used_after) != 1 or used_after[0] != items[-1].node:
            return f"{len(used_after)} of its blocks are used after it, and a submodule returns one value"
        chain = len(inputs) == 1
        for k, item in enumerate(items):
            if isinstance(item, Step) and not isinstance(item.compute, Layer):
                chain = False
            feeds = (inputs[0],) if k == 0 else (items[k - 1].node,)
            if reads(item) != feeds:
                chain = False
            if k + 1 < len(items):
                nxt = items[k + 1]
                if not readers[item.node] <= set([nxt.node] if isinstance(nxt, Step) else nxt.blocks()):
                    chain = False
        return Unit(gid, tuple(items), inputs, chain)

    def arrange(seq: list[str], candidates: list[str]) -> list[Step | Unit]:
        pos = {nid: i for i, nid in enumerate(seq)}
        runs: dict[int, tuple[int, list[Step | Unit]]] = {}
        todo = list(candidates)
        while todo:
            gid = todo.pop(0)
            if level[gid] >= MAX_NESTING:
                held = inside(gid)
                flat.append(
                    (gid, f"it is nested {MAX_NESTING} groups deep" + (f", with {held} more inside" if held else ""))
                )
                continue  # its blocks are flat layers of the group around it
            members = sorted((b for b in blocks_in(graph, gid) if b in computed and b in pos), key=pos.__getitem__)
            if not members:
                continue  # only blocks forward() does not run
            first, last = pos[members[0]], pos[members[-1]]
            if last - first + 1 != len(members):
                flat.append((gid, "its blocks do not run one after another"))
                todo[0:0] = children.get(gid, [])
                continue
            inner = arrange(members, children.get(gid, []))
            made = unit(gid, inner, set(members))
            if isinstance(made, str):
                flat.append((gid, made))
                runs[first] = (last, inner)
            else:
                runs[first] = (last, [made])
        out: list[Step | Unit] = []
        i = 0
        while i < len(seq):
            if i in runs:
                end, items = runs[i]
                out += items
                i = end + 1
            else:
                out.append(by_node[seq[i]])
                i += 1
        return out

    items = arrange([s.node for s in steps], children.get(None, []))
    return Nesting(tuple(items), tuple(flat))
