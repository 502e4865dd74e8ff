"""Numbers of any size are written safely: the table, the JSON contract and `netbuilder check --json`
(issue 10, item 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import chain, image

from netbuilder.core.check.shapes import check
from netbuilder.core.check.summary import as_json, short, table
from netbuilder.core.document import parse


@pytest.mark.parametrize("n", [0, 999, 12_900_000, 10**15, 10**309, -(10**309), 10**5000], ids=range(7))
def test_short_and_table_never_raise(n):
    assert short(n)
    g = chain(image(), ("fc", "Linear", {"out_features": 10}))
    result = check(g)
    result.nodes["fc"].params = n
    text = table(g, result)
    assert "Total params:" in text
    if n >= 10**309:
        assert "digit number" in text
    assert json.dumps(as_json(g, result))


def _file(tmp_path: Path, shape: str) -> Path:
    path = tmp_path / "huge.json"
    path.write_text(
        '{"format": "netbuilder", "version": 1, "nodes": [{"id": "input", "type": "Input", '
        f'"params": {{"shape": {shape}}}}}, {{"id": "f", "type": "Flatten"}}], '
        '"edges": [{"from": "input", "to": "f"}]}'
    )
    return path


@pytest.mark.parametrize(
    "shape",
    ["[1, 1" + "0" * 309 + ", 1]", "[1, " + "9" * 4300 + ", 1]", "[" + "7" * 4299 + "]"],
    ids=["10**309", "4300 digits", "4299 digits"],
)
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_check_of_absurd_input_sizes_is_a_sentence(tmp_path, shape, json_flag):
    path = _file(tmp_path, shape)
    assert "between 1 and 1000000" in check(parse(path.read_text()).graph).errors[0]
    out = subprocess.run(
        [sys.executable, "-m", "netbuilder", "check", str(path), *json_flag],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "between 1 and 1000000" in out.stdout
    if json_flag:
        assert json.loads(out.stdout)["valid"] is False
