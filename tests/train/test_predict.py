"""`netbuilder predict`: a trained run's answers for image files agree with `evaluate` and with a plain torch
forward of the checkpoint; bad input is one sentence."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from netbuilder.cli import main
from netbuilder.core.document import load
from netbuilder.core.presets import PRESETS_DIR
from netbuilder.pytorch.build import build
from netbuilder.records import datasets
from netbuilder.records.runs import Run
from netbuilder.train import data_loading
from netbuilder.train.prepare import prepare_file

SEED_CNN = str(PRESETS_DIR / "seed_cnn.json")


def netbuilder(*argv: str) -> int:
    """The commands as `netbuilder` runs them."""
    return main(list(argv))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, train_cache):
    """A seed CNN trained for one epoch on 1,000 shapes10 images (a few seconds)."""
    out = tmp_path_factory.mktemp("predict") / "run"
    code = netbuilder(
        "train", SEED_CNN, "--epochs", "1", "--limit", "1000", "--batch-size", "64", "--lr", "0.01", "--out", str(out)
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def shapes10_test():
    return data_loading.load("shapes10", datasets.data_dir(None))


def save_png(pixels: np.ndarray, path) -> str:
    """A C×H×W uint8 image as a PNG file."""
    array = pixels.transpose(1, 2, 0)
    Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(path)
    return str(path)


def predict_json(capsys, *argv: str) -> dict:
    assert netbuilder("predict", *argv, "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_registering_predict_does_not_import_torch():
    probe = (
        "import sys, netbuilder.cli as c; c._subcommands(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_top1_on_shapes10_test_images_matches_evaluate(run_dir, shapes10_test, tmp_path, capsys):
    assert netbuilder("evaluate", str(run_dir), "--checkpoint", "best", "--json") == 0
    evaluated = json.loads(capsys.readouterr().out)
    classes = evaluated["classes"]
    # The surest few of every cell of the confusion matrix: test images with evaluate's answer for each.
    samples = evaluated["samples"][::2][:40]
    assert len({s["predicted"] for s in samples}) >= 2
    images = [save_png(shapes10_test.test_x[s["index"]], tmp_path / f"test-{s['index']}.png") for s in samples]
    result = predict_json(capsys, str(run_dir), *images, "--checkpoint", "best")
    assert result["classes"] == classes and result["checkpoint"] == "best" and result["epoch"] == 1
    for sample, answer in zip(samples, result["images"]):
        top_class, top_p = answer["top"][0]
        assert top_class == classes[sample["predicted"]], answer["path"]
        assert top_p == pytest.approx(sample["confidence"], abs=1e-5)
        assert answer["prepared"] == "already 32×32 colour, normalised with the shapes10 mean/std"


def test_probabilities_sum_to_one_and_equal_a_plain_forward_of_the_checkpoint(run_dir, shapes10_test, tmp_path, capsys):
    photo = Image.fromarray(np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8))
    photo.save(tmp_path / "photo.jpg", quality=90)
    images = [save_png(shapes10_test.test_x[7], tmp_path / "seven.png"), str(tmp_path / "photo.jpg")]
    for which in ("best", "last"):
        result = predict_json(capsys, str(run_dir), *images, "--checkpoint", which, "--top", "10")
        net = build(load(run_dir / "network.json").graph).eval()
        net.load_state_dict(torch.load(run_dir / f"{which}.pt", weights_only=True)["model"])
        config = Run.open(run_dir).config
        for path, answer in zip(images, result["images"]):
            probabilities = np.asarray(answer["probabilities"])
            assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
            x = torch.from_numpy(prepare_file(path, (3, 32, 32), config).x)[None]
            with torch.no_grad():
                plain = torch.softmax(net(x), dim=1)[0].numpy()
            np.testing.assert_allclose(probabilities, plain, rtol=0, atol=1e-5)
            assert [c for c, _ in answer["top"]] == [result["classes"][i] for i in np.argsort(-plain, kind="stable")]
            assert [p for _, p in answer["top"]] == sorted(probabilities, reverse=True)
    assert result["images"][1]["prepared"] == "resized 64×48 → 32×32, normalised with the shapes10 mean/std"


def test_the_text_output_gives_each_image_its_top_k_and_its_preparation(run_dir, shapes10_test, tmp_path, capsys):
    image = save_png(shapes10_test.test_x[0], tmp_path / "zero.png")
    assert netbuilder("predict", str(run_dir), image, "--top", "3") == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and lines[0] == f"{run_dir}: best checkpoint (epoch 1)" and lines[1] == ""
    assert lines[2] == f"{image}: already 32×32 colour, normalised with the shapes10 mean/std"
    assert len(lines) == 3 + 3 and all(line.endswith("%") for line in lines[3:])


def test_a_grey_image_for_a_colour_network_is_converted_and_said(run_dir, tmp_path, capsys):
    grey = Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 40), dtype=np.uint8))
    grey.save(tmp_path / "grey.png")
    assert netbuilder("predict", str(run_dir), str(tmp_path / "grey.png")) == 0
    out, err = capsys.readouterr()
    assert err == "" and "resized 40×40 → 32×32, converted grey → colour, normalised with the shapes10" in out


def _bad_inputs(run_dir, tmp_path, shapes10_test):
    """(run folder, image, words of its sentence) for each kind of bad input."""
    good = save_png(shapes10_test.test_x[1], tmp_path / "good.png")
    (tmp_path / "notes.png").write_text("not a picture\n")
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    Image.fromarray(np.zeros((1, 1, 3), dtype=np.uint8)).save(tmp_path / "dot.png")
    (tmp_path / "locked.png").write_bytes(data)
    (tmp_path / "locked.png").chmod(0)
    os.mkfifo(tmp_path / "pipe.png")  # reading it would wait forever for a writer
    Image.new("1", (9400, 9400)).save(tmp_path / "huge.png")  # a few kB that would decode to gigabytes
    mismatch = tmp_path / "mismatch"
    shutil.copytree(run_dir, mismatch)
    network = json.loads((mismatch / "network.json").read_text())
    next(n for n in network["nodes"] if n["id"] == "conv1")["params"]["out_channels"] = 8
    (mismatch / "network.json").write_text(json.dumps(network))
    cases = [
        (run_dir, str(tmp_path / "notes.png"), "notes.png is not an image"),
        (run_dir, str(tmp_path / "cut.png"), "cut.png cannot be read as an image (it is cut short (truncated))"),
        (run_dir, str(tmp_path / "dot.png"), "dot.png is only 1×1 pixels"),
        (run_dir, str(tmp_path / "missing.png"), "There is no file"),
        (run_dir, str(tmp_path / "pipe.png"), "pipe.png is not a regular file (a named pipe, a device or a socket)"),
        (run_dir, str(tmp_path / "huge.png"), "huge.png is 9,400×9,400 pixels (88 megapixels); images up to 25"),
        (mismatch, good, "best.pt in " + str(mismatch) + " does not match its network.json"),
        (tmp_path / "nowhere", good, "The run folder " + str(tmp_path / "nowhere") + " does not exist"),
        (tmp_path, good, "is not a run folder"),
    ]
    if not _can_read(tmp_path / "locked.png"):  # (root reads it all the same)
        cases.append((run_dir, str(tmp_path / "locked.png"), "locked.png cannot be read as an image"))
    return cases


def _can_read(path) -> bool:
    try:
        path.read_bytes()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("as_json", [False, True])
def test_bad_input_is_one_sentence_and_nothing_else(run_dir, shapes10_test, tmp_path, capsys, as_json):
    before = sorted(p.name for p in run_dir.iterdir())
    for folder, image, words in _bad_inputs(run_dir, tmp_path, shapes10_test):
        code = netbuilder("predict", str(folder), image, *(["--json"] if as_json else []))
        out, err = capsys.readouterr()
        assert code == 1, words
        assert err.startswith("error: ") and words in err and len(err.splitlines()) == 1, err
        assert err.rstrip().endswith("."), err
        assert "Traceback" not in err
        if as_json and folder == run_dir:  # the image's sentence is in the JSON too, for the window
            (entry,) = json.loads(out)["images"]
            assert entry == {"path": image, "error": err.strip().removeprefix("error: ")}
        else:
            assert out == ""
    assert sorted(p.name for p in run_dir.iterdir()) == before


def test_a_bad_image_among_good_ones_leaves_the_others_answered(run_dir, shapes10_test, tmp_path, capsys):
    good = save_png(shapes10_test.test_x[2], tmp_path / "good.png")
    (tmp_path / "bad.png").write_text("nope")
    assert netbuilder("predict", str(run_dir), good, str(tmp_path / "bad.png"), "--json") == 1
    out, err = capsys.readouterr()
    first, second = json.loads(out)["images"]
    assert len(first["top"]) == 5 and "error" in second and len(err.splitlines()) == 1


def test_the_command_line_prints_no_traceback(run_dir, tmp_path):
    (tmp_path / "bad.png").write_text("nope")
    proc = subprocess.run(
        [sys.executable, "-m", "netbuilder", "predict", str(run_dir), str(tmp_path / "bad.png")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == "error: bad.png is not an image that can be read (PNG, JPEG, BMP, GIF, TIFF, WebP).\n"


def test_names_from_outside_reach_the_terminal_escaped(run_dir, shapes10_test, tmp_path, capsys):
    hostile = "x\x1b[2J\r\x07"
    folder = tmp_path / f"run{hostile}"
    shutil.copytree(run_dir, folder)
    good = save_png(shapes10_test.test_x[1], tmp_path / f"good{hostile}.png")
    (tmp_path / f"bad{hostile}.png").write_text("nope")
    maps = str(tmp_path / f"maps{hostile}.png")
    for argv in (
        ("predict", str(folder), good, str(tmp_path / f"bad{hostile}.png")),
        ("evaluate", str(folder)),
        ("features", str(folder), good, "--block", "conv1", "-o", maps),
        ("features", str(folder), str(tmp_path / f"bad{hostile}.png"), "--block", "conv1", "-o", maps),
    ):
        netbuilder(*argv)
        out, err = capsys.readouterr()
        for text in (out, err):
            assert not any(ch in text for ch in "\x1b\r\x07"), text
        assert "x\\x1b[2J\\x0d\\x07" in out + err
