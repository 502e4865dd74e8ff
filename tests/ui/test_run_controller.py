"""The run controller: a runner's events as typed signals, once per poll; closing never waits."""

import pytest

from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import BatchMetrics, Failed, Finished
from netbuilder.ui.training import run_controller
from netbuilder.ui.training.run_controller import RunController


class FakeRunner:
    """Hands out the scripted events, one list per poll."""

    script: list = []

    def __init__(self, document, config, out, force=False):
        self.polls = list(self.script)
        self.closed_with = None

    def start(self):
        pass

    def poll(self):
        return self.polls.pop(0) if self.polls else []

    def stop(self):
        pass

    def close(self, grace):
        self.closed_with = grace
        return "thread"


@pytest.fixture
def controller(qtbot, monkeypatch):
    monkeypatch.setattr(run_controller, "Runner", FakeRunner)
    seen = []
    c = RunController()
    for name in ("started", "event", "finished", "failed", "polled"):
        getattr(c, name).connect(lambda *args, name=name: seen.append((name, *args)))
    c.seen = seen
    return c


def batch(step):
    return BatchMetrics(epoch=1, step=step, steps=2, loss=1.0, accuracy=0.5, lr=0.1, images_per_s=1.0)


@pytest.mark.parametrize(
    "last, signal", [(Finished(False, 1, None, 0.5, 1.0), "finished"), (Failed("no", 9), "failed")]
)
def test_events_arrive_as_signals_and_the_last_one_ends_the_run(controller, tmp_path, last, signal):
    FakeRunner.script = [[batch(1), batch(2)], [last]]
    controller.start(load_preset("seed_cnn"), TrainConfig(), tmp_path / "run")
    assert controller.running() and controller.timer.isActive() and controller.out == tmp_path / "run"
    controller.poll()
    controller.poll()
    assert controller.seen == [
        ("started", tmp_path / "run"),
        ("event", batch(1)),
        ("event", batch(2)),
        ("polled",),
        (signal, last),
    ]
    assert not controller.running() and not controller.timer.isActive()


def test_shutdown_closes_the_run_without_waiting(controller, tmp_path):
    FakeRunner.script = []
    controller.start(load_preset("seed_cnn"), TrainConfig(), tmp_path / "run")
    runner = controller.runner
    controller.shutdown(grace=3.0)
    assert runner.closed_with == 3.0 and controller.closing == "thread"
    assert not controller.running() and not controller.timer.isActive()
