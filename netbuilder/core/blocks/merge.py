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
from netbuilder.core.check.problems import ErrorKind, ShapeError
from netbuilder.core.fields import Field

INPUTS = Field("inputs", "int", 2, "number of incoming branches", min=2, max=16)


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


MULTIPLY_RANKS_DIFFER = ErrorKind(
    "multiply_ranks_differ",
    lambda shapes: (
        f"it cannot multiply volumes with vectors ({_listing(shapes, fmt_shape)}). Flatten every branch or none."
    ),
)
MULTIPLY_SHAPES_DIFFER = ErrorKind(
    "multiply_shapes_differ",
    lambda shapes: (
        f"its inputs cannot be broadcast ({_listing(shapes, fmt_shape)}): in each dimension the sizes must be equal "
        f"or 1, as a C×1×1 gate scales a C×H×W volume. Change the channels of one branch or pool a gate to 1×1."
    ),
)


def broadcast(shapes: list[Shape]) -> Shape:
    """The shape of an element-wise product of shapes (each dimension equal or 1), or a Multiply error."""
    if len({len(s) for s in shapes}) != 1:
        raise MULTIPLY_RANKS_DIFFER(shapes=shapes)
    out = []
    for sizes in zip(*shapes):
        wide = {v for v in sizes if v != 1}
        if len(wide) > 1:
            raise MULTIPLY_SHAPES_DIFFER(shapes=shapes)
        out.append(wide.pop() if wide else 1)
    return tuple(out)


def _multiply_formula(s: Situation) -> list[str]:
    """How the inputs broadcast, with their sizes: a gate stretched over a volume."""
    if s.output is None or any(i is None for i in s.inputs):
        return []
    lines = []
    for port, shape in enumerate(s.inputs):
        assert shape is not None
        stretched = [f"{n}→{o}" for n, o in zip(shape, s.output) if n != o]
        if stretched:
            lines.append(
                f"input {port} ({fmt_shape(shape)}) is broadcast to {fmt_shape(s.output)}: its size 1 is repeated "
                f"({', '.join(stretched)})" + (", one value per channel" if shape[1:] == (1, 1) else "")
            )
    return lines or [f"all inputs are {fmt_shape(s.output)}: value by value"]


def _import_mul(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """a * b, torch.mul(a, b) and a.mul(b) of two tensors of one sample each per batch item."""
    if len(shapes) != 2 or len({s[0] for s in shapes}) != 1:
        raise ImportRefused("of anything but two tensors with the same batch")
    try:
        found = broadcast([s[1:] for s in shapes])
    except ShapeError:
        raise ImportRefused(f"of tensors of shapes {fmt_shape(shapes[0])} and {fmt_shape(shapes[1])}") from None
    if (shapes[0][0], *found) != tuple(out):
        raise ImportRefused("with another result than the broadcast product")
    return {"inputs": 2}


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
    follows=(("Activation", {"function": "relu"}), ("Conv2d", {}), ("BatchNorm", {})),
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
    follows=(("Conv2d", {}), ("BatchNorm", {}), ("Activation", {"function": "relu"})),
)

MULTIPLY = BlockType(
    name="Multiply",
    category="shape",
    help=(
        "Multiplies its inputs value by value; a size-1 dimension is broadcast, so a C×1×1 gate scales each "
        "channel of a C×H×W volume (squeeze-and-excitation)."
    ),
    params=(INPUTS,),
    output_shape=lambda i, p: broadcast(i),
    cost=no_cost,
    summary=lambda p, i: f"{p['inputs']} inputs",
    compute=lambda p, i: Infix("*"),
    formula=_multiply_formula,
    inputs=lambda p: p["inputs"],
    id_base=lambda p: "mul",
    imports={"mul": _import_mul},
    idea=lambda p: ("squeeze-and-excitation: a learned gate per channel", "https://arxiv.org/abs/1709.01507"),
)
