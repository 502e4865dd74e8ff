"""Expanded groups on the scene's own geometry (issue 20, section 3): the names of nested groups never overprint,
whatever the zoom, and no wire runs along a group's frame (its sides, top or bottom) or through its name band —
for every preset with groups and for imported resnet18, googlenet and densenet121, every group expanded."""

from __future__ import annotations

import pytest
from canvas_geometry import wires_on_frame_edges
from PySide6.QtCore import QRectF

from netbuilder.core.document import Document
from netbuilder.core.drawing import routing
from netbuilder.core.drawing.layout import FRAME_TITLE
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.canvas.edge_item import settle
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.group_item import GroupFrame
from netbuilder.ui.canvas.items import far, pixel_font, readable
from netbuilder.ui.canvas.scene import CanvasScene

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


def test_a_routed_wire_turns_clear_of_a_frame_edge_where_it_would_have_turned():
    """core.routing alone: a block in the way makes the wire turn sideways; a frame's bottom edge lies where it used
    to turn (DROP below the port), another frame's band starts below: it turns between them, FRAME_CLEAR off both."""
    start, end = (0.0, 0.0), (300.0, 200.0)
    blocks = [(-20.0, 60.0, 400.0, 120.0)]  # across the S-curve
    frames = [(-50.0, -100.0, 100.0, routing.DROP), (200.0, 170.0, 400.0, 300.0)]
    wire = routing.route(start, end, blocks, frames=frames, band=FRAME_TITLE)
    assert wire.points and not routing.polyline_hits(wire.points, blocks)
    turns = [p[1] for p, q in zip(wire.points, wire.points[1:]) if p[1] == q[1]]
    assert turns and all(abs(y - e) >= routing.FRAME_CLEAR for y in turns for f in frames for e in (f[1], f[3]))
    assert not routing.along_frames(wire.points, frames, FRAME_TITLE)
    before = (start, (0.0, routing.DROP), (420.0, routing.DROP))  # where the wire used to turn
    assert routing.along_frames(before, frames, FRAME_TITLE)


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


@pytest.mark.slow
@pytest.mark.parametrize("model", ["googlenet", "densenet121"])
def test_imported_branches_wires_off_frame_edges_and_bands(model):
    """Inception branches and dense layers: every fan-out into nested groups and every skip to a Concat turns
    sideways between rows, clear of the frames and their bands (the old routing ran along hundreds of them)."""
    from netbuilder.pytorch.trace import import_model

    assert wires_on_frame_edges(expanded(import_model(f"torchvision:{model}").document)) == []


def test_the_layouts_block_height_is_the_canvass():
    """core.layout leaves room between rows for a wire's turn from the block height it assumes."""
    from netbuilder.core.drawing.layout import BLOCK_H
    from netbuilder.ui.canvas.items import NODE_H

    assert BLOCK_H == NODE_H
