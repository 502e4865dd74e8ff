"""Autosave to a recovery file after a few seconds of idle; offered back after a crash."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from netbuilder.core.document import Document, DocumentError, dumps, load, write_atomic
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.paths import app_dir

IDLE_MS = 3000


class Autosave(QObject):
    """Writes the open document to recovery.json when it has unsaved changes and the user pauses."""

    def __init__(self, editor: Editor, folder: Path | None = None, idle_ms: int = IDLE_MS) -> None:
        super().__init__(editor)
        self.editor = editor
        self.folder = folder or app_dir()
        self.timer = QTimer(self, singleShot=True, interval=idle_ms)
        self.timer.timeout.connect(self.save_now)
        editor.undo_stack.indexChanged.connect(self._changed)
        editor.modified_changed.connect(self._modified_changed)

    @property
    def file(self) -> Path:
        return self.folder / "recovery.json"

    @property
    def meta(self) -> Path:
        return self.folder / "recovery.meta.json"

    def save_now(self) -> None:
        if not self.editor.modified():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.file, dumps(self.editor.document))
            path = str(self.editor.path) if self.editor.path else None
            write_atomic(self.meta, json.dumps({"path": path}))
        except (OSError, DocumentError) as e:
            self.editor.say(f"Autosave failed: {e}")

    def _changed(self, *_: object) -> None:
        self.timer.start()

    def _modified_changed(self, modified: bool) -> None:
        if not modified:
            self.discard()

    def discard(self) -> None:
        self.timer.stop()
        for f in (self.file, self.meta):
            f.unlink(missing_ok=True)

    def pending(self) -> tuple[Document, Path | None] | None:
        """The document left by a session that did not close cleanly, if any."""
        if not self.file.is_file():
            return None
        try:
            doc = load(self.file)
        except DocumentError:
            return None
        try:
            path = json.loads(self.meta.read_text()).get("path")
        except (OSError, ValueError, AttributeError):
            path = None
        return doc, Path(path) if isinstance(path, str) else None
