"""The file format: round trips, atomic saves, and a corpus of malformed files."""

import json
import os

import pytest

from netbuilder.core import document
from netbuilder.core.document import Document, DocumentError, dumps, load, parse, save
from netbuilder.core.presets import PRESETS_DIR

GOOD = {
    "format": "netbuilder",
    "version": 1,
    "name": "t",
    "nodes": [
        {"id": "input", "type": "Input", "params": {"shape": [3, 32, 32]}, "position": [0, 0]},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 64, "kernel_size": 3, "padding": 1}},
    ],
    "edges": [{"from": "input", "to": "conv1"}],
}


def variant(**changes):
    data = json.loads(json.dumps(GOOD))
    data.update(changes)
    return json.dumps(data)


def test_the_issue_example_reads_with_defaults():
    doc = parse(json.dumps(GOOD))
    assert doc.name == "t" and doc.description == ""
    assert doc.graph.nodes["conv1"].position is None
    assert doc.graph.edges[0].port == 0


@pytest.mark.parametrize("path", sorted(PRESETS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_load_save_load_is_equal(path, tmp_path):
    doc = load(path)
    out = tmp_path / "copy.json"
    save(doc, out)
    again = load(out)
    assert document.to_dict(again) == document.to_dict(doc)
    assert out.read_text() == path.read_text()  # presets are stored exactly as NetBuilder writes them


MALFORMED = [
    ("empty", "", "at line 1, column 1: this is not valid JSON"),
    ("not json", "{nodes: []}", "this is not valid JSON"),
    ("list", "[]", "expected a JSON object, found a list"),
    ("other format", '{"format": "keras", "version": 1}', '"format" must be "netbuilder"'),
    ("no version", '{"format": "netbuilder"}', "at version: expected a version number"),
    ("future version", '{"format": "netbuilder", "version": 7}', "newer NetBuilder (format version 7)"),
    ("unknown top field", variant(layers=[]), "unknown field 'layers'"),
    ("nodes not a list", variant(nodes={}), "at nodes: expected a list of blocks, found an object"),
    ("node not object", variant(nodes=[1]), "at nodes[0]: expected an object with id and type, found a number"),
    ("node without type", variant(nodes=[{"id": "a"}]), "at nodes[0]: the block has no 'type'"),
    (
        "node unknown field",
        variant(nodes=[{"id": "a", "type": "Input", "colour": 1}]),
        "at nodes[0]: unknown field 'colour'",
    ),
    ("bad id", variant(nodes=[{"id": "a b", "type": "Input"}]), "at nodes[0].id: 'a b' is not a valid id"),
    ("id not text", variant(nodes=[{"id": 3, "type": "Input"}]), "at nodes[0].id: expected text, found a number"),
    (
        "duplicate ids",
        variant(nodes=[{"id": "a", "type": "Input"}, {"id": "a", "type": "Flatten"}], edges=[]),
        "at nodes[1].id: the id 'a' is used twice",
    ),
    (
        "params not object",
        variant(nodes=[{"id": "a", "type": "Input", "params": [1]}], edges=[]),
        "at nodes[0].params: expected an object",
    ),
    (
        "nested param",
        variant(nodes=[{"id": "a", "type": "Input", "params": {"shape": {"c": 3}}}], edges=[]),
        "at nodes[0].params.shape: expected a number, text, true/false or a list",
    ),
    (
        "bad position",
        variant(nodes=[{"id": "a", "type": "Input", "position": [1]}], edges=[]),
        "at nodes[0].position: expected [x, y]",
    ),
    (
        "edge to missing node",
        variant(edges=[{"from": "input", "to": "ghost"}]),
        "at edges[0].to: there is no block 'ghost'",
    ),
    ("edge without from", variant(edges=[{"to": "conv1"}]), "at edges[0]: the connection has no 'from'"),
    (
        "bad port",
        variant(edges=[{"from": "input", "to": "conv1", "port": -1}]),
        "at edges[0].port: port must be between 0 and 63",
    ),
    (
        "bool port",
        variant(edges=[{"from": "input", "to": "conv1", "port": True}]),
        "at edges[0].port: expected a whole number",
    ),
    (
        "duplicate edge",
        variant(edges=[{"from": "input", "to": "conv1"}, {"from": "input", "to": "conv1", "port": 0}]),
        "at edges[1]: the connection input → conv1 is listed twice",
    ),
    ("NaN", variant().replace('"padding": 1', '"padding": NaN'), "NaN is not allowed"),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, "nested more than 16 levels deep"),
    (
        "moderate nesting",
        '{"format": "netbuilder", "version": 1, "x": ' + "[" * 40 + "]" * 40 + "}",
        "nested more than 16 levels deep",
    ),
    (
        "huge",
        '{"format": "netbuilder", "version": 1, "description": "' + "x" * (17 * 1024 * 1024) + '"}',
        "larger than 16 MB",
    ),
]


@pytest.mark.parametrize("name, text, fragment", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_one_clear_error(name, text, fragment, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path)) and fragment in message, message


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "img.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(DocumentError, match="not UTF-8 text"):
        load(path)
    with pytest.raises(DocumentError, match="cannot be read"):
        load(tmp_path / "nowhere.json")


def test_unknown_block_types_and_bad_values_load_and_are_explained_by_the_check():
    doc = parse(variant(nodes=[{"id": "a", "type": "Conv9d", "params": {"x": "y"}}], edges=[]))
    assert doc.graph.nodes["a"].type == "Conv9d"


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    doc = parse(json.dumps(GOOD))
    save(doc, path)
    before = path.read_text()
    doc.graph.nodes["conv1"].params["out_channels"] = 8

    def crash(fd):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        save(doc, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temporary file left behind


def test_non_finite_values_are_refused_before_the_file_is_touched(tmp_path):
    path = tmp_path / "net.json"
    doc = parse(json.dumps(GOOD))
    save(doc, path)
    before = path.read_text()
    doc.graph.nodes["conv1"].params["out_channels"] = float("inf")
    with pytest.raises(DocumentError):
        save(doc, path)
    assert path.read_text() == before


def test_dumps_of_an_empty_document_reads_back():
    assert document.to_dict(parse(dumps(Document()))) == document.to_dict(Document())


def test_integer_positions_and_file_mode(tmp_path):
    doc = parse(json.dumps(GOOD))
    doc.graph.nodes["conv1"].position = (3, 4)  # ints, as code may set them
    path = tmp_path / "net.json"
    save(doc, path)
    assert load(path).graph.nodes["conv1"].position == (3.0, 4.0)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    save(doc, path)
    assert path.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode


def test_a_group_made_inside_an_existing_one_saves_to_a_file_that_reads_back():
    """Grouping blocks inside a stage adds the new group after the stage; the file must still list it first."""
    from netbuilder.core.document import dumps, parse
    from netbuilder.core.graph import Group
    from netbuilder.core.presets import load_preset

    doc = load_preset("vgg_cifar")
    graph = doc.graph
    stage = graph.groups["stage1"]
    inner = Group("inner", "first conv", stage.members[:2], folded=False)
    outer = stage.copy()
    outer.members = [m for m in stage.members if m not in inner.members]
    graph.set_group(outer)
    graph.add_group(inner)  # after its container in document order, as the canvas's Group command does
    outer.members = ["inner", *outer.members]
    graph.set_group(outer)
    assert list(graph.groups).index("inner") > list(graph.groups).index("stage1")
    back = parse(dumps(doc), "grouped.json")
    assert back.graph.groups["stage1"].members == outer.members
    assert back.graph.groups["inner"].members == inner.members
    assert dumps(back) == dumps(doc)


def test_a_snapshot_keeps_every_part_of_the_document_and_later_edits_stay_out_of_it():
    """A run takes a snapshot of the open network: its initial weights, settings and search too (the window's
    runs once lost the initial weights this way)."""
    import dataclasses

    from netbuilder.core.document import to_dict
    from netbuilder.core.initial import InitWeights
    from netbuilder.core.presets import load_preset
    from netbuilder.core.search_space import Range

    doc = load_preset("seed_cnn")
    doc.init = InitWeights("/w/best.pt", "ab" * 32)
    doc.training = {"lr": 0.01}
    doc.search = doc.search.with_setting("lr", Range(0.001, 0.1, True))
    snap = doc.snapshot()
    assert to_dict(snap) == to_dict(doc)
    assert [f.name for f in dataclasses.fields(doc)] == ["graph", "name", "description", "search", "training", "init"]
    doc.graph.nodes["conv1"].params["out_channels"] = 3
    doc.training["lr"] = 0.5
    doc.search.training.clear()
    assert snap.graph.nodes["conv1"].params.get("out_channels") != 3
    assert snap.training == {"lr": 0.01} and "lr" in snap.search.training
