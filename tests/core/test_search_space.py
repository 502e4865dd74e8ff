import json

import pytest

from netbuilder.core.document import DocumentError, dumps, parse, to_dict
from netbuilder.core.presets import load_preset
from netbuilder.core.search_space import (
    Choice,
    Range,
    SearchSpace,
    SpaceError,
    format_text,
    parse_text,
    split,
)


def seed_with(search: dict) -> str:
    data = to_dict(load_preset("seed_cnn"))
    data["search"] = search
    return json.dumps(data)


SPACE = {
    "training": {"lr": {"low": 1e-4, "high": 0.1, "log": True}, "optimizer": {"choices": ["sgd", "adamw"]}},
    "blocks": {
        "conv1": {"out_channels": {"choices": [32, 64, 128]}, "kernel_size": {"choices": [3, 5]}},
        "relu1": {"function": {"choices": ["relu", "gelu"]}},
    },
}


def test_a_space_round_trips_through_the_file():
    doc = parse(seed_with(SPACE))
    assert doc.search.training["lr"] == Range(1e-4, 0.1, True)
    assert doc.search.get("conv1", "out_channels") == Choice((32, 64, 128))
    again = parse(dumps(doc))
    assert again.search == doc.search
    assert to_dict(again)["search"] == SPACE


def test_files_without_a_space_read_and_write_as_before():
    doc = load_preset("seed_cnn")
    assert not doc.search
    assert "search" not in dumps(doc)
    assert dumps(parse(dumps(doc))) == dumps(doc)


def test_a_deleted_blocks_entries_are_not_saved():
    doc = parse(seed_with(SPACE))
    del doc.graph.nodes["relu1"]
    doc.graph.edges = [e for e in doc.graph.edges if "relu1" not in (e.src, e.dst)]
    assert "relu1" not in to_dict(doc)["search"]["blocks"]


@pytest.mark.parametrize(
    "search, words",
    [
        ({"blocks": {"conv1": {"kernel_size": {"choices": [3, 2000]}}}}, "kernel_size must be between 1 and 1024"),
        ({"blocks": {"drop": {"p": {"low": 0.1, "high": 0.5}}}}, "there is no block 'drop'"),
        ({"blocks": {"conv1": {"size": {"choices": [1, 2]}}}}, "has no parameter 'size'"),
        ({"blocks": {"relu1": {"function": {"choices": ["relu", "swish"]}}}}, "function must be one of"),
        ({"blocks": {"relu1": {"function": {"low": 1, "high": 2}}}}, "takes a list of choices, not a range"),
        ({"blocks": {"conv1": {"out_channels": {"low": 8.5, "high": 64}}}}, "whole-number ends"),
        ({"training": {"lr": {"low": 0.1, "high": 0.01}}}, "low end must be below its high end"),
        ({"training": {"lr": {"low": 0, "high": 0.01, "log": True}}}, "log range must start above 0"),
        ({"training": {"lr": {"low": 0.1}}}, 'needs both "low" and "high"'),
        ({"training": {"lr": {"choices": [0.1]}}}, "at least two choices"),
        ({"training": {"lr": {"choices": [0.1, 0.1]}}}, "listed twice"),
        ({"training": {"lr": {"low": 0.1, "high": 1, "step": 2}}}, "unknown field 'step'"),
        ({"tuning": {}}, "unknown field 'tuning'"),
        ([], "expected an object"),
    ],
)
def test_a_bad_space_refuses_the_file_with_one_sentence(search, words):
    with pytest.raises(DocumentError) as caught:
        parse(seed_with(search), "net.json")
    message = str(caught.value)
    assert message.startswith("net.json at search: ") and words in message
    assert "\n" not in message


def test_a_block_range_must_lie_within_the_parameters_limits():
    doc = parse(seed_with({"blocks": {"conv1": {"out_channels": {"low": 16, "high": 256, "log": True}}}}))
    assert doc.search.get("conv1", "out_channels") == Range(16, 256, True)
    with pytest.raises(DocumentError, match="out_channels must be between 1 and 65536; got 0"):
        parse(seed_with({"blocks": {"conv1": {"out_channels": {"low": 0, "high": 256}}}}))


