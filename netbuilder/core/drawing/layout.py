"""Auto-arrange: a layered (Sugiyama-style) layout, top to bottom.

1. Layers: longest path from the sources (blocks on cycles go below the rest, in document order).
2. Every connection that spans more than one layer gets a dummy node per layer it passes: a lane that keeps
   room beside the column for the wire (core.routing draws it there).
3. Crossings: barycentre sweeps down and up, keeping the ordering with the fewest crossings (counted
   exactly); members of the same group stay side by side within a layer.
4. Rows: one every ROW, with more room where the name bands of nested groups that start at a row stack above it,
   or their frames' bottom margins stack below the row before (the frames' sizes are FRAME_* below), so that a
   wire turning sideways between the rows keeps core.routing's FRAME_CLEAR off the frames' edges and bands.
5. Coordinates: the main path (the longest path from an Input to the output) is one straight column at
   x = 0, leftmost in its layers (so a group's box starts at the column); every other block is pulled towards
   its neighbours (priority method), packed to the right of the main column without overlapping (a column
   further apart where the side margins of more than two groups' frames lie between two blocks).

O((N + D) log N) per sweep for N blocks and D dummies; pure Python, no dependencies (the libraries measured,
grandalf and python-igraph's Sugiyama layout, were slower or could not keep the main path straight: README).
"""

from __future__ import annotations

from collections import deque

from netbuilder.core.drawing.routing import FRAME_CLEAR, MIN_DROP
from netbuilder.core.graph import Graph
from netbuilder.core.groups import parents

ROW = 100.0
COLUMN = 260.0
# Horizontal room, measured between centres, for a lane (a wire passing a layer) next to a block or a lane:
# the wire keeps clear of the block's glow and has its volume label to its right (see core.routing).
BLOCK_TO_LANE = 140.0
LANE_TO_BLOCK = 245.0
LANE_TO_LANE = 24.0
SWEEPS = 4
# An expanded group's frame on the canvas (ui/canvas/group_item.py draws it, ui/canvas/scene.py sizes it): the band
# with its name above its members, its margins beside and below them. Where groups start or end at a row, arrange
# adds to the row's gap (ROW less a block's height) the room their bands and bottom margins stack, and a wire's turn.
FRAME_TITLE = 24.0
FRAME_PAD = 12.0
FRAME_BOTTOM = 6.0
BLOCK_H = 66.0  # a block's height on the canvas (ui/canvas/items.py NODE_H): a row's gap is ROW less it


def _layers(graph: Graph) -> tuple[dict[str, int], dict[str, list[str]], dict[str, list[str]]]:
    """Each node's layer (longest path from a source), with predecessors and successors in port order."""
    preds: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    succ: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    for e in sorted(graph.edges, key=lambda e: e.port):
        if e.src in preds and e.dst in preds:
            preds[e.dst].append(e.src)
            succ[e.src].append(e.dst)
    pending = {nid: len(p) for nid, p in preds.items()}
    layer = dict.fromkeys(graph.nodes, 0)
    queue = deque(nid for nid in graph.nodes if pending[nid] == 0)
    placed: list[str] = []
    while queue:
        nid = queue.popleft()
        placed.append(nid)
        for child in succ[nid]:
            layer[child] = max(layer[child], layer[nid] + 1)
            pending[child] -= 1
            if pending[child] == 0:
                queue.append(child)
    bottom = max((layer[n] for n in placed), default=-1) + 1
    acyclic = set(placed)
    for offset, nid in enumerate(n for n in graph.nodes if n not in acyclic):
        layer[nid] = bottom + offset
    return layer, preds, succ


def _main_path(graph: Graph, layer: dict[str, int], preds: dict[str, list[str]]) -> list[str]:
    """The longest path ending at the deepest block (the first such in document order), through first ports."""
    if not layer:
        return []
    deepest = max(layer.values())
    end = next(n for n in graph.nodes if layer[n] == deepest)
    path = [end]
    while True:
        below = [p for p in preds[path[-1]] if layer[p] == layer[path[-1]] - 1]
        if not below:
            break
        path.append(below[0])
    return path[::-1]


