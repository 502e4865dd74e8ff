"""The folded projection's rows: which stored rows the canvas leaves out when groups are folded.

A folded group shows as one card at the top of its blocks' box, so the rows of the box below the card are empty
there — but not necessarily beside the box, where expanded groups, other cards and blocks may lie (an inception
branch folded next to one expanded). A row is left out only where nothing shown lies on it: no block, no card,
no name band or bottom margin of an expanded group's frame; and each gap between shown things keeps the room
auto-arrange leaves there for the wires that turn in it (a row's gap above a block or card, less above a name
band). A card taller than its blocks' box (a group of one block) pushes what lies below the box down by as much
as it overhangs it, so that what follows keeps its stored gap under the card. Everything shown moves as one
piece by the cuts above it: no two things shown come to overlap, or a block to lie on a band, that did not in
the stored layout, and since nothing stored changes, unfolding restores every position. Linear in the groups'
members (after sorting the rows).
"""

from __future__ import annotations

from netbuilder.core.drawing.layout import BLOCK_H, FRAME_BOTTOM, FRAME_TITLE, ROW
from netbuilder.core.drawing.routing import FRAME_CLEAR, MIN_DROP
from netbuilder.core.graph import Graph
from netbuilder.core.groups import depths, parents

KEEP = ROW - BLOCK_H  # the least gap kept above a block or a card: a row's gap
BAND_KEEP = MIN_DROP + FRAME_CLEAR  # the least gap kept above a name band (as auto-arrange leaves it)
Rows = list[tuple[float, float]]
Boxes = dict[str, tuple[float, float]]  # each folded group shown as a card → the top and bottom of its blocks
Spans = list[tuple[float, float, bool]]  # rows something shown lies on: (top, bottom, whether it is a name band)


def _merged(spans: Spans) -> Spans:
    """Overlapping spans as one, which keeps the kind of the one that starts first (a block's, on a tie)."""
    out: Spans = []
    for start, end, band in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end), out[-1][2])
        else:
            out.append((start, end, band))
    return out


def shown_rows(graph: Graph, shown: dict[str, str], boxes: Boxes, card_h: float, wrap: float = 0.0) -> Spans:
    """The stored rows that something shown lies on: each block shown as itself, each folded group's card (boxes:
    folded group → the top and bottom of its blocks' box; card_h: a card's height; wrap: how much further down a
    frame around a card reaches) and the name band and bottom margin of each expanded group's frame around them,
    as the scene draws it."""
    cards = [(top, top + card_h, False) for top, _ in boxes.values()]
    spans: dict[str, tuple[float, float]] = {gid: (top, top + card_h + wrap) for gid, (top, _) in boxes.items()}
    for nid, unit in shown.items():
        if unit == nid:
            y = (graph.nodes[nid].position or (0.0, 0.0))[1]
            spans[nid] = (y, y + BLOCK_H)
    owner = parents(graph)
    framed: set[str] = set()  # expanded groups drawn: those around a block or card shown
    for unit in list(spans):
        gid = owner.get(unit)
        while gid is not None and gid not in framed:
            framed.add(gid)
            gid = owner.get(gid)
    rows = cards + [(top, bottom, False) for unit, (top, bottom) in spans.items() if unit not in boxes]
    level = depths(graph)
    for gid in sorted(framed, key=level.__getitem__, reverse=True):  # inner frames first: outer ones wrap them
        inner = [spans[m] for m in graph.groups[gid].members if m in spans]
        top, bottom = min(s for s, _ in inner) - FRAME_TITLE, max(e for _, e in inner) + FRAME_BOTTOM
        spans[gid] = (top, bottom)
        rows += [(top, top + FRAME_TITLE, True), (bottom - FRAME_BOTTOM, bottom, False)]
    return rows


def cuts(graph: Graph, shown: dict[str, str], boxes: Boxes, card_h: float, wrap: float = 0.0) -> Rows:
    """Where the canvas cuts stored rows out, in order: (stored y, height), what lies at or below y moving up by
    the height. Rows are cut within the folded boxes below their cards, where nothing shown lies, each gap between
    shown things keeping KEEP (BAND_KEEP above a band), at the gap's end; a negative height puts rows in: at the
    bottom of a box that its card (wrapped in a frame) overhangs, as many as it overhangs."""
    out = [(bottom, bottom - top - card_h - wrap) for top, bottom in boxes.values() if top + card_h + wrap > bottom]
    inside = _merged([(top + card_h, bottom, False) for top, bottom in boxes.values() if bottom > top + card_h])
    occupied = _merged(shown_rows(graph, shown, boxes, card_h, wrap)) if inside else []
    first = 0
    for (_, above, _), (below, _, band) in zip(occupied, occupied[1:]):
        room = below - above - (BAND_KEEP if band else KEEP)
        while first < len(inside) and inside[first][1] <= above:
            first += 1
        empty, i = 0.0, first
        while i < len(inside) and inside[i][0] < below:
            empty += min(inside[i][1], below) - max(inside[i][0], above)
            i += 1
        if min(empty, room) > 0:
            out.append((below, min(empty, room)))
    return sorted(out, key=lambda cut: (cut[0], -cut[1]))  # at one y, rows cut before rows put in
