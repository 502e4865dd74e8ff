"""Frozen blocks and learning-rate multipliers in the file (read strictly, written back) and core.learning's rules."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netbuilder.core.check.shapes import check
from netbuilder.core.check.summary import as_json, table
from netbuilder.core.document import DocumentError, dumps, parse
from netbuilder.core.graph import Group
from netbuilder.core.learning import freezing, frozen_blocks, inherited_lr_mult, is_frozen, lr_mults, upstream
from netbuilder.core.presets import PRESETS_DIR, load_preset

SEED = json.loads((PRESETS_DIR / "seed_cnn.json").read_text())  # input, conv1, relu1, pool1, fc1


def with_entries(node: dict | None = None, group: dict | None = None) -> str:
    data = json.loads(json.dumps(SEED))
    data["nodes"][1].update(node or {})
    data["groups"] = [{"id": "head", "name": "head", "members": ["pool1", "fc1"], **(group or {})}]
    return json.dumps(data)


def test_frozen_and_lr_mult_round_trip_and_files_without_them_write_as_before():
    doc = parse(with_entries({"frozen": True, "lr_mult": 0.1}, {"frozen": True, "lr_mult": 0}))
    conv, head = doc.graph.nodes["conv1"], doc.graph.groups["head"]
    assert (conv.frozen, conv.lr_mult, head.frozen, head.lr_mult) == (True, 0.1, True, 0)
    again = parse(dumps(doc))
    assert dumps(again) == dumps(doc) and again.graph.nodes["conv1"].lr_mult == 0.1
    assert '"frozen": true, "lr_mult": 0.1}' in dumps(doc)
    plain = parse(with_entries())
    assert "frozen" not in dumps(plain) and "lr_mult" not in dumps(plain)
    assert plain.graph.nodes["conv1"].copy() == plain.graph.nodes["conv1"]
    assert doc.graph.copy().groups["head"] == head


@pytest.mark.parametrize(
    ("node", "group", "place", "says"),
    [
        ({"frozen": 1}, None, "nodes[1].frozen", "expected true or false, found a number."),
        ({"frozen": "yes"}, None, "nodes[1].frozen", "expected true or false, found text."),
        ({"lr_mult": -1}, None, "nodes[1].lr_mult", "a learning-rate multiplier is a number from 0 to 1000"),
        ({"lr_mult": "0.1"}, None, "nodes[1].lr_mult", "got '0.1'."),
        ({"lr_mult": True}, None, "nodes[1].lr_mult", "got true."),
        ({"lr_mult": 1e9}, None, "nodes[1].lr_mult", "from 0 to 1000"),
        (None, {"lr_mult": [1]}, "groups[0].lr_mult", "a learning-rate multiplier"),
        (None, {"frozen": None}, "groups[0].frozen", "expected true or false, found null."),
    ],
)
def test_hostile_values_are_refused_with_a_sentence_naming_the_place(node, group, place, says):
    with pytest.raises(DocumentError) as refused:
        parse(with_entries(node, group), "net.json")
    assert str(refused.value).startswith(f"net.json at {place}: ") and says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_nan_and_infinity_are_refused_with_a_sentence():
    for constant in ("NaN", "Infinity", "-Infinity"):
        text = with_entries().replace('"id": "conv1"', f'"id": "conv1", "lr_mult": {constant}')
        with pytest.raises(DocumentError, match=rf"net.json: this is not valid JSON \({constant} is not allowed\)"):
            parse(text, "net.json")
    doc = parse(with_entries())
    doc.graph.nodes["conv1"].lr_mult = math.nan
    with pytest.raises(DocumentError, match="only finite numbers can be written"):
        dumps(doc)


@given(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)
    )
)
def test_fuzzed_lr_mult_loads_only_when_it_is_a_multiplier(value):
    text = with_entries({"lr_mult": value})
    fine = value is None or (not isinstance(value, (bool, str)) and 0 <= value <= 1000)
    try:
        doc = parse(text, "net.json")
    except DocumentError as e:
        assert not fine and str(e).startswith("net.json at nodes[1].lr_mult: ")
    else:
        assert fine and parse(dumps(doc)).graph.nodes["conv1"].lr_mult == value


def test_a_groups_freeze_covers_its_blocks_and_the_check_counts_trainable_params():
    graph = parse(with_entries(group={"frozen": True})).graph
    result = check(graph)
    assert frozen_blocks(graph) == result.frozen == {"pool1", "fc1"}
    assert result.trainable_params == result.total_params - result.nodes["fc1"].params
    assert as_json(graph, result)["trainable_params"] == result.trainable_params
    assert f"Trainable params: {result.trainable_params:,}" in table(graph, result)
    assert is_frozen(graph, "head") and is_frozen(graph, "fc1") and not is_frozen(graph, "conv1")


def test_blocks_inherit_their_innermost_groups_multiplier_unless_they_set_their_own():
    graph = load_preset("seed_cnn").graph
    graph.add_group(Group("inner", "inner", ["relu1", "pool1"], lr_mult=0.5))
    graph.add_group(Group("outer", "outer", ["conv1", "inner"], lr_mult=0.1))
    graph.set_learning("pool1", False, 2)
    assert inherited_lr_mult(graph, "relu1") == (0.5, "inner")
    assert inherited_lr_mult(graph, "conv1") == (0.1, "outer")
    assert inherited_lr_mult(graph, "fc1") == (1.0, None)
    assert lr_mults(graph) == {"conv1": 0.1, "relu1": 0.5, "pool1": 2.0}


def test_freeze_up_to_here_and_unfreezing_a_block_inside_a_frozen_group():
    graph = load_preset("seed_cnn").graph
    assert upstream(graph, "pool1") == ["input", "conv1", "relu1", "pool1"]
    graph.add_group(Group("inner", "inner", ["relu1", "pool1"]))
    graph.add_group(Group("outer", "outer", ["conv1", "inner"], frozen=True))
    changes = freezing(graph, ["relu1"], False)  # the freeze moves down to what stays frozen
    assert changes == {"outer": False, "conv1": True, "pool1": True}
    for unit, flag in changes.items():
        (graph.nodes[unit] if unit in graph.nodes else graph.groups[unit]).frozen = flag
    assert frozen_blocks(graph) == {"conv1", "pool1"}
    assert freezing(graph, ["inner", "fc1"], True) == {"inner": True, "fc1": True}
    assert freezing(graph, ["conv1"], True) == {}  # already frozen
    graph.groups["outer"].frozen = True
    assert freezing(graph, ["outer"], False) == {"outer": False, "conv1": False, "pool1": False}
