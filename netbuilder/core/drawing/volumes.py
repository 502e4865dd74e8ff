"""The volumes picture: the network drawn as cuboids to scale, as the article draws a CNN (pure geometry).

Every shown unit (a block, or a folded group) that produces a volume is a cuboid whose width is ∝ W, height ∝ H
and depth ∝ C under a scale (linear, sqrt or log), clamped so that tiny and huge layers both stay visible; a
vector (Linear, Flatten) is a bar whose height is ∝ its length. Activations, BatchNorm and Dropout fold into the
cuboid they act on as bands. Conv and pool blocks carry their kernel as a patch on their input's cuboid. Branches
run on parallel tracks that merge at Add/Concat. A block with an error is drawn as a marked placeholder and
nothing below it is drawn.

Picture coordinates: x to the right (the data flows left to right), y down. Depth (C) runs along x, height (H)
along y and width (W) into the page, drawn as an oblique offset up and to the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from netbuilder.core.blocks import REGISTRY, Shape
from netbuilder.core.check.shapes import Check
from netbuilder.core.graph import Graph
from netbuilder.core.groups import facts, shown_as

SCALES = ("linear", "sqrt", "log")
ORDERS = ("hwc", "chw")  # the article's H×W×C, or PyTorch's C×H×W
FOLDED_CATEGORIES = ("activation", "normalization", "dropout")  # drawn as bands on the cuboid they act on

SPATIAL_MIN, SPATIAL_MAX = 10.0, 150.0  # height and width of a cuboid, in picture units
DEPTH_MIN, DEPTH_MAX = 4.0, 110.0  # depth (channels)
BAR_MIN, BAR_MAX, BAR_THICK = 14.0, 150.0, 12.0  # a vector's bar
OBLIQUE = (0.55, 0.38)  # how far one unit of width (into the page) moves right and up on the picture
COLUMN_GAP = 44.0
TRACK_GAP = 30.0
CAPTION_H = 34.0  # room above a cuboid for its caption and bands
LABEL_H = 30.0  # room below it for its volume
CHAR_W = 7.0  # an estimate of a label character's width, to keep labels apart
MARGIN = 24.0
PATCH_MIN = 3.0


def magnitude(n: float, scale: str) -> float:
    """The size of n under a scale, before clamping: n, √n or 1 + log₂ n."""
    n = max(float(n), 1.0)
    if scale == "sqrt":
        return math.sqrt(n)
    if scale == "log":
        return 1.0 + math.log2(n)
    return n


def extent(n: float, top: float, scale: str, lo: float, hi: float) -> float:
    """n drawn on a scale where the largest value in the picture, top, is hi; clamped to [lo, hi]."""
    value = hi * magnitude(n, scale) / magnitude(max(top, 1.0), scale)
    return min(hi, max(lo, value))


def format_volume(shape: Shape | None, order: str = "hwc") -> str:
    """32×32×12 (H×W×C) or 12×32×32 (C×H×W) for a volume, 10 for a vector, ? when unknown."""
    if shape is None:
        return "?"
    if len(shape) == 3 and order == "hwc":
        shape = (shape[1], shape[2], shape[0])
    return "×".join(str(v) for v in shape)


@dataclass(frozen=True)
class Band:
    """A block folded into the cuboid it acts on: an activation, a BatchNorm or a Dropout."""

    block: str
    category: str
    text: str  # relu, BN, drop 0.5


@dataclass(frozen=True)
class Kernel:
    """A conv or pool window drawn as a patch on the right (H×W) face of its input's cuboid."""

    source: str  # the unit whose cuboid carries the patch
    size: tuple[int, int]  # the window, in cells (kh, kw)
    patch: list[tuple[float, float]]  # the patch's four corners on the picture
    apex: tuple[float, float]  # where its lines meet on this cuboid


