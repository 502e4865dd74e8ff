"""Headless render: the canvas view of a document, drawn to PNG or SVG without opening a window."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from netbuilder.core.document import Document
from netbuilder.ui import theme

MARGIN = 30.0


def render(document: Document, out: Path, scale: float = 2.0) -> None:
    """Draw the document's canvas to out (.png or .svg). Raises OSError when the file cannot be written."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from netbuilder.ui.app import application

    application()
    from netbuilder.ui.editor import Editor
    from netbuilder.ui.scene import CanvasScene

    scene = CanvasScene(Editor(document))
    source = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    target = QRectF(0, 0, source.width() * scale, source.height() * scale)
    background = theme.current().background
    if out.suffix.lower() == ".svg":
        generator = QSvgGenerator()
        generator.setFileName(str(out))
        generator.setSize(QSize(int(source.width()), int(source.height())))
        generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
        generator.setTitle(document.name)
        painter = QPainter(generator)
        painter.fillRect(QRectF(0, 0, source.width(), source.height()), background)
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
        painter.end()
        if not out.is_file():
            raise OSError(f"cannot write {out}")
        return
    image = QImage(int(target.width()), int(target.height()), QImage.Format.Format_ARGB32)
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    if not image.save(str(out)):
        raise OSError(f"cannot write {out} (is the folder there, and is the name .png or .svg?)")
