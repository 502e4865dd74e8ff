"""Patterns: operations that only several together make exact, found in the traced graph before its nodes are
translated: a permute to channels-last and back around LayerNorm, Linear and element-wise layers (ConvNeXt's
LayerNorm2d and 1×1 convolutions), ShuffleNet's channel shuffle (view, transpose, view), pieces of a chunk or
split along the channels (Narrow), and a parameter read only as a block's weights (a LayerScale's)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from math import ceil
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from netbuilder.pytorch.trace.operations import (
    FLATTENS,
    FUNCTIONS,
    IDENTITIES,
    METHODS,
    MULS,
    PERMUTES,
    RESHAPES,
    SPLITS,
    TRANSPOSES,
    WEIGHT_ARGUMENTS,
    binary_operands,
    is_batch_size,
    named_arguments,
    parameter_source,
)
from netbuilder.pytorch.trace.refusals import Unsupported
from netbuilder.pytorch.trace.tracing import SHAPE, traced_shape

# Layers and functions that compute each value alone: they may run on a channels-last (N, H, W, C) tensor.
_ELEMENTWISE_LAYERS = {
    "ReLU", "ReLU6", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Mish", "LeakyReLU", "ELU",
    "Dropout", "Identity",
}  # fmt: skip
_ELEMENTWISE_FUNCTIONS = {
    fn
    for fn in FUNCTIONS
    if fn not in (F.softmax, torch.softmax, torch.flatten, F.interpolate) and "pool" not in fn.__name__
}
_NCHW_TO_NHWC, _NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


@dataclass
class Patterns:
    """Operations that only several together make exact, found before the nodes are translated."""

    channels_last: set[fx.Node] = field(default_factory=set)  # between a permute to NHWC and back (shapes as NCHW)
    permutes: set[fx.Node] = field(default_factory=set)  # the permutes around them: they pass their input on
    shuffles: dict[fx.Node, tuple[fx.Node, int]] = field(default_factory=dict)  # a shuffle's last view → input, groups
    pieces: dict[fx.Node, tuple[fx.Node, int, int]] = field(default_factory=dict)  # chunk[i] → input, start, length
    skipped: set[fx.Node] = field(default_factory=set)  # computed by another node's block (a shuffle's first view)
    parameters: set[fx.Node] = field(default_factory=set)  # read only as a block's weights


def find_patterns(traced: fx.GraphModule, live: set[fx.Node]) -> Patterns:
    """The patterns of the traced graph (shapes as torch.fx recorded them; rewritten for channels-last regions)."""
    patterns = Patterns()
    for node in traced.graph.nodes:
        if node not in live:
            continue
        if node.op == "get_attr":
            _find_parameter(node, live, patterns)
        if node.op not in ("call_function", "call_method"):  # a layer named view is no view
            continue
        try:
            if _permutes(node, _NCHW_TO_NHWC):
                _find_channels_last(node, live, patterns)
            elif node.target in RESHAPES or node.target in FLATTENS:
                _find_shuffle(node, patterns)
            elif node.target in SPLITS:
                _find_pieces(node, live, patterns)
        except Unsupported:  # arguments torch cannot match to the function: no pattern (the node is refused)
            continue
    return patterns


def _find_parameter(parameter: fx.Node, live: set[fx.Node], patterns: Patterns) -> None:
    """A parameter or buffer read only as a block's weights, as it is or reshaped (gamma.reshape(1, -1, 1, 1))."""
    reshapes = {u for u in parameter.users if u in live and parameter_source(u) is parameter}
    reads = [(user, parameter) for user in parameter.users if user in live and user not in reshapes]
    reads += [(user, r) for r in reshapes for user in r.users if user in live]
    if all(_reads_as_weight(user, value) for user, value in reads):
        patterns.parameters |= {parameter, *reshapes}


def _reads_as_weight(user: fx.Node, parameter: fx.Node) -> bool:
    """user reads parameter as a block's weights: a product with a traced tensor, or a function's weights (a
    batch_norm's, conv2d's, linear's or layer_norm's: WEIGHT_ARGUMENTS)."""
    if user.op == "call_module":
        return False
    if user.target in MULS:
        operands = binary_operands(user)
        others = [a for a in operands if a is not parameter]
        traced = len(others) == 1 and isinstance(others[0], fx.Node) and parameter_source(others[0]) is None
        return len(operands) == 2 and traced
    if user.target in WEIGHT_ARGUMENTS:
        try:
            arguments = named_arguments(user)
        except Unsupported:  # arguments torch cannot match to the function (the node is refused)
            return False
        weights = [arguments.get(name) for name in WEIGHT_ARGUMENTS[user.target]]
        return arguments.get("input") is not parameter and any(w is parameter for w in weights)
    return False


def _permute_dims(node: fx.Node) -> tuple[int, ...] | None:
    """The dimensions of a permute (x.permute(0, 2, 3, 1), torch.permute(x, [0, 2, 3, 1])), None for others."""
    if node.target not in PERMUTES or node.op not in ("call_method", "call_function"):
        return None
    dims: Any = node.args[1:] if node.kwargs.get("dims") is None else (node.kwargs["dims"],)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return tuple(dims) if all(isinstance(d, int) for d in dims) else None


def _permutes(node: fx.Node, order: tuple[int, ...]) -> bool:
    """node permutes a 4-dimensional tensor in this order."""
    dims = _permute_dims(node)
    return dims is not None and len(dims) == 4 and tuple(d % 4 for d in dims) == order