@pytest.mark.parametrize(
    "text, dim",
    [
        ("32, 64, 128", Choice((32, 64, 128))),
        ("relu, gelu", Choice(("relu", "gelu"))),
        ("0.1 … 0.5", Range(0.1, 0.5)),
        ("0.1 .. 0.5", Range(0.1, 0.5)),
        ("1e-4 … 1e-1 log", Range(1e-4, 0.1, True)),
        ("true, false", Choice((True, False))),
    ],
)
def test_the_inspectors_text_reads_and_writes_a_range_or_a_list(text, dim):
    assert parse_text(text) == dim
    assert parse_text(format_text(dim)) == dim


@pytest.mark.parametrize("text", ["", "32", "0.5 … 0.1", "a … b", "0 … 1 log"])
def test_bad_text_is_one_sentence(text):
    with pytest.raises(SpaceError):
        parse_text(text)


def test_a_trials_values_apply_to_a_copy_of_the_document():
    doc = parse(seed_with(SPACE))
    values = {"lr": 0.01, "conv1.out_channels": 64, "conv1.kernel_size": 5, "relu1.function": "gelu"}
    assert split(values) == (
        {"conv1": {"out_channels": 64, "kernel_size": 5}, "relu1": {"function": "gelu"}},
        {"lr": 0.01},
    )
    concrete = doc.with_trial(values)
    assert concrete.graph.nodes["conv1"].params["out_channels"] == 64
    assert concrete.graph.nodes["relu1"].params["function"] == "gelu"
    assert not concrete.search and doc.graph.nodes["conv1"].params["out_channels"] == 12
    assert doc.with_trial(values, keep_space=True).search == doc.search


def test_with_block_and_with_setting_copy_the_space():
    space = SearchSpace()
    marked = space.with_block("conv1", "kernel_size", Choice((3, 5))).with_setting("lr", Range(0.001, 0.1, True))
    assert not space and marked
    assert marked.items() == [("lr", Range(0.001, 0.1, True)), ("conv1.kernel_size", Choice((3, 5)))]
    assert not marked.with_block("conv1", "kernel_size", None).with_setting("lr", None)


def test_dropout_p_takes_a_range_within_its_limits():
    from netbuilder.core.blocks import REGISTRY
    from netbuilder.core.search_space import check_dim

    (p,) = REGISTRY["Dropout"].params
    assert check_dim(p, parse_text("0.1 … 0.5")) == Range(0.1, 0.5)
    with pytest.raises(SpaceError, match="p must be between 0 and 0.99; got 1"):
        check_dim(p, parse_text("0.1 … 1.0"))
    kernel = next(s for s in REGISTRY["Conv2d"].params if s.name == "kernel_size")
    assert check_dim(kernel, parse_text("1 … 7")) == Range(1, 7)
    with pytest.raises(SpaceError, match="whole-number ends"):
        check_dim(kernel, parse_text("1.5 … 7"))


def test_a_parameter_first_marked_search_gets_a_range_or_list_around_its_value():
    from netbuilder.core.blocks import REGISTRY
    from netbuilder.core.fields import coerce
    from netbuilder.core.search_space import first_guess

    def guess(block_type: str, name: str, value=None):
        spec = next(s for s in REGISTRY[block_type].params if s.name == name)
        return first_guess(spec, coerce(spec, spec.default if value is None else value))

    assert guess("Conv2d", "out_channels", 12) == Choice((6, 12, 24))
    assert guess("Conv2d", "kernel_size") == Choice((3, 5))
    assert guess("Conv2d", "padding", 0) == Choice((1, 0))
    assert guess("Dropout", "p") == Range(0.25, 0.75)
    assert guess("Activation", "function") == Choice(("relu", "relu6"))
    assert guess("Pool2d", "stride") is None  # "= kernel_size" has no simple range
