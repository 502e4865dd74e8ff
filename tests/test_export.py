"""Leaving NetBuilder: ONNX, TorchScript, weights, model.py + train.py, and the export / import-model commands."""

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import chain, image, load_module
from test_codegen import wide_graph
from test_layering import loaded_by

from netbuilder import model_commands
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document, dumps, load
from netbuilder.core.presets import PRESETS_DIR, load_preset
from netbuilder.pytorch import FORMATS
from netbuilder.pytorch import export as ex
from netbuilder.pytorch.build import build
from netbuilder.pytorch.codegen import rename_state_dict
from netbuilder.pytorch.train_script import TrainScriptError, generate_train_script
from netbuilder.records.config import TrainConfig
from netbuilder.records.runs import Run
from netbuilder.train import checkpoints

SEED = str(PRESETS_DIR / "seed_cnn.json")
JIT_DEPRECATED = "ignore:`torch.jit.load` is deprecated:FutureWarning"


def cli(*argv: str) -> int:
    """Run a subcommand through a parser of our own, as netbuilder.cli will after register()."""
    parser = argparse.ArgumentParser(prog="netbuilder")
    model_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def trained(graph) -> dict[str, torch.Tensor]:
    """build(graph)'s state_dict after a training-mode pass, so BatchNorm statistics are not the initial ones."""
    net = build(graph)
    with torch.no_grad():
        net.train()(torch.randn(4, *net.input_shape))
    return net.state_dict()


def outputs(graph, state: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    net = build(graph)
    net.load_state_dict(state)
    with torch.no_grad():
        return net.eval()(x)


# ONNX ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_export(tmp_path_factory):
    """wide_graph() (branches, merges of three, ids that clash with Python names, a final softmax) as ONNX."""
    graph = wide_graph()
    state = trained(graph)
    path = tmp_path_factory.mktemp("onnx") / "wide.onnx"
    ex.export_onnx(graph, path, state)
    return graph, state, path


def test_onnx_file_passes_the_checker(onnx_export):
    import onnx

    graph, state, path = onnx_export
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["input"] and [o.name for o in model.graph.output] == ["output"]
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param and not batch.dim_value  # any batch size


def test_onnx_file_computes_the_logits_of_the_network(onnx_export):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: the ONNX file is only checked")
    graph, state, path = onnx_export
    x = torch.randn(5, *build(graph).input_shape)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    assert torch.allclose(torch.from_numpy(got), outputs(graph, state, x), rtol=1e-4, atol=1e-5)


def test_onnx_without_its_packages_says_how_to_install_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript now raises ImportError
    with pytest.raises(
        ex.ExportError,
        match=r"^ONNX export needs the onnx and onnxscript packages: pip install "
        r'"netbuilder\[onnx\]"\.$',
    ):
        ex.export_onnx(wide_graph(), tmp_path / "x.onnx")
    assert cli("export", SEED, "--to", "onnx", "-o", str(tmp_path / "x.onnx")) == 1
    assert capsys.readouterr().err == f"error: {ex.ONNX_HINT}\n"
    assert list(tmp_path.iterdir()) == []


# TorchScript and weights --------------------------------------------------------------------------------


@pytest.mark.filterwarnings(JIT_DEPRECATED)
def test_torchscript_loads_and_runs(tmp_path):
    graph = wide_graph()
    state = trained(graph)
    ex.export_torchscript(graph, tmp_path / "model.pt", state)
    loaded = torch.jit.load(tmp_path / "model.pt").eval()
    x = torch.randn(3, *build(graph).input_shape)  # another batch size than the traced one
    with torch.no_grad():
        assert torch.allclose(loaded(x), outputs(graph, state, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_weights_round_trip(tmp_path, suffix):
    state = trained(load_preset("vgg_cifar").graph)
    ex.save_weights(state, tmp_path / f"w{suffix}")
    loaded = ex.load_weights(tmp_path / f"w{suffix}")
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)


def test_weights_files_never_run_code(tmp_path):
    torch.save({"weight": torch.ones(1), "payload": argparse.Namespace(a=1)}, tmp_path / "evil.pt")
    with pytest.raises(ex.ExportError, match=r"evil\.pt cannot be read as weights \(UnpicklingError\)\.$"):
        ex.load_weights(tmp_path / "evil.pt")
    torch.save([torch.ones(1)], tmp_path / "list.pt")
    with pytest.raises(ex.ExportError, match=r"list\.pt holds no state_dict"):
        ex.load_weights(tmp_path / "list.pt")


def test_without_safetensors_weights_are_a_torch_save(tmp_path, monkeypatch):
    assert ex.weights_suffix() == ".safetensors"
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    assert ex.weights_suffix() == ".pt"
    with pytest.raises(ex.ExportError, match="needs the safetensors package"):
        ex.save_weights({"w": torch.ones(1)}, tmp_path / "w.safetensors")


def make_run(path: Path, document: Document, state: dict[str, torch.Tensor], best: bool) -> Path:
    """A run folder as the training engine writes it (records.runs, train.checkpoints), with one checkpoint."""
    run = Run.create(path, document, TrainConfig())
    checkpoints.save(run, {"model": state, "optimizer": {}, "epoch": 1}, best=best)
    return path


def test_run_weights_are_the_best_checkpoint_else_the_last(tmp_path, capsys):
    doc = load_preset("seed_cnn")
    first, second = trained(doc.graph), trained(doc.graph)
    run = make_run(tmp_path / "run", doc, first, best=True)
    checkpoints.save(Run(run), {"model": second, "optimizer": {}, "epoch": 2}, best=False)
    conv1 = "layers.conv1.weight"
    assert torch.equal(checkpoints.model_weights(Run(run))[conv1], first[conv1])  # best
    (run / "best.pt").unlink()
    assert torch.equal(checkpoints.model_weights(Run(run))[conv1], second[conv1])  # last
    assert cli("export", SEED, "--to", "py", "--weights", str(tmp_path), "-o", str(tmp_path / "out")) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path} is not a run folder")


# model.py + train.py ------------------------------------------------------------------------------------


def test_export_py_with_run_weights_writes_model_train_and_weights(tmp_path, capsys):
    doc = load_preset("resnet_cifar")
    state = trained(doc.graph)
    run = make_run(tmp_path / "run", doc, state, best=True)
    out = tmp_path / "export"
    assert (
        cli("export", str(PRESETS_DIR / "resnet_cifar.json"), "--to", "py", "--weights", str(run), "-o", str(out)) == 0
    )
    files = [out / "model.py", out / "train.py", out / f"model_weights{ex.weights_suffix()}"]
    assert capsys.readouterr().out == f"Wrote {', '.join(map(str, files))}.\n"
    model = load_module(out / "model.py").Net().eval()
    model.load_state_dict(ex.load_weights(files[2]))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), outputs(doc.graph, state, x))


