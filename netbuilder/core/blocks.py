"""The registry of block types: parameter schemas, shape rules and costs, one entry per type.

Shapes are per sample, without the batch: (C, H, W) for volumes, (F,) for vectors.
Costs are (parameters, multiply-adds); multiply-adds count Conv2d and Linear only, as
torchvision's published operation counts do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, Callable

from netbuilder.core.params import Pair, ParamSpec, ShapeError

Shape = tuple[int, ...]
Params = dict[str, Any]


def fmt_shape(shape: Shape) -> str:
    """64×32×32 for a volume, 512 for a vector."""
    return "×".join(str(v) for v in shape)


def fmt_pair(pair: Pair) -> str:
    return f"{pair[0]}×{pair[1]}"


def _fmt_side(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else fmt_pair(pair)


def window_out(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """The conv/pool arithmetic: floor((n + 2p − d·(k−1) − 1)/s) + 1, with torch's ceil_mode rule."""
    span = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= n + p:  # the last window must start inside the input or its left padding
            out -= 1
        return out
    return span // s + 1


# How a block computes, as plain data that pytorch/ turns into torch calls and model.py source ----------

@dataclass(frozen=True)
class Layer:
    """torch.nn.<cls>(*args, **kwargs), built once; flatten: a volume is flattened before it."""

    cls: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    flatten: bool = False


@dataclass(frozen=True)
class Infix:
    """An operator between the inputs, in port order: a + b + c."""

    op: str


@dataclass(frozen=True)
class Call:
    """torch.<fn>([inputs in port order], **kwargs)."""

    fn: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """The network's input batch."""


Compute = Layer | Infix | Call | Source


@dataclass(frozen=True)
class BlockType:
    """One kind of block: its schema, shape rule, cost, and how it computes."""

    name: str
    category: str
    help: str
    params: tuple[ParamSpec, ...]
    output_shape: Callable[[list[Shape], Params], Shape]
    cost: Callable[[list[Shape], Shape, Params], tuple[int, int]]
    summary: Callable[[Params, list[Shape]], str]
    compute: Callable[[Params, list[Shape]], Compute]
    inputs: Callable[[Params], int] = lambda p: 1
    # True where the block turns logits into class probabilities: at the end of a network it is left
    # to predict(), so that training can use cross-entropy on forward()'s logits.
    probabilities: Callable[[Params], bool] = lambda p: False

    def spec(self, name: str) -> ParamSpec:
        return next(s for s in self.params if s.name == name)


def _no_cost(inputs: list[Shape], out: Shape, p: Params) -> tuple[int, int]:
    return 0, 0


def _same_shape(inputs: list[Shape], p: Params) -> Shape:
    return inputs[0]


def _volume(inputs: list[Shape], what: str, fix: str) -> tuple[int, int, int]:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"its {what} needs a C×H×W volume but receives a vector of {shape[0]} features. {fix}"
        )
    return shape  # type: ignore[return-value]


# Input -----------------------------------------------------------------------------------------

def _input_shape(inputs: list[Shape], p: Params) -> Shape:
    return p["shape"]


INPUT = BlockType(
    name="Input",
    category="data",
    help="The data that enters the network: an image volume C×H×W or a vector of F features.",
    params=(ParamSpec("shape", "shape", [3, 32, 32], "[C, H, W] for images, [F] for vectors"),),
    output_shape=_input_shape,
    cost=_no_cost,
    summary=lambda p, i: (
        f"image · {p['shape'][0]} channel{'s' if p['shape'][0] > 1 else ''} · {p['shape'][1]}×{p['shape'][2]}"
        if len(p["shape"]) == 3 else f"vector · {p['shape'][0]} features"
    ),
    compute=lambda p, i: Source(),
    inputs=lambda p: 0,
)

# Conv2d ----------------------------------------------------------------------------------------

