"""`check` and `search` judge a file's search entries with one validator: what search refuses, check refuses
with the same sentence (issue 20, part 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netbuilder.cli import main
from netbuilder.core.document import dumps
from netbuilder.core.presets import load_preset

QUICK = ["--dataset", "shapes10", "--epochs", "1", "--limit", "200", "--batch-size", "50"]

REFUSED = {
    "unknown setting": ({"momentun": {"choices": [0.5, 0.9]}}, "training setting 'momentun' that does not exist"),
    "batch_size 0": ({"batch_size": {"choices": [0, 8]}}, "batch_size must be between 1 and 65536; got 0"),
    "lr as text": ({"lr": {"choices": ["fast", "slow"]}}, "lr must be a number; got 'fast'"),
    "optimizer range": ({"optimizer": {"low": 1, "high": 2}}, "optimizer takes a list of choices"),
    "epochs 1.5 range": ({"epochs": {"low": 1.5, "high": 3}}, "epochs is a whole number"),
    "epochs 1.5 choice": ({"epochs": {"choices": [1.5, 2]}}, "epochs must be a whole number; got 1.5"),
    "huge epochs": ({"epochs": {"choices": [1, 10**400]}}, "numbers (at most 1e300 in size)"),
}


def _file(tmp_path: Path, training: dict) -> Path:
    data = json.loads(dumps(load_preset("seed_cnn")))
    data["search"] = {"training": training}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("case", list(REFUSED))
def test_check_refuses_what_search_refuses_with_the_same_sentence(tmp_path, capsys, case):
    training, sentence = REFUSED[case]
    path = _file(tmp_path, training)
    assert main(["search", str(path), "--trials", "1", *QUICK]) == 2
    refused = capsys.readouterr().err
    assert sentence in refused and "Traceback" not in refused
    assert main(["check", str(path)]) == 2
    said = capsys.readouterr().err
    assert sentence in said and said.startswith("error: ") and said.count("\n") == 1
    assert not (tmp_path / "runs").exists()


def test_check_passes_what_search_accepts(tmp_path, capsys):
    path = _file(tmp_path, {"lr": {"low": 1e-3, "high": 1e-1, "log": True}, "batch_size": {"choices": [16, 32]}})
    assert main(["check", str(path)]) == 0
    assert "error" not in capsys.readouterr().err
