"""A file from a newer NetBuilder, with a block type this version does not know, opens; every command that reads
it answers with that block's sentence (never a traceback) and writes nothing."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from netbuilder.core.document import load
from netbuilder.core.presets import PRESETS_DIR
from netbuilder.records.config import TrainConfig, recommend

SENTENCE = "Block 'relu1': its type 'FancyAct' is unknown"


@pytest.fixture
def future(tmp_path):
    """seed_cnn with its ReLU turned into a block type from the future, searching the learning rate."""
    data = json.loads((PRESETS_DIR / "seed_cnn.json").read_text())
    data["nodes"][2].update(type="FancyAct", params={"slope": 1})
    data["search"] = {"training": {"lr": {"low": 0.001, "high": 0.01, "log": True}}}
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data))
    return path


def test_the_recipe_of_a_network_with_an_unknown_block_is_the_plain_one(future):
    assert recommend(load(future).graph) == TrainConfig()


def _run(tmp_path, *argv):
    return subprocess.run(
        [sys.executable, "-m", "netbuilder", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )


@pytest.mark.slow
def test_every_command_answers_with_the_blocks_sentence(future, tmp_path):
    Image.new("RGB", (32, 32)).save(tmp_path / "image.png")
    run_dir = tmp_path / "a-run"  # a run folder whose network has the unknown block
    run_dir.mkdir()
    shutil.copy(future, run_dir / "network.json")
    (run_dir / "config.json").write_text(json.dumps(TrainConfig().to_dict()))
    before = sorted(os.listdir(tmp_path))
    home = os.environ["NETBUILDER_HOME"]
    commands = [
        (["check", str(future)], 1),
        (["train", str(future), "--epochs", "1", "--limit", "100"], None),
        (["lr-find", str(future), "--limit", "100"], None),
        (["search", str(future), "--trials", "1", "--limit", "100"], 2),
        (["features", str(future), "image.png", "--block", "conv1", "-o", "maps.png"], None),
        (["export", str(future), "--to", "py", "-o", "exported"], None),
        (["predict", str(run_dir), "image.png"], None),
        (["evaluate", str(run_dir)], None),
    ]
    for argv, code in commands:
        proc = _run(tmp_path, *argv)
        assert proc.returncode in ((code,) if code else (1, 2)), (argv, proc.stderr)
        assert SENTENCE in proc.stdout + proc.stderr and "Traceback" not in proc.stderr, (argv, proc.stderr)
    assert sorted(os.listdir(tmp_path)) == before
    assert not os.path.exists(os.path.join(home, "runs"))
    assert sorted(os.listdir(run_dir)) == ["config.json", "network.json"]
