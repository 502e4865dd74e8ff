import json

import pytest

from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig, recommend, settings
from netbuilder.records.train_error import TrainError


def test_defaults_are_valid_and_round_trip_through_json():
    config = TrainConfig(limit=500, data_dir="/tmp/x")
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"epochs": 0}, "epochs must be between 1 and 100000"),
        ({"lr": 0.0}, "lr must be above 0"),
        ({"lr": float("nan")}, "lr must be a number"),
        ({"epochs": "3"}, "epochs must be a whole number"),
        ({"epochs": True}, "epochs must be a whole number"),
        ({"flip": 1}, "flip must be true or false"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, adam, adamw"),
        ({"device": "gpu"}, "device must be auto"),
        ({"dataset": "imagenet"}, "no dataset 'imagenet'"),
        ({"dataset": "folder:"}, "needs a path"),
        ({"val_split": 0.95}, "val_split must be between 0 and 0.9"),
        ({"batch_size": None}, "batch_size needs a value"),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(changes, words):
    with pytest.raises(TrainError, match=words):
        TrainConfig().replace(**changes)


def test_unknown_settings_are_named():
    with pytest.raises(TrainError, match="no setting 'learning_rate'"):
        TrainConfig.from_dict({"learning_rate": 0.1})


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:1", "mps"])
def test_device_names(device):
    assert TrainConfig(device=device).device == device


def test_networks_with_batchnorm_get_the_vgg_recipe():
    config = recommend(load_preset("vgg_cifar").graph)
    assert (config.optimizer, config.lr, config.momentum, config.nesterov) == ("sgd", 0.05, 0.9, True)
    assert (config.weight_decay, config.schedule, config.batch_size) == (5e-4, "onecycle", 256)
    assert config.crop_padding == 4 and config.flip and config.channels_last


def test_small_networks_get_adamw_and_digits_are_not_flipped():
    assert recommend(load_preset("seed_cnn").graph).optimizer == "adamw"
    assert not recommend(load_preset("vgg_cifar").graph, "mnist").flip


def test_settings_describe_every_field_for_forms_and_the_command_line():
    by_name = {s.name: s for s in settings()}
    assert list(by_name) == list(TrainConfig().to_dict())
    epochs = by_name["epochs"]
    assert (epochs.kind, epochs.nullable, epochs.default, epochs.min, epochs.max) == ("int", False, 10, 1, 100_000)
    assert by_name["limit"].nullable and by_name["lr"].kind == "float" and by_name["flip"].kind == "bool"
    assert by_name["lr"].above == 0 and by_name["lr"].log and by_name["device"].kind == "text"
    assert by_name["optimizer"].choices == ("sgd", "adam", "adamw") and by_name["optimizer"].help


@pytest.mark.parametrize("device", ["cpu\n", " cpu", "cuda:"])
def test_a_device_name_must_match_whole(device):
    with pytest.raises(TrainError, match="device must be auto"):
        TrainConfig(device=device)


def test_every_setting_has_a_short_label_and_numbers_have_a_range_for_forms():
    for setting in settings():
        assert setting.label and len(setting.label) <= 14 and setting.help
        if setting.kind in ("int", "float"):
            assert setting.lowest < setting.highest


def test_the_recipe_follows_the_normalization_category_not_a_type_name():
    from netbuilder.core.blocks import REGISTRY

    graph = load_preset("seed_cnn").graph
    kinds = {REGISTRY[n.type].category for n in graph.nodes.values()}
    assert "normalization" not in kinds and recommend(graph).optimizer == "adamw"
    assert recommend(load_preset("vgg_cifar").graph).optimizer == "sgd"
