"""Checks on the canvas scene's own geometry, shared by the tests of the layout, the wires and the groups (expanded
and folded): no two blocks overlap and no wire crosses a block; every name band in full view, sibling frames apart,
no block or card on another group's frame; no wire along a frame's edge."""

from __future__ import annotations

from PySide6.QtCore import QRectF

from netbuilder.core.drawing import routing
from netbuilder.core.drawing.layout import FRAME_TITLE
from netbuilder.core.groups import parents
from netbuilder.ui.canvas.edge_item import EdgeItem, is_obstacle
from netbuilder.ui.canvas.group_item import GroupFrame
from netbuilder.ui.canvas.scene import CanvasScene

NEAR = 6.0  # px: a wire this close to a frame's edge, along it, reads as running on the edge
ALONG = 16.0  # px: crossing an edge (or a band) is fine, running along it for longer than this is not


def band(frame: GroupFrame) -> QRectF:
    """The strip along the frame's top that holds its chevron and name, in scene coordinates."""
    r = frame.frame_rect()
    return QRectF(r.left(), r.top(), r.width(), FRAME_TITLE)


def unit_of(item) -> str:
    return getattr(item, "node_id", None) or getattr(item, "group_id", None) or type(item).__name__


def shrunk(r: QRectF) -> routing.Rect:
    return r.left() + 1, r.top() + 1, r.right() - 1, r.bottom() - 1


def problems(scene: CanvasScene) -> list[str]:
    """Every wire that crosses a block other than its ends, and every pair of blocks that overlap."""
    blocks = [item for item in scene.items() if is_obstacle(item)]
    rects = {item: shrunk(item.sceneBoundingRect()) for item in blocks}
    found = []
    for edge in (i for i in scene.items() if isinstance(i, EdgeItem) and i.isVisible()):
        polygons = [[(p.x(), p.y()) for p in poly] for poly in edge.path().toSubpathPolygons()]
        box = shrunk(edge.path().boundingRect().adjusted(-2, -2, 2, 2))
        for item, r in rects.items():
            if item is edge.src or item is edge.dst or not routing.overlaps(r, box):
                continue
            if any(routing.polyline_hits(poly, [r]) for poly in polygons):
                found.append(f"wire {unit_of(edge.src)} → {unit_of(edge.dst)} crosses {unit_of(item)}")
    ordered = sorted(rects.values())
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b[0] >= a[2]:
                break
            if routing.overlaps(a, b):
                found.append(f"blocks overlap at {a} and {b}")
    return found


def hidden_bands(scene: CanvasScene) -> list[str]:
    """Every band a block or card lies on, every two bands that meet, every two sibling frames that overlap."""
    owner = parents(scene.editor.graph)
    frames = sorted(scene.group_frames.values(), key=lambda f: f.frame_rect().top())
    blocks = [i for i in scene.items() if is_obstacle(i) and i.isVisible()]
    found = []
    for frame in frames:
        top = band(frame)
        for item in blocks:
            shown = item.mapRectToScene(item.shape().boundingRect())
            if shown.intersects(top):
                found.append(f"{unit_of(item)} lies on the band of {frame.name}")
    for i, a in enumerate(frames):
        for b in frames[i + 1 :]:
            if band(a).intersects(band(b)):
                found.append(f"the bands of {a.name} and {b.name} meet")
            if owner.get(a.group_id) == owner.get(b.group_id) and a.frame_rect().intersects(b.frame_rect()):
                found.append(f"the frames of {a.name} and {b.name} overlap")
    return found


def strays(scene: CanvasScene) -> list[str]:
    """Every block or card that overlaps the frame of a group it is not in."""
    owner = parents(scene.editor.graph)
    found = []
    for item in (i for i in scene.items() if is_obstacle(i) and i.isVisible()):
        around, cursor = set(), owner.get(unit_of(item))
        while cursor is not None:
            around.add(cursor)
            cursor = owner.get(cursor)
        shown = item.mapRectToScene(item.shape().boundingRect())
        for gid, frame in scene.group_frames.items():
            if gid not in around and shown.intersects(frame.frame_rect()):
                found.append(f"{unit_of(item)} lies on the frame of {frame.name}")
    return found


def ends(edge: EdgeItem) -> str:
    return " → ".join(unit_of(i) for i in (edge.src, edge.dst))


def wires_on_frame_edges(scene: CanvasScene) -> list[str]:
    """Every wire that runs more than ALONG px within NEAR px of a frame's side, top or bottom, or across its name
    band (straight runs and curves alike: the length measured along the edge)."""
    frames = [(f.name, f.frame_rect()) for f in scene.group_frames.values()]
    found = []
    for edge in (i for i in scene.items() if isinstance(i, EdgeItem) and i.isVisible()):
        points = [(p.x(), p.y()) for poly in edge.path().toSubpathPolygons() for p in poly]
        box = edge.path().boundingRect().adjusted(-NEAR, -NEAR, NEAR, NEAR)
        for name, r in ((name, r) for name, r in frames if r.intersects(box)):
            zones = {  # where a wire may cross but not run along: (x0, y0, x1, y1), the axis measured
                "top": ((r.left(), r.top() - NEAR, r.right(), r.top() + NEAR), 0),
                "name band": ((r.left(), r.top(), r.right(), r.top() + FRAME_TITLE), 0),
                "bottom": ((r.left(), r.bottom() - NEAR, r.right(), r.bottom() + NEAR), 0),
                "left side": ((r.left() - NEAR, r.top(), r.left() + NEAR, r.bottom()), 1),
                "right side": ((r.right() - NEAR, r.top(), r.right() + NEAR, r.bottom()), 1),
            }
            for where, ((x0, y0, x1, y1), axis) in zones.items():
                run = sum(
                    abs(q[axis] - p[axis])
                    for p, q in zip(points, points[1:])
                    if x0 < (p[0] + q[0]) / 2 < x1 and y0 < (p[1] + q[1]) / 2 < y1
                )
                if run > ALONG:
                    found.append(f"{ends(edge)} runs {run:.0f} px along the {where} of {name}")
    return found
