"""Groups: named, nestable sets of blocks that the canvas can fold into one card, render draws, and code
export turns into submodules. A group's members are block ids and group ids (a nested group), so groups
form a forest: every block or group belongs to at most one group.

The group record and its validation live in core.graph beside Node and Edge (the graph holds them); this
module holds what can be said about groups from the graph and its check (parents, what the canvas shows,
depths, boundary volumes, params, MACs, first error, repeats) — plain data the views read.
"""

from __future__ import annotations

from dataclasses import dataclass

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.shapes import Check
from netbuilder.core.graph import Graph, blocks_in


def parents(graph: Graph) -> dict[str, str]:
    """Each grouped block or group → the id of the group it is a member of (the graph's own index: read it,
    do not change it)."""
    return graph.parents()


def shown_as(graph: Graph) -> dict[str, str]:
    """Each block → what the canvas shows for it: the outermost folded group around it, or the block itself."""
    owner = parents(graph)
    outermost: dict[str, str | None] = {}  # group → the outermost folded group around or at it (None: none)

    def folded_around(gid: str) -> str | None:
        chain = []  # gid and the groups around it, inward to outward, up to one already known
        cursor: str | None = gid
        while cursor is not None and cursor not in outermost:
            chain.append(cursor)
            cursor = owner.get(cursor)
        above = outermost[cursor] if cursor is not None else None
        for g in reversed(chain):  # outward to inward: the first folded one is the outermost
            if above is None and graph.groups[g].folded:
                above = g
            outermost[g] = above
        return outermost[gid]

    return {nid: (folded_around(owner[nid]) or nid) if nid in owner else nid for nid in graph.nodes}


def depths(graph: Graph) -> dict[str, int]:
    """Every group's depth (see depth), all in O(groups): each group's chain is walked once."""
    owner, out = parents(graph), {}
    for gid in graph.groups:
        chain = []
        while gid not in out and gid in owner:
            chain.append(gid)
            gid = owner[gid]
        n = out.setdefault(gid, 0)
        for g in reversed(chain):
            n += 1
            out[g] = n
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


_order_rank: list = [None, {}]  # [check.order, its rank]: one check's, shared by the facts of all its groups


def _rank_in(order: list[str]) -> dict[str, int]:
    if _order_rank[0] is not order:
        _order_rank[:] = [order, {nid: i for i, nid in enumerate(order)}]
    return _order_rank[1]


def facts(graph: Graph, check: Check, gid: str) -> Facts:
    """O(the group's blocks and their wires), not O(the graph): a card per group costs linear time in all."""
    blocks = blocks_in(graph, gid)
    inside = set(blocks)
    inputs = list(dict.fromkeys(e.src for n in blocks for e in graph.in_edges(n) if e.src not in inside))
    outputs = list(dict.fromkeys(n for n in blocks for e in graph.out_edges(n) if e.dst not in inside))
    if check.output in inside and check.output not in outputs:
        outputs.append(check.output)
    broken = [nid for nid in blocks if check.nodes[nid].error]
    if broken:
        rank = _rank_in(check.order)
        broken.sort(key=lambda n: rank.get(n, len(rank)))
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
