"""Every number a file holds goes through one safe reader (core.params.is_number): a huge, infinite, NaN or
wrongly typed value in any numeric field of any key gives a sentence, never a traceback (issue 20, part 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netbuilder.cli import main
from netbuilder.core.check.shapes import check
from netbuilder.core.document import DocumentError, parse
from netbuilder.core.fields import is_number
from netbuilder.core.search_space import SpaceError, parse_text, space_from_json
from netbuilder.records.config import saved_settings
from netbuilder.records.search_settings import check_training
from netbuilder.records.train_error import TrainError

# Placeholders written into the JSON text as these literal tokens (NaN and Infinity are not JSON; the reader
# must still say so in a sentence).
HOSTILE = {
    "10**400": "1" + "0" * 400,
    "-10**400": "-1" + "0" * 400,
    "NaN": "NaN",
    "inf": "Infinity",
    "1e309": "1e309",
    "true": "true",
    "text": '"3"',
}


def _seed() -> dict[str, Any]:
    """A file that uses every key of the format, each with its numeric fields."""
    return {
        "format": "netbuilder",
        "version": 1,
        "name": "hostile",
        "description": "",
        "nodes": [
            {"id": "input", "type": "Input", "params": {"shape": [3, 32, 32]}, "position": [0, 0]},
            {"id": "conv", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": [3, 3], "stride": 1}},
            {"id": "drop", "type": "Dropout", "params": {"p": 0.5}, "position": [0.5, 120]},
            {"id": "flat", "type": "Flatten"},
            {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
        ],
        "edges": [
            {"from": "input", "to": "conv", "port": 0},
            {"from": "conv", "to": "drop"},
            {"from": "drop", "to": "flat"},
            {"from": "flat", "to": "fc"},
        ],
        "groups": [{"id": "g", "name": "stem", "members": ["conv", "drop"], "folded": False}],
        "search": {
            "training": {
                "lr": {"low": 0.001, "high": 0.1, "log": True},
                "batch_size": {"choices": [32, 64]},
                "epochs": {"low": 1, "high": 3},
                "momentum": {"choices": [0.5, 0.9]},
            },
            "blocks": {
                "conv": {"out_channels": {"choices": [8, 16]}, "kernel_size": {"low": 1, "high": 5}},
                "drop": {"p": {"low": 0.1, "high": 0.5}},
            },
        },
        "training": {"epochs": 3, "lr": 0.01, "batch_size": 32, "momentum": 0.9, "limit": 500},
    }


def _numeric_paths(value: Any, path: tuple = ()) -> list[tuple]:
    """The path of every number in a JSON value (true/false included: they are where a number could be)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _numeric_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _numeric_paths(v, (*path, i))]
    return [path] if isinstance(value, (int, float)) else []


def _with(data: dict[str, Any], path: tuple, token: str) -> str:
    """The file's text with the value at path replaced by a raw token."""
    marker = "@@HOSTILE@@"
    copy = json.loads(json.dumps(data))
    place = copy
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = marker
    return json.dumps(copy).replace(f'"{marker}"', token)


CASES = [(path, name) for path in _numeric_paths(_seed()) for name in HOSTILE]


def test_the_seed_is_valid_and_every_key_has_numbers():
    document = parse(json.dumps(_seed()))
    assert check(document.graph).valid
    check_training(document.search)
    saved_settings(document.training)
    keys = {path[0] for path in _numeric_paths(_seed())}
    assert keys >= {"version", "nodes", "edges", "search", "training"}
    assert len(CASES) > 150


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{'.'.join(map(str, p))}={n}" for p, n in CASES])
def test_a_hostile_number_anywhere_is_a_sentence(path, name):
    text = _with(_seed(), path, HOSTILE[name])
    try:
        document = parse(text, "f.json")
    except DocumentError as e:
        assert str(e).startswith("f.json") and len(str(e)) < 400
        return
    # Read as a file: every later use of its numbers is safe too (the check and the search's own check).
    check(document.graph)
    for judge, part in ((check_training, document.search), (saved_settings, document.training)):
        try:
            judge(part)
        except TrainError as e:
            assert str(e).endswith(".") and len(str(e)) < 400


@pytest.mark.parametrize("name", ["10**400", "-10**400", "NaN", "inf", "1e309"])
def test_check_cli_says_a_sentence_for_a_huge_search_value(tmp_path: Path, capsys, name):
    paths = [p for p in _numeric_paths(_seed()) if p[0] in ("search", "training")]
    for path in paths:
        file = tmp_path / "f.json"
        file.write_text(_with(_seed(), path, HOSTILE[name]))
        assert main(["check", str(file)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1


def test_search_space_parsing_refuses_huge_ends_with_a_sentence():
    for raw in (
        {"low": 10**400, "high": 10**401},
        {"low": -(10**400), "high": 1},
        {"low": 0, "high": float("inf")},
        {"low": float("nan"), "high": 1},
        {"choices": [1, 10**400]},
        {"choices": [float("inf"), 1]},
    ):
        with pytest.raises(SpaceError, match=r"^training\.lr: .*\.$"):
            space_from_json({"training": {"lr": raw}})
    for text in ("1 … " + "9" * 400, "1, " + "9" * 400, "1e309 … 1e310"):
        with pytest.raises(SpaceError):
            parse_text(text)


def test_is_number_never_converts():
    assert all(is_number(v) for v in (0, -3, 2.5, 10**300, -1e300))
    assert not any(is_number(v) for v in (10**400, -(10**400), 10**5000, float("nan"), float("inf"), True, "3", None))