def _conv_shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = _volume(inputs, "kernel", "Move it before the Flatten or Linear blocks, or use Linear instead.")
    k, s, d, g, o = p["kernel_size"], p["stride"], p["dilation"], p["groups"], p["out_channels"]
    if c % g or o % g:
        raise ShapeError(
            f"groups {g} must divide both its {c} input channels and its {o} out_channels. "
            f"Set groups to a common divisor such as 1."
        )
    if p["padding"] == "same":
        if s != (1, 1):
            raise ShapeError(
                f"padding 'same' only works with stride 1 (stride is {_fmt_side(s)}). "
                f"Set stride to 1, or give padding as a number."
            )
        return (o, h, w)
    pad = p["padding"]
    if h + 2 * pad[0] < d[0] * (k[0] - 1) + 1 or w + 2 * pad[1] < d[1] * (k[1] - 1) + 1:
        raise ShapeError(
            f"its {fmt_pair(k)} kernel (dilation {_fmt_side(d)}) is larger than the {h}×{w} input "
            f"padded by {_fmt_side(pad)}. Lower kernel_size or raise padding."
        )
    return (o, window_out(h, k[0], s[0], pad[0], d[0]), window_out(w, k[1], s[1], pad[1], d[1]))


def _conv_cost(inputs: list[Shape], out: Shape, p: Params) -> tuple[int, int]:
    k, g = p["kernel_size"], p["groups"]
    c_in, c_out = inputs[0][0], p["out_channels"]
    weights = c_out * (c_in // g) * k[0] * k[1]
    return weights + (c_out if p["bias"] else 0), weights * out[1] * out[2]


def _conv_summary(p: Params, inputs: list[Shape]) -> str:
    pad = "same" if p["padding"] == "same" else _fmt_side(p["padding"])
    parts = [str(p["out_channels"]), fmt_pair(p["kernel_size"]), f"s{_fmt_side(p['stride'])}", f"p{pad}"]
    if p["dilation"] != (1, 1):
        parts.append(f"d{_fmt_side(p['dilation'])}")
    if p["groups"] != 1:
        parts.append(f"g{p['groups']}")
    return " · ".join(parts)


def _conv_layer(p: Params, inputs: list[Shape]) -> Layer:
    return Layer("Conv2d", (inputs[0][0], p["out_channels"], p["kernel_size"]), {
        "stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"], "groups": p["groups"],
        "bias": p["bias"]})


CONV2D = BlockType(
    name="Conv2d",
    category="layer",
    help="Slides out_channels learned filters over the volume; each gives one output channel.",
    params=(
        ParamSpec("out_channels", "int", 64, "number of filters, the depth of the output", min=1, max=65536),
        ParamSpec("kernel_size", "pair", 3, "height and width of each filter", min=1, max=1024),
        ParamSpec("stride", "pair", 1, "step between filter positions", min=1, max=1024),
        ParamSpec("padding", "padding", 0, "zeros added on each side, or 'same'", min=0, max=1024),
        ParamSpec("dilation", "pair", 1, "spacing between filter taps", min=1, max=1024),
        ParamSpec("groups", "int", 1, "split channels into independent groups", min=1, max=65536),
        ParamSpec("bias", "bool", True, "add a learned bias per output channel"),
    ),
    output_shape=_conv_shape,
    cost=_conv_cost,
    summary=_conv_summary,
    compute=_conv_layer,
)

# Activation ------------------------------------------------------------------------------------

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "identity")

_ACTIVATION_LAYERS = {
    "relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU", "sigmoid": "Sigmoid",
    "tanh": "Tanh", "softmax": "Softmax", "identity": "Identity",
}


def _activation_layer(p: Params, inputs: list[Shape]) -> Layer:
    fn = p["function"]
    if fn == "leaky_relu":
        return Layer("LeakyReLU", (p["negative_slope"],))
    return Layer(_ACTIVATION_LAYERS[fn], kwargs={"dim": 1} if fn == "softmax" else {})


ACTIVATION = BlockType(
    name="Activation",
    category="activation",
    help="Applies a non-linear function to every value; the volume keeps its shape.",
    params=(
        ParamSpec("function", "choice", "relu", "the function applied element-wise", choices=ACTIVATIONS),
        ParamSpec("negative_slope", "float", 0.01, "slope for negative inputs (leaky_relu)", min=0.0, max=1.0),
    ),
    output_shape=_same_shape,
    cost=_no_cost,
    summary=lambda p, i: p["function"]
    + (f" {p['negative_slope']:g}" if p["function"] == "leaky_relu" else ""),
    compute=_activation_layer,
    probabilities=lambda p: p["function"] == "softmax",
)

# Pool2d ----------------------------------------------------------------------------------------

