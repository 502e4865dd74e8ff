"""Issue 10: kills mid-epoch lose no history, malformed checkpoints and dying workers are sentences, and a run
that cannot fit in memory is refused before anything is allocated."""

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from train_fakes import write_image_folder

from netbuilder.core.presets import PRESETS_DIR
from netbuilder.records import memory
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Checkpoint, EpochMetrics, Failed, Finished
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints, loop
from netbuilder.train.job import ERROR_LOG, execute

SEED_CNN = str(PRESETS_DIR / "seed_cnn.json")
TINY = ["--limit", "300", "--batch-size", "32", "--log-every", "2", "--epochs", "4"]
ROOT = Path(__file__).resolve().parents[2]


SLOW_SAVES = (
    "import runpy, time, torch; save = torch.save; "
    "torch.save = lambda *a, **k: (save(*a, **k), time.sleep(0.2))[0]; "
    "runpy.run_module('netbuilder', run_name='__main__')"
)


def train(*argv: str, cwd: Path, slow_saves: bool = False) -> subprocess.Popen:
    """`netbuilder train ARGV` in a child process of its own; slow_saves holds every checkpoint's temporary file
    0.2 s before its rename, so that a kill can land in each step of a save."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = ["-c", SLOW_SAVES, "train"] if slow_saves else ["-m", "netbuilder", "train"]
    return subprocess.Popen(
        [sys.executable, *start, *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def kill_when(process: subprocess.Popen, ready, timeout: float = 60) -> bool:
    """SIGKILL process as soon as ready() holds (polled every millisecond); False if it ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline and not ready():
        time.sleep(0.001)
    killed = process.poll() is None
    process.kill()
    process.communicate()
    return killed


def history(run: Path) -> tuple[list, list]:
    """Each epoch's (epoch, train loss, val loss), and each checkpoint event's epoch, as logged."""
    events = Run(run).events()
    return (
        [(e.epoch, e.train_loss, e.val_loss) for e in events if isinstance(e, EpochMetrics)],
        [e.epoch for e in events if isinstance(e, Checkpoint)],
    )


def folder_state(run: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run.iterdir()}


# Item 2: resume never drops a line about an epoch it keeps -------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_many_points_of_an_epoch_then_resume_keeps_the_whole_history(tmp_path):
    straight = train(SEED_CNN, "--out", "straight", *TINY, cwd=tmp_path)
    run = tmp_path / "killed"
    started = 0.0

    def session() -> str:
        """The metrics lines this process logged, from its Started event on ("" before it)."""
        try:
            text = (run / "metrics.jsonl").read_text()
        except OSError:
            return ""
        at = text.rfind('"event": "started"')
        line = text[text.rfind("\n", 0, at) + 1 : text.find("\n", at)]
        return text[at:] if at >= 0 and json.loads(line)["time"] >= started else ""

    def temporary(name: str) -> bool:
        return run.is_dir() and any(n.startswith(f".{name}.") for n in os.listdir(run))

    def last_pt_without_its_event() -> bool:  # last.pt in place, best.pt being written, no checkpoint event yet
        tail = session()
        return bool(tail) and "checkpoint" not in tail and temporary("best.pt")

    def mid_epoch() -> bool:
        tail = session()
        return '"event": "epoch"' in tail and tail.rpartition('"event": "epoch"')[2].count('"batch"') >= 2

    kill_points = (last_pt_without_its_event, lambda: bool(session()) and temporary("last.pt"), mid_epoch)
    kills = 0
    try:
        for i, ready in enumerate(kill_points):
            started = round(time.time(), 3) - 0.001
            args = ("--resume", str(run)) if i else (SEED_CNN, "--out", str(run), *TINY)
            kills += kill_when(train(*args, cwd=tmp_path, slow_saves=True), ready)
        _, err = train("--resume", str(run), cwd=tmp_path).communicate(timeout=120)
        assert err.splitlines()[-1].startswith("done in")
        straight.communicate(timeout=120)
        assert straight.returncode == 0
    finally:
        kill_when(straight, lambda: True)
    assert kills >= 3

    epochs, checkpoints = history(run)
    expected_epochs, expected_checkpoints = history(tmp_path / "straight")
    assert sum(epochs, ()) == pytest.approx(sum(expected_epochs, ())) and checkpoints == expected_checkpoints == [
        1,
        2,
        3,
        4,
    ]
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]
    best = [e.epoch for e in Run(run).events() if isinstance(e, Checkpoint) and e.best][-1]
    assert torch.load(run / "best.pt", weights_only=True)["epoch"] == best