def _crossings(upper: list[int], lower_of: list[list[int]]) -> int:
    """Crossings between two adjacent layers: edges (u, l) by upper position, inversions of l (a Fenwick tree)."""
    pairs = [low for up in upper for low in sorted(lower_of[up])]
    if len(pairs) < 2:
        return 0
    size = max(pairs) + 2
    tree = [0] * (size + 1)
    count = 0
    for seen, low in enumerate(pairs):
        i, below = low + 1, 0
        while i > 0:
            below += tree[i]
            i -= i & -i
        count += seen - below
        i = low + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


class _Nesting:
    """The groups as a forest: each grouped block or group's group, the groups inside each, each group's depth
    (1 for an outermost one) and the outermost group around it. Linear in the groups' members."""

    def __init__(self, graph: Graph) -> None:
        self.owner = parents(graph)
        self.nested: dict[str, list[str]] = {}
        for member, gid in self.owner.items():
            if member in graph.groups:
                self.nested.setdefault(gid, []).append(member)
        self.inner_first: list[str] = []  # every group after the groups inside it
        stack = [(gid, False) for gid in graph.groups if gid not in self.owner]
        while stack:
            gid, done = stack.pop()
            if done:
                self.inner_first.append(gid)
            else:
                stack.append((gid, True))
                stack.extend((child, False) for child in self.nested.get(gid, ()))
        self.depth: dict[str, int] = {}
        self.top: dict[str, str] = {}  # the outermost group around each group
        for gid in reversed(self.inner_first):
            self.depth[gid] = self.depth.get(self.owner.get(gid, ""), 0) + 1
            self.top[gid] = self.top[self.owner[gid]] if gid in self.owner else gid

    def outermost(self, nid: str) -> str:
        """The outermost group around a block, or the block itself when it is in none."""
        return self.top[self.owner[nid]] if nid in self.owner else nid

    def frames_between(self, a: str, b: str) -> int:
        """How many group frames have a side between two blocks side by side: those around one but not the other."""
        ga, gb = self.owner.get(a, ""), self.owner.get(b, "")
        da, db = self.depth.get(ga, 0), self.depth.get(gb, 0)
        count = 0
        while ga != gb:
            if da >= db:
                ga, da, count = self.owner.get(ga, ""), da - 1, count + 1
            else:
                gb, db, count = self.owner.get(gb, ""), db - 1, count + 1
        return count

    def layers(self, graph: Graph, succ: dict[str, list[str]]) -> dict[str, int] | None:
        """Layers that keep each group's rows to itself: within the group around them (or the top level), blocks
        and groups are laid out as units, a group as tall as its inside, each below every unit that feeds it
        (longest path). None when units feed one another in a cycle."""
        units: dict[str, list[str]] = {"": [n for n in graph.nodes if n not in self.owner]}
        units[""] += [g for g in graph.groups if g not in self.owner]
        for gid in graph.groups:
            units[gid] = graph.groups[gid].members
        feeds: dict[str, list[str]] = {}  # unit → the units beside it (same group) that it feeds
        for src, targets in succ.items():
            for dst in targets:
                us, ud = src, dst
                gs, gd = self.owner.get(src, ""), self.owner.get(dst, "")
                ds, dd = self.depth.get(gs, 0), self.depth.get(gd, 0)
                while gs != gd:  # up to the group around both: the units there that hold src and dst
                    if ds >= dd:
                        us, gs, ds = gs, self.owner.get(gs, ""), ds - 1
                    else:
                        ud, gd, dd = gd, self.owner.get(gd, ""), dd - 1
                if us != ud:
                    feeds.setdefault(us, []).append(ud)
        start: dict[str, int] = {}  # a unit's first layer, from the top of the group around it
        height: dict[str, int] = dict.fromkeys(graph.nodes, 1)
        for container in [*self.inner_first, ""]:
            members = units[container]
            pending = dict.fromkeys(members, 0)
            for unit in members:
                for other in feeds.get(unit, ()):
                    pending[other] += 1
            queue = deque(u for u in members if pending[u] == 0)
            for unit in members:
                start.setdefault(unit, 0)
            placed = 0
            while queue:
                unit = queue.popleft()
                placed += 1
                for other in feeds.get(unit, ()):
                    start[other] = max(start[other], start[unit] + height[unit])
                    pending[other] -= 1
                    if pending[other] == 0:
                        queue.append(other)
            if placed < len(members):
                return None
            height[container] = max((start[u] + height[u] for u in members), default=0)
        top = {g: start[g] for g in graph.groups if g not in self.owner}  # each group's first layer
        for gid in reversed(self.inner_first):
            if gid in self.owner:
                top[gid] = top[self.owner[gid]] + start[gid]
        return {n: top.get(self.owner.get(n, ""), 0) + start[n] for n in graph.nodes}

    def stacked(self, graph: Graph, layer: dict[str, int]) -> tuple[dict[int, int], dict[int, int]]:
        """Per layer, how many name bands stack above it (nested groups whose first layer it is) and how many
        frame bottoms stack below it (nested groups whose last layer it is)."""
        span: dict[str, tuple[int, int]] = {}  # a group's first and last layer
        bands: dict[str, int] = {}  # above its first layer: its band and those of the groups inside starting there
        bottoms: dict[str, int] = {}
        above: dict[int, int] = {}
        below: dict[int, int] = {}
        for gid in self.inner_first:
            inner = [c for c in self.nested.get(gid, ()) if c in span]
            rows = [layer[m] for m in graph.groups[gid].members if m in layer]
            rows += [r for c in inner for r in span[c]]
            if not rows:
                continue  # no blocks: nothing is drawn
            first, last = span[gid] = min(rows), max(rows)
            bands[gid] = 1 + max((bands[c] for c in inner if span[c][0] == first), default=0)
            bottoms[gid] = 1 + max((bottoms[c] for c in inner if span[c][1] == last), default=0)
            above[first] = max(above.get(first, 0), bands[gid])
            below[last] = max(below.get(last, 0), bottoms[gid])
        return above, below