@dataclass
class Cuboid:
    unit: str  # the block or folded group it stands for
    blocks: list[str]  # the blocks it represents itself (its block, or every block of its group)
    kind: str  # "volume", "bar" or "broken"
    block_type: str  # the block's type, or "group"
    category: str
    shape: Shape | None
    caption: str
    label: str
    w: float  # ∝ W (into the page)
    h: float  # ∝ H (up)
    d: float  # ∝ C (along the flow)
    column: int = 0
    track: int = 0
    x: float = 0.0  # left of the front face
    yb: float = 0.0  # bottom of the front face
    bands: list[Band] = field(default_factory=list)
    kernel: Kernel | None = None
    error: str | None = None
    note: str = ""  # a folded group's contents: 2 conv · 2 BN · 2 relu · pool

    @property
    def offset(self) -> tuple[float, float]:
        return self.w * OBLIQUE[0], -self.w * OBLIQUE[1]

    @property
    def span(self) -> float:
        """How wide it is on the picture."""
        return self.d + self.w * OBLIQUE[0]

    @property
    def tall(self) -> float:
        """How tall it is on the picture."""
        return self.h + self.w * OBLIQUE[1]

    def faces(self) -> dict[str, list[tuple[float, float]]]:
        """The three visible faces: front (C×H), top (C×W) and side (the H×W face, where kernels sit)."""
        x, yb, d, h = self.x, self.yb, self.d, self.h
        ox, oy = self.offset
        return {
            "front": [(x, yb - h), (x + d, yb - h), (x + d, yb), (x, yb)],
            "top": [(x, yb - h), (x + ox, yb - h + oy), (x + d + ox, yb - h + oy), (x + d, yb - h)],
            "side": [(x + d, yb - h), (x + d + ox, yb - h + oy), (x + d + ox, yb + oy), (x + d, yb)],
        }

    def outline(self) -> list[tuple[float, float]]:
        x, yb, d, h = self.x, self.yb, self.d, self.h
        ox, oy = self.offset
        return [
            (x, yb),
            (x + d, yb),
            (x + d + ox, yb + oy),
            (x + d + ox, yb - h + oy),
            (x + ox, yb - h + oy),
            (x, yb - h),
        ]

    def bounds(self) -> tuple[float, float, float, float]:
        """left, top, right, bottom of the drawn cuboid."""
        return self.x, self.yb - self.tall, self.x + self.span, self.yb

    def side_point(self, u: float, v: float) -> tuple[float, float]:
        """A point on the side (H×W) face: u from its front edge into the page (0..1), v from its bottom up (0..1)."""
        ox, oy = self.offset
        return self.x + self.d + u * ox, self.yb - v * self.h + u * oy

    def entry(self) -> tuple[float, float]:
        """Where connections arrive: the middle of the front face's left edge."""
        return self.x, self.yb - self.h / 2

    def exit(self) -> tuple[float, float]:
        """Where connections leave: the middle of the side face."""
        return self.side_point(0.5, 0.5)


@dataclass(frozen=True)
class Link:
    src: str
    dst: str
    points: list[tuple[float, float]]  # a polyline from src's cuboid to dst's
    skip: bool  # a connection that passes over the cuboids between its ends


@dataclass
class Picture:
    cuboids: list[Cuboid]
    links: list[Link]
    unit_of: dict[str, str]  # each represented block → the unit drawing it
    width: float
    height: float
    scale: str
    order: str
    errors: list[str]  # the network's own problems (no Input, several outputs)

    def cuboid(self, unit: str) -> Cuboid | None:
        return next((c for c in self.cuboids if c.unit == unit), None)


def _caption(block_type: str, values: dict | None, params: dict) -> str:
    """A block's caption (its band's text when it folds): from its checked values, or its short name when it has
    none; an unknown type's is its name."""
    block = REGISTRY.get(block_type)
    if block is None:
        return block_type
    return block.caption_of(values) if values else block.short_of(params)


def _contents(graph: Graph, blocks: list[str]) -> str:
    """What a folded group holds, in order of first appearance: 2 conv · 2 BN · 2 relu · pool."""
    counts: dict[str, int] = {}
    for nid in blocks:
        node = graph.nodes[nid]
        block = REGISTRY.get(node.type)
        name = block.short_of(node.params) if block else node.type
        counts[name] = counts.get(name, 0) + 1
    return " · ".join(f"{n} {name}" if n > 1 else name for name, n in counts.items())