def _in_channels_last(node: fx.Node) -> bool:
    """An operation exact on channels-last tensors: LayerNorm, Linear, and element-wise operations."""
    if node.op == "call_module":
        cls = type(node.graph.owning_module.get_submodule(node.target))
        known = getattr(nn, cls.__name__, None) is cls
        return known and cls.__name__ in {"LayerNorm", "Linear", *_ELEMENTWISE_LAYERS}
    if node.op == "call_method":
        return node.target in IDENTITIES or METHODS.get(node.target) in _ELEMENTWISE_FUNCTIONS
    return node.op == "call_function" and (node.target is F.layer_norm or node.target in _ELEMENTWISE_FUNCTIONS)


def _find_channels_last(opening: fx.Node, live: set[fx.Node], patterns: Patterns) -> None:
    """A permute to channels-last, operations exact there, and permutes back (ConvNeXt's LayerNorm and MLP):
    the region's operations become blocks on N, C, H, W. Any other operation in it leaves it to be refused."""
    members, closing, stack = {opening}, set(), [opening]
    while stack:
        node = stack.pop()
        for user in node.users:
            if user not in live:
                continue
            if _permutes(user, _NHWC_TO_NCHW):
                closing.add(user)
            elif _in_channels_last(user) and all(i is node or i.op == "get_attr" for i in user.all_input_nodes):
                if user not in members:
                    members.add(user)
                    stack.append(user)
            else:
                return
    if not closing or any(len(traced_shape(node) or ()) != 4 for node in members):
        return
    for node in members:  # N, H, W, C → N, C, H, W
        b, h, w, c = node.meta[SHAPE]
        node.meta[SHAPE] = (b, c, h, w)
    patterns.channels_last |= members - {opening}
    patterns.permutes |= {opening, *closing}


def _find_shuffle(last: fx.Node, patterns: Patterns) -> None:
    """A channel shuffle: x.view(b, g, C // g, h, w) or x.unflatten(1, (g, -1)), then transpose(1, 2), maybe
    contiguous(), then x.view(b, -1, h, w) or flatten(1, 2) (ShuffleNet's, and NetBuilder's own layer)."""
    chain, node = [], last.args[0] if last.args else None
    while isinstance(node, fx.Node) and len(node.users) == 1 and node.target in IDENTITIES:
        chain.append(node)
        node = node.args[0]
    transpose = node
    if not (isinstance(transpose, fx.Node) and transpose.target in TRANSPOSES and len(transpose.users) == 1):
        return
    dims = sorted(d % 5 for d in transpose.args[1:3] if isinstance(d, int))
    first = transpose.args[0]
    if dims != [1, 2] or not (isinstance(first, fx.Node) and len(first.users) == 1 and first.args):
        return
    source = first.args[0]
    before, grouped, after = traced_shape(source), traced_shape(first), traced_shape(last)
    if not (isinstance(source, fx.Node) and before and grouped and len(before) == 4 and len(grouped) == 5):
        return
    b, c, h, w = before
    if grouped != (b, grouped[1], c // grouped[1], h, w) or after != before:
        return
    if not (_splits_channels(first) and _joins_channels(last)):
        return
    patterns.shuffles[last] = (source, grouped[1])
    patterns.skipped |= {first, transpose, *chain}


def _leads_with_batch_size(node: fx.Node) -> bool:
    """A view or reshape whose first size is the batch size: x.view(b, ...) or x.view((b, ...))."""
    sizes = node.args[1:]
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return bool(sizes) and is_batch_size(sizes[0])


def _splits_channels(node: fx.Node) -> bool:
    """x.view(b, g, C // g, h, w) with b the batch size, or x.unflatten(1, ...)."""
    if node.target in RESHAPES:
        return _leads_with_batch_size(node)
    return node.target == "unflatten" and (node.args[1:2] == (1,) or node.kwargs.get("dim") == 1)


def _joins_channels(node: fx.Node) -> bool:
    """x.view(b, -1, h, w) with b the batch size, or x.flatten(1, 2)."""
    if node.target in RESHAPES:
        return _leads_with_batch_size(node)
    arguments = named_arguments(node)
    return (arguments.get("start_dim"), arguments.get("end_dim")) == (1, 2)


def _find_pieces(split: fx.Node, live: set[fx.Node], patterns: Patterns) -> None:
    """x.chunk(n, dim=1)[i] or torch.split(x, sizes, dim=1)[i]: each piece a Narrow of the channels."""
    arguments = named_arguments(split)
    source = split.args[0] if split.args else next(iter(arguments.values()), None)
    shape = traced_shape(source)
    users = [u for u in split.users if u in live]
    if shape is None or len(shape) != 4 or arguments.get("dim", 0) % 4 != 1:
        return
    if not all(u.target is operator.getitem and isinstance(u.args[1], int) for u in users):
        return
    channels = shape[1]
    if split.target in ("chunk", torch.chunk):
        size = ceil(channels / arguments["chunks"])
        sizes = [min(size, channels - start) for start in range(0, channels, size)]
    else:
        sections = arguments["split_size_or_sections"]
        sizes = (
            [min(sections, channels - start) for start in range(0, channels, sections)]
            if isinstance(sections, int)
            else list(sections)
        )
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    for user in users:
        i = user.args[1] % len(sizes)
        patterns.pieces[user] = (source, starts[i], sizes[i])
    patterns.skipped.add(split)
