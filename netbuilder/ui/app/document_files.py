"""The document's file life cycle: new, open, save, save as, the recent files and recovery after a crash.

What it asks the user (unsaved changes, which file, restore?) and how it reports errors go through the Questions
handed in: the window's dialogs, or a test's answers."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from netbuilder.core.blocks import INPUT
from netbuilder.core.document import Document, DocumentError, load, save
from netbuilder.core.graph import Graph, Node
from netbuilder.core.text import clean
from netbuilder.records.config import saved_settings
from netbuilder.records.train_error import TrainError
from netbuilder.ui.app.autosave import Autosave
from netbuilder.ui.app.questions import Button, Questions
from netbuilder.ui.canvas.editor import Editor

MAX_RECENT = 8


def new_document() -> Document:
    """A fresh network: just an Input block, ready for layers."""
    graph = Graph()
    graph.add_node(Node("input", INPUT.name, {"shape": [3, 32, 32]}, (0.0, 0.0)))
    return Document(graph, "Untitled")


class DocumentFiles(QObject):
    """Opens and saves the editor's document; every way of leaving unsaved changes asks first."""

    changed = Signal()  # the document's file or the recent files changed

    def __init__(self, editor: Editor, settings: QSettings, autosave: Autosave, questions: Questions) -> None:
        super().__init__(editor)
        self.editor, self.settings, self.autosave, self.questions = editor, settings, autosave, questions

    def may_discard(self) -> bool:
        """True when the document is saved (or only folded, arranged), or the user saved or discarded its changes."""
        if not self.editor.modified():
            return True
        answer = self.questions.ask_save()
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def open_document(self, document: Document) -> bool:
        """Open a document that has no file (a new one, a run's network), after asking about unsaved changes."""
        if not self.may_discard():
            return False
        self.editor.replace(document, None)
        return True

    def new(self) -> bool:
        return self.open_document(new_document())

    def open_dialog(self) -> bool:
        path = self.questions.ask_path(False, self.last_folder())
        return path is not None and self.open(path)

    def open(self, path: Path, as_copy: bool = False) -> bool:
        """Open a file; a malformed one is refused with its sentence and the current document stays."""
        if not self.may_discard():
            return False
        try:
            document = load(path)
            saved_settings(document.training)  # the training settings saved with it are settings this one has
        except DocumentError as e:
            self.questions.show_error("Cannot open this file", str(e))
            return False
        except TrainError as e:
            self.questions.show_error("Cannot open this file", f"{clean(str(path), 200)}: {e}")
            return False
        self.editor.replace(document, None if as_copy else Path(path))
        if not as_copy:
            self._remember(Path(path))
        return True

    def save(self) -> bool:
        return self.save_as() if self.editor.path is None else self._write(self.editor.path)

    def save_as(self) -> bool:
        path = self.questions.ask_path(True, self.save_proposal())
        if path is None:
            return False
        path = path if path.suffix == ".json" else path.with_suffix(".json")
        # The document takes the file's name (the title bar, new runs and the file itself then agree).
        document, old_name = self.editor.document, self.editor.document.name
        document.name = path.stem
        if not self._write(path):
            document.name = old_name
            return False
        self.editor.path = path
        self._remember(path)
        return True

    def _write(self, path: Path) -> bool:
        try:
            save(self.editor.document, path)
        except (OSError, DocumentError) as e:
            self.questions.show_error("Cannot save", f"{path}: {getattr(e, 'strerror', None) or e}")
            return False
        self.editor.undo_stack.setClean()
        self.editor.say(f"Saved {path}.")
        return True

    def recent(self) -> list[str]:
        """The files opened or saved last, newest first."""
        value = self.settings.value("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def last_folder(self) -> str:
        return str(self.settings.value("files/last_folder", str(Path.home())))

    def save_proposal(self) -> str:
        """Where Save As starts: the document's own file, or its name in the last folder (VGG-CIFAR: vgg_cifar.json)."""
        if self.editor.path is not None:
            return str(self.editor.path)
        stem = re.sub(r"\W+", "_", self.editor.document.name.lower()).strip("_") or "network"
        return str(Path(self.last_folder()) / f"{stem}.json")

    def _remember(self, path: Path) -> None:
        path = path.resolve()
        recent = [p for p in self.recent() if p != str(path)]
        self.settings.setValue("files/recent", [str(path)] + recent[: MAX_RECENT - 1])
        self.settings.setValue("files/last_folder", str(path.parent))
        self.changed.emit()

    def offer_recovery(self) -> None:
        """After a crash, offer the autosaved document back; declined, it is discarded."""
        pending = self.autosave.pending()
        if pending is None:
            return
        document, path = pending
        if not self.questions.ask_restore(path):
            self.autosave.discard()
            return
        self.editor.replace(document, path)
        self.editor.undo_stack.resetClean()  # restored work is unsaved work until the user saves it
        self.changed.emit()
