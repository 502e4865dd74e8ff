"""Issue 22 §1: the built-in digits dataset (scikit-learn's 8×8 handwriting), and the classes and per_class options
every dataset honours."""

import argparse
import json

import numpy as np
import pytest
import torch

from netbuilder import cli
from netbuilder.core.document import save
from netbuilder.core.presets import PRESETS_DIR, load_preset
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig, recommend
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train import data_loading, feed
from netbuilder.train.cli import commands
from netbuilder.train.loop import Trainer
from netbuilder.train.predict import run_classes

DIGITS_CNN = str(PRESETS_DIR / "digits_cnn.json")


@pytest.fixture(scope="module")
def digits():
    return data_loading.load("digits", datasets.data_dir(None))


def test_digits_is_the_stated_stratified_split_scaled_to_bytes(digits):
    assert digits.classes == tuple("0123456789") and datasets.info("digits").shape == (1, 8, 8)
    assert digits.train_x.shape == (datasets.DIGITS_TRAIN, 1, 8, 8) == (1438, 1, 8, 8)
    assert digits.test_x.shape == (datasets.DIGITS_TEST, 1, 8, 8) == (359, 1, 8, 8)
    assert digits.train_x.dtype == np.uint8 and digits.train_x.min() == 0 and digits.train_x.max() == 255
    per_class = np.bincount(digits.train_y) + np.bincount(digits.test_y)
    assert per_class.sum() == 1797
    assert np.bincount(digits.test_y).tolist() == [round(n * 0.2) for n in per_class]  # a fifth of each class


def test_digits_is_the_same_split_every_time(digits, tmp_path):
    again = data_loading.load("digits", tmp_path)  # made afresh in an empty folder, then read from its cache
    assert (tmp_path / "digits" / "digits-v1.npz").is_file()
    for name in ("train_x", "train_y", "test_x", "test_y"):
        assert np.array_equal(getattr(again, name), getattr(digits, name))
    assert np.array_equal(data_loading.load("digits", tmp_path).test_x, digits.test_x)


def prepared(config: TrainConfig) -> feed.Feed:
    data = data_loading.load(config.dataset, datasets.data_dir(None))
    return feed.prepare(data, (1, 8, 8), config, torch.device("cpu"))


def test_classes_keeps_those_classes_renumbered_in_the_order_given(digits):
    picked = prepared(TrainConfig(dataset="digits", classes="7,2,5"))
    assert picked.classes == ("7", "2", "5")
    test_y = picked.test.y.numpy()
    assert np.bincount(test_y).tolist() == [np.sum(digits.test_y == c) for c in (7, 2, 5)]
    train_y = np.concatenate([picked.train.y.numpy(), picked.val.y.numpy()])
    assert np.bincount(train_y).tolist() == [np.sum(digits.train_y == c) for c in (7, 2, 5)]
    sevens = picked.test.x[torch.from_numpy(test_y == 0)].numpy()
    assert np.array_equal(sevens, digits.test_x[digits.test_y == 7])  # the images themselves, in their order


def test_per_class_caps_training_images_only_picked_with_the_seed():
    every = prepared(TrainConfig(dataset="digits", classes="0,1,2"))
    capped = prepared(TrainConfig(dataset="digits", classes="0,1,2", per_class=20))
    assert np.bincount(capped.train.y.numpy()).tolist() == [20, 20, 20]
    assert torch.equal(capped.val.y, every.val.y) and torch.equal(capped.test.x, every.test.x)
    same = prepared(TrainConfig(dataset="digits", classes="0,1,2", per_class=20))
    other = prepared(TrainConfig(dataset="digits", classes="0,1,2", per_class=20, seed=1))
    assert torch.equal(same.train.x, capped.train.x)
    assert not torch.equal(other.train.x, capped.train.x)
    assert len(prepared(TrainConfig(dataset="digits", per_class=5)).train) == 50


