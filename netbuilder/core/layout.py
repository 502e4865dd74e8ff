"""Auto-arrange: layers top to bottom by longest path from the Input, branches side by side."""

from __future__ import annotations

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
    queue = [nid for nid in graph.nodes if pending[nid] == 0]
    placed: list[str] = []
    while queue:
        nid = queue.pop(0)
        placed.append(nid)
        for child in succ[nid]:
            depth[child] = max(depth[child], depth[nid] + 1)
            pending[child] -= 1
            if pending[child] == 0:
                queue.append(child)
    bottom = max((depth[n] for n in placed), default=-1) + 1
    for offset, nid in enumerate(n for n in graph.nodes if n not in set(placed)):
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
