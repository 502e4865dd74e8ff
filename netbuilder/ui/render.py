"""Headless render: the canvas view of a document, drawn to PNG or SVG without opening a window.

The picture uses the canvas's own layout, groups and routed wires. No picture is larger than max_side pixels on
either side: by default every group is shown expanded when that fits; when it does not, groups are folded, the
innermost first (a residual block before its stage), until it fits; what still does not fit is scaled down.
`expand` shows every group expanded and scales. Folding is data: it is set on a copy of the document.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from netbuilder.core.document import Document
from netbuilder.core.groups import depth
from netbuilder.ui import theme

MARGIN = 30.0
MAX_SIDE = 16_384


def _folded_copy(document: Document, fold_from: int | None) -> Document:
    """A copy with the groups at depth >= fold_from folded and the rest expanded (None: all expanded)."""
    graph = document.graph.copy()
    for gid, group in graph.groups.items():
        group.folded = fold_from is not None and depth(graph, gid) >= fold_from
    return Document(graph, document.name, document.description)


def _scene(document: Document):  # -> tuple[CanvasScene, QRectF]
    from netbuilder.ui.edge_item import settle
    from netbuilder.ui.editor import Editor
    from netbuilder.ui.scene import CanvasScene

    scene = CanvasScene(Editor(document))
    settle(scene)
    shown = QRectF()
    for item in scene.items():
        if item.parentItem() is None and item.isVisible():  # the members of a folded group are hidden
            shown = shown.united(item.sceneBoundingRect())
    return scene, shown.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def plan(document: Document, scale: float, max_side: int, expand: bool):  # -> tuple[scene, source, scale]
    """The scene to draw, the part of it, and the scale that keeps the picture within max_side."""
    levels = sorted({depth(document.graph, gid) for gid in document.graph.groups}, reverse=True)
    tries: list[int | None] = [None] if expand else [None, *levels]
    for fold_from in tries:
        scene, source = _scene(_folded_copy(document, fold_from))
        if max(source.width(), source.height()) * scale <= max_side:
            return scene, source, scale
    longest = max(source.width(), source.height(), 1.0)
    return scene, source, max_side / longest * 0.999


def render(
    document: Document, out: Path, scale: float = 2.0, max_side: int = MAX_SIDE, expand: bool = False
) -> tuple[int, int]:
    """Draw the document's canvas to out (.png or .svg); returns the picture's size in pixels. Raises OSError
    when the file cannot be written."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from netbuilder.ui.app import application

    application()
    scene, source, scale = plan(document, scale if not out.suffix.lower() == ".svg" else 1.0, max_side, expand)
    width = max(1, min(max_side, math.floor(source.width() * scale)))
    height = max(1, min(max_side, math.floor(source.height() * scale)))
    target = QRectF(0, 0, width, height)
    background = theme.current().background
    if out.suffix.lower() == ".svg":
        generator = QSvgGenerator()
        generator.setFileName(str(out))
        generator.setSize(QSize(width, height))
        generator.setViewBox(target)
        generator.setTitle(document.name)
        painter = QPainter(generator)
        painter.fillRect(target, background)
        scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        if not out.is_file():
            raise OSError(f"cannot write {out}")
        return width, height
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    if image.isNull():
        raise OSError(f"cannot make a {width} × {height} picture (not enough memory?)")
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    if not image.save(str(out)):
        raise OSError(f"cannot write {out} (is the folder there, and is the name .png or .svg?)")
    return width, height
