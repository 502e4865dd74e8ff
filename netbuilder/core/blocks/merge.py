"""Add and Concat: blocks that join branches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netbuilder.core.blocks.base import (
    BlockType,
    Call,
    Fix,
    ImportRefused,
    Infix,
    Params,
    Shape,
    Situation,
    fmt_shape,
    no_cost,
)
from netbuilder.core.blocks.dense import FLATTEN
from netbuilder.core.params import ParamSpec
from netbuilder.core.problems import ErrorKind

INPUTS = ParamSpec("inputs", "int", 2, "number of incoming branches", min=2, max=16)


def _listing(inputs: list[Shape], part: Callable[[Shape], str]) -> str:
    return ", ".join(f"{part(s)} on input {i}" for i, s in enumerate(inputs))


ADD_SHAPES_DIFFER = ErrorKind(
    "add_shapes_differ",
    lambda shapes: (
        f"its inputs differ ({_listing(shapes, fmt_shape)}); Add needs equal volumes. "
        f"Change one branch (for example a 1×1 Conv2d or a stride) or use Concat."
    ),
)
CONCAT_MIXED_RANKS = ErrorKind(
    "concat_mixed",
    lambda shapes: (
        f"it cannot join volumes with vectors ({_listing(shapes, fmt_shape)}). Flatten every branch or none."
    ),
)
CONCAT_SIZES_DIFFER = ErrorKind(
    "concat_sizes_differ",
    lambda shapes: (
        f"its inputs differ in height×width ({_listing(shapes, lambda s: f'{s[1]}×{s[2]}')}); Concat joins "
        f"along channels and needs equal height and width. Change the stride or pooling of one branch."
    ),
)


def _add_shape(inputs: list[Shape], p: Params) -> Shape:
    if any(s != inputs[0] for s in inputs):
        raise ADD_SHAPES_DIFFER(shapes=inputs)
    return inputs[0]


def _concat_shape(inputs: list[Shape], p: Params) -> Shape:
    ranks = {len(s) for s in inputs}
    if ranks == {1}:
        return (sum(s[0] for s in inputs),)
    if ranks != {3}:
        raise CONCAT_MIXED_RANKS(shapes=inputs)
    if any(s[1:] != inputs[0][1:] for s in inputs):
        raise CONCAT_SIZES_DIFFER(shapes=inputs)
    return (sum(s[0] for s in inputs), inputs[0][1], inputs[0][2])


def _concat_fixes(s: Situation) -> list[Fix]:
    if not s.has(CONCAT_MIXED_RANKS):
        return []
    return [
        Fix(f"Insert Flatten on input {port} ({fmt_shape(shape)})", "insert", block_type=FLATTEN.name, port=port)
        for port, shape in enumerate(s.inputs)
        if shape is not None and len(shape) == 3
    ]


def _import_add(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """a + b, torch.add(a, b) and a.add(b) (args: alpha)."""
    if len(shapes) != 2 or args.get("alpha", 1) != 1 or shapes[0] != shapes[1]:
        raise ImportRefused("of anything but two tensors of equal shape")
    return {"inputs": 2}


def _import_cat(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """torch.cat of two or more tensors (args: dim, counted from 0 for the batch)."""
    if args["dim"] != 1:
        raise ImportRefused("along another dimension than the channels")
    return {"inputs": len(shapes)}


ADD = BlockType(
    name="Add",
    category="shape",
    help="Adds its inputs value by value (a residual connection); they must have equal shapes.",
    params=(INPUTS,),
    output_shape=_add_shape,
    cost=no_cost,
    summary=lambda p, i: f"{p['inputs']} inputs",
    compute=lambda p, i: Infix("+"),
    inputs=lambda p: p["inputs"],
    imports={"add": _import_add},
)

CONCAT = BlockType(
    name="Concat",
    category="shape",
    help="Stacks its inputs along the channels; they must have equal height and width.",
    params=(INPUTS,),
    output_shape=_concat_shape,
    cost=no_cost,
    summary=lambda p, i: f"{p['inputs']} inputs",
    compute=lambda p, i: Call("cat", {"dim": 1}),
    fixes=_concat_fixes,
    inputs=lambda p: p["inputs"],
    imports={"cat": _import_cat},
)