def build(graph: Graph, result: Check, scale: str = "linear", order: str = "hwc") -> Picture:
    """The picture of a checked graph. Blocks with no shape and no error (below an error) are not drawn."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}; got {order!r}")
    nodes, checks = graph.nodes, result.nodes
    shown = shown_as(graph)
    rank = {nid: i for i, nid in enumerate(result.order)}
    walk = [*result.order, *(n for n in nodes if n not in rank)]  # blocks on a cycle last

    def category(nid: str) -> str:
        block = REGISTRY.get(nodes[nid].type)
        return block.category if block else ""

    feeds: dict[str, list[tuple[int, str]]] = {nid: [] for nid in nodes}
    for e in graph.edges:
        feeds[e.dst].append((e.port, e.src))

    unit_of: dict[str, str] = {}
    cuboids: dict[str, Cuboid] = {}
    group_blocks: dict[str, list[str]] = {}
    for nid in walk:
        res = checks[nid]
        drawn = res.output_shape is not None or res.error is not None
        if not drawn:
            continue
        unit = shown.get(nid, nid)
        if unit != nid:  # inside a folded group: the group's cuboid stands for it
            group_blocks.setdefault(unit, []).append(nid)
            unit_of[nid] = unit
            continue
        fed = sorted(feeds[nid])
        if (
            category(nid) in FOLDED_CATEGORIES
            and res.error is None
            and len(fed) == 1
            and unit_of.get(fed[0][1]) in cuboids  # a block's cuboid (a folded group's is made below)
            and cuboids[unit_of[fed[0][1]]].kind != "broken"
        ):
            host = cuboids[unit_of[fed[0][1]]]
            host.bands.append(Band(nid, category(nid), _caption(nodes[nid].type, res.values, nodes[nid].params)))
            unit_of[nid] = host.unit
            continue
        cuboids[nid] = Cuboid(
            nid,
            [nid],
            "broken" if res.error else "volume",
            nodes[nid].type,
            category(nid),
            res.output_shape,
            _caption(nodes[nid].type, res.values, nodes[nid].params),
            "",
            0,
            0,
            0,
            error=res.error,
        )
        unit_of[nid] = nid
    for gid, blocks in group_blocks.items():
        info = facts(graph, result, gid)
        broken = info.error
        out = next((s for s in info.outputs if s is not None), None)
        if out is None and broken is None:  # a group whose output is below an error
            out = next((checks[b].output_shape for b in reversed(blocks) if checks[b].output_shape), None)
        cats = [c for c in info.categories if c in ("layer", "pooling")]
        cuboids[gid] = Cuboid(
            gid,
            blocks,
            "broken" if broken else "volume",
            "group",
            cats[0] if cats else "layer",
            out,
            graph.groups[gid].name,
            "",
            0,
            0,
            0,
            error=broken[1] if broken else None,
            note=_contents(graph, blocks),
        )

    # Units in flow order, and the connections between them.
    order_units = list(dict.fromkeys(unit_of[n] for n in walk if n in unit_of))
    preds: dict[str, list[str]] = {u: [] for u in order_units}
    for nid in walk:
        if nid not in unit_of:
            continue
        for _, src in sorted(feeds[nid]):
            if src in unit_of and unit_of[src] != unit_of[nid] and unit_of[src] not in preds[unit_of[nid]]:
                preds[unit_of[nid]].append(unit_of[src])
    position = {u: i for i, u in enumerate(order_units)}
    for u in order_units:  # a group fed from below itself (an odd grouping) would make a loop: drop those
        preds[u] = [p for p in preds[u] if position[p] < position[u]]

    # Sizes: each axis scaled against the largest value in the picture.
    volumes = [c.shape for c in cuboids.values() if c.shape is not None and len(c.shape) == 3]
    vectors = [c.shape for c in cuboids.values() if c.shape is not None and len(c.shape) == 1]
    top_c = max((s[0] for s in volumes), default=1)
    top_hw = max((max(s[1], s[2]) for s in volumes), default=1)
    top_f = max((s[0] for s in vectors), default=1)
    for c in cuboids.values():
        shape = c.shape
        if shape is not None and len(shape) == 3:
            c.d = extent(shape[0], top_c, scale, DEPTH_MIN, DEPTH_MAX)
            c.h = extent(shape[1], top_hw, scale, SPATIAL_MIN, SPATIAL_MAX)
            c.w = extent(shape[2], top_hw, scale, SPATIAL_MIN, SPATIAL_MAX)
        elif shape is not None and len(shape) == 1:
            c.kind = "bar" if c.kind == "volume" else c.kind
            c.d = c.w = BAR_THICK
            c.h = extent(shape[0], top_f, scale, BAR_MIN, BAR_MAX)
        else:  # broken with no output: as big as what reaches it, or a small block
            inputs = checks[c.blocks[0]].input_shapes if c.unit in nodes else []
            first = inputs[0] if inputs else None
            if first is not None and len(first) == 3:
                c.d = extent(first[0], top_c, scale, DEPTH_MIN, DEPTH_MAX)
                c.h = extent(first[1], top_hw, scale, SPATIAL_MIN, SPATIAL_MAX)
                c.w = extent(first[2], top_hw, scale, SPATIAL_MIN, SPATIAL_MAX)
            else:
                c.d, c.h, c.w = 24.0, 40.0, 24.0
        c.label = format_volume(shape, order) if c.kind != "broken" or shape is not None else "!"

    # Columns: the longest path from the input. Tracks: the main path (back from the output along the
    # longest way) on track 0, branches on the tracks below it.
    column: dict[str, int] = {}
    for u in order_units:
        column[u] = max((column[p] + 1 for p in preds[u]), default=0)
    end = unit_of.get(result.output or "") or (
        max(order_units, key=lambda u: (column[u], position[u])) if order_units else None
    )
    main: set[str] = set()
    cursor = end
    while cursor is not None:
        main.add(cursor)
        cursor = max(preds[cursor], key=lambda p: column[p], default=None) if preds[cursor] else None
    taken: set[tuple[int, int]] = set()
    track: dict[str, int] = {}
    for u in order_units:
        if u in main:
            track[u] = 0
            taken.add((column[u], 0))
    for u in order_units:
        if u in main:
            continue
        wanted = next((track[p] for p in preds[u] if p not in main and p in track), 1)
        t = wanted if (column[u], wanted) not in taken else 1
        while (column[u], t) in taken:
            t += 1
        track[u] = t
        taken.add((column[u], t))

    # Place: columns left to right, tracks top to bottom; each cuboid centred in its cell.
    def room(c: Cuboid) -> float:
        texts = [c.label, c.caption]
        small = [" · ".join(b.text for b in c.bands), c.note]  # in a smaller font
        return max(c.span, CHAR_W * max(len(t) for t in texts), CHAR_W * 0.75 * max(len(t) for t in small))

    n_cols = max(column.values(), default=-1) + 1
    n_tracks = max(track.values(), default=-1) + 1
    widths = [0.0] * n_cols
    heights = [0.0] * n_tracks
    for u in order_units:
        c = cuboids[u]
        widths[column[u]] = max(widths[column[u]], room(c))
        heights[track[u]] = max(heights[track[u]], c.tall)
    lefts, x = [], MARGIN
    for wdt in widths:
        lefts.append(x)
        x += wdt + COLUMN_GAP
    tops, y = [], MARGIN
    for hgt in heights:
        tops.append(y)
        y += CAPTION_H + hgt + LABEL_H + TRACK_GAP
    for u in order_units:
        c = cuboids[u]
        c.column, c.track = column[u], track[u]
        c.x = lefts[c.column] + (widths[c.column] - c.span) / 2
        middle = tops[c.track] + CAPTION_H + heights[c.track] / 2
        c.yb = middle + c.tall / 2

    # Kernels: a conv or pool block's window on its input's cuboid, lines to a point on its own.
    for u in order_units:
        c = cuboids[u]
        block = REGISTRY.get(c.block_type)
        if c.kind != "volume" or c.unit not in nodes or block is None or block.kernel is None or not preds[u]:
            continue
        values, inputs = checks[u].values, checks[u].input_shapes
        src = cuboids[preds[u][0]]
        if not values or not inputs or len(inputs[0]) != 3 or src.kind != "volume" or src.shape != inputs[0]:
            continue
        kh, kw = block.kernel(values)
        _, in_h, in_w = inputs[0]
        ph = max(PATCH_MIN, src.h * min(1.0, kh / in_h))
        pw = max(PATCH_MIN, src.w * min(1.0, kw / in_w)) / src.w if src.w else 0.0
        pv = ph / src.h if src.h else 0.0
        u0, v0 = 0.55 - pw / 2, 0.62 - pv / 2
        u0, v0 = min(max(u0, 0.0), 1.0 - pw), min(max(v0, 0.0), 1.0 - pv)
        patch = [src.side_point(u0, v0), src.side_point(u0 + pw, v0), src.side_point(u0 + pw, v0 + pv)]
        patch.append(src.side_point(u0, v0 + pv))
        ox, oy = c.offset
        apex = (c.x + 0.5 * ox, c.yb - 0.62 * c.h + 0.5 * oy)
        c.kernel = Kernel(src.unit, (kh, kw), patch, apex)

    # Links between units: straight when next to each other on one track, over the top when they skip
    # cuboids, with an elbow between tracks.
    links: list[Link] = []
    for u in order_units:
        c = cuboids[u]
        for p in preds[u]:
            s = cuboids[p]
            if c.kernel is not None and c.kernel.source == p:
                continue
            (x0, y0), (x1, y1) = s.exit(), c.entry()
            if s.track == c.track and c.column - s.column > 1:
                lift = min(s.yb - s.tall, c.yb - c.tall) - CAPTION_H * 0.5
                a, b = s.bounds(), c.bounds()
                pts = [((a[0] + a[2]) / 2, a[1]), ((a[0] + a[2]) / 2, lift), ((b[0] + b[2]) / 2, lift)]
                pts.append(((b[0] + b[2]) / 2, b[1]))
                links.append(Link(p, u, pts, True))
            elif s.track == c.track:
                links.append(Link(p, u, [(x0, y0), (x1, y1)], False))
            else:
                mid = x1 - COLUMN_GAP / 2
                links.append(Link(p, u, [(x0, y0), (mid, y0), (mid, y1), (x1, y1)], False))

    width = (lefts[-1] + widths[-1] + MARGIN) if lefts else 2 * MARGIN
    height = (tops[-1] + CAPTION_H + heights[-1] + LABEL_H + MARGIN) if tops else 2 * MARGIN
    return Picture([cuboids[u] for u in order_units], links, unit_of, width, height, scale, order, result.graph_errors)
