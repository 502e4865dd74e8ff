"""The registry of block types. Each type is defined once, in the module of its family; adding a type is
one definition here and its tests (see BlockType for all that a definition holds)."""

from __future__ import annotations

from netbuilder.core.blocks.activation import ACTIVATION
from netbuilder.core.blocks.base import (
    BlockType,
    Call,
    Compute,
    Family,
    Fix,
    Infix,
    Layer,
    Params,
    Shape,
    Situation,
    Source,
    changed,
    fmt_pair,
    fmt_shape,
    window_out,
)
from netbuilder.core.blocks.channels import CHANNEL_SHUFFLE, NARROW
from netbuilder.core.blocks.conv import CONV2D
from netbuilder.core.blocks.dense import FLATTEN, LINEAR
from netbuilder.core.blocks.input import INPUT
from netbuilder.core.blocks.merge import ADD, CONCAT, MULTIPLY
from netbuilder.core.blocks.norm import (
    BATCHNORM,
    DROPOUT,
    GROUPNORM,
    LAYERNORM2D,
    LAYERSCALE,
    RESCALE,
    STOCHASTIC_DEPTH,
)
from netbuilder.core.blocks.pool import ADAPTIVE_POOL2D, POOL2D
from netbuilder.core.blocks.resample import UPSAMPLE

REGISTRY: dict[str, BlockType] = {
    b.name: b
    for b in (
        INPUT,
        CONV2D,
        ACTIVATION,
        POOL2D,
        ADAPTIVE_POOL2D,
        UPSAMPLE,
        BATCHNORM,
        GROUPNORM,
        LAYERNORM2D,
        LAYERSCALE,
        RESCALE,
        DROPOUT,
        STOCHASTIC_DEPTH,
        FLATTEN,
        LINEAR,
        ADD,
        MULTIPLY,
        CONCAT,
        CHANNEL_SHUFFLE,
        NARROW,
    )
}


def register(block: BlockType) -> BlockType:
    """Add a block type to the registry (for types defined outside this package, such as a plug-in's)."""
    if block.name in REGISTRY and REGISTRY[block.name] is not block:
        raise ValueError(f"a block type named {block.name} is already registered")
    REGISTRY[block.name] = block
    return block


__all__ = [
    "ACTIVATION",
    "ADAPTIVE_POOL2D",
    "ADD",
    "BATCHNORM",
    "CHANNEL_SHUFFLE",
    "CONCAT",
    "CONV2D",
    "DROPOUT",
    "FLATTEN",
    "GROUPNORM",
    "INPUT",
    "LAYERNORM2D",
    "LAYERSCALE",
    "LINEAR",
    "MULTIPLY",
    "NARROW",
    "POOL2D",
    "RESCALE",
    "UPSAMPLE",
    "REGISTRY",
    "STOCHASTIC_DEPTH",
    "BlockType",
    "Call",
    "Compute",
    "Family",
    "Fix",
    "Infix",
    "Layer",
    "Params",
    "Shape",
    "Situation",
    "Source",
    "changed",
    "fmt_pair",
    "fmt_shape",
    "register",
    "window_out",
]
