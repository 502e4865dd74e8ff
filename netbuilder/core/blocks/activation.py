"""Activation: a non-linear function applied to every value."""

from __future__ import annotations

from netbuilder.core.blocks.base import BlockType, Layer, Params, Shape, no_cost, same_shape
from netbuilder.core.params import ParamSpec

# function → its torch.nn layer
FUNCTIONS = {
    "relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU", "sigmoid": "Sigmoid",
    "tanh": "Tanh", "softmax": "Softmax", "identity": "Identity",
}


def _layer(p: Params, inputs: list[Shape]) -> Layer:
    fn = p["function"]
    if fn == "leaky_relu":
        return Layer("LeakyReLU", (p["negative_slope"],))
    return Layer(FUNCTIONS[fn], kwargs={"dim": 1} if fn == "softmax" else {})


ACTIVATION = BlockType(
    name="Activation",
    category="activation",
    help="Applies a non-linear function to every value; the volume keeps its shape.",
    params=(
        ParamSpec("function", "choice", "relu", "the function applied element-wise", choices=tuple(FUNCTIONS)),
        ParamSpec("negative_slope", "float", 0.01, "slope for negative inputs (leaky_relu)", min=0.0, max=1.0,
                  step=0.05, decimals=3, used_when=("function", ("leaky_relu",))),
    ),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: p["function"] + (f" {p['negative_slope']:g}" if p["function"] == "leaky_relu" else ""),
    compute=_layer,
    probabilities=lambda p: p["function"] == "softmax",
    id_base=lambda p: p.get("function", "relu"),
)
