"""Overlaid runs' curves: read once, then only the lines a log gains; a replaced log is read again."""

from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import BatchMetrics, EpochMetrics
from netbuilder.records.runs import METRICS, Run
from netbuilder.ui.training.run_series import SeriesCache, color_for


def batch(step: int) -> BatchMetrics:
    return BatchMetrics(epoch=1, step=step, steps=10, loss=1.0 / step, accuracy=0.1 * step, lr=0.01, images_per_s=100.0)


def test_a_log_is_read_once_then_only_its_new_lines(tmp_path):
    run = Run.create(tmp_path / "r", load_preset("seed_cnn"), TrainConfig())
    cache = SeriesCache()
    assert cache.series(run).batch_loss.n == 0  # no log yet
    run.log(batch(1))
    run.log(batch(2))
    series = cache.series(run)
    assert series.batch_loss.n == 2 and series.name == "r" and series.color == color_for("r")
    run.log(batch(3))
    run.log(
        EpochMetrics(
            epoch=1,
            epochs=1,
            train_loss=0.5,
            train_accuracy=0.5,
            val_loss=None,
            val_accuracy=None,
            lr=0.01,
            seconds=1.0,
        )
    )
    with open(run.path / METRICS, "a", encoding="utf-8") as f:
        f.write('{"event": "batch", "epoch": 1')  # a line still being written
    assert cache.series(run) is series
    assert list(series.batch_loss.x) == [1, 2, 3] and series.train_loss.n == 1
    with open(run.path / METRICS, "a", encoding="utf-8") as f:
        f.write(', "step": 4, "steps": 10, "loss": 0.25, "accuracy": 0.4, "lr": 0.01, "images_per_s": 1.0}\n')
    assert list(cache.series(run).batch_loss.x) == [1, 2, 3, 4]


def test_a_replaced_log_is_read_from_its_start(tmp_path):
    run = Run.create(tmp_path / "r", load_preset("seed_cnn"), TrainConfig())
    for step in (1, 2, 3):
        run.log(batch(step))
    cache = SeriesCache()
    assert cache.series(run).batch_loss.n == 3
    lines = (run.path / METRICS).read_text(encoding="utf-8").splitlines(keepends=True)
    (run.path / METRICS).unlink()
    (run.path / METRICS).write_text(lines[0], encoding="utf-8")  # a resumed run rewinds its log
    assert list(cache.series(run).batch_loss.x) == [1]


def test_runs_shown_together_never_share_a_colour():
    """Names whose hash gives one colour (any two of eight runs, by pigeonhole) are told apart when shown together."""
    from netbuilder.ui.training.run_series import distinct_colors
    from netbuilder.ui.training.series import SERIES_COLORS, RunSeries

    names = [f"run{i}" for i in range(40)]
    clash = next((a, b) for a in names for b in names if a < b and color_for(a) == color_for(b))
    runs = [RunSeries(n, color_for(n)) for n in clash]
    distinct_colors(runs)
    assert runs[0].color == color_for(clash[0]) and runs[1].color != runs[0].color
    many = [RunSeries(n, color_for(n)) for n in names[: len(SERIES_COLORS)]]
    distinct_colors(many)
    assert sorted(r.color for r in many) == sorted(SERIES_COLORS)
