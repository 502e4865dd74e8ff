"""Groups: named, nestable sets of blocks that the canvas can fold into one card, render draws, and code
export turns into submodules. A group's members are block ids and group ids (a nested group), so groups
form a forest: every block or group belongs to at most one group.

This module holds the group record, its validation, and what can be said about a group from the graph and
its check (blocks, boundary volumes, params, MACs, first error) — plain data the views read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netbuilder.core.text import quote

if TYPE_CHECKING:
    from netbuilder.core.graph import Graph
    from netbuilder.core.shapes import Check

NAME_LIMIT = 80


@dataclass
class Group:
    id: str
    name: str
    members: list[str] = field(default_factory=list)  # block ids and nested group ids
    folded: bool = True

    def copy(self) -> Group:
        return Group(self.id, self.name, list(self.members), self.folded)


def problem_with(graph: Graph, group: Group, replacing: str | None = None) -> str | None:
    """Why group cannot join graph (replacing: the id of the group it replaces), or None when it can."""
    from netbuilder.core.graph import ID_PATTERN

    if not ID_PATTERN.fullmatch(group.id):
        return f"{quote(group.id)} is not a valid group id: letters, digits and _, not starting with a digit."
    if group.id in graph.nodes or (group.id in graph.groups and group.id != replacing):
        return f"the id {quote(group.id)} is already taken."
    if not group.name.strip() or len(group.name) > NAME_LIMIT or not group.name.isprintable():
        return f"a group needs a name of 1 to {NAME_LIMIT} printable characters; got {quote(group.name)}."
    if not group.members:
        return f"group {quote(group.id)} has no members."
    if len(set(group.members)) != len(group.members):
        return f"group {quote(group.id)} names a member twice."
    owner = parents(graph)
    for member in group.members:
        if member not in graph.nodes and member not in graph.groups:
            return f"group {quote(group.id)} names {quote(member)}, which is neither a block nor a group."
        if member == group.id:
            return f"group {quote(group.id)} cannot contain itself."
        if owner.get(member, replacing) != replacing:
            return f"{quote(member)} is already in group {quote(owner[member])}; a block belongs to one group."
    # No cycle: no member may (through its own members) contain this group.
    stack = [m for m in group.members if m in graph.groups]
    seen: set[str] = set()
    while stack:
        gid = stack.pop()
        if gid == group.id:
            return f"group {quote(group.id)} would contain itself through {quote(gid)}."
        if gid not in seen:
            seen.add(gid)
            stack.extend(m for m in graph.groups[gid].members if m in graph.groups)
    return None


def parents(graph: Graph) -> dict[str, str]:
    """Each grouped block or group → the id of the group it is a member of."""
    return {member: gid for gid, group in graph.groups.items() for member in group.members}


def blocks_in(graph: Graph, gid: str) -> list[str]:
    """The blocks of a group and of its nested groups, in document order."""
    found: set[str] = set()
    stack = [gid]
    while stack:
        for member in graph.groups[stack.pop()].members:
            if member in graph.groups:
                stack.append(member)
            else:
                found.add(member)
    return [nid for nid in graph.nodes if nid in found]


def shown_as(graph: Graph) -> dict[str, str]:
    """Each block → what the canvas shows for it: the outermost folded group around it, or the block itself."""
    owner = parents(graph)
    out = {}
    for nid in graph.nodes:
        shown, cursor = nid, nid
        while cursor in owner:
            cursor = owner[cursor]
            if graph.groups[cursor].folded:
                shown = cursor
        out[nid] = shown
    return out


def depth(graph: Graph, gid: str) -> int:
    """0 for a top-level group, 1 inside one, and so on."""
    owner, n = parents(graph), 0
    while gid in owner:
        gid, n = owner[gid], n + 1
    return n


@dataclass(frozen=True)
class Facts:
    """What a group card shows: what enters and leaves it, its cost, its members' categories, its first error."""

    inputs: list[tuple[int, ...] | None]
    outputs: list[tuple[int, ...] | None]
    params: int
    macs: int
    categories: list[str]
    error: tuple[str, str] | None  # (block id, sentence) of the first broken member


def facts(graph: Graph, check: Check, gid: str) -> Facts:
    from netbuilder.core.blocks import REGISTRY

    blocks = blocks_in(graph, gid)
    inside = set(blocks)
    entering = [e for e in graph.edges if e.dst in inside and e.src not in inside]
    leaving = [e for e in graph.edges if e.src in inside and e.dst not in inside]
    inputs = list(dict.fromkeys(e.src for e in entering))
    outputs = list(dict.fromkeys(e.src for e in leaving))
    if check.output in inside and check.output not in outputs:
        outputs.append(check.output)
    rank = {nid: i for i, nid in enumerate(check.order)}
    broken = sorted((nid for nid in blocks if check.nodes[nid].error), key=lambda n: rank.get(n, len(rank)))
    return Facts(
        inputs=[check.nodes[s].output_shape for s in inputs],
        outputs=[check.nodes[s].output_shape for s in outputs],
        params=sum(check.nodes[n].params for n in blocks),
        macs=sum(check.nodes[n].macs for n in blocks),
        categories=[REGISTRY[graph.nodes[n].type].category if graph.nodes[n].type in REGISTRY else "" for n in blocks],
        error=(broken[0], check.nodes[broken[0]].error or "") if broken else None,
    )


def repeats(graph: Graph, check: Check, selection: list[str]) -> list[list[str]]:
    """Other runs of blocks built like the selection: the same block types in the same order (topological),
    wired the same way among themselves, all in one group (or none), not overlapping the selection or one
    another, and not already a group of their own."""
    rank = {nid: i for i, nid in enumerate(check.order)}
    chosen = sorted((n for n in selection if n in rank), key=rank.__getitem__)
    if len(chosen) < 2 or [rank[n] for n in chosen] != list(range(rank[chosen[0]], rank[chosen[0]] + len(chosen))):
        return []  # only a contiguous run of the order has a shape to look for

    def shape(run: list[str]) -> tuple:
        index = {nid: i for i, nid in enumerate(run)}
        wires = sorted((index[e.src], index[e.dst], e.port) for e in graph.edges if e.src in index and e.dst in index)
        return tuple(graph.nodes[n].type for n in run), tuple(wires)

    owner = parents(graph)
    whole = {tuple(sorted(g.members)) for g in graph.groups.values()}
    wanted, size = shape(chosen), len(chosen)
    taken = set(chosen)
    found = []
    i = 0
    while i + size <= len(check.order):
        run = check.order[i : i + size]
        fits = (
            not taken.intersection(run)
            and len({owner.get(n) for n in run}) == 1
            and tuple(sorted(run)) not in whole
            and shape(run) == wanted
        )
        if fits:
            found.append(run)
            taken.update(run)
            i += size
        else:
            i += 1
    return found
