"""Normalisation and regularisation: BatchNorm, GroupNorm, LayerNorm2d, LayerScale, Rescale, Dropout and
StochasticDepth; they keep the shape."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks.base import (
    BlockType,
    ImportRefused,
    ImportRule,
    Layer,
    Params,
    Shape,
    changed,
    fmt_shape,
    no_cost,
    remove_if_vector,
    same_shape,
    volume,
)
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.fields import Field


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
        Field("eps", "float", 1e-5, "added to the variance for stability", min=0.0, max=1.0, step=1e-5, decimals=6),
        Field(
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
        "BatchNorm2d" if len(i[0]) == 3 else "BatchNorm1d", (i[0][0],), changed(p, eps=1e-5, momentum=0.1)
    ),
    id_base=lambda p: "bn",
    imports={"BatchNorm1d": _import_batchnorm(2), "BatchNorm2d": _import_batchnorm(4)},
    short=lambda p: "BN",
    follows=(("Activation", {"function": "relu"}), ("Conv2d", {}), ("Pool2d", {"mode": "max"}), ("Dropout", {})),
)

DROPOUT = BlockType(
    name="Dropout",
    category="dropout",
    help="During training, zeroes each value with probability p; does nothing at prediction time.",
    params=(Field("p", "float", 0.5, "probability of zeroing a value", min=0.0, max=0.99, step=0.05, decimals=3),),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: f"p {p['p']:g}",
    compute=lambda p, i: Layer("Dropout", kwargs=changed(p, p=0.5)),
    id_base=lambda p: "drop",
    imports={"Dropout": _import_dropout},
    caption=lambda p: f"drop {p['p']:g}",
    follows=(("Linear", {}), ("Conv2d", {})),
)


def _import_layer_norm_2d(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """A layer norm over the channels of a N×C×H×W batch (permuted to channels-last around it), with weights
    and bias (args: normalized_shape, eps, elementwise_affine, bias)."""
    if len(shapes[0]) != 4 or tuple(args["normalized_shape"]) != (shapes[0][1],):
        raise ImportRefused("over other dimensions than the channels")
    if not (args["elementwise_affine"] and args["bias"]):
        raise ImportRefused("without affine weights and bias")
    return {"eps": args["eps"]}


def _import_layer_scale(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """A learned C×1×1 tensor times a N×C×H×W batch (args: shape, the tensor's)."""
    if len(shapes[0]) != 4 or tuple(args["shape"]) != (shapes[0][1], 1, 1):
        raise ImportRefused(f"by a tensor of shape {fmt_shape(tuple(args['shape']))}")
    return {}


def _import_stochastic_depth(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """torchvision.ops.stochastic_depth (args: p, mode)."""
    if args["mode"] not in ("row", "batch") or not 0.0 <= args["p"] <= 1.0:
        raise ImportRefused(f"with p {args['p']} and mode {args['mode']}")
    return {"p": args["p"], "mode": args["mode"]}


def _channels(inputs: list[Shape], what: str) -> int:
    return volume(inputs, what, "Move it before the Flatten or Linear blocks, or remove it.")[0]


GROUPS_DIVIDE = ErrorKind(
    "norm_groups",
    lambda groups, channels: (
        f"its {groups} groups do not divide the {channels} channels that reach it. Set num_groups to a divisor of "
        f"{channels}."
    ),
)


def _group_norm_shape(inputs: list[Shape], p: Params) -> Shape:
    if inputs[0][0] % p["num_groups"]:
        raise GROUPS_DIVIDE(groups=p["num_groups"], channels=inputs[0][0])
    return inputs[0]


def _import_group_norm(m: Any, shapes: list[Shape], out: Shape) -> Params:
    """torch.nn.GroupNorm (or F.group_norm) with affine weights."""
    if not m.affine:
        raise ImportRefused("without affine weights")
    return {"num_groups": m.num_groups, "eps": m.eps}


def _import_layer_norm(m: Any, shapes: list[Shape], out: Shape) -> Params:
    """torch.nn.LayerNorm (or F.layer_norm) over the features of a batch of vectors: a GroupNorm of one group."""
    if len(shapes[0]) != 2:
        raise ImportRefused(f"on a {len(shapes[0])}-dimensional tensor")
    if tuple(m.normalized_shape) != (shapes[0][1],):
        raise ImportRefused("over other dimensions than a vector's features")
    if not (m.elementwise_affine and m.bias is not None):
        raise ImportRefused("without affine weights and bias")
    return {"num_groups": 1, "eps": m.eps}


GROUPNORM = BlockType(
    name="GroupNorm",
    category="normalization",
    help=(
        "Normalises each group of channels of a sample, then scales and shifts each channel; independent of the "
        "batch (one group: a layer norm)."
    ),
    params=(
        Field("num_groups", "int", 32, "number of channel groups (must divide the channels)", min=1, max=65536),
        Field("eps", "float", 1e-5, "added to the variance for stability", min=0.0, max=1.0, step=1e-5, decimals=6),
    ),
    output_shape=_group_norm_shape,
    cost=lambda i, o, p: (2 * i[0][0], 0),
    summary=lambda p, i: f"{p['num_groups']} groups",
    compute=lambda p, i: Layer("GroupNorm", (p["num_groups"], i[0][0]), changed(p, eps=1e-5)),
    id_base=lambda p: "gn",
    imports={"GroupNorm": _import_group_norm, "LayerNorm": _import_layer_norm},
    short=lambda p: "GN",
    idea=lambda p: ("group normalization", "https://arxiv.org/abs/1803.08494"),
    follows=(("Activation", {"function": "relu"}), ("Conv2d", {})),
)

LAYERNORM2D = BlockType(
    name="LayerNorm2d",
    category="normalization",
    help=(
        "Normalises the channels at each position, then scales and shifts them; independent of the batch "
        "(ConvNeXt's norm)."
    ),
    params=(
        Field("eps", "float", 1e-6, "added to the variance for stability", min=0.0, max=1.0, step=1e-6, decimals=7),
    ),
    output_shape=lambda i, p: (_channels(i, "layer norm"), *i[0][1:]),
    cost=lambda i, o, p: (2 * i[0][0], 0),
    summary=lambda p, i: f"eps {p['eps']:g}",
    compute=lambda p, i: Layer("LayerNorm2d", (i[0][0],), changed(p, eps=1e-6), home="netbuilder"),
    fixes=remove_if_vector,
    id_base=lambda p: "ln",
    imports={"layer_norm_2d": _import_layer_norm_2d},
    short=lambda p: "LN",
    idea=lambda p: ("layer normalization over channels, as ConvNeXt uses it", "https://arxiv.org/abs/2201.03545"),
)

LAYERSCALE = BlockType(
    name="LayerScale",
    category="normalization",
    help="Multiplies each channel by a learned scale that starts small, so a deep residual branch starts quiet.",
    params=(
        Field("init_value", "float", 1e-6, "the scales' starting value", min=0.0, max=10.0, step=1e-6, decimals=7),
    ),
    output_shape=lambda i, p: (_channels(i, "scale"), *i[0][1:]),
    cost=lambda i, o, p: (i[0][0], 0),
    summary=lambda p, i: f"×{p['init_value']:g}",
    compute=lambda p, i: Layer("LayerScale", (i[0][0],), changed(p, init_value=1e-6), home="netbuilder"),
    fixes=remove_if_vector,
    id_base=lambda p: "layer_scale",
    imports={"layer_scale": _import_layer_scale},
    short=lambda p: "layer scale",
    idea=lambda p: ("LayerScale: a per-channel residual scale (CaiT)", "https://arxiv.org/abs/2103.17239"),
)


def _import_rescale(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """A tensor times a number, or divided by one (args: factor)."""
    factor = args["factor"]
    if not RESCALE.spec("factor").min <= factor <= RESCALE.spec("factor").max:  # type: ignore[operator]
        raise ImportRefused(f"by {factor:g}")
    return {"factor": factor}


RESCALE = BlockType(
    name="Rescale",
    category="normalization",
    help="Multiplies every value by a fixed factor (Inception-ResNet's scaled residual branches); no weights.",
    params=(Field("factor", "float", 1.0, "the fixed factor", min=-1e6, max=1e6, step=0.1, decimals=6),),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: f"×{p['factor']:g}",
    compute=lambda p, i: Layer("Rescale", kwargs=changed(p, factor=1.0), home="netbuilder"),
    id_base=lambda p: "rescale",
    imports={"rescale": _import_rescale},
    idea=lambda p: ("scaled residuals (Inception-ResNet)", "https://arxiv.org/abs/1602.07261"),
)

STOCHASTIC_DEPTH = BlockType(
    name="StochasticDepth",
    category="dropout",
    help=(
        "During training, drops a residual branch with probability p (per sample, or for the whole batch) and "
        "scales what it keeps; does nothing at prediction time. Put it at the end of a branch, before the Add."
    ),
    params=(
        Field("p", "float", 0.1, "probability of dropping the branch", min=0.0, max=1.0, step=0.05, decimals=3),
        Field("mode", "choice", "row", "row: each sample on its own; batch: the whole batch", choices=("row", "batch")),
    ),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: f"p {p['p']:g} {p['mode']}",
    compute=lambda p, i: Layer("StochasticDepth", kwargs=changed(p, p=0.1, mode="row"), home="netbuilder"),
    id_base=lambda p: "drop_path",
    imports={"stochastic_depth": _import_stochastic_depth},
    short=lambda p: "drop path",
    caption=lambda p: f"drop path {p['p']:.2g}",
    idea=lambda p: ("stochastic depth: randomly skipped residual blocks", "https://arxiv.org/abs/1603.09382"),
)
