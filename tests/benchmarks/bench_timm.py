"""How much of timm's convolutional zoo imports exactly: one representative per convolutional family of
timm.list_models() (the module that defines it), imported with random weights and randomised BatchNorm statistics.

For each, the table says imported or refused (with the refusal's sentence) and the seconds the import took; an
imported one must have the parameters of sum(p.numel()) (those the eval network leaves out counted apart) and
compute timm's outputs within 1e-4 in eval mode. The families of transformers and attention models are left out
(TRANSFORMERS lists them). Needs timm (pip install -e '.[timm]'). Prints the table and a JSON summary; exits 1
when an imported model's numbers differ (a refusal is a figure, not a failure).

    .venv/bin/python tests/benchmarks/bench_timm.py [--quick] [NAME ...]

--quick: the families whose representative imports in a few seconds (the largest left out).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
from torch import nn

from netbuilder.core.check.shapes import check
from netbuilder.pytorch.build import build
from netbuilder.pytorch.trace import ModelImportError, import_module, load_source

SMALL, LARGE = (3, 64, 64), (3, 160, 160)
# family (timm's module) → its representative and the input it is imported at
FAMILIES: dict[str, tuple[str, tuple[int, int, int]]] = {
    "byobnet": ("gernet_s", SMALL),
    "convmixer": ("convmixer_768_32", SMALL),
    "convnext": ("convnext_atto", SMALL),
    "cspnet": ("cspresnet50", SMALL),
    "cspnext": ("cspnext_tiny", SMALL),
    "densenet": ("densenet121", SMALL),
    "dla": ("dla34", SMALL),
    "dpn": ("dpn48b", SMALL),
    "efficientnet": ("efficientnet_b0", SMALL),
    "fasternet": ("fasternet_t0", SMALL),
    "fastvit": ("fastvit_t8", SMALL),
    "ghostnet": ("ghostnet_100", SMALL),
    "hardcorenas": ("hardcorenas_a", SMALL),
    "hgnet": ("hgnetv2_b0", SMALL),
    "hrnet": ("hrnet_w18_small", SMALL),
    "inception_next": ("inception_next_atto", SMALL),
    "inception_resnet_v2": ("inception_resnet_v2", LARGE),
    "inception_v3": ("inception_v3", LARGE),
    "inception_v4": ("inception_v4", LARGE),
    "lcnetv2": ("lcnetv2_small", SMALL),
    "mambaout": ("mambaout_femto", SMALL),
    "metaformer": ("poolformer_s12", SMALL),
    "mobilenetv3": ("mobilenetv3_small_100", SMALL),
    "nasnet": ("nasnetalarge", LARGE),
    "nfnet": ("nf_regnet_b0", SMALL),
    "pnasnet": ("pnasnet5large", LARGE),
    "rdnet": ("rdnet_tiny", SMALL),
    "regnet": ("regnetx_002", SMALL),
    "repghost": ("repghostnet_050", SMALL),
    "repvit": ("repvit_m0_9", SMALL),
    "res2net": ("res2net50_14w_8s", SMALL),
    "resnest": ("resnest14d", SMALL),
    "resnet": ("resnet18d", SMALL),
    "resnetv2": ("resnetv2_18", SMALL),
    "rexnet": ("rexnet_100", SMALL),
    "selecsls": ("selecsls42b", SMALL),
    "senet": ("legacy_seresnet18", SMALL),
    "sknet": ("skresnet18", SMALL),
    "starnet": ("starnet_s1", SMALL),
    "tresnet": ("tresnet_m", SMALL),
    "vgg": ("vgg11_bn", SMALL),
    "vovnet": ("ese_vovnet19b_dw", SMALL),
    "xception": ("legacy_xception", SMALL),
    "xception_aligned": ("xception41", SMALL),
}
SLOW = {"nasnet", "pnasnet", "inception_resnet_v2", "inception_v4", "convmixer", "xception_aligned"}
# Families of transformers and attention models (attention multiplies activations with each other, adds position
# tables and mixes tokens: no block computes it), left out of the table.
TRANSFORMERS = (
    "beit byoanet cait coat convit cpubone crossvit csatv2 davit deepseek_vit deit edgenext efficientformer "
    "efficientformer_v2 efficientvim efficientvit_mit efficientvit_msra eva focalnet gcvit gemma4_vit hiera "
    "hieradet_sam2 iformer levit lowformer maxxvit mlp_mixer mobilenetv5 mobilevit mvitv2 naflexvit nest nextvit "
    "pit pvt_v2 qwen3_vit sequencer shvit swiftformer swin_transformer swin_transformer_v2 swin_transformer_v2_cr "
    "tiny_vit tnt twins visformer vision_transformer vision_transformer_hybrid vision_transformer_relpos "
    "vision_transformer_sam vitamin volo xcit"
).split()
TOLERANCE = 1e-4


def families() -> set[str]:
    """The families (defining modules) of timm.list_models()."""
    import timm
    from timm.models._registry import get_arch_name, model_entrypoint

    return {model_entrypoint(get_arch_name(n)).__module__.rsplit(".", 1)[-1] for n in timm.list_models()}


def randomize(model: nn.Module) -> None:
    """BatchNorm statistics and affine weights away from 0 and 1, so that copying them is part of the comparison."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)


def run(family: str, name: str, shape: tuple[int, int, int]) -> dict:
    """One row: imported or refused (with the sentence), seconds, and for an imported model its checks."""
    torch.manual_seed(0)
    model = load_source(f"timm:{name}").eval()
    randomize(model)
    start = time.perf_counter()
    try:
        imported = import_module(model, shape, name)
    except ModelImportError as e:
        return {
            "family": family,
            "model": name,
            "imported": False,
            "why": str(e),
            "seconds": round(time.perf_counter() - start, 2),
        }
    seconds = round(time.perf_counter() - start, 2)
    net = build(imported.document.graph).eval()
    net.load_state_dict(imported.state_dict(model))
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        difference = float((net(x) - model(x)).abs().max())
    params = check(imported.document.graph).total_params + sum(left.params for left in imported.left_out)
    expected = sum(p.numel() for p in model.parameters())
    return {
        "family": family,
        "model": name,
        "imported": True,
        "seconds": seconds,
        "blocks": len(imported.document.graph.nodes),
        "params": params,
        "expected_params": expected,
        "max_difference": difference,
        "exact": params == expected and difference <= TOLERANCE,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the slowest families")
    parser.add_argument("names", nargs="*", help="only these families")
    args = parser.parse_args()
    chosen = {f: FAMILIES[f] for f in (args.names or FAMILIES) if not (args.quick and f in SLOW)}
    unlisted = sorted(families() - set(FAMILIES) - set(TRANSFORMERS))
    rows = []
    for family, (name, shape) in chosen.items():
        row = run(family, name, shape)
        rows.append(row)
        if not row["imported"]:
            verdict = f"refused: {row['why']}"
        elif row["exact"]:
            verdict = "exact"
        else:
            verdict = (
                f"DIFFERS (params {row['params']:,} of {row['expected_params']:,}, max {row['max_difference']:.2g})"
            )
        print(f"{family:20} {name:24} {row['seconds']:6.1f} s  {verdict}", flush=True)
    imported = [r for r in rows if r["imported"]]
    result = {
        "families": len(rows),
        "imported": len(imported),
        "exact": sum(r["exact"] for r in imported),
        "left_out_transformers": TRANSFORMERS,
        "families_in_timm_not_in_the_table": unlisted,
    }
    print(json.dumps(result))
    return 0 if all(r["exact"] for r in imported) else 1


if __name__ == "__main__":
    sys.exit(main())
