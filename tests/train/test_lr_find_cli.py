import json

import pytest

from netbuilder.cli import main
from netbuilder.core.presets import PRESETS_DIR

SEED_CNN = str(PRESETS_DIR / "seed_cnn.json")
QUICK = ["--limit", "1000", "--batch-size", "64", "--precision", "fp32"]


def netbuilder(*argv: str) -> int:
    return main(list(argv))


def test_lr_find_prints_the_curve_as_json(capsys):
    """1,000 images are 14 batches of 64: the sweep takes its least, 20 steps (the data seen twice)."""
    assert netbuilder("lr-find", SEED_CNN, "--dataset", "shapes10", "--json", *QUICK) == 0
    out = capsys.readouterr().out
    result = json.loads(out)
    assert result["event"] == "lr_found" and result["optimizer"] == "adamw" and result["precision"] == "fp32"
    assert len(result["lrs"]) == len(result["losses"]) == len(result["raw_losses"]) <= 20
    assert result["suggested"] == result["steepest"] and result["lrs"][0] <= result["steepest"] <= result["lrs"][-1]


def test_lr_find_prints_the_suggestion(capsys):
    assert netbuilder("lr-find", SEED_CNN, "--steps", "20", "--end-lr", "1", *QUICK) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("suggested learning rate ") and lines[-1].startswith("use it: netbuilder train")
    assert "lr-find: seed_cnn.json on shapes10, adamw, batch 64" in captured.err


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["lr-find", "missing.json"], 2, "missing.json"),
        (["lr-find", SEED_CNN, "--dataset", "cifar10", "--data-dir", "/nonexistent"], 1, "CIFAR-10"),
        (["lr-find", SEED_CNN, "--start-lr", "1", "--end-lr", "0.1"], 2, "--start-lr must be below --end-lr"),
        (["lr-find", SEED_CNN, "--start-lr", "0.1", "--end-lr", "0.1"], 2, "--start-lr must be below --end-lr"),
    ],
)
def test_lr_find_errors_are_one_sentence(argv, code, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert netbuilder(*argv) == code
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and words in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["lr-find", SEED_CNN, "--end-lr", "inf"], "argument --end-lr: it must be a finite number; got inf."),
        (["lr-find", SEED_CNN, "--start-lr", "nan"], "argument --start-lr: it must be a finite number; got nan."),
        (["lr-find", SEED_CNN, "--start-lr", "0"], "argument --start-lr: it must be above 0; got 0."),
        (["lr-find", SEED_CNN, "--steps", "1"], "argument --steps: it must be at least 2; got 1."),
        (["lr-find", SEED_CNN, "--batch-size", "0"], "argument --batch-size: it must be between 1 and 65536; got 0."),
        (["train", SEED_CNN, "--lr=-inf"], "argument --lr: it must be a finite number; got -inf."),
        (["train", SEED_CNN, "--lr=-1"], "argument --lr: it must be above 0 and at most 100; got -1."),
        (["train", SEED_CNN, "--epochs", "1.5"], "argument --epochs: 1.5 is not a whole number."),
        (["predict", "run", "a.png", "--top", "0"], "argument --top: it must be at least 1; got 0."),
        (
            ["features", SEED_CNN, "a.png", "--block", "b", "-o", "o.png", "--seed=-1"],
            "between 0 and 2147483647; got -1.",
        ),
    ],
)
def test_every_numeric_flag_refuses_nan_inf_and_out_of_range_with_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as stop:
        netbuilder(*argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: " in err and err.endswith(words)
