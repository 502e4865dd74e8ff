"""Auto-arrange: layers top to bottom by longest path from the Input, branches side by side."""

from __future__ import annotations

from collections import deque

from netbuilder.core.graph import Graph

ROW = 100.0
COLUMN = 260.0


def arrange(graph: Graph, row: float = ROW, column: float = COLUMN) -> dict[str, tuple[float, float]]:
    """Positions for every node; nodes on cycles go below the rest, in document order."""
    preds: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    succ: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    for e in sorted(graph.edges, key=lambda e: e.port):
        preds[e.dst].append(e.src)
        succ[e.src].append(e.dst)
    pending = {nid: len(p) for nid, p in preds.items()}
    depth = {nid: 0 for nid in graph.nodes}
    queue = deque(nid for nid in graph.nodes if pending[nid] == 0)
    placed: list[str] = []
    while queue:
        nid = queue.popleft()
        placed.append(nid)
        for child in succ[nid]:
            depth[child] = max(depth[child], depth[nid] + 1)
            pending[child] -= 1
            if pending[child] == 0:
                queue.append(child)
    bottom = max((depth[n] for n in placed), default=-1) + 1
    acyclic = set(placed)
    for offset, nid in enumerate(n for n in graph.nodes if n not in acyclic):
        depth[nid] = bottom + offset
        placed.append(nid)

    layers: dict[int, list[str]] = {}
    for nid in placed:
        layers.setdefault(depth[nid], []).append(nid)
    x: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    for level in sorted(layers):
        members = layers[level]

        # Order a layer by the mean column of its parents (barycentre), keeping document order on ties.
        def key(nid: str) -> float:
            xs = [x[p] for p in preds[nid] if p in x]
            return sum(xs) / len(xs) if xs else 0.0

        members.sort(key=key)
        for i, nid in enumerate(members):
            x[nid] = (i - (len(members) - 1) / 2) * column
            positions[nid] = (x[nid], level * row)
    return positions


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
