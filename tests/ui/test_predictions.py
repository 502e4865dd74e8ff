"""Predict on your own images in the window: dropped on the Evaluation tab or chosen with Predict… (for the current
run or one of the Runs tab), answered by `netbuilder predict --json` in a background process."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog

from netbuilder.core.presets import PRESETS_DIR
from netbuilder.records.runs import Run
from netbuilder.ui.app.app import application
from netbuilder.ui.inside.predictions import PredictionRow
from netbuilder.ui.training.evaluation import EvaluationView

ANSWER_MS = 60_000  # the background process imports torch first


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, train_cache):
    """A seed CNN trained for one epoch on 1,000 shapes10 images."""
    out = tmp_path_factory.mktemp("predict-ui") / "seed-run"
    argv = ["train", str(PRESETS_DIR / "seed_cnn.json"), "--epochs", "1", "--limit", "1000", "--out", str(out)]
    subprocess.run([sys.executable, "-m", "netbuilder", *argv], check=True, capture_output=True)
    return out


@pytest.fixture
def pngs(tmp_path):
    """Two PNG files: a circle and a bar, drawn as shapes10 draws its images."""
    from netbuilder.train import shapes10

    images, labels = shapes10.generate(20, seed=5)
    paths = []
    for label in (0, 8):
        i = int(np.flatnonzero(labels == label)[0])
        paths.append(tmp_path / f"{shapes10.CLASSES[label]}.png")
        Image.fromarray(images[i].transpose(1, 2, 0)).resize((96, 96), Image.Resampling.NEAREST).save(paths[-1])
    return paths


def drop(widget, paths):
    """Files dragged from a file manager and dropped: the drag enters (and is accepted), then the drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime, buttons, keys))


def answered(view):
    return not view.predictions.busy()


@pytest.fixture
def view(qtbot):
    application()
    view = EvaluationView()
    qtbot.addWidget(view)
    view.resize(900, 420)
    view.show()
    yield view
    view.predictions.shutdown()


def test_dropping_two_pngs_on_the_evaluation_tab_shows_two_rows_of_five_bars(view, qtbot, run_dir, pngs):
    assert view.acceptDrops()
    view.set_run(run_dir)
    drop(view, pngs)
    assert view.side.currentWidget() is view.yours and view.predictions.busy()
    assert view.predictions.status.text() == f"Asking {run_dir.name} about 2 images…"
    qtbot.waitUntil(lambda: answered(view), timeout=ANSWER_MS)
    rows = view.predictions.rows
    assert [r.path for r in rows] == [str(p) for p in pngs] and not any(r.error for r in rows)
    assert all(isinstance(r, PredictionRow) and len(r.bars.entries) == 5 for r in rows)
    classes = set(Run.open(run_dir).summary["test"]["classes"])
    for row in rows:
        names, probabilities = zip(*row.bars.entries)
        assert set(names) <= classes and list(probabilities) == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1 + 1e-6
        assert row.note.text() == "resized 96×96 → 32×32, normalised with the shapes10 mean/std"
        assert not row.thumb.pixmap().isNull()
    assert view.predictions.status.text().startswith(f"{run_dir.name} (best checkpoint, epoch 1): top 5 of 2 images")

    # Clicking an image asks for it in Look inside.
    with qtbot.waitSignal(view.look_inside, timeout=2000) as asked:
        QTest.mouseClick(rows[1].thumb, Qt.MouseButton.LeftButton)
    assert asked.args == [str(pngs[1])]


def test_a_bad_file_gets_its_sentence_in_its_row_and_the_good_one_its_bars(view, qtbot, run_dir, pngs, tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    view.set_run(run_dir)
    drop(view, [pngs[0], tmp_path / "notes.png"])
    qtbot.waitUntil(lambda: answered(view), timeout=ANSWER_MS)
    good, bad = view.predictions.rows
    assert good.error is None and len(good.bars.entries) == 5 and not good.bars.isHidden()
    assert (
        bad.error == bad.note.text() == "notes.png is not an image that can be read (PNG, JPEG, BMP, GIF, TIFF, WebP)."
    )
    assert bad.bars.isHidden() and bad.thumb.text() == "?"
    assert view.predictions.status.text().endswith(
        "top 5 of 1 image; 1 could not be read. Click an image to look inside."
    )


def test_without_a_run_or_with_a_broken_one_a_sentence_says_why(view, qtbot, pngs, tmp_path):
    assert not view.predict_button.isEnabled()
    drop(view, pngs)
    assert view.predictions.status.text().startswith("No run to ask yet: train the network")
    assert not view.predictions.rows and not view.predictions.busy()
    view.set_run(tmp_path / "gone")
    assert view.predict_button.isEnabled()
    drop(view, pngs)
    qtbot.waitUntil(lambda: answered(view), timeout=ANSWER_MS)
    assert view.predictions.status.text() == (
        f"The run folder {tmp_path / 'gone'} does not exist; give a folder a training run wrote, such as runs/NAME."
    )


def test_predict_on_a_run_of_the_runs_tab(make_window, qtbot, run_dir, pngs, monkeypatch):
    window = make_window()
    dock = window.training
    dock.runs.add(Run.open(run_dir))
    qtbot.waitUntil(lambda: any(r.path == run_dir for r in dock.runs.runs), timeout=10_000)
    row = next(i for i, r in enumerate(dock.runs.runs) if r.path == run_dir)
    dock.runs.table.selectRow(row)
    asked = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append(a) or [str(p) for p in pngs], "")
    )
    looked = []
    dock.look_inside.connect(looked.append)
    QTest.mouseClick(dock.runs.predict_button, Qt.MouseButton.LeftButton)
    assert asked and dock.tabs.currentWidget() is dock.evaluation and dock.evaluation.run_path == run_dir
    assert dock.evaluation.summary.text().startswith("Test accuracy")  # the run's own evaluation is shown too
    qtbot.waitUntil(lambda: answered(dock.evaluation), timeout=ANSWER_MS)
    assert [len(r.bars.entries) for r in dock.evaluation.predictions.rows] == [5, 5]
    QTest.mouseClick(dock.evaluation.predictions.rows[0].thumb, Qt.MouseButton.LeftButton)
    assert looked == [str(pngs[0])]


@pytest.mark.slow
def test_after_a_run_in_the_window_its_network_answers_dropped_images(make_window, qtbot, pngs):
    from netbuilder.records.config import recommend

    window = make_window()
    dock = window.training
    dock.settings.show_config(recommend(window.editor.graph).replace(limit=1000, epochs=1, batch_size=64))
    dock.refresh_checks()
    assert not dock.evaluation.predict_button.isEnabled()
    QTest.mouseClick(dock.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.runner is None, timeout=90_000)
    assert dock.status.text().startswith("Finished after 1 epoch")
    assert dock.evaluation.predict_button.isEnabled() and dock.evaluation.run_path == dock.controller.out
    dock.tabs.setCurrentWidget(dock.evaluation)
    drop(dock.evaluation, pngs)
    qtbot.waitUntil(lambda: answered(dock.evaluation), timeout=ANSWER_MS)
    assert [len(r.bars.entries) for r in dock.evaluation.predictions.rows] == [5, 5]
