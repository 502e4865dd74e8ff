"""View → Volumes: the live cuboid picture beside the canvas, hover and click in step with the canvas (real mouse
events), and `netbuilder render --style volumes`."""

import pytest
from gestures import view_point
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtTest import QTest

from netbuilder.cli import main
from netbuilder.core.presets import preset_path
from netbuilder.ui.canvas.undo import set_params
from netbuilder.ui.inside.volumes_view import band_strips


def open_volumes(window, qtbot):
    action = window.installed.actions["view.dock.volumes"]
    assert not window.volumes_dock.isVisible()
    action.trigger()
    qtbot.waitUntil(window.volumes_dock.isVisible)
    window.resizeDocks([window.volumes_dock], [700], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: window.volumes.picture is not None)
    sizes = []

    def settled() -> bool:  # the dock's layout lands over a few event loop turns
        sizes.append(window.volumes.canvas.size())
        return len(sizes) > 3 and sizes[-1] == sizes[-2] == sizes[-3]

    qtbot.waitUntil(settled)
    return window.volumes


def cuboid_point(volumes, unit: str) -> QPoint:
    """A point on the front face of a unit's cuboid, clear of its bands, in the volumes canvas's coordinates."""
    c = volumes.picture.cuboid(unit)
    x = c.x + min(c.d * 0.3, 6.0)
    return volumes.canvas.to_widget((x, c.yb - c.h / 2)).toPoint()


def test_view_volumes_opens_the_dock_with_the_articles_picture(make_window, qtbot):
    window = make_window("seed_cnn")
    volumes = open_volumes(window, qtbot)
    assert [c.label for c in volumes.picture.cuboids] == ["32×32×3", "32×32×12", "16×16×12", "10"]
    assert window.volumes_dock.objectName() == "Volumes"  # its place is saved with the window's state
    volumes.chw_box.setChecked(True)
    assert [c.label for c in volumes.picture.cuboids] == ["3×32×32", "12×32×32", "12×16×16", "10"]
    volumes.scale_box.setCurrentText("log")
    assert volumes.picture.scale == "log"
    image = volumes.canvas.grab().toImage()
    assert not image.isNull() and image.width() > 100


def test_the_picture_follows_every_edit_and_undo(make_window, qtbot):
    window = make_window("seed_cnn")
    volumes = open_volumes(window, qtbot)
    graph = window.editor.graph
    window.editor.push(set_params(graph, "conv1", dict(graph.nodes["conv1"].params, out_channels=20)))
    assert [c.label for c in volumes.picture.cuboids] == ["32×32×3", "32×32×20", "16×16×20", "10"]
    window.editor.undo_stack.undo()
    assert volumes.picture.cuboids[1].label == "32×32×12"
    # A broken edit: drawn up to the broken block, marked.
    window.editor.push(set_params(graph, "pool1", dict(graph.nodes["pool1"].params, kernel_size=64)))
    units = [c.unit for c in volumes.picture.cuboids]
    assert units == ["input", "conv1", "pool1"]
    assert volumes.picture.cuboids[-1].kind == "broken"
    assert "not drawn" in volumes.note.text()
    window.editor.undo_stack.undo()
    assert [c.unit for c in volumes.picture.cuboids] == ["input", "conv1", "pool1", "fc1"]


def test_a_hidden_view_catches_up_when_shown(make_window, qtbot):
    window = make_window("seed_cnn")
    volumes = open_volumes(window, qtbot)
    window.volumes_dock.hide()
    graph = window.editor.graph
    window.editor.push(set_params(graph, "conv1", dict(graph.nodes["conv1"].params, out_channels=7)))
    assert volumes.stale
    window.volumes_dock.show()
    qtbot.waitUntil(lambda: not volumes.stale)
    assert volumes.picture.cuboids[1].label == "32×32×7"


def test_hovering_a_cuboid_outlines_its_block_on_the_canvas(make_window, qtbot):
    window = make_window("seed_cnn")
    volumes = open_volumes(window, qtbot)
    QTest.mouseMove(volumes.canvas, cuboid_point(volumes, "pool1"))
    qtbot.waitUntil(lambda: volumes.canvas_mark is not None)
    mark = volumes.canvas_mark
    assert mark.data(0) == "pool1"
    assert mark.sceneBoundingRect().contains(window.scene.node_items["pool1"].sceneBoundingRect().center())
    assert volumes.canvas.highlight == "pool1"
    # A band stands for its own block: the ReLU folded into the conv's cuboid.
    conv = volumes.picture.cuboid("conv1")
    (block, strip, _), *_ = band_strips(conv)
    centre = strip.boundingRect().center()
    QTest.mouseMove(volumes.canvas, volumes.canvas.to_widget((centre.x(), centre.y())).toPoint())
    qtbot.waitUntil(lambda: volumes.canvas_mark is not None and volumes.canvas_mark.data(0) == "relu1")
    # Off every cuboid: the outline goes.
    QTest.mouseMove(volumes.canvas, QPoint(2, 2))
    qtbot.waitUntil(lambda: volumes.canvas_mark is None)
    assert volumes.canvas.highlight is None