class _Layered:
    """The proper layered graph: real nodes and dummies (ints), with edges only between adjacent layers."""

    def __init__(
        self, graph: Graph, layer: dict[str, int], succ: dict[str, list[str]], main: list[str], nesting: _Nesting
    ) -> None:
        self.names: list[str] = list(graph.nodes)
        index = {nid: i for i, nid in enumerate(self.names)}
        self.pinned = {index[n] for n in main}
        self.layer: list[int] = [layer[n] for n in self.names]
        self.dummy: list[bool] = [False] * len(self.names)
        self.cluster: list[str] = [nesting.outermost(n) for n in self.names]
        self.up: list[list[int]] = [[] for _ in self.names]
        self.down: list[list[int]] = [[] for _ in self.names]
        for src in self.names:
            for dst in succ[src]:
                a, b = index[src], index[dst]
                if self.layer[b] <= self.layer[a]:
                    continue  # an edge on a cycle: it does not shape the layers
                prev = a
                for level in range(self.layer[a] + 1, self.layer[b]):
                    d = self._new(level, self.cluster[a] if self.cluster[a] == self.cluster[b] else "")
                    self._link(prev, d)
                    prev = d
                self._link(prev, b)
        self.rows: list[list[int]] = [[] for _ in range(max(self.layer, default=-1) + 1)]
        real = [i for i in range(len(self.layer)) if not self.dummy[i]]
        for i in real + [i for i in range(len(self.layer)) if self.dummy[i]]:  # real nodes first, in document order
            self.rows[self.layer[i]].append(i)
        for row in self.rows:  # members of a group side by side, where the group's first member is
            first: dict[str, int] = {}
            for k, n in enumerate(row):
                first.setdefault(self.cluster[n] or f"#{n}", k)
            row.sort(key=lambda n: (n not in self.pinned, first[self.cluster[n] or f"#{n}"]))

    def _new(self, level: int, cluster: str) -> int:
        self.layer.append(level)
        self.dummy.append(True)
        self.cluster.append(cluster)
        self.up.append([])
        self.down.append([])
        return len(self.layer) - 1

    def _link(self, a: int, b: int) -> None:
        self.down[a].append(b)
        self.up[b].append(a)

    def _sweep(self, rows: list[list[int]], downward: bool) -> None:
        pos = [0.0] * len(self.layer)
        for row in rows:
            for i, n in enumerate(row):
                pos[n] = i
        order = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for level in order:
            row = rows[level]
            bary: dict[int, float] = {}
            for n in row:
                near = self.up[n] if downward else self.down[n]
                bary[n] = sum(pos[m] for m in near) / len(near) if near else pos[n]
            # Group members stay together: a cluster sorts by the mean of its members' barycentres.
            sums: dict[str, list[float]] = {}
            for n in row:
                if self.cluster[n]:
                    s = sums.setdefault(self.cluster[n], [0.0, 0])
                    s[0] += bary[n]
                    s[1] += 1
            row.sort(
                key=lambda n: (
                    n not in self.pinned,  # the main path leftmost: branches and lanes to its right
                    sums[self.cluster[n]][0] / sums[self.cluster[n]][1] if self.cluster[n] else bary[n],
                    bary[n],
                )
            )
            for i, n in enumerate(row):
                pos[n] = i

    def crossings(self, rows: list[list[int]]) -> int:
        total = 0
        for level in range(len(rows) - 1):
            below = {n: i for i, n in enumerate(rows[level + 1])}
            lower_of = {n: [below[m] for m in self.down[n]] for n in rows[level]}
            total += _crossings(rows[level], lower_of)  # type: ignore[arg-type]
        return total

    def order(self) -> list[list[int]]:
        best = [list(r) for r in self.rows]
        fewest = self.crossings(best)
        rows = [list(r) for r in self.rows]
        for sweep in range(SWEEPS * 2):
            if fewest == 0:
                break
            self._sweep(rows, downward=sweep % 2 == 0)
            found = self.crossings(rows)
            if found < fewest:
                best, fewest = [list(r) for r in rows], found
        return best


