"""Flatten and Linear (fully connected)."""

from __future__ import annotations

from math import prod
from typing import Any

from netbuilder.core.blocks.base import BlockType, ImportRefused, Layer, Params, Shape, changed, fmt_shape, no_cost
from netbuilder.core.fields import Field


def _import_flatten(m: Any, shapes: list[Shape], out: Shape) -> Params:
    """torch.nn.Flatten (or torch.flatten) of everything but the batch."""
    rank = len(shapes[0])
    if m.start_dim != 1 or m.end_dim % rank != rank - 1:
        raise ImportRefused(f"from dimension {m.start_dim} to {m.end_dim}")
    return {}


def _import_linear(m: Any, shapes: list[Shape], out: Shape) -> Params:
    """torch.nn.Linear on a batch of vectors."""
    if len(shapes[0]) != 2:
        raise ImportRefused(f"on a {len(shapes[0])}-dimensional tensor")
    return {"out_features": m.out_features, "bias": m.bias is not None}


FLATTEN = BlockType(
    name="Flatten",
    category="shape",
    help="Unrolls a C×H×W volume into a vector of C·H·W features.",
    params=(),
    output_shape=lambda i, p: (prod(i[0]),),
    cost=no_cost,
    summary=lambda p, i: "",
    compute=lambda p, i: Layer("Flatten"),
    imports={"Flatten": _import_flatten},
    follows=(("Linear", {}), ("Dropout", {})),
)


def _summary(p: Params, inputs: list[Shape]) -> str:
    text = str(p["out_features"])
    if inputs and len(inputs[0]) > 1:
        text += f" · flattens {fmt_shape(inputs[0])} → {prod(inputs[0])}"
    return text


LINEAR = BlockType(
    name="Linear",
    category="layer",
    help="Fully connected: every output feature sees every input value (a volume is flattened first).",
    params=(
        Field("out_features", "int", 10, "number of output features", min=1, max=1_000_000),
        Field("bias", "bool", True, "add a learned bias per output feature"),
    ),
    output_shape=lambda i, p: (p["out_features"],),
    cost=lambda i, o, p: (
        prod(i[0]) * p["out_features"] + (p["out_features"] if p["bias"] else 0),
        prod(i[0]) * p["out_features"],
    ),
    summary=_summary,
    compute=lambda p, i: Layer("Linear", (prod(i[0]), p["out_features"]), changed(p, bias=True), flatten=len(i[0]) > 1),
    id_base=lambda p: "fc",
    imports={"Linear": _import_linear},
    follows=(
        ("Activation", {"function": "relu"}),
        ("Dropout", {}),
        ("Linear", {}),
        ("Activation", {"function": "softmax"}),
    ),
)
