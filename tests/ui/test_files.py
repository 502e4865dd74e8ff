"""The document's life cycle in the app: new, open, save, presets, recovery, export, summary."""

import json
import subprocess
import sys

import pytest
from gestures import key
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication, QMessageBox

from netbuilder.core.document import to_dict
from netbuilder.core.presets import PRESETS_DIR, list_presets
from netbuilder.ui.app.jobs import CommandJob
from netbuilder.ui.app.main_window import MainWindow


def test_save_then_open_gives_the_same_document(make_window, tmp_path):
    window = make_window()
    window.scene.drop_block("Dropout", QPointF(400, 40))
    path = tmp_path / "net.json"
    window.questions.ask_path = lambda save, start: path
    assert "*" in window.windowTitle() and window.isWindowModified()
    key(window, "Ctrl+Shift+S")
    assert path.is_file() and not window.isWindowModified()
    assert window.windowTitle().startswith("net.json")
    saved = to_dict(window.editor.document)
    other = make_window("mlp_2hidden")
    assert other.files.open(path)
    assert to_dict(other.editor.document) == saved
    assert other.editor.path == path
    assert str(path.resolve()) in other.files.recent()
    assert [a.text() for a in other.recent_menu.actions()][0] == str(path.resolve())


def test_ctrl_s_saves_to_the_open_file(make_window, tmp_path):
    path = tmp_path / "seed.json"
    path.write_text((PRESETS_DIR / "seed_cnn.json").read_text())
    window = make_window()
    assert window.files.open(path)
    window.scene.drop_block("Flatten", QPointF(400, 40))
    key(window, "Ctrl+S")
    assert any(n["type"] == "Flatten" for n in json.loads(path.read_text())["nodes"])


def test_malformed_file_is_refused_and_the_document_stays(make_window, tmp_path):
    window = make_window()
    before = to_dict(window.editor.document)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "netbuilder", "version": 1, "nodes": [{"id": "a"}]}')
    assert not window.files.open(bad)
    assert window.errors == [f"{bad} at nodes[0]: the block has no 'type'."]
    assert to_dict(window.editor.document) == before
    assert bad.read_text() == '{"format": "netbuilder", "version": 1, "nodes": [{"id": "a"}]}'


def test_every_preset_opens_from_the_menu_with_zero_errors(make_window):
    window = make_window()
    presets = list_presets()
    actions = window.presets_menu.actions()[: len(presets)]
    assert [a.text() for a in actions] == [p.name for p in presets]
    assert window.presets_menu.actions()[-1].text() == "Import from torchvision…"
    for action in actions:
        action.trigger()
        assert window.editor.result.valid, action.text()
        assert window.editor.document.name == action.text()
        assert window.editor.path is None  # a preset opens as an unsaved copy


def test_unsaved_changes_prompt_on_close_and_new(make_window):
    window = make_window()
    window.scene.drop_block("Flatten", QPointF(400, 40))
    answers = [QMessageBox.StandardButton.Cancel]
    window.questions.ask_save = lambda: answers.pop(0)
    assert not window.close()
    assert window.isVisible()
    answers.append(QMessageBox.StandardButton.Discard)
    key(window, "Ctrl+N")
    assert list(window.editor.graph.nodes) == ["input"] and not window.isWindowModified()


def test_clean_close_removes_the_recovery_file(make_window, tmp_path):
    window = make_window()
    window.scene.drop_block("Dropout", QPointF(400, 40))
    window.autosave.save_now()
    assert window.autosave.file.exists()
    window.close()
    assert not window.autosave.file.exists()


def test_model_summary(make_window):
    window = make_window()
    from netbuilder.ui.inside.summary_dialog import SummaryDialog

    dialog = SummaryDialog(window.editor.document, window.editor.result, window)
    assert dialog.table.rowCount() == 5
    assert [dialog.table.item(1, c).text() for c in range(6)] == [
        "conv1",
        "Conv2d",
        "12 · 3×3 · s1 · p1",
        "12×32×32",
        "336",
        "331,776",
    ]


