"""An existing nn.Module → a NetBuilder network, through torch.fx: each layer and operation becomes a block.

Only what a block computes exactly is translated. Anything else refuses the whole import with one sentence
that lists the operations, rather than give a different network. An import is checked twice: every block's
shape against the shape torch.fx traced, and the built network's outputs against the module's own, with
the module's weights copied in (Imported.state_dict is that copy: whole layers, or single tensors renamed and
reshaped, such as a Linear's weight as a 1×1 convolution's).

Some operations are exact only together, and are found as patterns first: a permute to channels-last and back
around LayerNorm, Linear and element-wise layers (ConvNeXt: LayerNorm2d and 1×1 convolutions), ShuffleNet's
channel shuffle (view, transpose, view), pieces of a chunk or split along the channels (Narrow), and a
parameter multiplied in (a LayerScale). Submodules with parameters that the traced eval-mode network never
uses (Inception's AuxLogits) are reported with their parameter counts.

Sources: "torchvision:NAME" (a torchvision classification model, random weights, nothing downloaded) and
"package.module:ClassName" (a class, or a function, of the user's own code that returns an nn.Module when
called without arguments; importing it runs that code).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import operator
import os
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil, prod
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.fx.operator_schemas import normalize_function

from netbuilder.core.blocks import CONCAT, FLATTEN, INPUT, REGISTRY, BlockType, fmt_shape
from netbuilder.core.blocks.base import ImportRefused, ImportRule
from netbuilder.core.document import Document
from netbuilder.core.errors import error_summary
from netbuilder.core.graph import NAME_LIMIT, Edge, Graph, Group, Node
from netbuilder.core.layout import arrange
from netbuilder.core.shapes import check
from netbuilder.core.text import clean, quote
from netbuilder.pytorch import layers
from netbuilder.pytorch.build import build, python_names

TORCHVISION = "torchvision:"
MAX_INPUTS = int(CONCAT.spec("inputs").max)  # type: ignore[arg-type]
BATCH = 2  # traced and compared with a batch of two, so that nothing can mistake the batch for a feature
LISTED_CHARS = 240  # a refusal lists operations up to about this many characters, then counts the rest

# The import-rule keys of operations (the others are torch.nn class names): what trace looks up them for.
OPERATIONS = ("add", "mul", "cat", "layer_scale", "layer_norm_2d", "stochastic_depth", "channel_shuffle", "narrow")

Shape = tuple[int, ...]
Block = tuple[BlockType, dict[str, Any]]  # a block type and its params
Translation = Block | list[Block] | None  # one block, a chain of blocks, or None: the input passes on


class ModelImportError(Exception):
    """A model that cannot be imported; the message is one sentence saying why (and what to do)."""


class _Unsupported(Exception):
    """One operation without an exact block; the message names it (the same for every place it occurs)."""


@dataclass(frozen=True)
class Weight:
    """Where one tensor of a block comes from: a parameter or buffer of the module (its qualified name), reshaped
    to shape (a Linear's weight as a 1×1 convolution's), or as it is (shape None)."""

    name: str
    shape: Shape | None = None


@dataclass(frozen=True)
class LeftOut:
    """A submodule with parameters that the traced eval-mode network never uses (Inception's AuxLogits)."""

    name: str
    params: int
    in_training: bool  # used when the module runs in training mode

    def __str__(self) -> str:
        return f"{self.name} ({self.params:,} params), {'used only in training' if self.in_training else 'never used'}"


@dataclass
class Imported:
    """An imported network, and where each of its layers came from in the module."""

    document: Document
    modules: dict[str, str] = field(default_factory=dict)  # block id → qualified name of its submodule
    tensors: dict[str, dict[str, Weight]] = field(default_factory=dict)  # block id → its state_dict key → source
    left_out: list[LeftOut] = field(default_factory=list)

    def state_dict(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """build(document.graph)'s state_dict, holding module's weights (the weight-copy mapping): whole
        submodules' state_dicts (modules), and single tensors, renamed and reshaped (tensors)."""
        names = python_names(self.document.graph)
        state = {
            f"layers.{names[nid]}.{key}": tensor
            for nid, qualified in self.modules.items()
            for key, tensor in module.get_submodule(qualified).state_dict().items()
        }
        for nid, weights in self.tensors.items():
            for key, weight in weights.items():
                tensor = _tensor(module, weight.name)
                state[f"layers.{names[nid]}.{key}"] = tensor if weight.shape is None else tensor.reshape(weight.shape)
        return state

    def left_out_note(self) -> str:
        """ "left out AuxLogits (3,326,696 params), used only in training", or "" when every parameter is used."""
        return f"left out {'; '.join(map(str, self.left_out))}" if self.left_out else ""


def _tensor(module: nn.Module, qualified: str) -> torch.Tensor:
    """The parameter or buffer of module with this qualified name."""
    owner, _, name = qualified.rpartition(".")
    return getattr(module.get_submodule(owner), name).detach()


# Layers and operations ----------------------------------------------------------------------------------


def _rule(key: str) -> tuple[BlockType, ImportRule] | None:
    """The block type whose import rule is keyed by key (a torch.nn class name, or add or cat), with the rule."""
    return next(((b, b.imports[key]) for b in REGISTRY.values() if key in b.imports), None)


def _apply(node: fx.Node, key: str, subject: Any, shapes: list[Shape], out: Shape) -> Translation:
    """The block the import rule keyed by key makes of subject (a layer, or an operation's arguments)."""
    found = _rule(key)
    if found is None:
        raise _Unsupported(_name(node))
    block, rule = found
    try:
        return block, rule(subject, shapes, out)
    except ImportRefused as e:
        raise _Unsupported(f"{_name(node)} {e}") from None


def _layer(node: fx.Node, module: nn.Module, shapes: list[Shape], out: Shape) -> Translation:
    """The block of a torch.nn layer of an exact class (a subclass may compute something else)."""
    cls = type(module)
    if cls is nn.Identity:
        return None
    if cls is layers.StochasticDepth:  # NetBuilder's own (kept whole by _Tracer)
        return _apply(node, "stochastic_depth", {"p": module.p, "mode": module.mode}, shapes, out)
    if getattr(nn, cls.__name__, None) is not cls:
        raise _Unsupported(_name(node))
    return _apply(node, cls.__name__, module, shapes, out)


# Functions, as the layer that computes the same (from their arguments, normalised to keywords).
_FUNCTIONS: dict[Any, Callable[[dict[str, Any]], nn.Module]] = {
    **{fn: lambda kw: nn.ReLU() for fn in (F.relu, F.relu_, torch.relu, torch.relu_)},
    **{fn: lambda kw: nn.Sigmoid() for fn in (F.sigmoid, torch.sigmoid, torch.sigmoid_)},
    **{fn: lambda kw: nn.Tanh() for fn in (F.tanh, torch.tanh, torch.tanh_)},
    F.silu: lambda kw: nn.SiLU(),
    F.relu6: lambda kw: nn.ReLU6(),
    F.hardswish: lambda kw: nn.Hardswish(),
    F.hardsigmoid: lambda kw: nn.Hardsigmoid(),
    F.mish: lambda kw: nn.Mish(),
    F.gelu: lambda kw: nn.GELU(kw.get("approximate", "none")),
    F.elu: lambda kw: nn.ELU(kw["alpha"]),
    F.leaky_relu: lambda kw: nn.LeakyReLU(kw["negative_slope"]),
    **{fn: lambda kw: nn.Softmax(kw["dim"]) for fn in (F.softmax, torch.softmax)},
    F.max_pool2d: lambda kw: nn.MaxPool2d(
        kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"], kw["return_indices"], kw["ceil_mode"]
    ),
    F.avg_pool2d: lambda kw: nn.AvgPool2d(
        kw["kernel_size"], kw["stride"], kw["padding"], kw["ceil_mode"], kw["count_include_pad"], kw["divisor_override"]
    ),
    F.adaptive_avg_pool2d: lambda kw: nn.AdaptiveAvgPool2d(kw["output_size"]),
    F.adaptive_max_pool2d: lambda kw: nn.AdaptiveMaxPool2d(kw["output_size"]),
    torch.flatten: lambda kw: nn.Flatten(kw["start_dim"], kw["end_dim"]),
}
# Tensor methods, as the torch function with the same arguments.
_METHODS = {
    name: getattr(torch, name)
    for name in ("relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "softmax", "flatten")
}
_ADDS = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__"}
_MULS = {operator.mul, operator.imul, torch.mul, torch.multiply, "mul", "mul_", "__mul__", "multiply"}
_CATS = {torch.cat, torch.concat, torch.concatenate}
_RESHAPES = {"view", "reshape", torch.reshape}
_IDENTITIES = {"contiguous"}
_MEANS = {"mean", torch.mean}
_SPLITS = {"chunk", "split", torch.chunk, torch.split}
_NARROWS = {"narrow", torch.narrow}
_FLATTENS = {"flatten", torch.flatten}
_PERMUTES = {"permute", torch.permute}
_TRANSPOSES = {"transpose", torch.transpose}
_SIZE_ARITHMETIC = {operator.floordiv, operator.mul, operator.add, operator.sub}
# Layers and functions that compute each value alone: they may run on a channels-last (N, H, W, C) tensor.
_ELEMENTWISE_LAYERS = {
    "ReLU", "ReLU6", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Mish", "LeakyReLU", "ELU",
    "Dropout", "Identity",
}  # fmt: skip
_ELEMENTWISE_FUNCTIONS = {
    fn for fn in _FUNCTIONS if fn not in (F.softmax, torch.softmax, torch.flatten) and "pool" not in fn.__name__
}
NCHW_TO_NHWC, NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def _name(node: fx.Node) -> str:
    """How the refusal names an operation: the layer's class, or the function or method's name (escaped: the
    names come from the user's code)."""
    if node.op == "call_module":
        return clean(type(node.graph.owning_module.get_submodule(node.target)).__name__)
    if node.op == "call_method":
        return f"Tensor.{clean(node.target)}"
    if node.op == "get_attr":
        return "a parameter or buffer used directly"
    return clean(getattr(node.target, "__name__", node.target))


def _shape(node: Any) -> Shape | None:
    """The shape of the tensor a traced node gives (batch first), None for anything else."""
    return node.meta.get(_SHAPE) if isinstance(node, fx.Node) else None


def _is_size(node: fx.Node) -> bool:
    """x.size(), x.shape, one of their items, or arithmetic on them (C // groups): values a reshape may read."""
    if node.op == "call_method":
        return node.target == "size"
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] == "shape"
    if node.op == "call_function" and node.target in _SIZE_ARITHMETIC:
        operands = [a for a in node.args if isinstance(a, fx.Node)]
        return bool(operands) and all(map(_is_size, operands)) and all(isinstance(a, (fx.Node, int)) for a in node.args)
    return (
        node.op == "call_function"
        and node.target is operator.getitem
        and isinstance(node.args[0], fx.Node)
        and _is_size(node.args[0])
    )


def _is_batch_size(arg: Any) -> bool:
    """x.size(0), x.size()[0] or x.shape[0]."""
    if not isinstance(arg, fx.Node):
        return False
    if arg.op == "call_method" and arg.target == "size":
        return arg.args[1:] == (0,) or arg.kwargs == {"dim": 0}
    if arg.op == "call_function" and arg.target is operator.getitem and arg.args[1] == 0:
        source = arg.args[0]
        return isinstance(source, fx.Node) and (
            (source.op == "call_method" and source.target == "size" and len(source.args) == 1)
            or (source.op == "call_function" and source.target is getattr and source.args[1] == "shape")
        )
    return False


def _reshape(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """x.view(x.size(0), -1), x.reshape(-1, C·H·W) and the like: a Flatten."""
    sizes = node.args[1:] if node.kwargs.get("shape") is None else (node.kwargs["shape"],)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    features = prod(shapes[0][1:])
    flat = (
        len(sizes) == 2
        and out == (shapes[0][0], features)
        and ((_is_batch_size(sizes[0]) and sizes[1] in (-1, features)) or (sizes[0] == -1 and sizes[1] == features))
    )
    if not flat:
        raise _Unsupported(f"{_name(node)} to any shape but (batch, -1)")
    return FLATTEN, {}


def _translate(node: fx.Node, shapes: list[Shape], out: Shape, patterns: _Patterns) -> Translation:
    """The block (or chain of blocks) that computes what node computes, None where it passes its input on, or
    _Unsupported."""
    target = node.target
    if node in patterns.permutes:
        return None
    if node in patterns.shuffles:
        return _apply(node, "channel_shuffle", {"groups": patterns.shuffles[node][1]}, shapes, out)
    if node in patterns.pieces:
        start, length = patterns.pieces[node][1:]
        return _apply(node, "narrow", {"dim": 1, "start": start, "length": length}, shapes, out)
    if node in patterns.channels_last:
        return _channels_last(node, shapes, out)
    if node.op == "call_module":
        return _layer(node, node.graph.owning_module.get_submodule(target), shapes, out)
    if target in _ADDS:
        return _apply(node, "add", {"alpha": node.kwargs.get("alpha", 1)}, shapes, out)
    if target in _MULS:
        return _multiply(node, shapes, out)
    if target in _CATS:  # a cat of one tensor is that tensor
        return _apply(node, "cat", {"dim": _dim(node, shapes[0])}, shapes, out) if len(shapes) > 1 else None
    if target in _RESHAPES:
        return _reshape(node, shapes, out)
    if target in _IDENTITIES:
        return None
    if target in _MEANS:
        return _mean(node, shapes, out)
    if target in _NARROWS:
        arguments = _arguments(node)
        subject = {"dim": arguments["dim"], "start": arguments["start"], "length": arguments["length"]}
        return _apply(node, "narrow", subject, shapes, out)
    if _is_stochastic_depth(target):
        arguments = _arguments(node)
        return _apply(node, "stochastic_depth", {"p": arguments["p"], "mode": arguments["mode"]}, shapes, out)
    function = _METHODS.get(target) if node.op == "call_method" else target
    if function in _FUNCTIONS:
        normalised = normalize_function(
            function, node.args, node.kwargs, _types(node.args), _types(node.kwargs), normalize_to_only_use_kwargs=True
        )
        if normalised is not None:
            return _layer(node, _FUNCTIONS[function](normalised.kwargs), shapes, out)
    raise _Unsupported(_name(node))


def _multiply(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """A product of traced tensors (a Multiply), or of a tensor and a learned C×1×1 parameter (a LayerScale)."""
    parameter = next((a for a in _operands(node) if isinstance(a, fx.Node) and a.op == "get_attr"), None)
    if parameter is not None:
        return _apply(node, "layer_scale", {"shape": _shape(parameter)}, shapes, out)
    if len(shapes) < 2:
        raise _Unsupported(f"{_name(node)} by a number")
    return _apply(node, "mul", {}, shapes, out)


def _mean(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """x.mean((2, 3)): a global average pool, and a Flatten unless keepdim."""
    arguments = _arguments(node)
    dims = arguments.get("dim")
    dims = (dims,) if isinstance(dims, int) else tuple(dims) if isinstance(dims, (tuple, list)) else None
    rank = len(shapes[0])
    if rank != 4 or dims is None or sorted(d % rank for d in dims) != [2, 3] or arguments.get("dtype") is not None:
        raise _Unsupported(f"{_name(node)} over any dimensions but height and width")
    pooled = (*shapes[0][:2], 1, 1)
    pool = _apply(node, "AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d(1), shapes, pooled)
    if arguments.get("keepdim", False):
        return pool
    return [pool, _apply(node, "Flatten", nn.Flatten(), [pooled], out)]  # type: ignore[list-item]


def _channels_last(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """An operation between a permute to channels-last and back, as the block that computes it on N, C, H, W:
    LayerNorm over the channels is a LayerNorm2d, a Linear a 1×1 Conv2d; element-wise ones stay themselves."""
    if node.op == "call_module":
        module = node.graph.owning_module.get_submodule(node.target)
        if isinstance(module, nn.Linear):
            conv = nn.Conv2d(module.in_features, module.out_features, 1, bias=module.bias is not None, device="meta")
            return _apply(node, "Conv2d", conv, shapes, out)
        if isinstance(module, nn.LayerNorm):
            subject = {
                "normalized_shape": tuple(module.normalized_shape),
                "eps": module.eps,
                "elementwise_affine": module.elementwise_affine,
                "bias": module.bias is not None,
            }
            return _apply(node, "layer_norm_2d", subject, shapes, out)
        return _layer(node, module, shapes, out)
    if node.target is F.layer_norm:
        arguments = _arguments(node)
        affine = [arguments.get(k) for k in ("weight", "bias")]
        if not all(isinstance(a, fx.Node) and a.op == "get_attr" for a in affine):
            raise _Unsupported(f"{_name(node)} without learned weight and bias")
        subject = {
            "normalized_shape": tuple(arguments["normalized_shape"]),
            "eps": arguments.get("eps", 1e-5),
            "elementwise_affine": True,
            "bias": True,
        }
        return _apply(node, "layer_norm_2d", subject, shapes, out)
    if node.target in _IDENTITIES:
        return None
    function = _METHODS.get(node.target) if node.op == "call_method" else node.target
    return _layer(node, _FUNCTIONS[function](_arguments(node, function)), shapes, out)


def _weights(node: fx.Node, patterns: _Patterns) -> dict[str, Weight] | None:
    """The tensors of node's block taken one by one from the module (None: the whole submodule's, or none)."""
    if node.op == "call_module" and node in patterns.channels_last:
        module = node.graph.owning_module.get_submodule(node.target)
        if isinstance(module, nn.Linear):  # as a 1×1 convolution
            weights = {"weight": Weight(f"{node.target}.weight", (*module.weight.shape, 1, 1))}
            return weights | ({"bias": Weight(f"{node.target}.bias")} if module.bias is not None else {})
    if node.op == "call_function" and node.target is F.layer_norm:
        arguments = _arguments(node)
        return {key: Weight(str(arguments[key].target)) for key in ("weight", "bias")}
    if node.op != "call_module" and node.target in _MULS:
        parameter = next((a for a in _operands(node) if isinstance(a, fx.Node) and a.op == "get_attr"), None)
        return {"scale": Weight(str(parameter.target))} if parameter is not None else None
    return None


def _arguments(node: fx.Node, function: Any = None) -> dict[str, Any]:
    """A call's arguments by name (a method's self is its first argument)."""
    function = function or (getattr(torch, str(node.target)) if node.op == "call_method" else node.target)
    if node.op == "call_function" and not isinstance(function, type(torch.add)):
        try:  # a Python function: its own signature
            return dict(inspect.signature(function).bind(*node.args, **node.kwargs).arguments)
        except (TypeError, ValueError):
            pass
    normalised = normalize_function(
        function, node.args, node.kwargs, _types(node.args), _types(node.kwargs), normalize_to_only_use_kwargs=True
    )
    if normalised is None:
        raise _Unsupported(_name(node))
    return normalised.kwargs


def _is_stochastic_depth(target: Any) -> bool:
    """torchvision.ops.stochastic_depth (kept whole by torch.fx)."""
    return getattr(target, "__name__", None) == "stochastic_depth" and str(
        getattr(target, "__module__", "")
    ).startswith("torchvision.ops")


def _operands(node: fx.Node) -> list[Any]:
    """Both sides of a binary operation (+, *)."""
    return [*node.args[:2], *([node.kwargs["other"]] if "other" in node.kwargs else [])]


def _types(values: Any) -> Any:
    """The types of call arguments, a traced value being a tensor (to pick among torch's overloads)."""
    kind = lambda v: torch.Tensor if isinstance(v, fx.Node) else type(v)  # noqa: E731
    return {k: kind(v) for k, v in values.items()} if isinstance(values, dict) else tuple(map(kind, values))


def _dim(node: fx.Node, shape: Shape) -> int:
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    return dim % len(shape) if isinstance(dim, int) else -1


def _tensor_inputs(node: fx.Node, patterns: _Patterns | None = None) -> list[fx.Node]:
    """The tensors an operation reads, in order: its first argument, both sides of + and *, every tensor of a
    cat; for a piece of a chunk or split, and the last view of a channel shuffle, the tensor they divide. A
    parameter read as a block's weights (a LayerScale's) is no input."""
    if patterns is not None and node in patterns.pieces:
        return [patterns.pieces[node][0]]
    if patterns is not None and node in patterns.shuffles:
        return [patterns.shuffles[node][0]]
    if node.target in _CATS:
        tensors = node.kwargs.get("tensors", node.args[0] if node.args else [])
        return [t for t in tensors if isinstance(t, fx.Node)] if isinstance(tensors, (list, tuple)) else []
    if node.target in _ADDS or node.target in _MULS:
        return [a for a in _operands(node) if isinstance(a, fx.Node) and a.op != "get_attr"]
    first = node.args[0] if node.args else node.kwargs.get("input")
    return [first] if isinstance(first, fx.Node) else []


# Patterns of several operations ---------------------------------------------------------------------------


@dataclass
class _Patterns:
    """Operations that only several together make exact, found before the nodes are translated."""

    channels_last: set[fx.Node] = field(default_factory=set)  # between a permute to NHWC and back (shapes as NCHW)
    permutes: set[fx.Node] = field(default_factory=set)  # the permutes around them: they pass their input on
    shuffles: dict[fx.Node, tuple[fx.Node, int]] = field(default_factory=dict)  # a shuffle's last view → input, groups
    pieces: dict[fx.Node, tuple[fx.Node, int, int]] = field(default_factory=dict)  # chunk[i] → input, start, length
    skipped: set[fx.Node] = field(default_factory=set)  # computed by another node's block (a shuffle's first view)
    parameters: set[fx.Node] = field(default_factory=set)  # read only as a block's weights


def _patterns(traced: fx.GraphModule, live: set[fx.Node]) -> _Patterns:
    """The patterns of the traced graph (shapes as torch.fx recorded them; rewritten for channels-last regions)."""
    patterns = _Patterns()
    for node in traced.graph.nodes:
        if node not in live:
            continue
        if node.op == "get_attr" and all(_reads_as_weight(user, node) for user in node.users if user in live):
            patterns.parameters.add(node)
        if node.op not in ("call_function", "call_method"):  # a layer named view is no view
            continue
        try:
            if _permutes(node, NCHW_TO_NHWC):
                _find_channels_last(node, live, patterns)
            elif node.target in _RESHAPES or node.target in _FLATTENS:
                _find_shuffle(node, patterns)
            elif node.target in _SPLITS:
                _find_pieces(node, live, patterns)
        except _Unsupported:  # arguments torch cannot match to the function: no pattern (the node is refused)
            continue
    return patterns


def _reads_as_weight(user: fx.Node, parameter: fx.Node) -> bool:
    """user reads parameter as a block's weights: a product with a traced tensor, or LayerNorm's weight or bias."""
    if user.op == "call_module":
        return False
    if user.target in _MULS:
        operands = _operands(user)
        others = [a for a in operands if a is not parameter]
        return len(operands) == 2 and len(others) == 1 and isinstance(others[0], fx.Node) and others[0].op != "get_attr"
    if user.target is F.layer_norm:
        return parameter not in user.args[:1] and user.kwargs.get("input") is not parameter
    return False


def _permute_dims(node: fx.Node) -> tuple[int, ...] | None:
    """The dimensions of a permute (x.permute(0, 2, 3, 1), torch.permute(x, [0, 2, 3, 1])), None for others."""
    if node.target not in _PERMUTES or node.op not in ("call_method", "call_function"):
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
        return node.target in _IDENTITIES or _METHODS.get(node.target) in _ELEMENTWISE_FUNCTIONS
    return node.op == "call_function" and (node.target is F.layer_norm or node.target in _ELEMENTWISE_FUNCTIONS)


def _find_channels_last(opening: fx.Node, live: set[fx.Node], patterns: _Patterns) -> None:
    """A permute to channels-last, operations exact there, and permutes back (ConvNeXt's LayerNorm and MLP):
    the region's operations become blocks on N, C, H, W. Any other operation in it leaves it to be refused."""
    members, closing, stack = {opening}, set(), [opening]
    while stack:
        node = stack.pop()
        for user in node.users:
            if user not in live:
                continue
            if _permutes(user, NHWC_TO_NCHW):
                closing.add(user)
            elif _in_channels_last(user) and all(i is node or i.op == "get_attr" for i in user.all_input_nodes):
                if user not in members:
                    members.add(user)
                    stack.append(user)
            else:
                return
    if not closing or any(len(_shape(node) or ()) != 4 for node in members):
        return
    for node in members:  # N, H, W, C → N, C, H, W
        b, h, w, c = node.meta[_SHAPE]
        node.meta[_SHAPE] = (b, c, h, w)
    patterns.channels_last |= members - {opening}
    patterns.permutes |= {opening, *closing}


def _find_shuffle(last: fx.Node, patterns: _Patterns) -> None:
    """A channel shuffle: x.view(b, g, C // g, h, w) or x.unflatten(1, (g, -1)), then transpose(1, 2), maybe
    contiguous(), then x.view(b, -1, h, w) or flatten(1, 2) (ShuffleNet's, and NetBuilder's own layer)."""
    chain, node = [], last.args[0] if last.args else None
    while isinstance(node, fx.Node) and len(node.users) == 1 and node.target in _IDENTITIES:
        chain.append(node)
        node = node.args[0]
    transpose = node
    if not (isinstance(transpose, fx.Node) and transpose.target in _TRANSPOSES and len(transpose.users) == 1):
        return
    dims = sorted(d % 5 for d in transpose.args[1:3] if isinstance(d, int))
    first = transpose.args[0]
    if dims != [1, 2] or not (isinstance(first, fx.Node) and len(first.users) == 1 and first.args):
        return
    source = first.args[0]
    before, grouped, after = _shape(source), _shape(first), _shape(last)
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
    return bool(sizes) and _is_batch_size(sizes[0])


def _splits_channels(node: fx.Node) -> bool:
    """x.view(b, g, C // g, h, w) with b the batch size, or x.unflatten(1, ...)."""
    if node.target in _RESHAPES:
        return _leads_with_batch_size(node)
    return node.target == "unflatten" and (node.args[1:2] == (1,) or node.kwargs.get("dim") == 1)


def _joins_channels(node: fx.Node) -> bool:
    """x.view(b, -1, h, w) with b the batch size, or x.flatten(1, 2)."""
    if node.target in _RESHAPES:
        return _leads_with_batch_size(node)
    arguments = _arguments(node)
    return (arguments.get("start_dim"), arguments.get("end_dim")) == (1, 2)


def _find_pieces(split: fx.Node, live: set[fx.Node], patterns: _Patterns) -> None:
    """x.chunk(n, dim=1)[i] or torch.split(x, sizes, dim=1)[i]: each piece a Narrow of the channels."""
    arguments = _arguments(split)
    source = split.args[0] if split.args else next(iter(arguments.values()), None)
    shape = _shape(source)
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


# Tracing -------------------------------------------------------------------------------------------------

_SHAPE = "netbuilder_shape"


class _ShapeRecorder(fx.Interpreter):
    """Runs a traced module and notes the shape of every tensor it computes (as ShapeProp does, but quietly:
    ShapeProp prints a traceback when the module fails)."""

    def run_node(self, n: fx.Node) -> Any:
        value = super().run_node(n)
        n.meta[_SHAPE] = tuple(value.shape) if isinstance(value, torch.Tensor) else None
        return value


class _Tracer(fx.Tracer):
    """torch.fx's tracer, keeping NetBuilder's own StochasticDepth whole: in eval mode its forward returns its
    input, which would leave no trace of it."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return type(m) is layers.StochasticDepth or super().is_leaf_module(m, module_qualified_name)


def _trace(module: nn.Module, input_shape: Shape, label: str) -> fx.GraphModule:
    """module traced by torch.fx, with every value's shape for a batch of input_shape."""
    try:
        tracer = _Tracer()
        graph = tracer.trace(module)
        traced = fx.GraphModule(tracer.root, graph, type(module).__name__)
    except Exception as e:  # torch.fx raises many kinds on Python control flow it cannot follow
        raise ModelImportError(
            f"torch.fx cannot trace {label} ({error_summary(e)}); only modules whose forward "
            f"runs the same operations for every input can be imported."
        ) from None
    inputs = [n for n in traced.graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise ModelImportError(f"{label} takes {len(inputs)} inputs in forward(); a network takes one.")
    device = next(iter([*module.parameters(), *module.buffers()]), torch.empty(0)).device
    try:
        _ShapeRecorder(traced).run(torch.zeros(BATCH, *input_shape, device=device))
    except Exception as e:  # whatever the module raises on this input
        raise ModelImportError(
            f"{label} does not run on inputs of {fmt_shape(input_shape)} ({error_summary(e)}); "
            f"give the input size it was made for with --input."
        ) from None
    return traced


def _live(output: fx.Node) -> set[fx.Node]:
    """The nodes the output depends on."""
    seen, stack = set(), [output]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.all_input_nodes)
    return seen


def translate(module: nn.Module, input_shape: Shape, label: str = "the model") -> Imported:
    """The network of module for inputs of input_shape (C, H, W or F), checked shape by shape.

    The module is traced in eval mode (its mode is restored after). It may live on the meta device (no
    weights): the structure and shapes are all this reads. Raises ModelImportError."""
    was_training = module.training
    module.eval()
    try:
        traced = _trace(module, tuple(input_shape), label)
    finally:
        module.train(was_training)
    output = next(n for n in traced.graph.nodes if n.op == "output")
    result = output.args[0]
    if not isinstance(result, fx.Node) or _shape(result) is None:
        raise ModelImportError(f"{label} returns {type(result).__name__}, not one tensor; a network has one output.")

    graph = Graph()
    graph.add_node(Node("input", INPUT.name, {"shape": list(input_shape)}))
    block_of: dict[fx.Node, str] = {}  # fx node → the block whose output it is
    imported = Imported(Document(graph, label))
    refused: dict[str, list[str]] = {}  # operation → where it occurs
    failed: set[fx.Node] = set()  # refused nodes, and nodes that read them
    path_of: dict[str, tuple[str, ...]] = {}  # block id → the modules whose forward computed it, outermost first
    module_paths = _module_paths(traced)
    live = _live(output)
    patterns = _patterns(traced, live)
    for node in traced.graph.nodes:
        if node not in live or node.op == "output" or node in patterns.skipped or node in patterns.parameters:
            continue
        if node.op == "placeholder":
            block_of[node] = "input"
            continue
        sources = _tensor_inputs(node, patterns)
        out = _shape(node)
        try:
            if out is None:  # not one tensor: a size that a reshape may read (anything else reading it is refused)
                if _is_size(node):
                    continue
                raise _Unsupported(_name(node))
            if not sources:
                raise _Unsupported(_name(node) if node.op == "get_attr" else f"{_name(node)} creating a tensor")
            shapes = [_shape(s) for s in sources]
            if None in shapes:
                raise _Unsupported(_name(node))
            translation = _translate(node, shapes, out, patterns)  # type: ignore[arg-type]
        except _Unsupported as e:
            refused.setdefault(str(e), []).append(node.name)
            failed.add(node)
            continue
        if failed.intersection([*node.all_input_nodes, *sources]):  # translatable, but reads what is not
            failed.add(node)
            continue
        if translation is None:
            block_of[node] = block_of[sources[0]]
            continue
        before = len(graph.nodes)
        ids = [block_of[s] for s in sources]
        for block, params in translation if isinstance(translation, list) else [translation]:
            ids = [_add_block(graph, node.name, block, params, ids)]
        block_of[node] = ids[0]
        for nid in list(graph.nodes)[before:]:  # the blocks, and the heads of a chained Concat
            path_of[nid] = module_paths[node]
        weights = _weights(node, patterns)
        if weights is not None:
            imported.tensors[block_of[node]] = weights
        elif node.op == "call_module":
            imported.modules[block_of[node]] = str(node.target)
    if refused:
        raise ModelImportError(_refusal(label, refused))
    _compare_shapes(graph, block_of, label)
    _add_groups(graph, path_of)
    for nid, position in arrange(graph).items():
        graph.nodes[nid].position = position
    imported.left_out = _left_out(module, _used(traced, live))
    return imported


# Parameters the eval-mode network never uses ----------------------------------------------------------------


def _used(traced: fx.GraphModule, nodes: Any) -> set[str]:
    """The qualified names of the layers and parameters that these nodes of a traced module call or read."""
    return {str(n.target) for n in nodes if n.op in ("call_module", "get_attr")}


def _left_out(module: nn.Module, used: set[str]) -> list[LeftOut]:
    """The largest submodules whose parameters the traced network never uses (Inception's AuxLogits, which only
    training runs), each with its parameter count and whether training mode uses it."""

    def is_used(name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[:i]) in used for i in range(1, len(parts) + 1))

    unused = {name for name, _ in module.named_parameters() if not is_used(name)}
    if not unused:
        return []
    found: list[tuple[str, int]] = []

    def visit(prefix: str, sub: nn.Module) -> None:
        for name, p in sub.named_parameters(recurse=False):
            if f"{prefix}{name}" in unused:
                found.append((f"{prefix}{name}", p.numel()))
        for name, child in sub.named_children():
            params = [(f"{prefix}{name}.{n}", p.numel()) for n, p in child.named_parameters()]
            if params and all(n in unused for n, _ in params):
                found.append((f"{prefix}{name}", sum(c for _, c in params)))
            elif any(n in unused for n, _ in params):
                visit(f"{prefix}{name}.", child)

    visit("", module)
    training = _used_in_training(module)
    return [
        LeftOut(name, params, any(u == name or u.startswith(f"{name}.") for u in training)) for name, params in found
    ]


def _used_in_training(module: nn.Module) -> set[str]:
    """The layers and parameters that module's forward calls or reads in training mode, as far as torch.fx can
    trace it (nothing where it cannot)."""
    was_training = module.training
    module.train()
    try:
        traced = fx.symbolic_trace(module)
    except Exception:  # torch.fx raises many kinds on Python control flow it cannot follow
        return set()
    finally:
        module.train(was_training)
    return _used(traced, traced.graph.nodes)


# Groups from the module hierarchy -------------------------------------------------------------------------


def _module_paths(traced: fx.GraphModule) -> dict[fx.Node, tuple[str, ...]]:
    """For each node, the qualified names of the modules whose forward computed it, outermost first, the root
    left out (a layer is not part of its own path: layer1.0.conv1 → layer1, layer1.0).

    torch.fx notes these as meta["nn_module_stack"], leaving it out for what the root's own forward computes.
    A torch.fx that does not note them: a layer's path comes from its name, and an operation's is inferred
    from its neighbours: the modules around both the layer before it and the layer after it (an Add between
    bn2 and the relu of layer1.0 is layer1.0's), or, deeper, the modules around all of its inputs (the relu
    that follows the BatchNorm of a small conv-BN-relu module)."""
    nodes = list(traced.graph.nodes)
    if any("nn_module_stack" in n.meta for n in nodes):
        paths = {}
        for node in nodes:
            stack = node.meta.get("nn_module_stack")
            entries = stack.items() if isinstance(stack, dict) else []
            names = [str(entry[0]) if isinstance(entry, tuple) and entry else str(key) for key, entry in entries]
            if node.op == "call_module" and names and names[-1] == str(node.target):
                names = names[:-1]  # the layer itself
            paths[node] = tuple(name for name in names if name)
        return paths

    def of_layer(node: fx.Node) -> tuple[str, ...]:
        parts = str(node.target).split(".")
        return tuple(".".join(parts[:i]) for i in range(1, len(parts)))

    following: dict[fx.Node, tuple[str, ...]] = {}  # the path of the next layer
    after: tuple[str, ...] = ()
    for node in reversed(nodes):
        following[node] = after
        if node.op == "call_module":
            after = of_layer(node)
    paths, before = {}, ()
    for node in nodes:
        if node.op == "call_module":
            paths[node] = before = of_layer(node)
            continue
        around = _common(before, following[node])
        inputs = [paths[n] for n in node.all_input_nodes if n in paths and n.op != "placeholder"]
        fed = functools.reduce(_common, inputs) if inputs else ()
        paths[node] = fed if fed[: len(around)] == around else around
    return paths


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _add_groups(graph: Graph, path_of: dict[str, tuple[str, ...]]) -> None:
    """Group the blocks as the module's hierarchy does: a submodule whose forward computed blocks becomes a
    folded group of them, nested as the submodules are (layer1 → layer1.0 → its convs). A submodule with
    fewer than two members (blocks, or submodules that became groups) is no group: its member, if any,
    belongs to the submodule around it. Blocks of the module's own forward stay ungrouped."""
    items: dict[tuple[str, ...], list[tuple[str, ...] | str]] = {}  # a path → its sub-paths and blocks, in order
    for nid, path in path_of.items():
        for depth in range(1, len(path) + 1):
            if path[:depth] not in items:
                items[path[:depth]] = []
                items.setdefault(path[: depth - 1], []).append(path[:depth])
        items.setdefault(path, []).append(nid)
    taken = set(graph.nodes)

    def members_of(path: tuple[str, ...]) -> list[str]:
        """The members path gives its parent: one group (its own), or its blocks and groups when it is none."""
        members: list[str] = []
        for item in items.get(path, []):
            members.extend([item] if isinstance(item, str) else members_of(item))
        if not path or len(members) < 2:
            return members
        gid = _group_id(path[-1], taken)
        name = clean(path[-1], NAME_LIMIT - 1)
        group = Group(gid, name if name.strip() and name.isprintable() else gid, members, folded=True)
        taken.add(gid)
        graph.add_group(group)  # nested groups are added first, as the file lists them
        return [group.id]

    members_of(())


def _group_id(qualified: str, taken: set[str]) -> str:
    """An id for the group of a submodule: its qualified name made an id (layer1.0 → layer1_0), unique."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", qualified)[:56] or "group"
    if not (base[0].isalpha() or base[0] == "_"):
        base = "_" + base[:55]
    found, n = base, 2
    while found in taken:
        found, n = f"{base}_{n}", n + 1
    return found


def _refusal(label: str, refused: dict[str, list[str]]) -> str:
    """One short sentence: the operations with no block, the most frequent first, each with its count and first
    place; past LISTED_CHARS the rest are counted, never listed."""
    parts = [
        f"{op} ×{len(places)} (first at {clean(places[0], 30)})"
        if len(places) > 1
        else f"{op} (at {clean(places[0], 30)})"
        for op, places in sorted(refused.items(), key=lambda item: -len(item[1]))
    ]
    shown = 1 + sum(1 for i in range(2, len(parts) + 1) if len(", ".join(parts[:i])) <= LISTED_CHARS)
    listed = ", ".join(parts[:shown]) + (f" and {len(parts) - shown} more" if shown < len(parts) else "")
    n = len(parts)
    return (
        f"{clean(label)} uses {n} operation{'s' if n > 1 else ''} NetBuilder has no block for: {listed}; the "
        f"import was refused rather than give a different network."
    )


def _add_block(graph: Graph, name: str, block: BlockType, params: dict[str, Any], sources: list[str]) -> str:
    """Add the block fed by sources (by port); a Concat of more inputs than a block takes becomes a chain."""
    while block is CONCAT and len(sources) > MAX_INPUTS:
        head = _add_block(graph, name, block, {"inputs": MAX_INPUTS}, sources[:MAX_INPUTS])
        sources = [head, *sources[MAX_INPUTS:]]
    nid = graph.unique_id(name)
    graph.add_node(Node(nid, block.name, {**params, "inputs": len(sources)} if block is CONCAT else params))
    for port, source in enumerate(sources):
        graph.add_edge(Edge(source, nid, port))
    return nid


def _compare_shapes(graph: Graph, block_of: dict[fx.Node, str], label: str) -> None:
    """Refuse a translation whose blocks' shapes differ from the traced ones (a translation mistake)."""
    result = check(graph)
    if not result.valid:
        raise ModelImportError(f"{label} does not translate to a valid network: {' '.join(result.errors)}")
    for node, nid in block_of.items():
        traced, ours = _shape(node), result.nodes[nid].output_shape
        if traced is not None and traced[1:] != ours:
            raise ModelImportError(
                f"{label} does not translate exactly: '{nid}' gives {fmt_shape(ours or ())} "
                f"where the module gives {fmt_shape(traced[1:])}."
            )


def verify(module: nn.Module, imported: Imported) -> None:
    """Refuse an import whose built network, holding module's weights, computes other outputs."""
    graph = imported.document.graph
    net = build(graph).eval()
    net.load_state_dict(imported.state_dict(module))
    was_training = module.training
    module.eval()
    x = torch.randn(BATCH, *net.input_shape, generator=torch.Generator().manual_seed(0))
    try:
        with torch.no_grad():
            expected = module(x.clone())
            got = net.forward_all(x.clone())[net.output_id]
    finally:
        module.train(was_training)
    scale = float(expected.abs().max()) or 1.0
    if got.shape != expected.shape or not torch.allclose(got, expected, rtol=1e-4, atol=1e-5 * scale):
        raise ModelImportError(
            f"The imported network does not compute what {imported.document.name} computes "
            f"(it may change a tensor in place that another operation reads); the import was "
            f"refused."
        )


def import_module(module: nn.Module, input_shape: Shape, label: str = "the model") -> Imported:
    """translate() and verify(): the network of module, proved to compute the same outputs."""
    imported = translate(module, input_shape, label)
    verify(module, imported)
    result = check(imported.document.graph)
    note = imported.left_out_note()
    imported.document.description = (
        f"Imported from {label} through torch.fx for inputs of {fmt_shape(tuple(input_shape))}: "
        f"{len(imported.document.graph.nodes)} blocks, {result.total_params:,} parameters"
        f"{f'; {note}' if note else ''}."
    )
    return imported


# Sources ------------------------------------------------------------------------------------------------


def torchvision_names() -> list[str]:
    """torchvision's classification models."""
    import torchvision.models

    return torchvision.models.list_models(module=torchvision.models)


def torchvision_input(name: str, module: nn.Module | None = None) -> Shape:
    """The input a torchvision model, made without weights, runs at: 3 × its image_size when it has one (a vision
    transformer is made for 224×224 whatever its weights' crop: vit_h_14's is 518), else 3 × the crop size of its
    pretrained weights. module is the model when it is made already (else its structure is made, on meta)."""
    import torchvision.models

    size = getattr(module if module is not None else _structure(name), "image_size", None)
    if isinstance(size, int):
        return (3, size, size)
    crop = torchvision.models.get_model_weights(name).DEFAULT.transforms().crop_size[0]
    return (3, crop, crop)


def _structure(name: str) -> nn.Module:
    """A torchvision model on the meta device: its structure, without weights or arithmetic."""
    try:
        with torch.device("meta"):
            return _made(name)
    except NotImplementedError:  # RegNet computes its widths with tensors, which have no values on meta
        return _made(name).to("meta")


def _torchvision_model(name: str) -> nn.Module:
    names = torchvision_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3)
        hint = (
            f"did you mean {' or '.join(filter(None, [', '.join(close[:-1]), close[-1]]))}?"
            if close
            else f"it has {len(names)}, such as resnet18 and vgg16"
        )
        raise ModelImportError(
            f"torchvision has no classification model {quote(name)} ({hint}); segmentation, "
            f"detection and video models cannot be imported."
        )
    return _made(name)


def _made(name: str) -> nn.Module:
    import torchvision.models

    with warnings.catch_warnings():  # googlenet and inception_v3 warn that their initialisation will change
        warnings.filterwarnings("ignore", "The default weight initialization", FutureWarning)
        return torchvision.models.get_model(name, weights=None)


def _user_model(source: str) -> nn.Module:
    path, _, attribute = source.partition(":")
    if not path or not attribute:
        raise ModelImportError(f"'{source}' is not a model source; give torchvision:NAME or package.module:ClassName.")
    added = os.getcwd() not in sys.path
    if added:  # the user's own modules are usually in the current folder
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(path), attribute)
        module = factory()
    except Exception as e:  # the user's code can raise anything while it is imported or constructed
        raise ModelImportError(f"{source} cannot be loaded ({error_summary(e)}).") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    if not isinstance(module, nn.Module):
        raise ModelImportError(f"{source}() gives a {type(module).__name__}, not a torch.nn.Module.")
    return module


def load_source(source: str) -> nn.Module:
    """The module a source names: torchvision:NAME or package.module:ClassName (which runs the user's code)."""
    if source.startswith(TORCHVISION):
        return _torchvision_model(source.removeprefix(TORCHVISION))
    return _user_model(source)


def import_model(source: str, input_shape: Shape | None = None) -> Imported:
    """The network of a source; input_shape defaults to a torchvision model's own and is needed otherwise."""
    if input_shape is None and not source.startswith(TORCHVISION):
        raise ModelImportError(f"Give the input size of {source}, such as --input 3,32,32.")
    module = load_source(source)
    label = source.removeprefix(TORCHVISION)
    return import_module(module, input_shape or torchvision_input(label, module), label)


@functools.cache
def torchvision_models() -> tuple[tuple[str, Shape], ...]:
    """(name, input shape) of every torchvision classification model that imports at its own input size.

    Slow (about a minute on two CPU cores; 68 of torchvision 0.29's 80 models: all but the transformers): every
    model is made, moved to the meta device (no weights, no arithmetic), traced and translated; import_model
    then also compares outputs. Run it off the UI thread; the result is cached for the process."""
    found = []
    for name in torchvision_names():
        module = _structure(name)
        shape = torchvision_input(name, module)
        try:
            translate(module, shape, name)
        except ModelImportError:
            continue
        found.append((name, shape))
    return tuple(found)
