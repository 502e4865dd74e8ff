"""Input: the data that enters the network."""

from __future__ import annotations

from netbuilder.core.blocks.base import BlockType, Params, Shape, Source, no_cost
from netbuilder.core.fields import Field


def _summary(p: Params, inputs: list[Shape]) -> str:
    shape = p["shape"]
    if len(shape) == 3:
        return f"image · {shape[0]} channel{'s' if shape[0] > 1 else ''} · {shape[1]}×{shape[2]}"
    return f"vector · {shape[0]} features"


INPUT = BlockType(
    name="Input",
    category="data",
    help="The data that enters the network: an image volume C×H×W or a vector of F features.",
    params=(Field("shape", "shape", [3, 32, 32], "[C, H, W] for images, [F] for vectors", min=1, max=1_000_000),),
    output_shape=lambda i, p: p["shape"],
    cost=no_cost,
    summary=_summary,
    compute=lambda p, i: Source(),
    inputs=lambda p: 0,
    follows=(("Conv2d", {}), ("Flatten", {}), ("Linear", {}), ("BatchNorm", {})),
)