def _row_tops(graph: Graph, layer: dict[str, int], nesting: _Nesting, row: float) -> list[float]:
    """Each layer's y: one every `row`, more where nested groups' bands and bottom margins need the room."""
    above, below = nesting.stacked(graph, layer)
    tops = [0.0]
    for level in range(1, max(layer.values()) + 1):
        bands, bottoms = above.get(level, 0), below.get(level - 1, 0)
        need = (bottoms * FRAME_BOTTOM + FRAME_CLEAR if bottoms else MIN_DROP) + (
            bands * FRAME_TITLE + FRAME_CLEAR if bands else MIN_DROP
        )
        tops.append(tops[-1] + row + max(0.0, need - (row - BLOCK_H)))
    return tops


def _gap(lg: _Layered, a: int, b: int, nesting: _Nesting, column: float) -> float:
    """The least distance between the left edges of two neighbours in a layer: a column between blocks (more
    where the side margins of more than two frames lie between them), less next to a lane."""
    if lg.dummy[a] and lg.dummy[b]:
        return LANE_TO_LANE
    if lg.dummy[a]:
        return LANE_TO_BLOCK
    if lg.dummy[b]:
        return BLOCK_TO_LANE
    return column + max(0, nesting.frames_between(lg.names[a], lg.names[b]) - 2) * FRAME_PAD


def _place(row: list[int], gaps: list[float], want: dict[int, float], fixed: int | None) -> None:
    """Put a layer's nodes as near as they want, in order, at least gaps[i] between row[i] and row[i + 1]; a fixed
    node (the main path) stays."""
    if not row:
        return
    k = row.index(fixed) if fixed is not None else len(row) // 2  # else: spread around the middle one
    x = {row[k]: want[row[k]]}
    for i in range(k + 1, len(row)):
        x[row[i]] = max(want[row[i]], x[row[i - 1]] + gaps[i - 1])
    for i in range(k - 1, -1, -1):
        x[row[i]] = min(want[row[i]], x[row[i + 1]] - gaps[i])
    want.update(x)


