"""A fine-tuning run's curves show where its learned blocks began to train, live and when read back from its log."""

from __future__ import annotations

from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import BatchMetrics, Started
from netbuilder.records.runs import Run
from netbuilder.ui.training.curves import CurvesPanel
from netbuilder.ui.training.run_series import SeriesCache


def started(unfreeze_epoch: int | None) -> Started:
    return Started(
        None, "cpu", "fp32", 3, 0, 50, 32, 1, 1600, 100, 100, ["a", "b"], 1000, 10**6, [], [], unfreeze_epoch
    )


def test_the_unfrozen_line_stands_at_the_first_step_of_the_unfreeze_epoch_on_loss_and_accuracy(qtbot, tmp_path):
    run = Run.create(tmp_path / "ft", load_preset("seed_cnn"), TrainConfig())
    run.log(started(2))
    for step in range(1, 101):
        epoch, at = (step - 1) // 50 + 1, (step - 1) % 50 + 1
        run.log(BatchMetrics(epoch=epoch, step=at, steps=50, loss=1.0 / step, accuracy=0.5, lr=0.01, images_per_s=1.0))
    series = SeriesCache().series(run)
    assert series.unfreeze_step == 50 and series.steps_per_epoch == 50
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 360)
    panel.show()
    panel.set_runs([series])
    ((name, x), marks) = next(iter(panel.unfreeze_marks.items()))
    assert name == "ft" and x == 50 and [m.value() for m in marks] == [50, 50]
    assert marks[0] in panel.loss.getPlotItem().items and marks[1] in panel.accuracy.getPlotItem().items
    panel.x_axis.setCurrentText("epoch")  # the line follows the x axis: epoch 1 ends where it stands
    panel.redraw()
    assert [m.value() for ms in panel.unfreeze_marks.values() for m in ms] == [1.0, 1.0]


def test_a_run_that_does_not_fine_tune_has_no_line(qtbot):
    from netbuilder.ui.training.series import RunSeries

    series = RunSeries("plain", "#0072B2")
    series.started(started(None))
    series.add_batch(1, 1, 50, 1.0, 0.5, 0.01, 0.1)
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.set_runs([series])
    assert series.unfreeze_step is None and panel.unfreeze_marks == {}