def test_rewind_keeps_an_epoch_whose_checkpoint_event_was_never_logged(tmp_path, seed_cnn):
    run = Run.create(tmp_path / "r", seed_cnn, TrainConfig())
    weights = {"w": torch.zeros(2)}
    run.log(EpochMetrics(1, 3, 1.0, 0.5, 0.9, 0.6, 0.01, 2.0))
    run.log(Checkpoint(1, str(run.checkpoint_path()), True))
    checkpoints.save(run, {"model": weights, "epoch": 1}, best=True)
    run.log(EpochMetrics(2, 3, 0.8, 0.6, 0.7, 0.7, 0.01, 2.0))
    checkpoints.save(run, {"model": weights, "epoch": 2}, best=False)  # then "killed" writing best.pt:
    run.checkpoint_path("last").write_bytes(run.checkpoint_path("last").read_bytes())
    (run.path / ".best.pt.x1y2.tmp").write_bytes(b"half a checkpoint")
    saved = {**checkpoints.load(run), "best": True}  # it was the best epoch; best.pt still holds epoch 1
    checkpoints.rewind(run, saved)
    assert [(type(e), e.epoch) for e in run.events()] == [
        (EpochMetrics, 1),
        (Checkpoint, 1),
        (EpochMetrics, 2),
        (Checkpoint, 2),
    ]
    assert run.events()[-1].best and checkpoints.load(run, "best")["epoch"] == 2
    assert not list(run.path.glob("*.tmp"))


# Item 4: a checkpoint that loads but does not fit is one sentence -------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    from netbuilder.core.presets import load_preset

    out = tmp_path_factory.mktemp("trained") / "run"
    assert isinstance(execute(load_preset("seed_cnn"), TrainConfig(limit=300, epochs=1, batch_size=64), out), Finished)
    return out


def _weights(run: Path) -> dict:
    return torch.load(run / "last.pt", weights_only=True)["model"]


MALFORMED = {
    "an empty dict": lambda w: {},
    "a tensor": lambda w: torch.zeros(3),
    "a list": lambda w: [1, 2],
    "no epoch": lambda w: {"model": w},
    "missing weights": lambda w: {"model": {k: v for k, v in w.items() if ".conv1." not in k}, "epoch": 1},
    "other shapes": lambda w: {
        "model": {k: v[:1] if k == "layers.fc1.weight" else v for k, v in w.items()},
        "epoch": 1,
    },
    "unknown weights": lambda w: {"model": {**w, "fc9.weight": torch.zeros(1)}, "epoch": 1},
}


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize("command", ["evaluate", "resume"])
def test_a_checkpoint_that_does_not_fit_is_one_sentence(trained, tmp_path, kind, command, capsys, monkeypatch):
    import argparse
    import shutil

    from netbuilder.train.cli import commands

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    name = "best.pt" if command == "evaluate" else "last.pt"
    torch.save(MALFORMED[kind](_weights(run)), run / name)
    before = folder_state(run)
    parser = argparse.ArgumentParser(prog="netbuilder")
    commands.register(parser.add_subparsers(dest="command", required=True))
    argv = ["evaluate", str(run), "--checkpoint", "best"] if command == "evaluate" else ["train", "--resume", str(run)]
    args = parser.parse_args(argv)
    capsys.readouterr()
    assert args.run(args) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and err.endswith(".\n") and "Traceback" not in err
    assert f"{name} in {run}" in err
    if kind == "missing weights":
        assert "does not match its network.json: 2 missing weights, first 'layers.conv1.weight'" in err
    assert folder_state(run) == before


# Item 5: every failure ends with the sentence, error.log and a failed summary -------------------------------


def _workers(pid: int) -> list[int]:
    """The DataLoader worker processes among pid's children (not multiprocessing's resource tracker)."""
    found = []
    for name in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            command = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"resource_tracker" not in command:
            found.append(int(name))
    return found


@pytest.mark.slow
def test_killing_a_dataloader_worker_ends_in_a_sentence_error_log_and_failed_summary(tmp_path):
    write_image_folder(tmp_path / "images", per_class=400)
    network = json.loads(Path(SEED_CNN).read_text())
    next(n for n in network["nodes"] if n["id"] == "fc1")["params"]["out_features"] = 2
    (tmp_path / "net.json").write_text(json.dumps(network))
    for attempt in range(2):
        out = tmp_path / f"run{attempt}"
        process = train(
            "net.json",
            "--out",
            str(out),
            "--dataset",
            f"folder:{tmp_path / 'images'}",
            "--workers",
            "2",
            "--epochs",
            "20",
            "--batch-size",
            "8",
            cwd=tmp_path,
        )
        deadline, killed = time.monotonic() + 90, 0
        # Each epoch's loader starts its own workers, and one killed after its last batch goes unnoticed:
        # kill a worker whenever one is seen (the first after 0 or 0.2 s) until the run ends.
        while process.poll() is None and time.monotonic() < deadline:
            workers = _workers(process.pid)
            if workers:
                time.sleep(0.2 * attempt if not killed else 0.1)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(workers[-1], signal.SIGKILL)
                    killed += 1
            time.sleep(0.01)
        _, err = process.communicate(timeout=60)
        assert killed and process.returncode == 1, err[-2000:]
        assert err.splitlines()[-1].startswith("error: Training stopped on an unexpected error (")
        assert (out / ERROR_LOG).is_file() and Run(out).summary["status"] == "failed"