def test_train_script_needs_only_torch_and_torchvision():
    source = generate_train_script(wide_graph(), "wide", "Wide")
    tree = ast.parse(source)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"argparse", "os", "torch", "torchvision", "wide", "safetensors"}
    assert "from wide import Wide" in source and "NUM_CLASSES = 5" in source
    assert max(len(line) for line in source.splitlines()) <= 79


def test_networks_that_are_no_classifiers_get_model_py_only(tmp_path, capsys):
    doc = Document(chain(image(3, 8, 8), ("conv", "Conv2d", {"out_channels": 4})), "Features")
    document_path = tmp_path / "features.json"
    document_path.write_text(dumps(doc))
    assert cli("export", str(document_path), "--to", "py", "-o", str(tmp_path / "features.py")) == 0
    assert capsys.readouterr().out == (
        f"Wrote {tmp_path / 'features.py'}. No train.py: it trains classifiers, "
        f"whose output is a vector of class scores.\n"
    )
    with pytest.raises(TrainScriptError, match="train.py trains classifiers, .* this network outputs 4×6×6."):
        generate_train_script(doc.graph)


@pytest.mark.slow
def test_train_py_runs_two_gloo_processes_for_one_step(tmp_path):
    assert cli("export", SEED, "--to", "py", "-o", str(tmp_path)) == 0
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "train.py",
            "--fake-data",
            "--steps",
            "1",
            "--batch-size",
            "4",
            "--workers",
            "0",
            "--out",
            "trained.pt",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "training Net on cpu (2 processes, gloo)" in lines
    assert "epoch 1 step 1 loss" in proc.stdout and "saved trained.pt" in proc.stdout
    state = torch.load(tmp_path / "trained.pt", weights_only=True)
    assert state.keys() == rename_state_dict(build(load(SEED).graph).state_dict()).keys()


# The commands -------------------------------------------------------------------------------------------


def test_the_commands_module_loads_no_torch_and_the_rest_no_qt():
    assert loaded_by("netbuilder.model_commands") == ""
    assert model_commands.FORMATS is ex.FORMATS is FORMATS
    loaded = loaded_by("netbuilder.pytorch.export, netbuilder.pytorch.trace, netbuilder.pytorch.train_script")
    assert not [m for m in loaded.split(",") if m.split(".")[0] in ("PySide6", "pyqtgraph")]


