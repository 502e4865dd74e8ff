"""The modern presets are torchvision's own models adapted to 32×32 images, imported: each preset file equals
a fresh import of its model (structure and parameters), and the preset's network computes what the model
computes with the same weights. Regenerate the files with `python tests/test_modern_presets.py`."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document, to_dict
from netbuilder.core.presets import load_preset
from netbuilder.pytorch.build import build
from netbuilder.pytorch.trace import import_module

CIFAR = (3, 32, 32)


def mobilenet_v2_cifar() -> nn.Module:
    """MobileNetV2 (width 1.0) for 32×32 images: the stem and the first stride-2 block at stride 1, so the
    last stage sees 4×4 (as the usual CIFAR adaptation); 10 classes."""
    model = torchvision.models.mobilenet_v2(num_classes=10)
    model.features[0][0].stride = (1, 1)
    model.features[2].conv[1][0].stride = (1, 1)
    return model


def convnext_cifar() -> nn.Module:
    """A small ConvNeXt for 32×32 images: a 2×2 stride-2 patchify stem (16×16), three stages of 64, 128 and
    256 channels (2, 2 and 6 blocks, each a 7×7 depthwise conv, LayerNorm, 4× 1×1 expansion with GELU, layer
    scale and stochastic depth up to 0.1), and 10 classes."""
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt, LayerNorm2d

    settings = [CNBlockConfig(64, 128, 2), CNBlockConfig(128, 256, 2), CNBlockConfig(256, None, 6)]
    model = ConvNeXt(settings, stochastic_depth_prob=0.1, num_classes=10)
    model.features[0] = torchvision.ops.Conv2dNormActivation(
        3, 64, kernel_size=2, stride=2, padding=0, norm_layer=partial(LayerNorm2d, eps=1e-6), activation_layer=None
    )
    return model


PRESETS = {
    "mobilenet_v2_cifar": (
        mobilenet_v2_cifar,
        "MobileNetV2 CIFAR",
        "torchvision's MobileNetV2 (width 1.0) adapted to 32×32 images: a 3×3 stem conv and the first "
        "stride-2 inverted residual at stride 1, then 17 inverted residuals (1×1 expansion, 3×3 depthwise conv, "
        "1×1 projection, ReLU6, residual Add where the shape allows), a 1×1 conv to 1280 channels, global average "
        "pool, Dropout and Linear 10.",
    ),
    "convnext_cifar": (
        convnext_cifar,
        "ConvNeXt CIFAR (small)",
        "A small ConvNeXt for 32×32 images, built by torchvision's ConvNeXt class: a 2×2 stride-2 patchify stem "
        "with LayerNorm2d, stages of 64, 128 and 256 channels (2, 2 and 6 blocks: 7×7 depthwise conv, LayerNorm2d, "
        "1×1 conv to 4× the channels, GELU, 1×1 conv back, LayerScale, StochasticDepth and a residual Add), "
        "LayerNorm2d + 2×2 stride-2 conv between stages, global average pool, LayerNorm2d and Linear 10.",
    ),
}


def imported(name: str) -> tuple[nn.Module, Document]:
    make, title, description = PRESETS[name]
    torch.manual_seed(0)
    model = make().eval()
    document = import_module(model, CIFAR, name).document
    document.name, document.description = title, description
    return model, document


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_preset_is_its_model_imported(name):
    model, fresh = imported(name)
    preset = load_preset(name)
    assert to_dict(preset) == to_dict(fresh)  # regenerate with `python tests/test_modern_presets.py`
    result = check(preset.graph)
    assert result.valid and result.total_params == sum(p.numel() for p in model.parameters())


def test_the_presets_params_as_the_readme_gives_them():
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for name in PRESETS:
        params = check(load_preset(name).graph).total_params
        assert f"`{name}` ({params / 1e6:.2f} M params" in text


@pytest.mark.slow
def test_mobilenet_preset_trains_a_step():
    net = build(load_preset("mobilenet_v2_cifar").graph).train()
    x, y = torch.randn(4, *CIFAR), torch.tensor([0, 1, 2, 3])
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in net.parameters())


if __name__ == "__main__":
    from netbuilder.core.document import dumps

    for preset in sys.argv[1:] or PRESETS:
        _, document = imported(preset)
        path = Path(__file__).parents[1] / "presets" / f"{preset}.json"
        path.write_text(dumps(document), encoding="utf-8")
        print(f"wrote {path}: {check(document.graph).total_params:,} params")