def wait_jobs(qtbot, window):
    """Until every job is done and deleted: none is left behind."""
    qtbot.waitUntil(lambda: not window.interop.jobs, timeout=120_000)
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    assert window.findChildren(CommandJob) == []


def test_a_finished_job_is_deleted(make_window, qtbot, tmp_path):
    window = make_window()
    window.interop.export(window.editor.document, "nope", tmp_path / "out")  # refused by the command at once
    assert len(window.findChildren(CommandJob)) == 1
    wait_jobs(qtbot, window)
    assert "invalid choice: 'nope'" in window.errors[0]


@pytest.mark.slow
def test_export_menu_writes_model_py_that_runs_with_only_torch(make_window, qtbot, tmp_path):
    window = make_window()
    window.scene.drop_block("Dropout", QPointF(400, 40))  # unsaved changes are exported as they are
    window.editor.undo_stack.undo()
    window.questions.ask_export = lambda fmt, proposal: tmp_path / "out"
    action = next(a for a in window.menuBar().actions() if a.text() == "&File").menu()
    export = next(a for a in action.actions() if a.text() == "&Export").menu()
    next(a for a in export.actions() if a.text().startswith("PyTorch code")).trigger()
    wait_jobs(qtbot, window)
    assert window.errors == []
    assert "model.py" in window.statusBar().currentMessage()
    proc = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "out" / "model.py")], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "train.py").is_file()


def test_export_of_an_invalid_network_says_why(make_window, tmp_path):
    window = make_window()
    window.editor.graph.set_params("conv1", {"out_channels": 12, "kernel_size": 40})
    window.editor.recheck()
    window.questions.ask_export = lambda fmt, proposal: tmp_path / "model"
    window.export("py")
    assert "kernel" in window.errors[0] and not (tmp_path / "model").exists()


@pytest.mark.slow
def test_import_a_torchvision_model_opens_it_as_a_new_network(make_window, qtbot):
    window = make_window()
    window.questions.ask_import = lambda torchvision_only: ["torchvision:resnet18", "--input", "3,32,32"]
    window.import_model(torchvision_only=True)
    wait_jobs(qtbot, window)
    assert window.errors == []
    graph = window.editor.graph
    assert len(graph.nodes) > 60 and window.editor.result.valid
    assert sum(n.type == "Add" for n in graph.nodes.values()) == 8
    assert window.editor.result.nodes[window.editor.result.output].output_shape == (1000,)


@pytest.mark.slow
def test_an_unsupported_model_is_refused_with_its_sentence(make_window, qtbot):
    window = make_window()
    before = to_dict(window.editor.document)
    window.questions.ask_import = lambda torchvision_only: ["torchvision:swin_t"]  # a transformer
    window.import_model()
    wait_jobs(qtbot, window)
    assert window.errors and "LayerNorm on a 4-dimensional tensor ×29" in window.errors[0]
    assert to_dict(window.editor.document) == before


def test_the_import_dialog_offers_every_model_that_imports_cleanly(make_window):
    from netbuilder.ui.app.interop import ImportDialog

    window = make_window()
    dialog = ImportDialog(window, torchvision_only=True)
    names = [dialog.source.itemText(i) for i in range(dialog.source.count())]
    assert "torchvision:resnet18" in names and "torchvision:vgg11_bn" in names
    assert "torchvision:mobilenet_v2" in names and "torchvision:swin_t" not in names
    dialog.source.setCurrentIndex(dialog.source.findText("torchvision:inception_v3"))
    assert dialog.args() == ["torchvision:inception_v3", "--input", "3,299,299"]


def test_window_opens_a_file_given_on_the_command_line(qtbot, tmp_path):
    from netbuilder.ui.app.app import open_window

    path = tmp_path / "lenet.json"
    path.write_text((PRESETS_DIR / "lenet5.json").read_text())
    window = open_window(str(path))
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow) and window.editor.document.name == "LeNet-5"
    assert window.windowTitle().startswith("lenet.json")
    default = open_window(None)
    qtbot.addWidget(default)
    assert default.editor.document.name == "VGG-CIFAR"
