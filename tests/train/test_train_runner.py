import os
import signal

import pytest

from netbuilder.records.events import BatchMetrics, Checkpoint, EpochMetrics, Evaluated, Failed, Finished, Started
from netbuilder.records.runner import Runner
from netbuilder.records.runs import Run

TIMEOUT = 90  # seconds; a child spends a few of them importing torch


def wait_for(runner, kind):
    """Poll until an event of this kind arrives; return every event so far."""
    events = []
    while not any(isinstance(e, kind) for e in events):
        assert not runner.done, events
        events += runner.wait(timeout=0.2)
    return events


@pytest.mark.slow
def test_a_run_in_a_child_process_streams_its_events(seed_cnn, quick, tmp_path):
    runner = Runner(seed_cnn, quick.replace(epochs=2), tmp_path / "run")
    runner.start()
    events = runner.wait(timeout=TIMEOUT)
    assert runner.done and isinstance(events[-1], Finished)
    kinds = [type(e) for e in events]
    assert kinds[0] is Started and kinds[-2:] == [Evaluated, Finished]
    assert kinds.count(EpochMetrics) == 2 and kinds.count(Checkpoint) == 2 and BatchMetrics in kinds
    assert Run.open(tmp_path / "run").events() == events
    runner._process.join(TIMEOUT)
    assert runner.exitcode == 0 and runner.poll() == []


@pytest.mark.slow
def test_stop_ends_the_run_after_its_current_step(seed_cnn, quick, tmp_path):
    runner = Runner(seed_cnn, quick.replace(epochs=1000), tmp_path / "run")
    runner.start()
    wait_for(runner, BatchMetrics)
    runner.stop()
    events = runner.wait(timeout=TIMEOUT)
    assert isinstance(events[-1], Finished) and events[-1].stopped
    runner._process.join(TIMEOUT)
    assert runner.exitcode == 0
    assert Run.open(tmp_path / "run").summary["status"] == "stopped"


@pytest.mark.slow
def test_a_child_killed_with_sigkill_is_reported_with_its_exit_code(seed_cnn, quick, tmp_path):
    runner = Runner(seed_cnn, quick.replace(epochs=1000), tmp_path / "run")
    runner.start()
    wait_for(runner, Checkpoint)
    os.kill(runner.pid, signal.SIGKILL)
    events = runner.wait(timeout=TIMEOUT)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.exit_code == -9 and "killed by signal 9" in failed.message
    assert runner.done and not runner.running
    run = Run.open(tmp_path / "run")
    assert run.checkpoint_path("last").is_file() and run.summary is None  # it died before writing one


def test_a_run_that_cannot_start_fails_with_a_sentence(seed_cnn, quick, tmp_path):
    runner = Runner(seed_cnn, quick.replace(dataset="mnist", data_dir=str(tmp_path)), tmp_path / "run")
    runner.start()
    events = runner.wait(timeout=TIMEOUT)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].message.startswith(f"MNIST is not in {tmp_path}")
    assert events[0].exit_code is None and not (tmp_path / "run").exists()


def test_a_child_that_does_not_stop_within_the_grace_period_is_killed(seed_cnn, quick, tmp_path):
    runner = Runner(seed_cnn, quick, tmp_path / "run")
    runner.start()
    runner.stop(grace=0)  # still importing torch: it cannot have stopped by the first poll
    events = runner.wait(timeout=TIMEOUT)
    assert len(events) == 1 and isinstance(events[0], Failed) and "was ended" in events[0].message
    assert events[0].exit_code == -signal.SIGKILL


def test_close_does_not_wait_and_the_child_still_ends(seed_cnn, quick, tmp_path):
    runner = Runner(seed_cnn, quick, tmp_path / "run")
    runner.start()
    thread = runner.close(grace=0.5)  # still importing torch: it is killed after the grace period
    # close returned while its thread still waits out the grace period (bench_train.py times close: <= 0.2 s)
    assert thread.is_alive() and runner.running and not thread.daemon
    thread.join(TIMEOUT)
    assert not thread.is_alive() and runner.done and not runner.running and runner.exitcode == -signal.SIGKILL
