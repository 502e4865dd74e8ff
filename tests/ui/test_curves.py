"""Live curves: smoothing, overlays, readout, exports, and many plot widgets created and destroyed."""

import csv
import gc

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from netbuilder.ui.training.curves import CurvesPanel
from netbuilder.ui.training.series import SERIES_COLORS, Growing, RunSeries, Smoothed, smooth


def naive(values, w):
    out, last = [], 0.0
    for n, v in enumerate(values, start=1):
        last = last * w + (1 - w) * v
        out.append(last / (1 - w**n))
    return np.array(out)


@pytest.mark.parametrize("w", [0.0, 0.3, 0.6, 0.9, 0.999])
def test_smoothing_is_tensorboards_debiased_ema(w):
    values = np.random.default_rng(1).normal(size=5000) + np.linspace(3, 0, 5000)
    assert np.allclose(smooth(values, w), naive(values, w) if w else values, atol=1e-9)


def test_incremental_smoothing_matches_the_full_computation():
    series, smoothed = Growing(4), Smoothed()
    values = np.random.default_rng(2).random(3000)
    for i, v in enumerate(values):
        series.append(i, v)
        if i % 97 == 0:
            smoothed.of(series, 0.9)
    assert np.allclose(smoothed.of(series, 0.9), smooth(values, 0.9))
    assert np.allclose(smoothed.of(series, 0.5), smooth(values, 0.5))  # a new weight recomputes


def fake_run(name, color, epochs=3, steps=50, offset=0.0):
    run = RunSeries(name, color)
    for e in range(1, epochs + 1):
        for s in range(1, steps + 1):
            t = (e - 1) * steps + s
            run.add_batch(e, s, steps, 2.0 * np.exp(-t / 60) + offset, 1 - np.exp(-t / 50), 0.1, t * 0.01)
        run.add_epoch(e, 2.0 * np.exp(-e * steps / 60), 1 - np.exp(-e), 2.1 * np.exp(-e * steps / 60), 0.9 - np.exp(-e))
    return run


def test_overlaying_two_runs_draws_two_sets_of_curves(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.set_runs([fake_run("a", SERIES_COLORS[0]), fake_run("b", SERIES_COLORS[1], offset=0.3)])
    smoothed = [i for (run, key), i in panel.items.items() if key == "batch_loss"]
    assert len(smoothed) == 2
    colours = {i.opts["pen"].color().name() for i in smoothed}
    assert colours == {SERIES_COLORS[0].lower(), SERIES_COLORS[1].lower()}
    xs, ys = panel.items[("b", "val_loss")].getData()
    assert list(xs) == [50, 100, 150]
    panel.x_axis.setCurrentText("epoch")
    panel.redraw()
    assert list(panel.items[("b", "val_loss")].getData()[0]) == [1, 2, 3]


def test_crosshair_reads_out_the_value_under_the_pointer(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_runs([fake_run("a", SERIES_COLORS[0])])
    plot = panel.loss
    center = plot.mapFromScene(plot.plotItem.vb.sceneBoundingRect().center())
    QTest.mouseMove(plot.viewport(), QPoint(int(center.x()), int(center.y())))
    qtbot.waitUntil(lambda: plot.readout.textItem.toPlainText().startswith("step "))
    assert plot.line.isVisible()


def test_exports(qtbot, tmp_path):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.set_runs([fake_run("a", SERIES_COLORS[0], epochs=2, steps=10)])
    assert panel.export_image(tmp_path / "curves.png") and (tmp_path / "curves.png").stat().st_size > 1000
    panel.export_table(tmp_path / "curves.csv")
    with open(tmp_path / "curves.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len([r for r in rows if r["kind"] == "batch"]) == 20
    epochs = [r for r in rows if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == ["1", "2"] and epochs[0]["val_loss"]


def test_log_scale_toggle(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.log_loss.setChecked(True)
    assert panel.loss.plotItem.ctrl.logYCheck.isChecked()


def test_many_plot_widgets_created_and_destroyed(qtbot):
    """PySide6 6.12 with pyqtgraph 0.14 aborts (none_dealloc) while building a PlotWidget: keep this."""
    for i in range(40):
        panel = CurvesPanel()
        panel.set_runs([fake_run(f"r{i}", SERIES_COLORS[i % len(SERIES_COLORS)], epochs=1, steps=5)])
        panel.show()
        qtbot.wait(1)
        panel.close()
        panel.deleteLater()
        qtbot.wait(1)
        del panel
        gc.collect()


def test_export_buttons_write_the_files(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.set_runs([fake_run("a", SERIES_COLORS[0], epochs=1, steps=10)])
    panel.ask_path = lambda suffix: tmp_path / f"out.{suffix}"
    QTest.mouseClick(panel.export_png, Qt.MouseButton.LeftButton)
    QTest.mouseClick(panel.export_csv, Qt.MouseButton.LeftButton)
    assert (tmp_path / "out.png").stat().st_size > 1000 and (tmp_path / "out.csv").read_text().startswith("run,kind")
    assert panel.note == f"Wrote {tmp_path / 'out.csv'}."
    panel.ask_path = lambda suffix: tmp_path / "missing" / f"out.{suffix}"
    QTest.mouseClick(panel.export_csv, Qt.MouseButton.LeftButton)
    assert panel.note.startswith("Cannot write")
