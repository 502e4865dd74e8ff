"""timm's CNNs import exactly (issue 23): `timm:NAME` makes the model with random weights, the tracer uses timm's
own fx helpers (its leaf modules kept whole unless their forward traces, its marked functions wrapped), and the
import of each family's representative has timm's parameters and outputs (randomised BatchNorm statistics)."""

import sys

import pytest
import torch
from test_trace_functional import randomized

from netbuilder.cli import main
from netbuilder.core.check.shapes import check
from netbuilder.core.document import load
from netbuilder.pytorch.build import build
from netbuilder.pytorch.trace import ModelImportError, import_module, load_source

timm = pytest.importorskip("timm")

# one model of each family (timm's module), at a small input; the slow ones take more than a few seconds
FAST = [
    "resnet18d",  # AvgPool2d(count_include_pad=False) in its downsampling
    "efficientnet_b0",  # BatchNormAct2d: F.batch_norm with its own weights
    "mobilenetv3_small_100",  # F.linear head, hard activations
    "regnetx_002",
    "fasternet_t0",
    "starnet_s1",
    "legacy_seresnet18",  # F.dropout
    "repghostnet_050",
    "resnetv2_18",
    "hardcorenas_a",
    "gernet_s",
    "lcnetv2_small",
    "dla34",
    "cspresnet50",
    "selecsls42b",
    "ese_vovnet19b_dw",
    "convnext_atto",  # LayerScale: gamma.reshape(1, -1, 1, 1)
    "rdnet_tiny",
    "inception_next_atto",  # LayerNorm of vectors: a GroupNorm of one group
    "ghostnet_100",  # x[:, :C]: a Narrow
    "rexnet_100",
    "dpn48b",
    "repvit_m0_9",  # (head + distillation head) / 2: a Rescale
]
SLOW = ["densenet121", "hrnet_w18_small"]  # hrnet: Upsample (inception_resnet_v2's Rescale: bench_timm.py)


def _imports_exactly(name: str) -> None:
    torch.manual_seed(0)
    model = randomized(load_source(f"timm:{name}"))
    imported = import_module(model, (3, 32, 32), name)  # its outputs are proved equal
    graph = imported.document.graph
    left_out = sum(left.params for left in imported.left_out)
    assert check(graph).total_params + left_out == sum(p.numel() for p in model.parameters())
    net = build(graph).eval()
    net.load_state_dict(imported.state_dict(model))
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(net(x), model(x), rtol=1e-4, atol=1e-4)
    assert graph.groups, "grouped by the module hierarchy"


@pytest.mark.parametrize("name", FAST)
def test_timm_models_import_exactly(name):
    _imports_exactly(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_larger_timm_models_import_exactly(name):
    _imports_exactly(name)


def test_a_timm_leaf_module_that_does_not_trace_is_refused_by_name():
    with pytest.raises(ModelImportError, match="ConvMlp"):
        import_module(load_source("timm:vgg11_bn").eval(), (3, 64, 64), "vgg11_bn")


def test_import_model_command_takes_timm_models(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["import-model", "timm:resnet18d", "--input", "3,32,32", "-o", str(out)]) == 0
    assert "imported from timm:resnet18d" in capsys.readouterr().out
    assert any(n.params.get("count_include_pad") is False for n in load(out).graph.nodes.values())
    assert main(["import-model", "timm:resnet18e", "--input", "3,32,32", "-o", str(out)]) == 1
    assert "timm has no model 'resnet18e' (did you mean resnet18, resnet18d or skresnet18?)." in capsys.readouterr().err


def test_without_timm_a_timm_source_is_one_sentence_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)  # import timm raises ImportError
    assert main(["import-model", "timm:resnet18", "--input", "3,32,32", "-o", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "timm is not installed; install it with pip install 'netbuilder[timm]'." in err
    assert len(err.strip().splitlines()) == 1


def test_without_input_a_timm_model_is_imported_at_the_size_it_is_made_for(tmp_path):
    out = tmp_path / "lcnet.json"
    assert main(["import-model", "timm:lcnet_035", "-o", str(out)]) == 0  # pretrained_cfg's input_size
    assert next(iter(load(out).graph.nodes.values())).params["shape"] == [3, 224, 224]
