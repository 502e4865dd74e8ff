"""Issue 14, the window: the canvas has the room on first start, tabs never resize the training dock and the
user's sizes come back, Start/Stop stay put when a run starts, a stopped run's bar shows its share, and runs
are named after the file."""

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from netbuilder.records.events import Finished, Started
from netbuilder.ui.app.document_files import new_document
from netbuilder.ui.canvas.canvas_hint import HINT
from netbuilder.ui.training.run_series import color_for
from netbuilder.ui.training.series import RunSeries


def click(widget, pos=None):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos or widget.rect().center())


def tab_click(tabs, index):
    bar = tabs.tabBar()
    click(bar, bar.tabRect(index).center())


def test_on_first_start_the_canvas_has_the_room(make_window):
    window = make_window("vgg_cifar")
    window.resize(1500, 950)
    QTest.qWait(50)
    assert window.training_dock.height() <= 0.25 * window.height()
    assert window.view.height() >= 0.65 * window.height()
    assert not window.canvas_hint.isVisible()  # a network is on the canvas


def test_an_empty_canvas_says_where_blocks_come_from(make_window, qtbot):
    window = make_window()
    window.files.open_document(new_document())  # just an Input block
    qtbot.waitUntil(window.canvas_hint.isVisible)
    assert window.canvas_hint.text() == HINT
    window.view.fit()  # scrolling the canvas leaves the hint where it is
    window.view.horizontalScrollBar().setValue(window.view.horizontalScrollBar().value() + 200)
    QTest.qWait(20)
    assert window.view.viewport().geometry().contains(window.canvas_hint.geometry())
    window.scene.drop_block("Conv2d", window.view.mapToScene(QPoint(60, 60)))
    qtbot.waitUntil(lambda: not window.canvas_hint.isVisible())


def test_tabs_do_not_resize_the_dock(make_window):
    window = make_window("vgg_cifar")
    before = window.training_dock.geometry(), window.view.geometry()
    tabs = window.training.tabs
    for index in (1, 2, 0, 1):
        tab_click(tabs, index)
        QTest.qWait(20)
        assert tabs.currentIndex() == index
        assert (window.training_dock.geometry(), window.view.geometry()) == before
    assert tabs.currentWidget() is window.training.evaluation
    assert window.training_dock.minimumSizeHint().height() < 200  # a drag can make it small again


def test_the_users_dock_and_splitter_sizes_come_back(make_window, qtbot):
    window = make_window("vgg_cifar")
    window.resize(900, 700)  # within the offscreen screen, so that the window's geometry comes back as it was
    QTest.qWait(50)
    window.resizeDocks([window.training_dock], [300], Qt.Orientation.Vertical)
    window.training.splitter.setSizes([330, 100])
    QTest.qWait(50)
    height, left = window.training_dock.height(), window.training.splitter.sizes()[0]
    assert abs(height - 300) <= 8
    tab_click(window.training.tabs, 1)  # a tab chosen before closing changes nothing
    window.close()
    again = make_window("vgg_cifar")
    QTest.qWait(50)
    assert abs(again.training_dock.height() - height) <= 2
    assert abs(again.training.splitter.sizes()[0] - left) <= 2


class FakeRunner:
    pid = 0

    def stop(self):
        self.stopped = True

    def poll(self):
        return []

    def close(self, grace):
        return None


def fake_start(window):
    """Start emits started with a runner that only records Stop: no child process."""
    controller = window.training.controller
    window.questions.ask_stop_training = lambda: True

    def start(document, config, out, force=False):
        controller.runner, controller.out = FakeRunner(), out
        controller.started.emit(out)

    controller.start = start


def test_start_and_stop_stay_in_place_when_a_run_starts(make_window):
    window = make_window()
    dock = window.training
    fake_start(window)
    where = {b: b.mapTo(window, QPoint(0, 0)) for b in (dock.start_button, dock.stop_button)}
    stop_center = dock.stop_button.mapTo(window, dock.stop_button.rect().center())
    click(dock.start_button)
    assert dock.running() and dock.snapshot_note.isVisible()
    warning = "a long warning " * 20
    dock.handle(Started(None, "cpu", "fp32", 10, 0, 20, 64, 1, 1000, 200, 200, ["a"] * 10, 1000, 10**6, [warning]))
    QTest.qWait(50)
    assert {b: b.mapTo(window, QPoint(0, 0)) for b in where} == where
    # The first click where Stop was before the run started hits Stop.
    target = window.childAt(stop_center)
    assert target is dock.stop_button
    click(dock.stop_button, dock.stop_button.mapFrom(window, stop_center))
    assert dock.runner.stopped
    dock.controller.runner = None


def test_a_stopped_run_shows_the_share_of_its_epochs(make_window):
    window = make_window()
    dock = window.training
    dock.live, dock.epochs = RunSeries("r", color_for("r")), 10
    dock.handle(Finished(True, 3, 0.5, None, 12.0))
    assert dock.status.text() == "Stopped after 3 epochs."
    assert dock.progress.value() == 3 and dock.progress.maximum() == 10
    assert dock.progress.text() == "30%"
    dock.handle(Finished(False, 10, 0.5, 0.5, 40.0))
    assert dock.progress.text() == "100%"


def test_runs_are_named_after_the_file_and_save_as_renames_the_document(make_window, tmp_path):
    window = make_window()
    dock = window.training
    assert dock.run_name() == window.editor.document.name  # no file yet: the document's name
    window.questions.ask_path = lambda save, start: tmp_path / "mine"
    assert window.files.save_as()
    assert window.editor.path == tmp_path / "mine.json"
    assert window.editor.document.name == "mine" and dock.run_name() == "mine"
    assert window.windowTitle().startswith("mine.json")
    fake_start(window)
    click(dock.start_button)
    assert dock.controller.out.parent == Path(dock.runs_root)
    assert dock.controller.out.name.startswith("mine-")
    assert "'mine'" in dock.snapshot_note.text()
    dock.controller.runner = None
