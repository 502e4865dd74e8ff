"""The modern CNN zoo: every classification CNN of torchvision imports exactly, with its published figures.

Each model is imported at its weights' crop size (torchvision_input) with random weights (BatchNorm statistics
and layer scales randomised too): import_module compares the built network's outputs with the model's; the
network's parameters must equal torchvision's published num_params, and its multiply-adds (convolutions and
Linear layers) the published GFLOPS ("_ops", given to three decimals) within 0.1% or that rounding; the
exported model.py (with its weights) and the ONNX export (run by onnxruntime) must compute torchvision's
outputs within 1e-4. Each model's import time is printed (pytest -rA or -s shows it).

The transformers (vit_*, swin_*, maxvit_t) are left out: their attention multiplies activations with each
other, adds learned position tables and mixes tokens, which no block computes; they are refused.
"""

import json
import logging
import sys
import textwrap
import time

import pytest
import torch
import torchvision
from helpers import load_module
from test_export import cli
from test_torchvision_list import LIST
from torch import nn

from netbuilder.core.blocks import fmt_shape
from netbuilder.core.check.shapes import check
from netbuilder.pytorch.export import export_onnx, export_python, load_weights
from netbuilder.pytorch.trace import (
    LeftOut,
    ModelImportError,
    import_module,
    load_source,
    torchvision_input,
    torchvision_names,
    translate,
)

ZOO = [
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "mnasnet1_0",
    "regnet_y_400mf",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
    "efficientnet_v2_s",
    "convnext_tiny",
]
TRANSFORMERS = ("vit_", "swin_", "maxvit_")  # attention: products of activations, position tables, token mixing


def randomize(model: nn.Module) -> None:
    """BatchNorm statistics and affine weights away from 0 and 1, and ConvNeXt's layer scales away from 1e-6, so
    that copying each of them is part of what the comparisons see."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
            if isinstance(m, (nn.LayerNorm, nn.Linear)) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape, generator=generator) * 0.5 + 0.1)


def structure(name: str) -> nn.Module:
    """torchvision's model without weights (on the meta device), for its structure and shapes."""
    try:
        with torch.device("meta"):
            return load_source(f"torchvision:{name}")
    except NotImplementedError:  # RegNet computes its widths with tensors, which have no values on meta
        return load_source(f"torchvision:{name}").to("meta")


def generated_model(path, name: str) -> nn.Module:
    """The Net class of an exported model.py."""
    return load_module(path, name).Net()


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO)
def test_a_modern_cnn_imports_with_its_published_figures(name, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="torch.__trace")  # the ONNX exporter's debug records, unshown
    published = torchvision.models.get_model_weights(name).DEFAULT.meta
    size = torchvision_input(name)
    torch.manual_seed(0)
    model = load_source(f"torchvision:{name}").eval()
    randomize(model)
    start = time.perf_counter()
    imported = import_module(model, size, name)  # refuses a network that computes other outputs
    seconds = time.perf_counter() - start
    result = check(imported.document.graph)
    assert result.total_params == published["num_params"]
    gmacs = result.total_macs / 1e9
    assert abs(gmacs - published["_ops"]) <= max(1e-3 * published["_ops"], 0.0005), (gmacs, published["_ops"])
    print(
        f"{name}: {len(imported.document.graph.nodes)} blocks, {result.total_params:,} params, {gmacs:.4f} GMACs "
        f"(published {published['_ops']}); imported at {fmt_shape(size)}, outputs compared, in {seconds:.1f} s"
    )
    state = imported.state_dict(model)
    x = torch.randn(2, *size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = model(x)
    assert expected.abs().max() > 1e-2  # outputs large enough for the comparisons to see a wrong weight

    written = export_python(imported.document, tmp_path / "model.py", state)
    net = generated_model(written[0], f"zoo_{name}").eval()
    net.load_state_dict(load_weights(written[-1]))
    with torch.no_grad():
        assert (net(x) - expected).abs().max() <= 1e-4

    ort = pytest.importorskip("onnxruntime")
    export_onnx(imported.document.graph, tmp_path / "model.onnx", state)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert (torch.from_numpy(got) - expected).abs().max() <= 1e-4


def test_only_the_transformers_are_left_out_of_the_shipped_list():
    """The list the app offers (its truth is checked by test_torchvision_list) holds every classification model
    of torchvision but the transformers."""
    listed = {entry["name"] for entry in json.loads(LIST.read_text())}
    names = torchvision_names()
    assert sorted(set(names) - listed) == [n for n in sorted(names) if n.startswith(TRANSFORMERS)]
    assert set(ZOO) | {"inception_v3", "googlenet", "resnet50"} <= listed
    assert {"mnasnet0_5", "mnasnet0_75", "mnasnet1_3", "shufflenet_v2_x2_0", "efficientnet_b7", "convnext_large"} <= (
        listed
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vit_b_16", "vit_h_14", "maxvit_t"])  # vit_h_14: weights crop 518, made for 224
def test_a_transformer_is_refused(name):
    with pytest.raises(ModelImportError, match=rf"^{name} uses \d+ operations NetBuilder has no block for: "):
        translate(structure(name), torchvision_input(name), name)


def test_inception_v3_reports_the_aux_classifier_it_leaves_out():
    """Inception's published parameter count includes AuxLogits, which only training runs."""
    imported = translate(structure("inception_v3"), (3, 299, 299), "inception_v3")
    assert imported.left_out == [LeftOut("AuxLogits", 3_326_696, in_training=True)]
    assert imported.left_out_note() == "left out AuxLogits (3,326,696 params), used only in training"
    published = torchvision.models.get_model_weights("inception_v3").DEFAULT.meta["num_params"]
    assert check(imported.document.graph).total_params + 3_326_696 == published == 27_161_264


AUX = """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.aux = nn.Conv2d(4, 4, 1)  # only in training
        self.spare = nn.Linear(2, 2)  # never
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        y = self.conv(x)
        if self.training:
            y = y + self.aux(y)
        return self.head(y.mean((2, 3)))
"""


def test_parameters_the_network_never_uses_are_reported(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aux_net.py").write_text(textwrap.dedent(AUX))
    note = "left out aux (20 params), used only in training; spare (6 params), never used"
    out = tmp_path / "net.json"
    assert cli("import-model", "aux_net:Net", "--input", "3,6,6", "-o", str(out)) == 0
    assert capsys.readouterr().out == f"Wrote {out}: 5 blocks, imported from aux_net:Net; {note}.\n"
    sys.modules.pop("aux_net", None)
    imported = import_module(load_source("aux_net:Net"), (3, 6, 6), "aux_net:Net")
    assert imported.document.description.endswith(f"122 parameters; {note}.")