def test_the_error_handler_survives_its_own_steps_failing(seed_cnn, tmp_path, monkeypatch):
    failures = {"log": 1, "summary": 1, "error.log": 1, "listener": 1}

    def once(name, real):
        def step(*args, **kwargs):
            if failures[name]:
                failures[name] -= 1
                raise RuntimeError(f"{name} interrupted")
            return real(*args, **kwargs)

        return step

    def crash(self, *args):
        raise RuntimeError("DataLoader worker (pid 1) is killed by signal: Killed.\n  at a second line")
        yield

    monkeypatch.setattr(loop.Trainer, "events", crash)
    monkeypatch.setattr(Run, "log", once("log", Run.log))
    monkeypatch.setattr(Run, "write_summary", once("summary", Run.write_summary))
    monkeypatch.setattr(Path, "write_text", once("error.log", Path.write_text))
    heard = []
    last = execute(seed_cnn, TrainConfig(limit=300), tmp_path / "run", listener=once("listener", heard.append))
    assert isinstance(last, Failed) and heard == [last] and not any(failures.values())
    assert last.message == (
        f"Training stopped on an unexpected error (RuntimeError: DataLoader worker (pid 1) is "
        f"killed by signal: Killed.); the details are in {tmp_path / 'run' / ERROR_LOG}."
    )
    run = Run(tmp_path / "run")
    assert run.summary["status"] == "failed" and run.events()[-1] == last
    assert "Traceback" in (run.path / ERROR_LOG).read_text()


# Item 12: a run that cannot fit is refused before anything is allocated -------------------------------------


def _huge_linear(path: Path, out_features: int = 10_000) -> str:
    """An Input of 10⁹ values into a Linear: terabytes of weights."""
    network = json.loads(Path(SEED_CNN).read_text())
    network["nodes"] = [
        {"id": "input", "type": "Input", "params": {"shape": [1000, 1000, 1000]}, "position": [0, 0]},
        {"id": "flat", "type": "Flatten", "params": {}, "position": [0, 100]},
        {"id": "fc1", "type": "Linear", "params": {"out_features": out_features}, "position": [0, 200]},
    ]
    network["edges"] = [{"from": "input", "to": "flat"}, {"from": "flat", "to": "fc1"}]
    path.write_text(json.dumps(network))
    return str(path)


def test_a_run_bigger_than_free_memory_is_refused_and_force_meets_the_out_of_memory_sentence(tmp_path):
    network = _huge_linear(tmp_path / "huge.json")
    refused = train(network, "--out", "a", cwd=tmp_path)
    err = refused.communicate(timeout=60)[1]
    assert refused.returncode == 1 and not (tmp_path / "a").exists()
    assert err.startswith("error: This run needs about ") and "of memory and the computer has " in err
    assert err.endswith("try fewer channels or a smaller network, or add --force to start it anyway.\n")
    forced = train(network, "--out", "b", "--force", cwd=tmp_path)
    err = forced.communicate(timeout=60)[1]
    assert forced.returncode == 1 and not (tmp_path / "b").exists()
    assert (
        err == "error: The computer ran out of memory building the network; use fewer channels or a smaller network.\n"
    )


def test_the_refusal_suggests_a_batch_size_that_fits():
    need = memory.MemoryEstimate(weights=100, gradients=100, optimizer=0, activations=1000, data=0)  # 10 a sample
    assert memory.refusal(need, 100, 1000, "GPU", "add --force to start it anyway") == (
        "This run needs about 1.2 kB of memory and the GPU has 1 kB free; try a batch size of 80 or less, "
        "fewer channels or a smaller network, or add --force to start it anyway."
    )
    assert memory.refusal(need, 100, 1300, "GPU", "add --force to start it anyway") is None
    assert "a batch size of 50 or less" in memory.refusal(need, 100, 700, "GPU", "add --force to start it anyway")
    assert memory.refusal(need, 100, None, "GPU", "add --force to start it anyway") is None
    assert memory.available_ram() > 0


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough memory: you tried to "
            "allocate 40000000000 bytes."
        ),
        RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 4 bytes."),
        MemoryError(),
    ],
)
def test_cpu_allocation_failures_are_the_out_of_memory_sentence(error):
    with pytest.raises(TrainError, match=r"^The computer ran out of memory building it\.$"):
        with loop.out_of_memory(torch.device("cpu"), "building it"):
            raise error
    with pytest.raises(RuntimeError, match="something else"):
        with loop.out_of_memory(torch.device("cpu"), "building it"):
            raise RuntimeError("something else")
