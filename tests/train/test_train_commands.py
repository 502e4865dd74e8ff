import argparse
import io
import json
import os
import socket
import subprocess
import sys

import pytest
from train_fakes import accept_fake_checksums, write_fake_cifar10

from netbuilder.core.presets import PRESETS_DIR
from netbuilder.records.events import BatchMetrics, EpochMetrics, Started
from netbuilder.records.report import Progress
from netbuilder.records.runs import Run, default_root
from netbuilder.train.cli import commands

SEED_CNN = str(PRESETS_DIR / "seed_cnn.json")
QUICK = ["--limit", "1000", "--batch-size", "64", "--log-every", "5"]


def netbuilder(*argv: str) -> int:
    """The two commands as `netbuilder` will run them, on a parser of their own."""
    parser = argparse.ArgumentParser(prog="netbuilder")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default runs/ folder lands here


def test_registering_the_commands_does_not_import_torch():
    probe = "import sys, netbuilder.train.cli.commands; print(sorted(m for m in sys.modules if m.startswith('torch')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_train_writes_a_run_folder_that_evaluate_reads(tmp_path, capsys):
    assert netbuilder("train", SEED_CNN, "--epochs", "2", *QUICK) == 0
    err = capsys.readouterr().err
    (run_dir,) = default_root().iterdir()  # the app's runs folder, which the window's Runs tab lists
    assert run_dir.name.startswith("seed_cnn-") and not (tmp_path / "runs").exists()
    assert "epoch 1/2  train loss" in err and "epoch 2/2" in err and "test accuracy" in err
    assert "done in 0:" in err and f"the run is in {run_dir}" in err and "Traceback" not in err
    summary = Run.open(run_dir).summary
    assert summary["status"] == "completed"

    assert netbuilder("evaluate", str(run_dir)) == 0
    out = capsys.readouterr().out
    assert f"test accuracy {summary['test_accuracy']:.2%}" in out
    assert "circle" in out and "accuracy" in out and len(out.splitlines()) == 3 + 2 + 10

    assert netbuilder("evaluate", str(run_dir), "--json", "--checkpoint", "best") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["checkpoint"] == "best" and sum(map(sum, result["confusion"])) == 4000

    assert netbuilder("train", "--resume", str(run_dir), "--epochs", "3") == 0
    assert "resuming after epoch 2" in capsys.readouterr().err
    epochs = [e.epoch for e in Run.open(run_dir).events() if isinstance(e, EpochMetrics)]
    assert epochs == [1, 2, 3] and Run.open(run_dir).config.epochs == 3


def test_cifar10_trains_when_it_is_there_and_explains_itself_when_not(tmp_path, capsys, monkeypatch):
    assert netbuilder("train", SEED_CNN, "--dataset", "cifar10", "--data-dir", str(tmp_path / "data"), *QUICK) == 1
    err = capsys.readouterr().err
    data = tmp_path / "data"
    assert err == (
        f"error: CIFAR-10 is not in {data} (looked for {data / 'cifar-10-batches-py'}). Run again with "
        f"--download to fetch it (about 170 MB), or point --data-dir at the folder that holds "
        f"cifar-10-batches-py.\n"
    )
    assert not default_root().exists()

    accept_fake_checksums(monkeypatch, write_fake_cifar10(tmp_path / "data"))
    assert (
        netbuilder(
            "train",
            SEED_CNN,
            "--dataset",
            "cifar10",
            "--data-dir",
            str(tmp_path / "data"),
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--out",
            str(tmp_path / "cifar"),
        )
        == 0
    )
    assert Run.open(tmp_path / "cifar").summary["test"]["classes"][0] == "airplane"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["train", "missing.json"], "missing.json: cannot be read"),
        (["train", SEED_CNN, "--dataset", "imagenet"], "There is no dataset 'imagenet'"),
        (["train"], "Give a network file to train, or --resume RUN_DIR"),
        (["train", "--resume", "nowhere"], "nowhere is not a run folder"),
        (["train", SEED_CNN, "--resume", "nowhere"], "not both"),
    ],
)
def test_usage_mistakes_exit_2_with_a_sentence(argv, words, capsys):
    assert netbuilder(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and len(err.splitlines()) == 1


def test_evaluate_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert netbuilder("evaluate", str(tmp_path)) == 1
    assert "is not a run folder" in capsys.readouterr().err


def test_the_live_bar_shows_progress_and_eta():
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    progress(Started("runs/x", "cpu", "fp32", 2, 0, 10, 64, 1, 640, 64, 100, ["a", "b"], 1234, 10**6, ["careful"]))
    progress(BatchMetrics(1, 5, 10, 0.5, 0.75, 0.01, 1234.0))
    progress(EpochMetrics(1, 2, 0.5, 0.75, 0.6, 0.7, 0.01, 3.0))
    text = stream.getvalue()
    assert "warning: careful" in text
    assert "\repoch 1 [############............] 5/10  loss 0.500 acc 75.0%  1,234 img/s  ETA " in text
    assert text.endswith("\r\033[Kepoch 1/2  train loss 0.500 acc 75.0%  val loss 0.600 acc 70.0%  lr 0.01  3.0 s\n")


@pytest.mark.slow
def test_torchrun_trains_with_two_processes_and_one_run_folder(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={port}"]
    proc = subprocess.run(
        [
            *torchrun,
            "-m",
            "netbuilder",
            "train",
            SEED_CNN,
            "--limit",
            "400",
            "--batch-size",
            "32",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.count("epoch 1/1") == 1  # only the main process reports
    started = Run.open(tmp_path / "run").events()[0]
    assert started.world_size == 2 and started.steps_per_epoch == 360 // 2 // 32
    assert Run.open(tmp_path / "run").summary["status"] == "completed"


def test_an_out_folder_that_cannot_be_made_is_one_sentence_before_anything_runs(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    for out, words in (("afile/run", "is under"), ("afile", "afile is a file")):
        assert netbuilder("train", SEED_CNN, "--out", str(tmp_path / out)) == 2
        err = capsys.readouterr().err
        assert words in err and err.endswith("not a folder; give --out a folder you can write to.\n"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"] and not default_root().exists()
