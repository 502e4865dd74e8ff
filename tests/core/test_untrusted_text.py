"""Strings from a file never reach a sentence, a terminal or model.py raw (issue 10, items 9 and 10)."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netbuilder.core.check.shapes import check
from netbuilder.core.check.summary import table
from netbuilder.core.document import DocumentError, parse, to_dict
from netbuilder.core.presets import load_preset

SENTENCE_MAX = 600
HOSTILE = [
    "conv1\n",
    "a\x00b",
    "\x1b[2J\x1b]0;pwned\x07",
    "x\u2028y",
    "\ud800",
    "tab\there",
    'a"""b\\',
    "\r",
    "é" * 5000,
]


def unsafe(text: str, newlines: bool = False) -> list[str]:
    """The characters of text that a terminal or a source file must not receive raw."""
    return [
        c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") and not (newlines and c == "\n")
    ]


def seed() -> dict[str, Any]:
    return to_dict(load_preset("seed_cnn"))


def put(data: dict[str, Any], where: str, text: str) -> None:
    """Put text at one string position of a document."""
    node, edge = data["nodes"][1], data["edges"][0]
    if where in ("name", "description"):
        data[where] = text
    elif where == "id":
        node["id"] = text
    elif where == "type":
        node["type"] = text
    elif where == "param key":
        node["params"][text] = 1
    elif where == "param value":
        node["params"]["padding"] = text
    elif where == "list value":
        node["params"]["kernel_size"] = [text, 3]
    elif where in ("from", "to"):
        edge[where] = text
    elif where == "top key":
        data[text] = 1
    elif where == "node key":
        node[text] = 1
    elif where == "edge key":
        edge[text] = 1
    elif where == "shape":
        data["nodes"][0]["params"]["shape"] = [3, text, 32]


POSITIONS = [
    "name",
    "description",
    "id",
    "type",
    "param key",
    "param value",
    "list value",
    "from",
    "to",
    "top key",
    "node key",
    "edge key",
    "shape",
]


def assert_safe(text: str) -> None:
    """Loading and checking text says only short sentences without control characters, and its table
    holds none besides its line breaks."""
    try:
        doc = parse(text, "net.json")
    except DocumentError as e:
        said, shown = [str(e)], ""
    else:
        result = check(doc.graph)
        said, shown = result.errors, table(doc.graph, result, doc.name)
    for sentence in said:
        assert not unsafe(sentence) and len(sentence) <= SENTENCE_MAX, sentence
    assert not unsafe(shown, newlines=True)


@pytest.mark.parametrize("where", POSITIONS)
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_in_every_position(where, text):
    data = seed()
    put(data, where, text)
    assert_safe(json.dumps(data))


hostile_text = st.lists(
    st.one_of(st.characters(), st.sampled_from(["\x1b[2J", "\x00", "\n", "\u2028", "\x9b", "\u202e", "A" * 100])),
    max_size=20,
).map(lambda parts: "".join(parts) * (200 if len(parts) % 7 == 3 else 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(POSITIONS), hostile_text)
def test_fuzzed_strings_in_every_position(where, text):
    data = seed()
    put(data, where, text)
    assert_safe(json.dumps(data))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("where", ["id", "name", "description"])
def test_model_py_compiles_and_holds_no_control_character(where, text):
    pytest.importorskip("torch")
    from netbuilder.pytorch.codegen import generate

    data = seed()
    put(data, where, text)
    try:
        doc = parse(json.dumps(data))
    except DocumentError as e:
        assert where == "id" and "is not a valid id" in str(e) and not unsafe(str(e))
        return
    source = generate(doc.graph, title=doc.name)
    compile(source, "model.py", "exec")
    assert not unsafe(source, newlines=True)
    source.encode("utf-8")


def test_an_id_ending_in_a_newline_is_refused():
    data = seed()
    data["nodes"][1]["id"] = "conv1\n"
    with pytest.raises(DocumentError, match=r"'conv1\\x0a' is not a valid id"):
        parse(json.dumps(data))
