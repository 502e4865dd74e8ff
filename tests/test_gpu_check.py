"""tests/gpu/check.py is honest without CUDA (it says so, and nothing else), and with CUDA it fails, with a
sentence, on each result that contradicts its claim (shown here with fakes of its parts)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "gpu" / "check.py"


def test_without_cuda_the_gpu_check_prints_only_that():
    env = os.environ | {"CUDA_VISIBLE_DEVICES": ""}  # no GPU, even on a machine that has one
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, '{"cuda": false}\n', "")


@pytest.fixture
def check(monkeypatch):
    """The check's module on a fake GPU whose every part succeeds; a test breaks one part."""
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module.torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(module.torch.cuda, "get_device_name", lambda *a: "Fake GPU")
    run = {"model": "seed_cnn", "memory_estimate": "100 MB", "max_memory_allocated": "80 MB"}
    monkeypatch.setattr(module, "train_one_epoch", lambda preset: run | {"allocated_over_estimate": 0.8})
    monkeypatch.setattr(module, "bench_rows", lambda: {})
    oom = {"refused": "This run needs about 2 TB of memory …", "forced": "The GPU ran out of memory …", "ok": True}
    monkeypatch.setattr(module, "out_of_memory", lambda: oom)
    script = {"returncode": 0, "seconds": 3.0, "last_line": "epoch 1", "weights_written": True}
    monkeypatch.setattr(module, "exported_train_script", lambda: script)
    return module


def verdict(check, capsys) -> tuple[int, list[str], str]:
    code = check.main()
    captured = capsys.readouterr()
    return code, json.loads(captured.out)["failures"], captured.err


def test_with_every_part_as_claimed_it_exits_0(check, capsys):
    assert verdict(check, capsys) == (0, [], "")


def test_an_out_of_memory_probe_without_its_sentence_fails(check, capsys, monkeypatch):
    monkeypatch.setattr(check, "out_of_memory", lambda: {"refused": None, "forced": "CUDA error", "ok": False})
    code, failures, err = verdict(check, capsys)
    assert code == 1 and failures == [
        "The out-of-memory probe did not end in a sentence about memory: refused before the run: None; "
        "forced: 'CUDA error'."
    ]
    assert err == failures[0] + "\n"


@pytest.mark.parametrize(
    ("script", "sentence"),
    [
        (
            {"returncode": 1, "last_line": "ModuleNotFoundError: No module named 'model'", "weights_written": False},
            "The exported train.py exited with status 1: ModuleNotFoundError: No module named 'model'",
        ),
        ({"returncode": 0, "last_line": "epoch 1", "weights_written": False}, "wrote no trained.pt"),
    ],
)
def test_an_exported_train_script_that_fails_fails_the_check(check, capsys, monkeypatch, script, sentence):
    monkeypatch.setattr(check, "exported_train_script", lambda: script)
    code, failures, _ = verdict(check, capsys)
    assert code == 1 and len(failures) == 1 and sentence in failures[0]


@pytest.mark.parametrize("ratio", [3.2, 0.1])
def test_a_memory_estimate_far_from_the_peak_fails(check, capsys, monkeypatch, ratio):
    row = {"model": "vgg_cifar", "memory_estimate": "1 GB", "max_memory_allocated": "3.2 GB"}
    monkeypatch.setattr(check, "train_one_epoch", lambda preset: row | {"allocated_over_estimate": ratio})
    code, failures, _ = verdict(check, capsys)
    assert code == 1 and len(failures) == 2  # both presets' rows (the fake gives the same row)
    assert failures[0].startswith("The memory estimate of vgg_cifar is far off: 3.2 GB allocated against 1 GB")


def test_a_part_that_raises_fails_with_its_error(check, capsys, monkeypatch):
    def broken():
        raise RuntimeError("CUDA driver too old")

    monkeypatch.setattr(check, "bench_rows", broken)
    code, failures, _ = verdict(check, capsys)
    assert code == 1 and failures == ["The bench_train part failed: RuntimeError: CUDA driver too old"]
