"""File → Open of a file with a huge, infinite or NaN number in its search or training key: the window says one
sentence and keeps its document, instead of an OverflowError (issue 20, part 4)."""

from __future__ import annotations

import json

import pytest

from netbuilder.core.document import dumps
from netbuilder.core.presets import load_preset

HUGE = "1" + "0" * 400


@pytest.mark.parametrize(
    "key",
    [
        '"search": {"training": {"lr": {"low": 0.001, "high": HUGE}}}',
        '"search": {"training": {"epochs": {"choices": [1, HUGE]}}}',
        '"search": {"blocks": {"conv1": {"out_channels": {"low": -HUGE, "high": 8}}}}',
        '"training": {"lr": HUGE}',
        '"training": {"epochs": 1e309}',
    ],
    ids=["search lr range", "search epochs choice", "search block range", "training lr", "training epochs"],
)
def test_opening_a_huge_number_is_a_sentence(make_window, tmp_path, key):
    window = make_window("seed_cnn")
    before = dumps(window.editor.document)
    text = json.dumps(json.loads(dumps(load_preset("seed_cnn"))))[:-1] + ", " + key.replace("HUGE", HUGE) + "}"
    path = tmp_path / "huge.json"
    path.write_text(text)
    assert not window.files.open(path)
    assert len(window.errors) == 1 and window.errors[0].startswith(str(path)), window.errors
    assert "Traceback" not in window.errors[0] and len(window.errors[0]) < 400
    assert dumps(window.editor.document) == before
