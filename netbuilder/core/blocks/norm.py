"""BatchNorm and Dropout: they keep the shape."""

from __future__ import annotations

from netbuilder.core.blocks.base import BlockType, Layer, no_cost, same_shape
from netbuilder.core.params import ParamSpec

BATCHNORM = BlockType(
    name="BatchNorm",
    category="normalization",
    help="Normalises each channel over the batch, then scales and shifts it (2d on volumes, 1d on vectors).",
    params=(
        ParamSpec("eps", "float", 1e-5, "added to the variance for stability", min=0.0, max=1.0,
                  step=1e-5, decimals=6),
        ParamSpec("momentum", "float", 0.1, "weight of each batch in the running statistics", min=0.0, max=1.0,
                  step=0.05, decimals=3),
    ),
    output_shape=same_shape,
    cost=lambda i, o, p: (2 * i[0][0], 0),
    summary=lambda p, i: "2d" if i and len(i[0]) == 3 else "1d" if i else "",
    compute=lambda p, i: Layer("BatchNorm2d" if len(i[0]) == 3 else "BatchNorm1d", (i[0][0],),
                               {"eps": p["eps"], "momentum": p["momentum"]}),
    id_base=lambda p: "bn",
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
)