def _pool_shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = _volume(inputs, "window", "Move it before the Flatten or Linear blocks, or remove it.")
    k, pad, ceil = p["kernel_size"], p["padding"], p["ceil_mode"]
    s = p["stride"] or k
    for side in (0, 1):
        if pad[side] > k[side] // 2:
            limit = (k[0] // 2, k[1] // 2)
            raise ShapeError(
                f"its padding {_fmt_side(pad)} is more than half its {fmt_pair(k)} window; PyTorch allows at "
                f"most {_fmt_side(limit)}. Lower padding or enlarge kernel_size."
            )
    out = (window_out(h, k[0], s[0], pad[0], 1, ceil), window_out(w, k[1], s[1], pad[1], 1, ceil))
    if out[0] < 1 or out[1] < 1:
        raise ShapeError(
            f"its {fmt_pair(k)} window does not fit the {h}×{w} volume that reaches it ({c}×{h}×{w}). "
            f"Remove this pooling layer, or one of the pooling layers above it."
        )
    return (c, *out)


def _pool_summary(p: Params, inputs: list[Shape]) -> str:
    s = p["stride"] or p["kernel_size"]
    parts = [p["mode"], fmt_pair(p["kernel_size"]), f"s{_fmt_side(s)}"]
    if p["padding"] != (0, 0):
        parts.append(f"p{_fmt_side(p['padding'])}")
    if p["ceil_mode"]:
        parts.append("ceil")
    return " · ".join(parts)


POOL2D = BlockType(
    name="Pool2d",
    category="pooling",
    help="Keeps the maximum (or average) of each window, shrinking height and width.",
    params=(
        ParamSpec("mode", "choice", "max", "max or average of each window", choices=("max", "avg")),
        ParamSpec("kernel_size", "pair", 2, "height and width of each window", min=1, max=1024),
        ParamSpec("stride", "pair", None, "step between windows (empty: kernel_size)", min=1, max=1024,
                  nullable=True),
        ParamSpec("padding", "pair", 0, "padding on each side, at most half the window", min=0, max=512),
        ParamSpec("ceil_mode", "bool", False, "round the output size up instead of down"),
    ),
    output_shape=_pool_shape,
    cost=_no_cost,
    summary=_pool_summary,
    compute=lambda p, i: Layer("MaxPool2d" if p["mode"] == "max" else "AvgPool2d", (p["kernel_size"],), {
        "stride": p["stride"] or p["kernel_size"], "padding": p["padding"], "ceil_mode": p["ceil_mode"]}),
)

def _adaptive_shape(inputs: list[Shape], p: Params) -> Shape:
    c, _, _ = _volume(inputs, "pooling", "Move it before the Flatten or Linear blocks, or remove it.")
    return (c, *p["output_size"])


ADAPTIVE_POOL2D = BlockType(
    name="AdaptivePool2d",
    category="pooling",
    help="Pools each channel down to output_size whatever its size (1×1: global average pooling).",
    params=(
        ParamSpec("mode", "choice", "avg", "average or max of each region", choices=("avg", "max")),
        ParamSpec("output_size", "pair", 1, "height and width of the output", min=1, max=1024),
    ),
    output_shape=_adaptive_shape,
    cost=_no_cost,
    summary=lambda p, i: f"{p['mode']} · → {fmt_pair(p['output_size'])}",
    compute=lambda p, i: Layer("AdaptiveMaxPool2d" if p["mode"] == "max" else "AdaptiveAvgPool2d",
                               (p["output_size"],)),
)

# BatchNorm, Dropout, Flatten -------------------------------------------------------------------

BATCHNORM = BlockType(
    name="BatchNorm",
    category="normalization",
    help="Normalises each channel over the batch, then scales and shifts it (2d on volumes, 1d on vectors).",
    params=(
        ParamSpec("eps", "float", 1e-5, "added to the variance for stability", min=0.0, max=1.0),
        ParamSpec("momentum", "float", 0.1, "weight of each batch in the running statistics", min=0.0, max=1.0),
    ),
    output_shape=_same_shape,
    cost=lambda i, o, p: (2 * i[0][0], 0),
    summary=lambda p, i: "2d" if i and len(i[0]) == 3 else "1d" if i else "",
    compute=lambda p, i: Layer("BatchNorm2d" if len(i[0]) == 3 else "BatchNorm1d", (i[0][0],),
                               {"eps": p["eps"], "momentum": p["momentum"]}),
)

DROPOUT = BlockType(
    name="Dropout",
    category="dropout",
    help="During training, zeroes each value with probability p; does nothing at prediction time.",
    params=(ParamSpec("p", "float", 0.5, "probability of zeroing a value", min=0.0, max=0.99),),
    output_shape=_same_shape,
    cost=_no_cost,
    summary=lambda p, i: f"p {p['p']:g}",
    compute=lambda p, i: Layer("Dropout", (p["p"],)),
)

FLATTEN = BlockType(
    name="Flatten",
    category="shape",
    help="Unrolls a C×H×W volume into a vector of C·H·W features.",
    params=(),
    output_shape=lambda i, p: (prod(i[0]),),
    cost=_no_cost,
    summary=lambda p, i: "",
    compute=lambda p, i: Layer("Flatten"),
)

# Linear ----------------------------------------------------------------------------------------

def _linear_summary(p: Params, inputs: list[Shape]) -> str:
    text = str(p["out_features"])
    if inputs and len(inputs[0]) > 1:
        text += f" · flattens {fmt_shape(inputs[0])} → {prod(inputs[0])}"
    return text


LINEAR = BlockType(
    name="Linear",
    category="layer",
    help="Fully connected: every output feature sees every input value (a volume is flattened first).",
    params=(
        ParamSpec("out_features", "int", 10, "number of output features", min=1, max=1_000_000),
        ParamSpec("bias", "bool", True, "add a learned bias per output feature"),
    ),
    output_shape=lambda i, p: (p["out_features"],),
    cost=lambda i, o, p: (
        prod(i[0]) * p["out_features"] + (p["out_features"] if p["bias"] else 0),
        prod(i[0]) * p["out_features"],
    ),
    summary=_linear_summary,
    compute=lambda p, i: Layer("Linear", (prod(i[0]), p["out_features"]), {"bias": p["bias"]}, flatten=len(i[0]) > 1),
)

# Add, Concat -----------------------------------------------------------------------------------

_MERGE_INPUTS = ParamSpec("inputs", "int", 2, "number of incoming branches", min=2, max=16)


def _listing(inputs: list[Shape], part: Callable[[Shape], str]) -> str:
    return ", ".join(f"{part(s)} on input {i}" for i, s in enumerate(inputs))


def _add_shape(inputs: list[Shape], p: Params) -> Shape:
    if any(s != inputs[0] for s in inputs):
        raise ShapeError(
            f"its inputs differ ({_listing(inputs, fmt_shape)}); Add needs equal volumes. "
            f"Change one branch (for example a 1×1 Conv2d or a stride) or use Concat."
        )
    return inputs[0]


def _concat_shape(inputs: list[Shape], p: Params) -> Shape:
    ranks = {len(s) for s in inputs}
    if ranks == {1}:
        return (sum(s[0] for s in inputs),)
    if ranks != {3}:
        raise ShapeError(
            f"it cannot join volumes with vectors ({_listing(inputs, fmt_shape)}). "
            f"Flatten every branch or none."
        )
    if any(s[1:] != inputs[0][1:] for s in inputs):
        raise ShapeError(
            f"its inputs differ in height×width ({_listing(inputs, lambda s: f'{s[1]}×{s[2]}')}); Concat joins "
            f"along channels and needs equal height and width. Change the stride or pooling of one branch."
        )
    return (sum(s[0] for s in inputs), inputs[0][1], inputs[0][2])


ADD = BlockType(
    name="Add",
    category="shape",
    help="Adds its inputs value by value (a residual connection); they must have equal shapes.",
    params=(_MERGE_INPUTS,),
    output_shape=_add_shape,
    cost=_no_cost,
    summary=lambda p, i: f"{p['inputs']} inputs",
    compute=lambda p, i: Infix("+"),
    inputs=lambda p: p["inputs"],
)

CONCAT = BlockType(
    name="Concat",
    category="shape",
    help="Stacks its inputs along the channels; they must have equal height and width.",
    params=(_MERGE_INPUTS,),
    output_shape=_concat_shape,
    cost=_no_cost,
    summary=lambda p, i: f"{p['inputs']} inputs",
    compute=lambda p, i: Call("cat", {"dim": 1}),
    inputs=lambda p: p["inputs"],
)

REGISTRY: dict[str, BlockType] = {
    b.name: b
    for b in (INPUT, CONV2D, ACTIVATION, POOL2D, ADAPTIVE_POOL2D, BATCHNORM, DROPOUT, FLATTEN, LINEAR, ADD, CONCAT)
}
