"""model.py's docstring says how to load the weights `export --weights` writes beside it and a run's best.pt
(a checkpoint, {"model", "epoch"}, not a state_dict); its snippets run as written (issue 20, part 6)."""

from __future__ import annotations

import re

import torch
from helpers import load_module

from netbuilder.core.presets import load_preset
from netbuilder.pytorch.codegen import generate
from netbuilder.pytorch.export import export_python, network
from netbuilder.train.checkpoints import _layout_problem


def _snippets(source: str) -> list[str]:
    """The code blocks (lines indented by 4) of the module docstring's paragraphs on weights."""
    doc = source.split('"""')[1]
    paragraphs = [p for p in doc.split("\n\n") if "weights" in p.lower() or "best.pt" in p]
    blocks = []
    for paragraph in paragraphs:
        code = [line[4:] for line in paragraph.split("\n") if line.startswith("    ")]
        if code:
            blocks.append("\n".join(code))
    return blocks


def _trained(graph) -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    return {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in network(graph).state_dict().items()}


def test_the_docstring_loads_the_exported_weights_and_a_run_checkpoint(tmp_path, monkeypatch):
    document = load_preset("seed_cnn")
    state = _trained(document.graph)
    written = export_python(document, tmp_path / "model.py", state)
    source = (tmp_path / "model.py").read_text()
    weights_code, checkpoint_code = _snippets(source)
    assert any(p.name.startswith("model_weights") for p in written)
    assert re.search(r'"model_weights\.(pt|safetensors)"', weights_code)

    run = tmp_path / "run"
    run.mkdir()
    checkpoint = {"model": state, "epoch": 4}
    assert _layout_problem(checkpoint) is None  # the layout a run's best.pt has
    torch.save(checkpoint, run / "best.pt")

    monkeypatch.chdir(tmp_path)
    module = load_module(tmp_path / "model.py", "model")
    for code in (weights_code, checkpoint_code.replace("RUN_DIR", str(run))):
        model = module.Net()
        exec(code, {"torch": torch, "model": model})
        assert torch.equal(model.conv1.weight, state["layers.conv1.weight"]), code
        assert torch.equal(model.fc1.bias, state["layers.fc1.bias"]), code


def test_without_weights_the_docstring_says_how_to_get_them_and_a_grouped_one_says_export_renames():
    flat = generate(load_preset("seed_cnn").graph)
    assert "--weights RUN_DIR" in flat and 'torch.load("model_weights.pt", weights_only=True)' in flat
    grouped = generate(load_preset("vgg_cifar").graph)
    assert '["model"]' not in grouped and "renames them for this file" in grouped
    assert max(len(line) for text in (flat, grouped) for line in text.split('"""')[1].splitlines()) <= 79