@pytest.mark.filterwarnings(JIT_DEPRECATED)
def test_export_torchscript_and_onnx_commands(tmp_path, capsys):
    for to, name in [("torchscript", "seed.pt"), ("onnx", "seed.onnx")]:
        assert cli("export", SEED, "--to", to, "-o", str(tmp_path / name)) == 0
        assert capsys.readouterr().out == f"Wrote {tmp_path / name}.\n"
    assert torch.jit.load(tmp_path / "seed.pt")(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_export_refusals_are_one_sentence(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text((PRESETS_DIR / "seed_cnn.json").read_text().replace('"kernel_size": 3', '"kernel_size": 40'))
    other = make_run(tmp_path / "other", load_preset("lenet5"), trained(load_preset("lenet5").graph), best=True)
    for argv, code, start in [
        ([str(broken), "--to", "py", "-o", str(tmp_path / "m.py")], 1, "error: The network is not valid: Conv2d "),
        ([str(tmp_path / "missing.json"), "--to", "py", "-o", str(tmp_path)], 2, "error: "),
        (
            [SEED, "--to", "py", "--weights", str(tmp_path), "-o", str(tmp_path / "m.py")],
            1,
            f"error: {tmp_path} is not a run folder",
        ),
        (
            [SEED, "--to", "onnx", "--weights", str(other), "-o", str(tmp_path / "m.onnx")],
            1,
            "error: These weights are not the weights of this network (",
        ),
        (
            [SEED, "--to", "py", "-o", str(tmp_path / "my-model.py")],
            1,
            "error: train.py cannot import my-model.py as a module; name it model.py.",
        ),
    ]:
        assert cli("export", *argv) == code
        err = capsys.readouterr().err
        assert err.startswith(start) and err.count("\n") == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "other"]  # nothing written


def test_import_model_command(tmp_path, capsys):
    out = tmp_path / "resnet18.json"
    assert cli("import-model", "torchvision:resnet18", "--input", "3,32,32", "-o", str(out)) == 0
    assert capsys.readouterr().out == f"Wrote {out}: 70 blocks, imported from torchvision:resnet18.\n"
    doc = load(out)
    assert doc.name == "resnet18" and check(doc.graph).valid
    lines = len(doc.graph.nodes) + len(doc.graph.edges) + len(doc.graph.groups)
    assert doc.graph.groups and out.read_text().count("\n") == lines + 12  # a block, wire or group a line


def test_import_model_refusals_are_one_sentence(tmp_path, capsys):
    for argv, code, start in [
        (
            ["torchvision:swin_t", "--input", "3,64,64", "-o", str(tmp_path / "m.json")],
            1,
            "error: swin_t uses 7 operations NetBuilder has no block for: a parameter or buffer used directly ×72 ",
        ),
        (
            ["torchvision:nonet", "-o", str(tmp_path / "m.json")],
            1,
            "error: torchvision has no classification model 'nonet'",
        ),
        (["torchvision:resnet18", "-o", str(tmp_path / "m.onnx")], 2, "error: "),
    ]:
        assert cli("import-model", *argv) == code
        err = capsys.readouterr().err
        assert err.startswith(start) and err.count("\n") == 1, err
    with pytest.raises(SystemExit) as info:
        cli("import-model", "torchvision:resnet18", "--input", "3,32", "-o", str(tmp_path / "m.json"))
    assert info.value.code == 2
    assert "'3,32' is not an input size; give C,H,W such as 3,32,32, or F." in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_exports_write_through_a_symlink_and_leave_no_temporary_file(tmp_path):
    """Every export file goes through core.atomic: a link stays a link and its target gets the new file."""
    target, link = tmp_path / "real" / "w.pt", tmp_path / "w.pt"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link.symlink_to(target)
    weights = build(load_preset("seed_cnn").graph).state_dict()
    ex.save_weights(weights, link)
    assert link.is_symlink() and ex.load_weights(target).keys() == weights.keys()
    model_py = tmp_path / "out" / "model.py"
    model_py.parent.mkdir()
    (tmp_path / "real" / "model.py").write_text("old")
    model_py.symlink_to(tmp_path / "real" / "model.py")
    ex.export_python(load_preset("seed_cnn"), model_py)
    assert model_py.is_symlink() and "class" in (tmp_path / "real" / "model.py").read_text()
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == []
