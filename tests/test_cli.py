"""The headless `netbuilder` commands."""

import json
import subprocess
import sys

import pytest

from netbuilder.cli import EXIT_BROKEN_PIPE, main
from netbuilder.core.presets import PRESETS_DIR

VGG = str(PRESETS_DIR / "vgg_cifar.json")


def test_check_table_for_vgg_cifar(capsys):
    assert main(["check", VGG]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(x.startswith("input ") and "3×32×32" in x for x in lines)
    assert any(x.startswith("pool5 ") and "512×1×1" in x for x in lines)
    assert any(x.startswith("fc1 ") and "flattens 512×1×1 → 512" in x for x in lines)
    assert any(x.startswith("fc3 ") and "  10  " in x for x in lines)
    assert "Total params: 12,892,746 (12.9 M)" in out
    assert "Total MACs:   304,288,768" in out
    assert "Valid: yes" in out


def test_check_json_contract(capsys):
    assert main(["check", VGG, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"valid", "errors", "nodes", "total_params", "trainable_params", "total_macs"}
    assert data["valid"] is True and data["errors"] == []
    first, last = data["nodes"][0], data["nodes"][-1]
    assert set(first) == {"id", "type", "output_shape", "params", "macs", "error"}
    assert first["output_shape"] == [3, 32, 32] and last["output_shape"] == [10]
    assert data["total_params"] == sum(n["params"] for n in data["nodes"]) == 12_892_746 == data["trainable_params"]


def test_check_invalid_graph_exits_1_with_the_sentence(tmp_path, capsys):
    doc = json.loads((PRESETS_DIR / "seed_cnn.json").read_text())
    doc["nodes"][1]["params"]["kernel_size"] = 40
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Conv2d 'conv1': its 40×40 kernel (dilation 1) is larger than the 32×32 input padded by 1." in out
    assert main(["check", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False and [n["output_shape"] for n in data["nodes"]][2:] == [None, None, None]


def test_check_unreadable_file_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("{oops")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.json at line 1, column 2: this is not valid JSON" in err and "Traceback" not in err


def test_presets_lists_them(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("vgg_cifar") and "seed_cnn" in out


def test_python_dash_m_works():
    proc = subprocess.run([sys.executable, "-m", "netbuilder", "check", VGG, "--json"], capture_output=True, text=True)
    assert proc.returncode == 0 and json.loads(proc.stdout)["total_params"] == 12_892_746


@pytest.mark.parametrize("args", [["check", VGG, "--json"], ["check", VGG], ["presets"]], ids=" ".join)
def test_a_closed_pipe_ends_quietly(args):
    """`netbuilder check F --json | head -c 100`: the reader is gone before anything is written; no traceback,
    the exit status a shell gives a tool that SIGPIPE ended."""
    proc = subprocess.Popen([sys.executable, "-m", "netbuilder", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]
    _, err = proc.communicate()
    assert proc.returncode == EXIT_BROKEN_PIPE and err == b""
