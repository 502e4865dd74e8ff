"""The training settings a network file saves (its "training" key): read strictly, written only when there are
some, checked against this NetBuilder's settings, and the defaults of `netbuilder train FILE` (its options
override them)."""

from __future__ import annotations

import argparse
import json

import pytest

from netbuilder.core.document import Document, DocumentError, dumps, load, parse, save
from netbuilder.core.presets import PRESETS_DIR, load_preset
from netbuilder.records.config import document_config, recommend, saved_settings
from netbuilder.records.events import Finished
from netbuilder.records.train_error import TrainError
from netbuilder.train.cli import commands

SEED_CNN = PRESETS_DIR / "seed_cnn.json"


def with_training(training: object) -> str:
    data = json.loads(SEED_CNN.read_text())
    data["training"] = training
    return json.dumps(data)


def test_saved_settings_round_trip_and_files_without_them_read_and_write_as_before(tmp_path):
    doc = load_preset("seed_cnn")
    assert doc.training == {} and "training" not in json.loads(dumps(doc))  # old files: no key written
    doc.training = {"lr": 0.003, "optimizer": "sgd", "epochs": 3, "data_dir": None, "flip": True}
    save(doc, tmp_path / "net.json")
    again = load(tmp_path / "net.json")
    assert again.training == doc.training
    assert json.loads((tmp_path / "net.json").read_text())["training"]["optimizer"] == "sgd"
    assert load(SEED_CNN).training == {}


@pytest.mark.parametrize(
    ("training", "words"),
    [
        ([1, 2], "at training: expected an object of training settings"),
        ({"Learning Rate": 0.1}, "at training: 'Learning Rate' is not a training setting's name."),
        ({"lr": [0.1]}, "at training.lr: expected a number, text, true/false or null, found a list."),
        ({"lr": {"low": 1}}, "at training.lr: expected a number, text, true/false or null, found an object."),
        ({"epochs": 10**400}, "at training.epochs: expected a number of at most 1e300 in size; got a 401-digit"),
        ({"lr": "x" * 5000}, "at training.lr: the text is longer than 4,096 characters."),
    ],
)
def test_a_malformed_training_key_is_one_sentence(training, words):
    with pytest.raises(DocumentError) as e:
        parse(with_training(training), "net.json")
    assert str(e.value).startswith("net.json") and words in str(e.value)


def test_an_infinite_number_is_refused():
    text = with_training({"lr": 1}).replace('"lr": 1', '"lr": 1e999')  # JSON reads it as infinity
    with pytest.raises(DocumentError, match=r"at training.lr: expected a number of at most 1e300"):
        parse(text, "net.json")


@pytest.mark.parametrize(
    ("training", "words"),
    [
        ({"warp": 1}, "The file's training settings name 'warp', which is not a setting of this NetBuilder"),
        ({"lr": -1}, "The file's training settings: The setting lr must be above 0 and at most 100; got -1."),
        ({"optimizer": "rmsprop"}, "The setting optimizer must be one of sgd, adam, adamw; got 'rmsprop'."),
        ({"epochs": 1.5}, "The setting epochs must be a whole number; got 1.5."),
        ({"dataset": "imagenet\x1b[2J"}, "There is no dataset 'imagenet\\x1b[2J'"),
    ],
)
def test_settings_this_netbuilder_does_not_have_are_refused_with_a_sentence(training, words):
    with pytest.raises(TrainError) as e:
        saved_settings(training)
    assert words in str(e.value) and "\x1b" not in str(e.value)


def test_a_run_s_settings_are_the_recipe_then_the_file_s_then_the_options():
    graph = load_preset("vgg_cifar").graph
    recipe = recommend(graph)
    config = document_config(graph, {"lr": 0.003, "epochs": 4})
    assert (config.lr, config.epochs, config.optimizer, config.nesterov) == (0.003, 4, "sgd", recipe.nesterov)
    assert document_config(graph, {"lr": 0.003}, {"lr": 0.1}).lr == 0.1
    assert document_config(graph, {}).to_dict() == recipe.to_dict()
    assert document_config(graph, {"dataset": "mnist"}).flip is False  # the recipe for the file's dataset


def netbuilder(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="netbuilder")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_netbuilder_train_takes_the_file_s_settings_as_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    trained = []

    def execute(document: Document, config, out, **_: object) -> Finished:
        trained.append(config)
        return Finished(False, config.epochs, 0.5, 0.5, 1.0)

    monkeypatch.setattr("netbuilder.train.job.execute", execute)
    doc = load_preset("seed_cnn")
    doc.training = {"lr": 0.003, "optimizer": "sgd", "epochs": 2}
    save(doc, tmp_path / "tuned.json")
    assert netbuilder("train", "tuned.json") == 0
    assert netbuilder("train", "tuned.json", "--lr", "0.02", "--epochs", "5") == 0
    (saved, overridden) = trained
    assert (saved.lr, saved.optimizer, saved.epochs) == (0.003, "sgd", 2)
    assert (overridden.lr, overridden.optimizer, overridden.epochs) == (0.02, "sgd", 5)

    doc.training = {"lr": 0.003, "turbo": True}
    save(doc, tmp_path / "newer.json")
    assert netbuilder("train", "newer.json") == 2
    err = capsys.readouterr().err
    assert "error: The file's training settings name 'turbo'" in err and "Traceback" not in err
    assert len(trained) == 2 and not (tmp_path / "runs").exists()


def test_a_study_of_a_network_whose_saved_settings_changed_is_the_same_study():
    from netbuilder.train.search import network_text

    doc = load_preset("seed_cnn")
    before = network_text(doc)
    doc.training = {"lr": 0.02}
    assert network_text(doc) == before
    doc.graph.nodes["conv1"].params["out_channels"] = 32
    assert network_text(doc) != before


def test_check_refuses_what_train_refuses(tmp_path, capsys):
    from netbuilder.cli import main

    doc = load_preset("seed_cnn")
    doc.training = {"epochs": 0}
    save(doc, tmp_path / "zero.json")
    assert main(["check", str(tmp_path / "zero.json")]) == 2
    err = capsys.readouterr().err
    sentence = "The file's training settings: The setting epochs must be between 1 and 100000; got 0."
    assert err == f"error: {tmp_path / 'zero.json'} at training: {sentence}\n"
    doc.training = {"epochs": 3}
    save(doc, tmp_path / "three.json")
    assert main(["check", str(tmp_path / "three.json")]) == 0
