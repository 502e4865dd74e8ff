"""Weights into a network (issue 22 §2, §3's first bullet): import-model --weights (a file, or torchvision's weights
from torch's cache, with their classes and preprocessing), a network's "init" weights matched by block id and
shape, `train --init`, `weights-report`, and the sentences when weights cannot be had. Nothing is downloaded: the
weights files are made here from random weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from helpers import small_file
from PIL import Image

from netbuilder.cli import main
from netbuilder.core.document import DocumentError, dumps, load, parse, save
from netbuilder.core.initial import InitError, InitWeights
from netbuilder.pytorch.build import build
from netbuilder.pytorch.init_weights import REPORT_FILE, load_into
from netbuilder.records.runs import Run
from netbuilder.train.prepare import prepare_pretrained

SMALL = small_file(batchnorm=True)
TRAIN = ["--epochs", "1", "--limit", "120", "--batch-size", "32", "--device", "cpu", "--health-every", "0"]


@pytest.fixture(scope="module")
def resnet18(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """torchvision's resnet18 with random weights (its BatchNorm statistics too), saved as a .pth state_dict."""
    folder = tmp_path_factory.mktemp("resnet18")
    torch.manual_seed(1)
    model = torchvision.models.resnet18()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    path = folder / "resnet18.pth"
    torch.save(model.state_dict(), path)
    return path, model.eval()


@pytest.fixture(scope="module")
def imported(resnet18, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("imported") / "r18.json"
    assert main(["import-model", "torchvision:resnet18", "--input", "3,64,64", "--weights", str(resnet18[0]),
                 "-o", str(out)]) == 0  # fmt: skip
    return out


def test_a_network_imported_with_a_weights_file_computes_what_torchvision_computes_with_them(resnet18, imported):
    document = load(imported)
    assert document.init is not None and Path(document.init.path) == imported.with_name(Path(document.init.path).name)
    assert Path(document.init.path).is_file()  # written beside the network file, named relative to it
    assert json.loads(imported.read_text())["init"]["path"] == Path(document.init.path).name
    net = build(document.graph).eval()
    report = load_into(net, document.init)
    assert report.fresh == {} and report.unused == []
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(net(x), resnet18[1](x), atol=1e-5, rtol=0)


def test_the_report_lists_exactly_the_blocks_whose_shapes_differ_and_the_others_keep_their_weights(
    imported, capsys, resnet18
):
    """§3: a Linear's out_features changed (as the dataset's fit button does) costs that Linear its weights only."""
    document = load(imported)
    fc = next(n for n in document.graph.nodes.values() if n.type == "Linear")
    fc.params["out_features"] = 10
    changed = imported.with_name("r18-10.json")
    save(document, changed)
    assert main(["weights-report", str(changed), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fresh"] == {fc.id: "1000×512 in the weights, 10×512 here"}
    assert report["unused"] == []
    net = build(document.graph).eval()
    assert set(report["loaded"]) == {k.split(".")[1] for k in net.state_dict()} - {fc.id}
    load_into(net, document.init)
    tv = dict(resnet18[1].named_modules())
    assert torch.equal(net.layers["conv1"].weight, tv["conv1"].weight)  # every other block as it was
    assert main(["weights-report", str(changed)]) == 0
    assert f"{fc.id}: 1000×512 in the weights, 10×512 here — starts fresh" in capsys.readouterr().out


def run_folder(tmp_path: Path, capsys) -> Path:
    network = tmp_path / "small.json"
    network.write_text(json.dumps(SMALL))
    run = tmp_path / "run1"
    assert main(["train", str(network), "--out", str(run), *TRAIN]) == 0
    capsys.readouterr()
    return run


@pytest.mark.slow
def test_train_init_from_a_run_folder_starts_from_its_weights_and_keeps_the_report(tmp_path, capsys):
    run = run_folder(tmp_path, capsys)
    trained = torch.load(run / "best.pt", weights_only=True)["model"]
    network = Run(run).document
    network.graph.nodes["conv1"].params["out_channels"] = 16  # conv1 and bn1 change shape; fc takes 16 inputs
    with pytest.raises(InitError, match="holds no weights for this network's blocks"):  # nothing left to take
        load_into(build(network.graph), Run.open(run).initial_weights())
    same = build(Run(run).document.graph)
    assert load_into(same, Run.open(run).initial_weights()).fresh == {}
    for key, tensor in same.state_dict().items():  # the run's weights, reproduced
        assert torch.equal(tensor, trained[key]), key

    again = tmp_path / "run2"
    assert main(["train", str(tmp_path / "small.json"), "--init", str(run), "--out", str(again), *TRAIN]) == 0
    printed = capsys.readouterr().err
    assert f"initial weights from {run / 'best.pt'}: 3 of 3 blocks with weights take them" in printed
    saved = json.loads((again / REPORT_FILE).read_text())
    assert saved["loaded"] == ["conv1", "bn1", "fc"] and saved["fresh"] == {}
    assert Run(again).document.init == InitWeights.of_file(run / "best.pt")


@pytest.mark.slow
def test_weights_changed_since_they_were_named_are_refused_with_a_sentence(tmp_path, capsys):
    run = run_folder(tmp_path, capsys)
    document = Run(run).document
    document.init = Run.open(run).initial_weights()
    network = tmp_path / "from-run.json"
    save(document, network)
    state = torch.load(run / "best.pt", weights_only=True)
    state["epoch"] += 1
    torch.save(state, run / "best.pt")  # the run went on: other content
    out = tmp_path / "run2"
    assert main(["train", str(network), "--out", str(out), *TRAIN]) == 2
    err = capsys.readouterr().err
    assert "changed since the network named them (their SHA-256 differs)" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["weights-report", str(network)]) == 2
    (run / "best.pt").unlink()
    assert main(["train", str(tmp_path / "small.json"), "--init", str(run / "best.pt"), "--out", str(out)]) == 2
    assert "cannot be read" in capsys.readouterr().err and not out.exists()


def test_weights_of_another_network_are_one_sentence(tmp_path, resnet18, capsys):
    network = tmp_path / "small.json"
    network.write_text(json.dumps(SMALL))
    assert main(["weights-report", str(network), "--init", str(resnet18[0])]) == 0  # a report: nothing matches
    assert "0 of 3 blocks" in capsys.readouterr().out
    document = load(network)
    document.init = InitWeights.of_file(resnet18[0])
    with pytest.raises(InitError, match="holds no weights for this network's blocks"):
        load_into(build(document.graph), document.init)
    out = tmp_path / "bad.json"
    assert main(["import-model", "torchvision:resnet34", "--weights", str(resnet18[0]), "-o", str(out)]) == 2
    assert "does not hold the weights of this model" in capsys.readouterr().err and not out.exists()


def test_offline_default_weights_not_cached_name_the_file_and_the_cache_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    out = tmp_path / "r18.json"
    assert main(["import-model", "torchvision:resnet18", "--weights", "DEFAULT", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    assert "download resnet18-f37072fd.pth" in captured.err and f"put it in {cache}" in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err and captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["torch"]  # nothing written beside the network
    assert main(["import-model", "torchvision:resnet18", "--weights", "IMAGENET9", "-o", str(out)]) == 2
    assert "give DEFAULT, IMAGENET1K_V1 or a file" in capsys.readouterr().err


@pytest.mark.slow
def test_cached_torchvision_weights_bring_their_classes_and_preprocessing_to_predict(
    tmp_path, monkeypatch, resnet18, capsys
):
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / "resnet18-f37072fd.pth").write_bytes(resnet18[0].read_bytes())  # as if downloaded
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    out = tmp_path / "r18.json"
    assert main(["import-model", "torchvision:resnet18", "--weights", "DEFAULT", "-o", str(out)]) == 0
    capsys.readouterr()
    init = load(out).init
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    assert init is not None and init.classes == tuple(weights.meta["categories"])
    assert init.preprocess is not None and (init.preprocess.resize, init.preprocess.crop) == (256, 224)

    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (300, 420, 3), dtype=np.uint8)).save(photo)
    prepared = prepare_pretrained(photo, (3, 224, 224), init.preprocess)
    expected = weights.transforms()(Image.open(photo)).numpy()
    assert np.abs(prepared.x - expected).max() < 1e-5  # exactly as torchvision prepares it
    assert main(["predict", str(out), str(photo), "--json", "--top", "3"]) == 0
    answer = json.loads(capsys.readouterr().out)
    with torch.no_grad():
        logits = resnet18[1](torch.from_numpy(expected)[None])[0]
    top = [weights.meta["categories"][i] for i in logits.topk(3).indices]
    assert [name for name, _ in answer["images"][0]["top"]] == top


def test_the_init_key_reads_strictly_and_writes_back():
    text = json.dumps({**SMALL, "init": {"path": "w.pt", "sha256": "0" * 64, "classes": ["a"]}})
    document = parse(text)
    assert document.init == InitWeights("w.pt", "0" * 64, ("a",))
    assert parse(dumps(document)).init == document.init
    for bad, said in (
        ({"path": "w.pt"}, "init.sha256 must be the file's SHA-256"),
        ({"path": "w.pt", "sha256": "0" * 64, "extra": 1}, "unknown field"),
        ({"path": "", "sha256": "0" * 64}, "init.path must be text"),
        ({"path": "w.pt", "sha256": "0" * 64, "preprocess": {"resize": 1, "crop": 2, "mean": [0], "std": [1]}},
         "resize must be at least"),
    ):  # fmt: skip
        with pytest.raises(DocumentError, match=said):
            parse(json.dumps({**SMALL, "init": bad}), "net.json")
