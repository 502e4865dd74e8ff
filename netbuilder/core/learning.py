"""Which blocks learn, and how fast: a block or group can be frozen (its parameters are not trained; a group's
freeze covers every block in it) and can set a learning-rate multiplier (a block without one of its own takes its
innermost group's that sets one, else 1). Plain data for the check, training, code export and the canvas."""

from __future__ import annotations

from typing import Any

from netbuilder.core.fields import describe, is_number
from netbuilder.core.graph import Graph, blocks_in

LR_MULT_MAX = 1000.0


def lr_mult_problem(value: Any) -> str | None:
    """Why value cannot be a learning-rate multiplier (a sentence), or None when it can."""
    if is_number(value) and 0 <= value <= LR_MULT_MAX:
        return None
    return (
        f"a learning-rate multiplier is a number from 0 to {LR_MULT_MAX:g} (0 leaves the weights as they are, "
        f"1 trains at the set rate); got {describe(value)}."
    )


def frozen_blocks(graph: Graph) -> frozenset[str]:
    """The blocks that are frozen, themselves or through a group around them."""
    found = {nid for nid, node in graph.nodes.items() if node.frozen}
    for gid, group in graph.groups.items():
        if group.frozen:
            found.update(blocks_in(graph, gid))
    return frozenset(found)


def frozen_by(graph: Graph, unit: str) -> str | None:
    """The outermost group around a block or group whose freeze covers it, if any."""
    owner, found = graph.parents(), None
    while unit in owner:
        unit = owner[unit]
        if graph.groups[unit].frozen:
            found = unit
    return found


def is_frozen(graph: Graph, unit: str, frozen: frozenset[str] | None = None) -> bool:
    """Whether a block is frozen, or every block of a group is (frozen: frozen_blocks(graph), when known)."""
    frozen = frozen_blocks(graph) if frozen is None else frozen
    return unit in frozen if unit in graph.nodes else all(nid in frozen for nid in blocks_in(graph, unit))


def inherited_lr_mult(graph: Graph, unit: str) -> tuple[float, str | None]:
    """The multiplier a block or group takes when it sets none: its innermost group's that sets one (with that
    group's id), else (1, None)."""
    owner = graph.parents()
    while unit in owner:
        unit = owner[unit]
        if graph.groups[unit].lr_mult is not None:
            return graph.groups[unit].lr_mult, unit
    return 1.0, None


def lr_mults(graph: Graph) -> dict[str, float]:
    """Each block whose learning-rate multiplier is not 1 → its multiplier, in document order."""
    found: dict[str, float] = {}
    for nid, node in graph.nodes.items():
        mult = node.lr_mult if node.lr_mult is not None else inherited_lr_mult(graph, nid)[0]
        if mult != 1:
            found[nid] = float(mult)
    return found


def upstream(graph: Graph, node_id: str) -> list[str]:
    """A block and every block before it on the way from the input, in document order."""
    seen, stack = {node_id}, [node_id]
    while stack:
        for edge in graph.in_edges(stack.pop()):
            if edge.src not in seen:
                seen.add(edge.src)
                stack.append(edge.src)
    return [nid for nid in graph.nodes if nid in seen]


def freezing(graph: Graph, units: list[str], frozen: bool) -> dict[str, bool]:
    """The own frozen flags (block or group id → flag) that change to freeze or unfreeze the units. Unfreezing
    clears a unit's flag and those inside it; a unit frozen through a group around it is freed by moving that
    group's freeze down onto the members beside it, which stay frozen."""
    flags = {u: (graph.nodes[u] if u in graph.nodes else graph.groups[u]).frozen for u in [*graph.nodes, *graph.groups]}
    new, already, owner = dict(flags), frozen_blocks(graph), graph.parents()
    for unit in units:
        if frozen:
            new[unit] = new[unit] or not is_frozen(graph, unit, already)
            continue
        top, chain = frozen_by(graph, unit), [unit]
        while top is not None and chain[-1] != top:
            chain.append(owner[chain[-1]])
        for outer in reversed(chain[1:]):  # from the outermost frozen group down, each gives its freeze away
            new[outer] = False
            for member in graph.groups[outer].members:
                new[member] = new[member] or member not in chain
        inside = [unit] if unit in graph.nodes else [unit, *_groups_in(graph, unit), *blocks_in(graph, unit)]
        new.update(dict.fromkeys(inside, False))
    return {u: flag for u, flag in new.items() if flag != flags[u]}


def _groups_in(graph: Graph, gid: str) -> list[str]:
    found, stack = [], [gid]
    while stack:
        for member in graph.groups[stack.pop()].members:
            if member in graph.groups:
                found.append(member)
                stack.append(member)
    return found


def summary(graph: Graph) -> dict[str, Any]:
    """What a run's summary records: the frozen blocks and the multipliers that are not 1 (empty when none)."""
    frozen = frozen_blocks(graph)
    out: dict[str, Any] = {}
    if frozen:
        out["frozen"] = [nid for nid in graph.nodes if nid in frozen]
    mults = lr_mults(graph)
    if mults:
        out["lr_mult"] = mults
    return out


FINE_TUNE_LOWEST = 0.01  # the first learned block's share of the rate; the last learned block's is 1


def fine_tune_mults(learned: list[str]) -> dict[str, float]:
    """Learning-rate multipliers for the blocks that start from learned weights, in the order the network runs
    them: from 1/100 of the rate for the first to the whole rate for the last, evenly on a log scale (fastai's
    slice(lr/100, lr); early layers hold general features that need the least change). One block alone: 1."""
    last = len(learned) - 1
    return {nid: FINE_TUNE_LOWEST ** (1 - i / last) if last else 1.0 for i, nid in enumerate(learned)}
