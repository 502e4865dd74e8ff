"""File → Save As (and Save of a document that has no file yet) proposes the document's name in the last
folder, or the document's own file: the user presses Enter rather than typing a name."""

from __future__ import annotations

from gestures import key

from netbuilder.ui.app import questions


def answer_save_dialog(monkeypatch, tmp_path) -> list[str]:
    """The native dialog replaced by one that records what it proposed and accepts it as it is."""
    proposed = []

    def dialog(parent, caption, start, filters):
        proposed.append(start)
        return start, filters

    monkeypatch.setattr(questions.QFileDialog, "getSaveFileName", staticmethod(dialog))
    return proposed


def test_save_of_a_preset_proposes_its_name_in_the_last_folder(make_window, monkeypatch, tmp_path):
    window = make_window("vgg_cifar")
    window.settings.setValue("files/last_folder", str(tmp_path))
    proposed = answer_save_dialog(monkeypatch, tmp_path)
    key(window, "Ctrl+S")  # no file yet: Save asks where
    assert proposed == [str(tmp_path / "vgg_cifar.json")]
    assert (tmp_path / "vgg_cifar.json").is_file() and window.editor.path == tmp_path / "vgg_cifar.json"


def test_save_as_of_a_saved_file_proposes_that_file(make_window, monkeypatch, tmp_path):
    window = make_window("lenet5")
    (tmp_path / "elsewhere").mkdir()
    window.settings.setValue("files/last_folder", str(tmp_path / "elsewhere"))
    proposed = answer_save_dialog(monkeypatch, tmp_path)
    key(window, "Ctrl+Shift+S")
    assert proposed == [str(tmp_path / "elsewhere" / "lenet_5.json")]
    key(window, "Ctrl+Shift+S")
    assert proposed[1] == str(window.editor.path) == str(tmp_path / "elsewhere" / "lenet_5.json")


def test_export_proposes_the_documents_name_with_the_formats_suffix(make_window, monkeypatch, tmp_path):
    window = make_window("vgg_cifar")
    window.settings.setValue("files/last_folder", str(tmp_path))
    proposed = answer_save_dialog(monkeypatch, tmp_path)
    monkeypatch.setattr(window.interop, "export", lambda document, fmt, out: proposed.append(("export", out)))
    window.installed.actions["file.export.onnx"].trigger()
    assert proposed == [str(tmp_path / "vgg_cifar.onnx"), ("export", tmp_path / "vgg_cifar.onnx")]
