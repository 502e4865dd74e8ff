"""Issue 14, items 7, 8, 9, 11 and 19: plots that fit, legends outside the data, the runs table's columns and
numbers, the wrong answers' captions and wrapping, the dark theme's plots and status colours, live smoothing."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QPushButton

from netbuilder.ui import theme
from netbuilder.ui.training.curves import CurvesPanel
from netbuilder.ui.training.evaluation import EvaluationView
from netbuilder.ui.training.runs_view import COLUMNS, RunsView, number
from netbuilder.ui.training.series import SERIES_COLORS, RunSeries


def run_of(name, color, dataset="cifar10", n=300, offset=0.0):
    run = RunSeries(name, color, dataset=dataset)
    for e in range(1, 4):
        for s in range(1, n // 3 + 1):
            t = (e - 1) * (n // 3) + s
            run.add_batch(e, s, n // 3, 2 * np.exp(-t / 80) + offset, 1 - np.exp(-t / 60), 3e-3, t * 0.01)
        run.add_epoch(e, np.exp(-e), 1 - np.exp(-e), 1.1 * np.exp(-e), 0.9 - np.exp(-e))
    return run


@pytest.fixture
def light():
    yield
    theme.set_mode("light")


# 7 ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [520, 700, 1300])
def test_every_plot_fits_the_panels_width(qtbot, width):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 320)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_runs([run_of("VGG-20261130-062553", SERIES_COLORS[0])])
    for plot in (panel.loss, panel.accuracy, panel.lr):
        assert plot.geometry().right() < panel.plots.width(), plot.plotItem.titleLabel.text
        assert plot.width() >= 80


def test_the_legend_has_colour_samples_readable_names_and_covers_no_plot(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 360)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_runs(
        [run_of("VGG-20261130-062553", SERIES_COLORS[0]), run_of("VGG-20261130-071204", SERIES_COLORS[1], offset=0.3)]
    )
    texts = [text for _, _, text in panel.legend.entries]
    assert "VGG · cifar10 · Nov 30 06:25:53" in texts and "VGG · cifar10 · Nov 30 07:12:04" in texts
    colours = {pen.color().name() for pen, _, text in panel.legend.entries if text.startswith("VGG")}
    assert colours == {SERIES_COLORS[0].lower(), SERIES_COLORS[1].lower()}
    symbols = {text: symbol for _, symbol, text in panel.legend.entries}
    assert symbols["epoch"] == "o" and symbols["validation"] == "t"  # the per-epoch points
    assert panel.loss.plotItem.legend is None  # no overlay on the data

    def clear_of_plots():
        legend = panel.legend.geometry()
        plots = (panel.loss, panel.accuracy, panel.lr)
        return not any(legend.intersects(p.geometry().translated(panel.plots.pos())) for p in plots)

    qtbot.waitUntil(clear_of_plots)
    assert panel.legend.height() >= panel.legend.heightForWidth(panel.legend.width())  # nothing cut off
    image = panel.legend.grab().toImage()  # the samples are painted in the runs' colours
    found = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
    assert SERIES_COLORS[0].lower() in found and SERIES_COLORS[1].lower() in found


# 8 ------------------------------------------------------------------------------------------------------------
def test_numbers_keep_their_value():
    assert number(0.003) == "3e-3" and number(1.5e-4) == "1.5e-4" and number(0.1) == "0.1" and number(30) == "30"


def test_the_results_are_in_view_without_scrolling_sideways(qtbot, tmp_path):
    view = RunsView(tmp_path)
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: not view.poll.isActive())  # the scan is shown: it cannot overwrite the row below
    view.resize(560, 300)
    view.show()
    qtbot.waitExposed(view)
    row = ("A-very-long-network-name-that-goes-on-20261130-062553", "91.3%", "finished", "cifar10", "3e-3")
    view._show([(type("R", (), {"path": tmp_path / "r"})(), row + ("10", "64", "adam", "today"))])
    accuracy = COLUMNS.index("Test accuracy")
    assert accuracy < COLUMNS.index("Date") and COLUMNS.index("lr") < COLUMNS.index("Optimizer")
    table = view.table
    right = table.columnViewportPosition(accuracy) + table.columnWidth(accuracy)
    assert right <= table.viewport().width()
    assert table.item(0, COLUMNS.index("lr")).text() == "3e-3"


# 9 ------------------------------------------------------------------------------------------------------------
def show_wrong(view):
    classes = ["cat", "dog", "airplane", "automobile"]
    images = {i: np.full((3, 32, 32), 30 * i, dtype=np.uint8) for i in range(8)}
    wrong = [{"index": i, "label": 2, "predicted": 3, "confidence": 0.97} for i in range(8)]
    view.show_result(
        0.5, classes, [[5, 1, 0, 0], [1, 5, 0, 0], [0, 0, 5, 8], [0, 0, 0, 5]], [0.8] * 4, wrong, [], images
    )


def test_the_wrong_answers_say_true_and_predicted_and_wrap_to_the_pane(qtbot):
    view = EvaluationView()
    qtbot.addWidget(view)
    view.resize(700, 420)
    view.show()
    qtbot.waitExposed(view)
    show_wrong(view)
    qtbot.wait(10)
    from PySide6.QtWidgets import QLabel

    texts = [w.text() for cell in view.cells for w in cell.findChildren(QLabel) if w.text()]
    assert texts and all(t == "airplane → automobile (97%)" for t in texts)
    viewport = view.scroll.viewport()
    assert view.grid_host.width() <= viewport.width()
    for cell in view.cells:
        assert cell.geometry().right() < viewport.width()
    assert view.scroll.horizontalScrollBar().maximum() == 0
    before = view.columns
    view.resize(1100, 420)
    qtbot.waitUntil(lambda: view.columns > before)


# 11 -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_status_colours_and_plot_text_have_contrast(qtbot, light, mode):
    theme.set_mode(mode)
    pal, window = theme.current(), QApplication.instance().palette().color(QPalette.ColorRole.Window)
    for kind in ("ok", "warning", "error"):
        for back in (window, pal.background, pal.body):
            assert theme.contrast(theme.status(kind), back) >= 4.5, (kind, back.name())
    assert theme.status_style("ok").startswith(f"color: {pal.ok.name()}")
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    plot = panel.loss
    assert plot.backgroundBrush().color().name() == pal.background.name()
    assert theme.contrast(plot.getAxis("left").textPen().color(), pal.background) >= 4.5
    assert theme.contrast(plot.getAxis("bottom").label.defaultTextColor(), pal.background) >= 4.5


def test_contrast_is_wcags():
    from PySide6.QtGui import QColor

    assert theme.contrast(QColor("black"), QColor("white")) == pytest.approx(21)
    assert theme.contrast(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)


def test_the_plots_follow_a_theme_change(qtbot, light):
    theme.set_mode("light")
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.set_runs([run_of("VGG-20261130-062553", SERIES_COLORS[0])])
    theme.set_mode("dark")
    qtbot.waitUntil(lambda: panel.loss.backgroundBrush().color().name() == theme.DARK.background.name())
    assert panel.lr.getAxis("left").textPen().color().name() == theme.DARK.text.name()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_a_disabled_button_reads_as_disabled(qtbot, light, mode):
    theme.set_mode(mode)
    pal = QApplication.instance().palette()
    button = QPushButton("Stop")
    qtbot.addWidget(button)
    button.setEnabled(False)
    group = QPalette.ColorGroup
    role = QPalette.ColorRole
    dim = theme.contrast(pal.color(group.Disabled, role.ButtonText), pal.color(group.Disabled, role.Button))
    bright = theme.contrast(pal.color(group.Active, role.ButtonText), pal.color(group.Active, role.Button))
    assert dim < 3.0 and bright >= 4.5


# 19 -----------------------------------------------------------------------------------------------------------
def test_a_smoothing_change_redraws_only_the_smoothed_curves(qtbot, monkeypatch):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.set_runs([run_of("a", SERIES_COLORS[0]), run_of("b", SERIES_COLORS[1])])
    given = []
    for (_name, key), item in panel.items.items():
        monkeypatch.setattr(item, "setData", lambda *a, key=key, **k: given.append(key))
    panel.smoothing.setValue(700)
    panel.redraw()
    assert sorted(given) == ["batch_accuracy", "batch_accuracy", "batch_loss", "batch_loss"]
    given.clear()
    panel.smoothing.setValue(600)  # back: the smoothed points come from the cache
    smoother = panel.smoothers[("a", "batch_loss")]
    assert 0.6 in smoother.cache and 0.7 in smoother.cache
    panel.redraw()
    assert len(given) == 4