def test_holdout_caps_each_class_in_the_seeded_order():
    labels = np.repeat(np.arange(3), 100)
    train, val = feed.holdout(labels, TrainConfig(per_class=7, val_split=0.2))
    assert np.bincount(labels[train]).tolist() == [7, 7, 7] and len(val) == 60
    order = np.random.default_rng(0).permutation(300)[:240]
    firsts = [i for c in range(3) for i in order[labels[order] == c][:7]]
    assert sorted(train) == sorted(firsts)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"classes": "3,3"}, "names class 3 twice"),
        ({"classes": "12"}, "digits has 10 classes, numbered 0 to 9; the classes setting names 12"),
        ({"classes": "4"}, "give at least two"),
        ({"classes": "1;2"}, "comma-separated"),
        ({"per_class": 0}, "per_class must be between 1"),
    ],
)
def test_a_bad_pick_is_one_sentence(changes, words):
    with pytest.raises(TrainError, match=words):
        TrainConfig(dataset="digits", **changes)


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--classes", "3,3"], "names class 3 twice"),
        (["--classes", "12"], "numbered 0 to 9"),
        (["--classes", "a,b"], "comma-separated"),
    ],
)
def test_bad_picks_on_the_command_line_exit_2_with_a_sentence(flags, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command in ("train", "lr-find", "search"):
        assert cli.main([command, DIGITS_CNN, *flags]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and len(err.splitlines()) == 1, (command, err)


def test_per_class_0_is_argparse_s_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", DIGITS_CNN, "--per-class", "0"])
    assert stop.value.code == 2 and "--per-class: it must be between 1" in capsys.readouterr().err


def test_a_folder_s_classes_are_checked_when_it_is_read(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    data = data_loading.FolderData(datasets.info(f"folder:{tmp_path}"), ("a", "b", "c"), [], [])
    assert data_loading.select(data, (2, 0)).classes == ("c", "a")
    with pytest.raises(TrainError, match="has 3 classes, numbered 0 to 2; the classes setting names 3"):
        data_loading.select(data, (0, 3))


def test_the_network_must_score_the_classes_picked():
    document = load_preset("digits_cnn")
    assert document.training == {"dataset": "digits"}
    trainer = Trainer(document, TrainConfig(dataset="digits", classes="0,1,2", precision="fp32"))
    with pytest.raises(TrainError, match="ends in 10 outputs but digits has 3 classes; set the last Linear's"):
        trainer.setup()
    assert datasets.output_problem((3,), 3, "digits") is None


def test_the_recipe_for_digits():
    config = recommend(load_preset("digits_cnn").graph, "digits")
    assert (config.batch_size, config.epochs, config.crop_padding, config.flip) == (64, 300, 1, False)
    assert config.val_split == 0.05
    assert recommend(load_preset("vgg_cifar").graph, "digits").crop_padding == 1


def test_netbuilder_datasets_lists_digits(capsys):
    assert cli.main(["datasets"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert list(rows)[:2] == ["shapes10", "digits"] and "folder:PATH" in rows
    assert "1×8×8" in rows["digits"] and "10 classes" in rows["digits"] and "ready" in rows["digits"]


@pytest.mark.slow
def test_a_short_run_on_digits_records_its_picks_and_names_its_classes(tmp_path, capsys):
    document = load_preset("digits_cnn")
    document.graph.set_params("fc1", {"out_features": 2})
    save(document, tmp_path / "two.json")
    parser = argparse.ArgumentParser(prog="netbuilder")
    commands.register(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "run"
    argv = ["train", str(tmp_path / "two.json"), "--epochs", "1", "--classes", "3,8", "--per-class", "30"]
    args = parser.parse_args([*argv, "--out", str(out), "--precision", "fp32", "--batch-size", "16"])
    assert args.run(args) == 0
    assert "60 training, " in capsys.readouterr().err
    run = Run.open(out)
    assert (run.config.dataset, run.config.classes, run.config.per_class) == ("digits", "3,8", 30)
    assert run_classes(run) == ["3", "8"]
    assert run.summary["test"]["classes"] == ["3", "8"]
    args = parser.parse_args(["evaluate", str(out), "--json"])
    assert args.run(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["classes"] == ["3", "8"] and sum(map(sum, result["confusion"])) == 37 + 35