def test_hovering_a_block_on_the_canvas_outlines_its_cuboid(make_window, qtbot):
    window = make_window("seed_cnn")
    volumes = open_volumes(window, qtbot)
    item = window.scene.node_items["conv1"]
    QTest.mouseMove(window.view.viewport(), view_point(window, item.mapToScene(QPointF(40, 40))))
    qtbot.waitUntil(lambda: volumes.canvas.highlight == "conv1")
    # The ReLU is drawn as a band on the conv's cuboid; hovering it on the canvas outlines its band.
    relu = window.scene.node_items["relu1"]
    QTest.mouseMove(window.view.viewport(), view_point(window, relu.mapToScene(QPointF(40, 40))))
    qtbot.waitUntil(lambda: volumes.canvas.highlight == "relu1")
    empty = QPoint(3, 3)
    assert not window.scene.items(window.view.mapToScene(empty))
    QTest.mouseMove(window.view.viewport(), empty)
    qtbot.waitUntil(lambda: volumes.canvas.highlight is None)


def test_clicking_a_cuboid_selects_its_block_without_changing_the_graph(make_window, qtbot):
    window = make_window("seed_cnn")
    volumes = open_volumes(window, qtbot)
    steps = window.editor.undo_stack.count()
    QTest.mouseClick(
        volumes.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, cuboid_point(volumes, "fc1")
    )
    qtbot.waitUntil(lambda: window.canvas.selected_ids() == ["fc1"])
    assert window.editor.undo_stack.count() == steps
    assert volumes.canvas.selected == frozenset({"fc1"})
    # Selecting on the canvas outlines the cuboid here.
    window.scene.clearSelection()
    window.scene.node_items["input"].setSelected(True)
    assert volumes.canvas.selected == frozenset({"input"})


def test_folded_groups_are_one_cuboid_each_and_clicking_one_selects_its_card(make_window, qtbot):
    window = make_window("vgg_cifar")
    volumes = open_volumes(window, qtbot)
    units = [c.unit for c in volumes.picture.cuboids]
    assert units == ["input", "stage1", "stage2", "stage3", "stage4", "stage5", "classifier"]
    QTest.mouseClick(
        volumes.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, cuboid_point(volumes, "stage3")
    )
    qtbot.waitUntil(lambda: window.canvas.selected_groups() == ["stage3"])


def test_each_edit_on_vgg_is_drawn_in_the_volumes_view_with_its_groups_expanded(make_window, qtbot):
    """The picture and its painted canvas follow each edit of VGG-CIFAR's first conv. (The time from the edit to
    the repainted views is bench_canvas.py's volumes_vgg_cifar, target 16 ms.)"""
    window = make_window("vgg_cifar")
    graph = window.editor.graph
    for gid in list(graph.groups):
        window.scene.set_folded(gid, False)
    volumes = open_volumes(window, qtbot)
    for channels in (16, 32, 16):
        before = volumes.canvas.grab().toImage()
        window.editor.push(set_params(graph, "conv1_1", dict(graph.nodes["conv1_1"].params, out_channels=channels)))
        qtbot.waitUntil(lambda c=channels: volumes.picture.cuboid("conv1_1").label == f"32×32×{c}")
        assert volumes.canvas.grab().toImage() != before


@pytest.mark.parametrize("preset", ["seed_cnn", "resnet_cifar"])
def test_render_volumes_to_svg_and_png(preset, tmp_path, capsys):
    png, svg = tmp_path / f"{preset}.png", tmp_path / f"{preset}.svg"
    assert main(["render", str(preset_path(preset)), "--style", "volumes", "-o", str(png)]) == 0
    assert main(["render", str(preset_path(preset)), "--style", "volumes", "-o", str(svg)]) == 0
    image = QImage(str(png))
    assert not image.isNull() and image.width() > image.height() > 100
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    if preset == "seed_cnn":
        for label in ("32×32×3", "32×32×12", "16×16×12", "conv 3×3", "max pool 2×2"):
            assert label in text
    else:
        assert "stage 1" in text
    # The canvas style is still the default, and is not the same picture.
    canvas = tmp_path / "canvas.png"
    assert main(["render", str(preset_path(preset)), "-o", str(canvas)]) == 0
    assert QImage(str(canvas)).size() != image.size()
    assert "Wrote" in capsys.readouterr().out


def test_render_refuses_an_unknown_style(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["render", str(preset_path("seed_cnn")), "--style", "cubes", "-o", str(tmp_path / "x.png")])
    assert "invalid choice" in capsys.readouterr().err


def test_paint_picture_draws_only_the_part_asked_for(make_window, qtbot):
    """A picture wider than its dock is drawn only where the scroll area shows it (and its texts' room)."""
    from PySide6.QtCore import QRectF

    from netbuilder.ui import theme
    from netbuilder.ui.inside.volumes_view import TEXT_ROOM, paint_picture

    window = make_window("vgg_cifar")
    picture = open_volumes(window, qtbot).picture
    first, last = picture.cuboids[0], picture.cuboids[-1]
    left, top, right, bottom = first.bounds()
    assert last.x > right + 2 * TEXT_ROOM  # far enough to be left out
    background = theme.current().background

    def drawn(within):
        image = QImage(int(picture.width) + 1, int(picture.height) + 1, QImage.Format.Format_RGB32)
        image.fill(background)
        painter = QPainter(image)
        paint_picture(painter, picture, within=within)
        painter.end()
        centre = (int(last.x + last.d / 2), int(last.yb - last.h / 2))
        return image.pixelColor(*centre) != background, image.pixelColor(int(first.x + 1), int(first.yb - 2))

    assert drawn(None)[0]
    far_out, near = drawn(QRectF(left, top, right - left, bottom - top).adjusted(-10, -10, 10, 10))
    assert not far_out and near != background
