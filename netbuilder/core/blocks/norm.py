"""BatchNorm and Dropout: they keep the shape."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks.base import BlockType, ImportRefused, ImportRule, Layer, Params, Shape, no_cost, same_shape
from netbuilder.core.params import ParamSpec


def _import_batchnorm(rank: int) -> ImportRule:
    """torch.nn.BatchNorm1d (rank 2: a batch of vectors) or BatchNorm2d (rank 4), with affine weights, running
    statistics and a momentum."""

    def rule(m: Any, shapes: list[Shape], out: Shape) -> Params:
        if not (m.affine and m.track_running_stats) or m.momentum is None:
            raise ImportRefused("without affine weights, running statistics or momentum")
        if len(shapes[0]) != rank:
            raise ImportRefused(f"on a {len(shapes[0])}-dimensional tensor")
        return {"eps": m.eps, "momentum": m.momentum}

    return rule


def _import_dropout(m: Any, shapes: list[Shape], out: Shape) -> Params:
    if m.p > DROPOUT.spec("p").max:  # type: ignore[operator]
        raise ImportRefused(f"with p {m.p:g}")
    return {"p": m.p}


BATCHNORM = BlockType(
    name="BatchNorm",
    category="normalization",
    help="Normalises each channel over the batch, then scales and shifts it (2d on volumes, 1d on vectors).",
    params=(
        ParamSpec("eps", "float", 1e-5, "added to the variance for stability", min=0.0, max=1.0, step=1e-5, decimals=6),
        ParamSpec(
            "momentum",
            "float",
            0.1,
            "weight of each batch in the running statistics",
            min=0.0,
            max=1.0,
            step=0.05,
            decimals=3,
        ),
    ),
    output_shape=same_shape,
    cost=lambda i, o, p: (2 * i[0][0], 0),
    summary=lambda p, i: "2d" if i and len(i[0]) == 3 else "1d" if i else "",
    compute=lambda p, i: Layer(
        "BatchNorm2d" if len(i[0]) == 3 else "BatchNorm1d", (i[0][0],), {"eps": p["eps"], "momentum": p["momentum"]}
    ),
    id_base=lambda p: "bn",
    imports={"BatchNorm1d": _import_batchnorm(2), "BatchNorm2d": _import_batchnorm(4)},
)

DROPOUT = BlockType(
    name="Dropout",
    category="dropout",
    help="During training, zeroes each value with probability p; does nothing at prediction time.",
    params=(ParamSpec("p", "float", 0.5, "probability of zeroing a value", min=0.0, max=0.99, step=0.05, decimals=3),),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: f"p {p['p']:g}",
    compute=lambda p, i: Layer("Dropout", (p["p"],)),
    id_base=lambda p: "drop",
    imports={"Dropout": _import_dropout},
)
