"""A diverged run (its loss at 1e33, then NaN) neither flattens the other runs' curves nor hides where it went
wrong; every run colour reads on the plot background of both themes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from netbuilder.ui import theme
from netbuilder.ui.training.curves import CurvesPanel
from netbuilder.ui.training.run_series import color_for
from netbuilder.ui.training.series import SERIES_COLORS, RunSeries, diverged_at


def run(name: str, diverge_at: int | None = None, steps: int = 300) -> RunSeries:
    series = RunSeries(name, color_for(name))
    for t in range(1, steps + 1):
        loss = 2.3 * np.exp(-t / 100) + 0.2
        if diverge_at is not None and t >= diverge_at:
            loss = 1e33 if t < diverge_at + 20 else float("nan")
        series.add_batch(1, t, steps, loss, 0.5, 0.1, t * 0.01)
    return series


@pytest.fixture
def light():
    theme.set_mode("light")
    yield
    theme.set_mode("light")


def _panel(qtbot) -> CurvesPanel:
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 360)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_divergence_is_found_where_the_loss_leaves_its_scale():
    assert diverged_at(run("a").batch_loss) is None
    assert diverged_at(run("b", diverge_at=151).batch_loss) == 150  # index of step 151
    nan_only = RunSeries("c", "#000000")
    nan_only.add_batch(1, 1, 2, float("nan"), 0.1, 0.1, 0.0)
    assert diverged_at(nan_only.batch_loss) == 0


@pytest.mark.parametrize("log", [False, True])
def test_a_diverged_run_leaves_the_others_readable_and_is_marked(qtbot, log):
    panel = _panel(qtbot)
    panel.log_loss.setChecked(log)
    panel.set_runs([run("good-20261130-062553"), run("bad-20261130-071204", diverge_at=151)])
    (low, high) = panel.loss.plotItem.vb.viewRange()[1]
    if log:
        low, high = 10**low, 10**high
    assert low <= 0.31 and 2.4 <= high <= 5, (low, high)  # the finite losses fill the plot, 1e33 is off it
    labels = [mark.label.toPlainText() for mark in panel.divergence_marks]
    assert labels == ["diverged\nat step 151"]
    assert panel.divergence_marks[0].value() == 151
    assert any(text.endswith("(diverged)") and "bad" in text for _, _, text in panel.legend.entries)
    panel.x_axis.setCurrentText("epoch")  # the mark moves with the x axis
    qtbot.waitUntil(lambda: panel.divergence_marks and panel.divergence_marks[0].value() == pytest.approx(151 / 300))


def test_without_divergence_the_axis_ranges_itself(qtbot):
    panel = _panel(qtbot)
    panel.set_runs([run("good-20261130-062553")])
    assert panel.divergence_marks == []
    assert panel.loss.plotItem.vb.autoRangeEnabled()[1]


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_run_colour_reads_on_the_plot_background(qtbot, light, mode):
    """At least 3:1 (WCAG's for graphics) for each series colour against the plots' background, in each theme."""
    theme.set_mode(mode)
    panel = _panel(qtbot)
    panel.set_runs([RunSeries(f"r{i}", colour) for i, colour in enumerate(SERIES_COLORS)])
    background = panel.loss.backgroundBrush().color()
    assert background == theme.current().background
    for (_, key), item in panel.items.items():
        if key == "batch_loss":
            colour = item.opts["pen"].color()
            assert theme.contrast(QColor(colour.name()), background) >= 3.0, (mode, colour.name())
    assert color_for("any-run-name") in SERIES_COLORS
