"""Auto-arrange: a layered (Sugiyama-style) layout, top to bottom.

1. Layers: longest path from the sources (blocks on cycles go below the rest, in document order).
2. Every connection that spans more than one layer gets a dummy node per layer it passes: a lane that keeps
   room beside the column for the wire (core.routing draws it there).
3. Crossings: barycentre sweeps down and up, keeping the ordering with the fewest crossings (counted
   exactly); members of the same group stay side by side within a layer.
4. Coordinates: the main path (the longest path from an Input to the output) is one straight column at
   x = 0, leftmost in its layers (so a group's box starts at the column); every other block is pulled towards
   its neighbours (priority method), packed to the right of the main column without overlapping.

O((N + D) log N) per sweep for N blocks and D dummies; pure Python, no dependencies (the libraries measured,
grandalf and python-igraph's Sugiyama layout, were slower or could not keep the main path straight: README).
"""

from __future__ import annotations

from collections import deque

from netbuilder.core.graph import Graph

ROW = 100.0
COLUMN = 260.0
# Horizontal room, measured between centres, for a lane (a wire passing a layer) next to a block or a lane:
# the wire keeps clear of the block's glow and has its volume label to its right (see core.routing).
BLOCK_TO_LANE = 140.0
LANE_TO_BLOCK = 245.0
LANE_TO_LANE = 24.0
SWEEPS = 4


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


class _Layered:
    """The proper layered graph: real nodes and dummies (ints), with edges only between adjacent layers."""

    def __init__(self, graph: Graph, layer: dict[str, int], succ: dict[str, list[str]], main: list[str]) -> None:
        from netbuilder.core.groups import parents

        self.names: list[str] = list(graph.nodes)
        index = {nid: i for i, nid in enumerate(self.names)}
        self.pinned = {index[n] for n in main}
        self.layer: list[int] = [layer[n] for n in self.names]
        self.dummy: list[bool] = [False] * len(self.names)
        owner = parents(graph)
        top: dict[str, str] = {}
        for nid in self.names:
            cursor = nid
            while cursor in owner:
                cursor = owner[cursor]
            top[nid] = cursor
        self.cluster: list[str] = [top[n] for n in self.names]
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


def _gap(left_dummy: bool, right_dummy: bool, column: float) -> float:
    if left_dummy and right_dummy:
        return LANE_TO_LANE
    if left_dummy:
        return LANE_TO_BLOCK
    if right_dummy:
        return BLOCK_TO_LANE
    return column


def _place(row: list[int], want: dict[int, float], fixed: int | None, dummy: list[bool], column: float) -> None:
    """Put a layer's nodes as near as they want, in order, without overlap; a fixed node (the main path) stays."""
    if not row:
        return
    k = row.index(fixed) if fixed is not None else len(row) // 2  # else: spread around the middle one
    x = {row[k]: want[row[k]]}
    for i in range(k + 1, len(row)):
        x[row[i]] = max(want[row[i]], x[row[i - 1]] + _gap(dummy[row[i - 1]], dummy[row[i]], column))
    for i in range(k - 1, -1, -1):
        x[row[i]] = min(want[row[i]], x[row[i + 1]] - _gap(dummy[row[i]], dummy[row[i + 1]], column))
    want.update(x)


def arrange(graph: Graph, row: float = ROW, column: float = COLUMN) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every block: the main path at x = 0, one layer every `row`."""
    if not graph.nodes:
        return {}
    layer, preds, succ = _layers(graph)
    path = _main_path(graph, layer, preds)
    lg = _Layered(graph, layer, succ, path)
    rows = lg.order()
    index = {nid: i for i, nid in enumerate(lg.names)}
    main = {layer[n]: index[n] for n in path}
    x: dict[int, float] = {}
    # Initial packing: every layer around its main node (or its middle) at 0.
    for level, members in enumerate(rows):
        want = {n: 0.0 for n in members}
        _place(members, want, main.get(level), lg.dummy, column)
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
            _place(members, want, main.get(level), lg.dummy, column)
            x.update(want)
    return {nid: (float(round(x[i])), layer[nid] * row) for i, nid in enumerate(lg.names)}


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
