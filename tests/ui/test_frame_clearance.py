"""Expanded groups on the scene's own geometry (issue 20, section 3): the names of nested groups never overprint,
whatever the zoom, and no routed wire runs along the side of a group's frame — for every preset with groups and
for imported resnet18, every group expanded."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from netbuilder.core.document import Document
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.ui.app import application
from netbuilder.ui.edge_item import EdgeItem, settle
from netbuilder.ui.editor import Editor
from netbuilder.ui.group_item import GroupFrame
from netbuilder.ui.items import far, pixel_font, readable
from netbuilder.ui.scene import CanvasScene

NEAR = 4.0  # px: a wire this close to a frame's side, along it, reads as running on the edge
GROUPED = [p.key for p in list_presets() if load_preset(p.key).graph.groups]


def expanded(document: Document) -> CanvasScene:
    application()
    graph = document.graph.copy()
    for group in graph.groups.values():
        group.folded = False
    scene = CanvasScene(Editor(Document(graph, document.name)))
    settle(scene)
    return scene


def side_zooms() -> list[float]:
    """Zooms at which frames write their names beside them (the band's name too small, not yet far out)."""
    application()
    zooms = [z / 100 for z in range(5, 100)]
    return [z for z in zooms if not readable(pixel_font(14, bold=True), z) and not far(z)]


def meeting(rects: list[tuple[str, QRectF]]) -> list[str]:
    return [f"{a} and {b}" for i, (a, r) in enumerate(rects) for b, s in rects[i + 1 :] if r.intersects(s)]


def overprinted_names(scene: CanvasScene) -> list[str]:
    frames = list(scene.group_frames.values())
    found = []
    assert side_zooms(), "frames write their names beside them at some zoom"
    for lod in side_zooms():
        found += meeting([(f.name, f.mapRectToScene(f.side_label_rect(lod))) for f in frames])
    found += meeting([(f.name, f.mapRectToScene(f.title_rect())) for f in frames])
    return found


def wires_on_frame_edges(scene: CanvasScene) -> list[str]:
    """Every straight run of a wire that lies along a frame's side (or top or bottom) within NEAR px."""
    frames = [f.frame_rect() for f in scene.group_frames.values()]
    found = []
    for edge in (i for i in scene.items() if isinstance(i, EdgeItem) and i.isVisible()):
        for polygon in edge.path().toSubpathPolygons():
            points = [(p.x(), p.y()) for p in polygon]
            for (ax, ay), (bx, by) in zip(points, points[1:]):
                for r in frames:
                    if abs(ax - bx) < 0.5 and abs(ay - by) > NEAR:  # vertical run
                        along = min(ay, by) < r.bottom() and max(ay, by) > r.top()
                        if along and min(abs(ax - r.left()), abs(ax - r.right())) < NEAR:
                            found.append(f"{edge.src} → {edge.dst} along the side of {r}")
                    elif abs(ay - by) < 0.5 and abs(ax - bx) > NEAR:  # horizontal run
                        along = min(ax, bx) < r.right() and max(ax, bx) > r.left()
                        if along and min(abs(ay - r.top()), abs(ay - r.bottom())) < NEAR:
                            found.append(f"{edge.src} → {edge.dst} along the top or bottom of {r}")
    return found


@pytest.mark.parametrize("key", GROUPED)
def test_presets_nested_names_apart_and_wires_off_frame_edges(key):
    scene = expanded(load_preset(key))
    assert overprinted_names(scene) == []
    assert wires_on_frame_edges(scene) == []


@pytest.mark.slow
def test_imported_resnet18_nested_names_apart_and_wires_off_frame_edges():
    from netbuilder.pytorch.trace import import_model

    scene = expanded(import_model("torchvision:resnet18").document)
    names = {f.name for f in scene.group_frames.values()}
    assert {"layer1", "layer1.0", "layer2.0.downsample"} <= names
    assert overprinted_names(scene) == []
    assert wires_on_frame_edges(scene) == []
    # The nested names line up beside the outermost frame, each under the name of the group around it.
    inner = next(f for f in scene.group_frames.values() if f.name == "layer1.0")
    outer = inner.parent_frame
    assert isinstance(outer, GroupFrame) and outer.name == "layer1"
    lod = side_zooms()[0]
    a, b = outer.mapRectToScene(outer.side_label_rect(lod)), inner.mapRectToScene(inner.side_label_rect(lod))
    assert a.right() == b.right() and b.top() >= a.bottom()
