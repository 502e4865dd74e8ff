import pytest

from netbuilder.records.config import TrainConfig
from netbuilder.train.schedule import lr_at

STEPS = 10  # per epoch


def curve(**settings):
    config = TrainConfig(epochs=10, lr=1.0, **settings)
    return [lr_at(s, STEPS, config) for s in range(10 * STEPS)]


def test_constant():
    assert set(curve(schedule="constant")) == {1.0}


def test_cosine_falls_from_the_peak_to_nearly_zero():
    lrs = curve(schedule="cosine")
    assert lrs[0] == 1.0 and lrs[-1] < 1e-3
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_step_drops_by_gamma_every_step_size_epochs():
    lrs = curve(schedule="step", step_size=3, gamma=0.5)
    assert lrs[29] == 1.0 and lrs[30] == 0.5 and lrs[60] == 0.25


def test_warmup_rises_linearly_then_follows_the_schedule():
    lrs = curve(schedule="cosine", warmup_epochs=2)
    assert lrs[:3] == pytest.approx([0.05, 0.1, 0.15])
    assert lrs[19] == 1.0 and lrs[20] == 1.0 and lrs[21] < 1.0


def test_onecycle_rises_for_30_percent_then_anneals():
    lrs = curve(schedule="onecycle")
    assert lrs[0] == pytest.approx(1 / 25)
    assert max(lrs) == pytest.approx(1.0) and lrs.index(max(lrs)) == 30
    assert lrs[-1] == pytest.approx(1 / 25 / 1e4)
