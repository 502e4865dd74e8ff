"""Headless render: the canvas view of a document, drawn to PNG or SVG without opening a window.

The picture uses the canvas's own layout, groups and routed wires. No picture is larger than max_side pixels on
either side: by default every group is shown expanded when that fits; when it does not, groups are folded, the
innermost first (a residual block before its stage), until it fits; what still does not fit is scaled down.
`expand` shows every group expanded and scales. Folding is data: it is set on a copy of the document.
Groups nested deeper than MAX_DRAWN_DEPTH are drawn folded (their frames would leave no room for their blocks),
and the folding depth is found by bisection, so a picture costs O(log depth) scene builds, whatever the nesting.

style "volumes" draws the volumes picture instead (core.volumes, painted as the Volumes view paints it), with the
groups folded as the document has them (`expand`: all expanded), scaled down when it does not fit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from netbuilder.core.atomic import check_target, write_atomic
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document
from netbuilder.core.drawing.volumes import build
from netbuilder.core.groups import depths
from netbuilder.ui import theme
from netbuilder.ui.app.app import application
from netbuilder.ui.canvas.edge_item import settle
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.image_file import save_image
from netbuilder.ui.inside.volumes_view import paint_picture

MARGIN = 30.0
MAX_SIDE = 16_384
MAX_DRAWN_DEPTH = 8  # groups inside this many others are drawn folded


def _folded_copy(document: Document, fold_from: int | None) -> Document:
    """A copy with the groups at depth >= fold_from folded and the rest expanded (None: all expanded, down to
    MAX_DRAWN_DEPTH)."""
    graph = document.graph.copy()
    fold_from = MAX_DRAWN_DEPTH if fold_from is None else min(fold_from, MAX_DRAWN_DEPTH)
    level = depths(graph)
    for gid, group in graph.groups.items():
        group.folded = level[gid] >= fold_from
    return Document(graph, document.name, document.description)


def _scene(document: Document) -> tuple[CanvasScene, QRectF]:
    scene = CanvasScene(Editor(document))
    settle(scene)
    shown = QRectF()
    for item in scene.items():
        if item.parentItem() is None and item.isVisible():  # the members of a folded group are hidden
            shown = shown.united(item.sceneBoundingRect())
    return scene, shown.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def plan(document: Document, scale: float, max_side: int, expand: bool):  # -> tuple[scene, source, scale]
    """The scene to draw, the part of it, and the scale that keeps the picture within max_side: the deepest
    folding that fits (fewer groups expanded makes a smaller picture), found by bisection."""
    deepest = max(depths(document.graph).values(), default=-1)
    # Candidate fold depths, least folded first: every group expanded (down to MAX_DRAWN_DEPTH) … all folded.
    tries = [min(deepest + 1, MAX_DRAWN_DEPTH)] if expand else list(range(min(deepest + 1, MAX_DRAWN_DEPTH), -1, -1))
    built: dict[int, tuple] = {}

    def fits(i: int) -> bool:
        if i not in built:
            built[i] = _scene(_folded_copy(document, tries[i]))
        source = built[i][1]
        return max(source.width(), source.height()) * scale <= max_side

    low, high = 0, len(tries) - 1  # the first that fits lies in [low, high], or none does
    while low < high:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid + 1
    if fits(low):
        return *built[low], scale
    scene, source = built[low]
    longest = max(source.width(), source.height(), 1.0)
    return scene, source, max_side / longest * 0.999


STYLES = ("canvas", "volumes")


def volumes_picture(document: Document, scale: float, max_side: int, expand: bool, volume_scale: str = "sqrt"):
    """The volumes picture to draw (groups folded as the document has them, or all expanded), and the scale
    that keeps it within max_side."""
    graph = _folded_copy(document, None).graph if expand else document.graph
    picture = build(graph, check(graph, {}), volume_scale)
    if max(picture.width, picture.height) * scale <= max_side:
        return picture, scale
    return picture, max_side / max(picture.width, picture.height, 1.0) * 0.999


def render(
    document: Document,
    out: Path,
    scale: float = 2.0,
    max_side: int = MAX_SIDE,
    expand: bool = False,
    style: str = "canvas",
) -> tuple[int, int]:
    """Draw the document's canvas (or with style "volumes" its volumes picture) to out (.png or .svg); returns the
    picture's size in pixels. Raises OSError when the file cannot be written (a device, a folder: before drawing)."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}; got {style!r}")
    check_target(out)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application()
    scale = scale if not out.suffix.lower() == ".svg" else 1.0
    if style == "volumes":
        return _render_volumes(document, out, scale, max_side, expand)
    scene, source, scale = plan(document, scale, max_side, expand)
    width = max(1, min(max_side, math.floor(source.width() * scale)))
    height = max(1, min(max_side, math.floor(source.height() * scale)))
    return _write(
        out,
        width,
        height,
        document.name,
        lambda p, target: scene.render(p, target, source, Qt.AspectRatioMode.KeepAspectRatio),
    )


def _write(out: Path, width: int, height: int, title: str, draw: Callable[[QPainter, QRectF], None]) -> tuple[int, int]:
    """A width × height picture drawn by draw(painter, target) on the theme's background, as SVG or PNG, written
    through core.atomic."""
    target = QRectF(0, 0, width, height)
    svg = out.suffix.lower() == ".svg"
    data = QByteArray()
    buffer = QBuffer(data)
    if svg:
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(QSize(width, height))
        generator.setViewBox(target)
        generator.setTitle(title)
        painter = QPainter(generator)
    else:
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        if image.isNull():
            raise OSError(f"cannot make a {width} × {height} picture (not enough memory?)")
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    painter.fillRect(target, theme.current().background)
    draw(painter, target)
    painter.end()
    if svg:
        buffer.close()
        write_atomic(out, lambda f: f.write(data.data()))
    elif not save_image(image, out):
        raise OSError(f"cannot encode the {width} × {height} picture as PNG")
    return width, height


def _render_volumes(document: Document, out: Path, scale: float, max_side: int, expand: bool) -> tuple[int, int]:
    picture, scale = volumes_picture(document, scale, max_side, expand)
    width = max(1, min(max_side, math.floor(picture.width * scale)))
    height = max(1, min(max_side, math.floor(picture.height * scale)))

    def draw(painter: QPainter, target: QRectF) -> None:
        painter.scale(width / picture.width, height / picture.height)
        paint_picture(painter, picture)

    return _write(out, width, height, document.name, draw)
