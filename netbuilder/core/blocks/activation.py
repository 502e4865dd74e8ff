"""Activation: a non-linear function applied to every value."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks.base import (
    BlockType,
    Family,
    ImportRefused,
    ImportRule,
    Layer,
    Params,
    Shape,
    changed,
    no_cost,
    same_shape,
)
from netbuilder.core.fields import Field
from netbuilder.core.text import quote

# function → its torch.nn layer
FUNCTIONS = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "hardswish": "Hardswish",
    "mish": "Mish",
    "sigmoid": "Sigmoid",
    "hardsigmoid": "Hardsigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "identity": "Identity",
}


# function → (the idea, the paper that introduced it), for the functions a person may not know
IDEAS = {
    "relu6": ("ReLU capped at 6, robust in low precision (MobileNetV2)", "https://arxiv.org/abs/1801.04381"),
    "hardswish": ("a cheap piecewise swish: x·ReLU6(x+3)/6 (MobileNetV3)", "https://arxiv.org/abs/1905.02244"),
    "hardsigmoid": ("a cheap piecewise sigmoid: ReLU6(x+3)/6 (MobileNetV3)", "https://arxiv.org/abs/1905.02244"),
    "mish": ("x·tanh(softplus(x)), a smooth self-gated activation (Mish)", "https://arxiv.org/abs/1908.08681"),
    "silu": ("x·sigmoid(x), the swish found by search", "https://arxiv.org/abs/1710.05941"),
    "gelu": ("x·Φ(x), the Gaussian error linear unit", "https://arxiv.org/abs/1606.08415"),
    "elu": ("exponential linear unit", "https://arxiv.org/abs/1511.07289"),
}

# function → its family, for the functions whose units can die (never positive) or saturate (near their bounds)
_DIES, _DIES_NONNEGATIVE = Family(dies=True), Family(dies=True, nonnegative=True)
FAMILIES = {
    "relu": _DIES_NONNEGATIVE,
    "relu6": _DIES_NONNEGATIVE,
    "leaky_relu": _DIES,
    "elu": _DIES,
    "gelu": _DIES,
    "silu": _DIES,
    "hardswish": _DIES,
    "mish": _DIES,
    "sigmoid": Family(bounds=(0.0, 1.0)),
    "hardsigmoid": Family(bounds=(0.0, 1.0)),
    "tanh": Family(bounds=(-1.0, 1.0)),
}


def _layer(p: Params, inputs: list[Shape]) -> Layer:
    fn = p["function"]
    if fn == "leaky_relu":
        return Layer("LeakyReLU", kwargs=changed(p, negative_slope=0.01))
    return Layer(FUNCTIONS[fn], kwargs={"dim": 1} if fn == "softmax" else {})


def _import(function: str) -> ImportRule:
    return lambda m, shapes, out: {"function": function}


def _leaky_relu(m: Any, shapes: list[Shape], out: Shape) -> Params:
    if not 0.0 <= m.negative_slope <= 1.0:
        raise ImportRefused(f"with negative_slope {m.negative_slope:g}")
    return {"function": "leaky_relu", "negative_slope": m.negative_slope}


def _elu(m: Any, shapes: list[Shape], out: Shape) -> Params:
    if m.alpha != 1.0:
        raise ImportRefused(f"with alpha {m.alpha:g}")
    return {"function": "elu"}


def _gelu(m: Any, shapes: list[Shape], out: Shape) -> Params:
    if m.approximate != "none":
        raise ImportRefused(f"with approximate {quote(m.approximate)}")
    return {"function": "gelu"}


def _softmax(m: Any, shapes: list[Shape], out: Shape) -> Params:
    if m.dim is None or m.dim % len(shapes[0]) != 1:
        raise ImportRefused(f"over dimension {m.dim}")
    return {"function": "softmax"}


ACTIVATION = BlockType(
    name="Activation",
    category="activation",
    help="Applies a non-linear function to every value; the volume keeps its shape.",
    params=(
        Field("function", "choice", "relu", "the function applied element-wise", choices=tuple(FUNCTIONS)),
        Field(
            "negative_slope",
            "float",
            0.01,
            "slope for negative inputs (leaky_relu)",
            min=0.0,
            max=1.0,
            step=0.05,
            decimals=3,
            used_when=("function", ("leaky_relu",)),
        ),
    ),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: p["function"] + (f" {p['negative_slope']:g}" if p["function"] == "leaky_relu" else ""),
    compute=_layer,
    probabilities=lambda p: p["function"] == "softmax",
    id_base=lambda p: p.get("function", "relu"),
    idea=lambda p: IDEAS.get(p.get("function", "")),
    short=lambda p: str(p.get("function", "relu")),
    follows=(
        ("Conv2d", {}),
        ("Pool2d", {"mode": "max"}),
        ("Linear", {}),
        ("Dropout", {}),
        ("Flatten", {}),
        ("AdaptivePool2d", {"mode": "avg"}),
    ),
    family=lambda p: FAMILIES.get(p.get("function", "relu")),
    imports={
        "ReLU": _import("relu"),
        "ReLU6": _import("relu6"),
        "SiLU": _import("silu"),
        "Hardswish": _import("hardswish"),
        "Hardsigmoid": _import("hardsigmoid"),
        "Mish": _import("mish"),
        "Sigmoid": _import("sigmoid"),
        "Tanh": _import("tanh"),
        "LeakyReLU": _leaky_relu,
        "ELU": _elu,
        "GELU": _gelu,
        "Softmax": _softmax,
    },
)
