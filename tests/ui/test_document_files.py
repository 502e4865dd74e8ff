"""The file life cycle without a window: its questions are answered by the test's own callables."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from netbuilder.core.document import Document, load, save, to_dict
from netbuilder.core.graph import Node
from netbuilder.core.presets import load_preset
from netbuilder.ui.app.autosave import Autosave
from netbuilder.ui.app.document_files import DocumentFiles
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.undo import add_node

Button = QMessageBox.StandardButton


class Answers:
    """Scripted answers to the file life cycle's questions (as Questions asks them), and a record of what was asked."""

    def __init__(self) -> None:
        self.save: list[Button] = []
        self.paths: list[Path | None] = []
        self.restore = True
        self.asked: list[str] = []
        self.errors: list[str] = []

    def ask_save(self) -> Button:
        self.asked.append("save")
        return self.save.pop(0)

    def ask_path(self, save: bool, start: str) -> Path | None:
        self.asked.append("save as" if save else "open")
        return self.paths.pop(0)

    def ask_restore(self, path: Path | None) -> bool:
        self.asked.append(f"restore {path}")
        return self.restore

    def show_error(self, title: str, text: str) -> None:
        self.errors.append(text)


@pytest.fixture
def files(qapp, tmp_path):
    made: list[DocumentFiles] = []

    def make(document: Document | None = None) -> tuple[DocumentFiles, Answers]:
        editor = Editor(document or load_preset("seed_cnn"))
        answers = Answers()
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        made.append(DocumentFiles(editor, settings, Autosave(editor, tmp_path / "app"), answers))
        return made[-1], answers

    yield make
    for f in made:
        f.editor.deleteLater()


def edit(files: DocumentFiles) -> None:
    files.editor.push(add_node(files.editor.graph, Node("drop", "Dropout", {}, (0.0, 500.0))))


def test_unsaved_changes_are_asked_about_and_cancel_keeps_them(files):
    f, answers = files()
    assert f.new() and answers.asked == []  # nothing to lose: no question
    edit(f)
    answers.save = [Button.Cancel, Button.Discard]
    assert not f.new() and "drop" in f.editor.graph.nodes
    assert f.new() and list(f.editor.graph.nodes) == ["input"]
    assert f.editor.graph.nodes["input"].type == "Input" and answers.asked == ["save", "save"]


def test_save_as_adds_the_suffix_remembers_the_file_and_reopens_it(files, tmp_path):
    f, answers = files()
    edit(f)
    answers.paths = [tmp_path / "net"]
    assert f.save()
    path = tmp_path / "net.json"
    assert f.editor.path == path and f.editor.undo_stack.isClean() and path.is_file()
    assert f.recent() == [str(path.resolve())] and f.last_folder() == str(tmp_path.resolve())
    other, other_answers = files(load_preset("mlp_2hidden"))
    other_answers.paths = [path]
    assert other.open_dialog()
    assert to_dict(other.editor.document) == to_dict(f.editor.document)


def test_answering_save_saves_before_leaving(files, tmp_path):
    f, answers = files()
    edit(f)
    answers.save, answers.paths = [Button.Save], [tmp_path / "kept.json"]
    assert f.new()
    assert "drop" in load(tmp_path / "kept.json").graph.nodes


def test_a_malformed_file_is_refused_with_its_sentence(files, tmp_path):
    f, answers = files()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "netbuilder", "version": 1, "nodes": [{"id": "a"}]}')
    before = to_dict(f.editor.document)
    assert not f.open(bad)
    assert answers.errors == [f"{bad} at nodes[0]: the block has no 'type'."]
    assert to_dict(f.editor.document) == before and f.recent() == []


def test_an_unwritable_place_is_an_error_and_the_changes_stay_unsaved(files, tmp_path):
    f, answers = files()
    edit(f)
    answers.paths = [tmp_path / "missing" / "net.json"]
    assert not f.save()
    assert answers.errors and "missing" in answers.errors[0] and not f.editor.undo_stack.isClean()


def test_recovery_after_a_crash_is_offered_and_stays_unsaved(files):
    crashed, _ = files()
    edit(crashed)
    crashed.autosave.save_now()
    expected = to_dict(crashed.editor.document)
    restarted, answers = files(load_preset("vgg_cifar"))
    restarted.offer_recovery()
    assert answers.asked == ["restore None"]
    assert to_dict(restarted.editor.document) == expected and not restarted.editor.undo_stack.isClean()


def test_declined_recovery_is_discarded(files, tmp_path):
    crashed, _ = files()
    crashed.editor.path = tmp_path / "mine.json"
    save(crashed.editor.document, crashed.editor.path)
    edit(crashed)
    crashed.autosave.save_now()
    restarted, answers = files()
    answers.restore = False
    restarted.offer_recovery()
    assert answers.asked == [f"restore {tmp_path / 'mine.json'}"]
    assert not restarted.autosave.file.exists() and "drop" not in restarted.editor.graph.nodes