def arrange(graph: Graph, row: float = ROW, column: float = COLUMN) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every block: the main path at x = 0, one layer every `row` or more (room
    for nested groups' frames)."""
    if not graph.nodes:
        return {}
    longest, preds, succ = _layers(graph)
    path = _main_path(graph, longest, preds)
    nesting = _Nesting(graph)
    layer = (nesting.layers(graph, succ) if graph.groups else None) or longest  # groups: each its own rows
    lg = _Layered(graph, layer, succ, path, nesting)
    rows = lg.order()
    index = {nid: i for i, nid in enumerate(lg.names)}
    main = {layer[n]: index[n] for n in path}
    gaps = [[_gap(lg, a, b, nesting, column) for a, b in zip(members, members[1:])] for members in rows]
    x: dict[int, float] = {}
    # Initial packing: every layer around its main node (or its middle) at 0.
    for level, members in enumerate(rows):
        want = {n: 0.0 for n in members}
        _place(members, gaps[level], want, main.get(level))
        x.update(want)
    # Priority method: pull each node towards the mean of its neighbours above, then below, then above.
    for downward in (True, False, True):
        levels = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for level in levels:
            members = rows[level]
            want = {}
            for n in members:
                near = lg.up[n] if downward else lg.down[n]
                want[n] = sum(x[m] for m in near) / len(near) if near else x[n]
            if main.get(level) is not None:
                want[main[level]] = 0.0
            _place(members, gaps[level], want, main.get(level))
            x.update(want)
    tops = _row_tops(graph, layer, nesting, row)
    at = _separate(graph, nesting, layer, {nid: x[i] for i, nid in enumerate(lg.names)}, column)
    return {nid: (float(round(at[nid])), tops[layer[nid]]) for nid in lg.names}


def _separate(
    graph: Graph, nesting: _Nesting, layer: dict[str, int], x: dict[str, float], column: float
) -> dict[str, float]:
    """x moved so that no two sibling units (blocks and groups in the same group, or at the top level) whose layers
    meet overlap: each layer is placed on its own, but a group's frame is one box around all its layers (Inception's
    branch_pool reached under branch3x3_2b, beside it in a later layer). Inner groups first, each unit shifted right
    as a whole, past the units left of it, a column apart (more for frame sides beyond two between them)."""
    box = {n: (x[n], x[n], layer[n], layer[n], 0) for n in graph.nodes}  # left, right, first, last, frames deep
    shift: dict[str, float] = {}
    units = {gid: group.members for gid, group in graph.groups.items()}
    units[""] = [u for u in (*graph.nodes, *graph.groups) if u not in nesting.owner]
    for container in [*nesting.inner_first, ""]:
        members = sorted((m for m in units[container] if m in box), key=lambda m: box[m][0])
        cuts = sorted({b for m in members for b in (box[m][2], box[m][3] + 1)})
        cell = {layer_: i for i, layer_ in enumerate(cuts)}  # the layers between two units' ends, as one cell
        skyline: list[tuple[float, int] | None] = [None] * len(cuts)  # per cell: the right edge and its frames
        for m in members:
            left, right, first, last, deep = box[m]
            cells = range(cell[first], cell[last + 1])
            move = 0.0
            for c in cells:
                if skyline[c] is not None:
                    edge, frames = skyline[c]
                    move = max(move, edge + column + max(0, frames + deep - 2) * FRAME_PAD - left)
            shift[m] = move
            box[m] = (left + move, right + move, first, last, deep)
            for c in cells:
                if skyline[c] is None or skyline[c][0] < right + move:
                    skyline[c] = (right + move, deep)
        if container and members:
            spans = [box[m] for m in members]
            box[container] = (
                min(b[0] for b in spans),
                max(b[1] for b in spans),
                min(b[2] for b in spans),
                max(b[3] for b in spans),
                1 + max(b[4] for b in spans),
            )
    moved: dict[str, float] = {}  # each group's shift with those of the groups around it
    for gid in reversed(nesting.inner_first):
        moved[gid] = shift.get(gid, 0.0) + moved.get(nesting.owner.get(gid, ""), 0.0)
    return {n: x[n] + shift[n] + moved.get(nesting.owner.get(n, ""), 0.0) for n in graph.nodes}


def missing_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Positions for the nodes that have none (a file may omit them): arranged, below any placed nodes."""
    missing = [nid for nid, n in graph.nodes.items() if n.position is None]
    if not missing:
        return {}
    arranged = arrange(graph)
    placed = [n.position[1] for n in graph.nodes.values() if n.position is not None]
    shift = max(placed) + ROW - min(arranged[nid][1] for nid in missing) if placed else 0.0
    return {nid: (arranged[nid][0], arranged[nid][1] + shift) for nid in missing}


def descendants(graph: Graph, start: str) -> set[str]:
    """Every node a path of edges leads to from start (start excluded unless on a cycle): one traversal."""
    succ: dict[str, list[str]] = {}
    for e in graph.edges:
        succ.setdefault(e.src, []).append(e.dst)
    seen: set[str] = set()
    stack = [start]
    while stack:
        for child in succ.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
