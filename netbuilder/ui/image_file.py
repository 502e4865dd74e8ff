"""Writing a Qt picture as a PNG file: the screenshot, the curves' export and render's pictures."""

from __future__ import annotations

import os

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage, QPixmap

from netbuilder.core.atomic import check_target, write_atomic


def save_image(image: QImage | QPixmap, path: str | os.PathLike) -> bool:
    """Write a picture as PNG through core.atomic (a regular file or a new name only); False when Qt cannot
    encode it. Raises OSError (WriteRefused: a sentence) when path cannot be written."""
    check_target(path)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        return False
    buffer.close()
    write_atomic(path, lambda f: f.write(data.data()))
    return True
