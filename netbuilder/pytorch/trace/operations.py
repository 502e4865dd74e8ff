"""The words the trace reads a torch.fx graph with: which functions and tensor methods are which operation (and
which layer computes the same), how a refusal names a node, and a call's arguments by name."""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.fx.operator_schemas import normalize_function

from netbuilder.core.blocks import Shape
from netbuilder.core.text import clean
from netbuilder.pytorch.trace.refusals import Unsupported
from netbuilder.pytorch.trace.tracing import traced_shape

# Functions, as the layer that computes the same (from their arguments, normalised to keywords).
FUNCTIONS: dict[Any, Callable[[dict[str, Any]], nn.Module]] = {
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
    F.dropout: lambda kw: nn.Dropout(kw["p"]),
    F.interpolate: lambda kw: _interpolate(kw),
}


def _interpolate(kw: dict[str, Any]) -> nn.Module:
    """F.interpolate as the nn.Upsample that calls it (which has no antialias)."""
    if kw["antialias"]:
        raise Unsupported("interpolate with antialias")
    arguments = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")
    return nn.Upsample(*(kw[name] for name in arguments))


def _batch_norm(kw: dict[str, Any], shapes: dict[str, Shape]) -> nn.Module:
    """F.batch_norm in eval mode: BatchNorm2d on a 4-dimensional input, else BatchNorm1d."""
    if kw["training"]:
        raise Unsupported("batch_norm with the batch's statistics")
    cls = nn.BatchNorm2d if len(shapes["input"]) == 4 else nn.BatchNorm1d
    return cls(
        shapes["input"][1],
        kw["eps"],
        kw["momentum"],
        affine="weight" in shapes and "bias" in shapes,
        track_running_stats="running_mean" in shapes and "running_var" in shapes,
        device="meta",
    )


def _conv2d(kw: dict[str, Any], shapes: dict[str, Shape]) -> nn.Module:
    out_channels, _, *kernel = shapes["weight"]
    return nn.Conv2d(
        shapes["input"][1],
        out_channels,
        tuple(kernel),
        kw["stride"],
        kw["padding"],
        kw["dilation"],
        kw["groups"],
        bias="bias" in shapes,
        device="meta",
    )


# Functions whose weights are the module's own parameters and buffers (get_attr), as the layer that computes the
# same (from their arguments, normalised to keywords, and the shapes of the input and of the weights given), and
# which argument holds each tensor of the layer's state_dict.
WEIGHTED: dict[Any, Callable[[dict[str, Any], dict[str, Shape]], nn.Module]] = {
    F.batch_norm: _batch_norm,
    F.conv2d: _conv2d,
    F.linear: lambda kw, shapes: nn.Linear(shapes["weight"][1], shapes["weight"][0], "bias" in shapes, "meta"),
    F.group_norm: lambda kw, shapes: nn.GroupNorm(
        kw["num_groups"], shapes["input"][1], kw["eps"], "weight" in shapes and "bias" in shapes, "meta"
    ),
    F.layer_norm: lambda kw, shapes: nn.LayerNorm(
        kw["normalized_shape"], kw["eps"], "weight" in shapes, "bias" in shapes, "meta"
    ),
}
WEIGHT_ARGUMENTS: dict[Any, tuple[str, ...]] = {
    F.batch_norm: ("weight", "bias", "running_mean", "running_var"),
    F.conv2d: ("weight", "bias"),
    F.linear: ("weight", "bias"),
    F.layer_norm: ("weight", "bias"),
    F.group_norm: ("weight", "bias"),
}
# Tensor methods, as the torch function with the same arguments.
METHODS = {
    name: getattr(torch, name)
    for name in ("relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "softmax", "flatten")
}
ADDS = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__"}
MULS = {operator.mul, operator.imul, torch.mul, torch.multiply, "mul", "mul_", "__mul__", "multiply"}
DIVS = {operator.truediv, operator.itruediv, torch.div, torch.true_divide, "div", "div_", "__truediv__"}
CATS = {torch.cat, torch.concat, torch.concatenate}
RESHAPES = {"view", "reshape", torch.reshape}
IDENTITIES = {"contiguous"}
MEANS = {"mean", torch.mean}
SPLITS = {"chunk", "split", torch.chunk, torch.split}
NARROWS = {"narrow", torch.narrow}
FLATTENS = {"flatten", torch.flatten}
PERMUTES = {"permute", torch.permute}
TRANSPOSES = {"transpose", torch.transpose}
_SIZE_ARITHMETIC = {operator.floordiv, operator.mul, operator.add, operator.sub}


def operation_name(node: fx.Node) -> str:
    """How the refusal names an operation: the layer's class, or the function or method's name (escaped: the
    names come from the user's code)."""
    if node.op == "call_module":
        return clean(type(node.graph.owning_module.get_submodule(node.target)).__name__)
    if node.op == "call_method":
        return f"Tensor.{clean(node.target)}"
    if node.op == "get_attr":
        return "a parameter or buffer used directly"
    return clean(getattr(node.target, "__name__", node.target))


def is_size(node: fx.Node) -> bool:
    """x.size(), x.shape, one of their items, or arithmetic on them (C // groups): values a reshape may read."""
    if node.op == "call_method":
        return node.target == "size"
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] == "shape"
    if node.op == "call_function" and node.target in _SIZE_ARITHMETIC:
        operands = [a for a in node.args if isinstance(a, fx.Node)]
        return bool(operands) and all(map(is_size, operands)) and all(isinstance(a, (fx.Node, int)) for a in node.args)
    return (
        node.op == "call_function"
        and node.target is operator.getitem
        and isinstance(node.args[0], fx.Node)
        and is_size(node.args[0])
    )


def is_batch_size(arg: Any) -> bool:
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


def named_arguments(node: fx.Node, function: Any = None) -> dict[str, Any]:
    """A call's arguments by name, defaults included (a method's self is its first argument)."""
    function = function or (getattr(torch, str(node.target)) if node.op == "call_method" else node.target)
    if node.op == "call_function" and not isinstance(function, type(torch.add)):
        try:  # a Python function: its own signature
            bound = inspect.signature(function).bind(*node.args, **node.kwargs)
            bound.apply_defaults()
            return dict(bound.arguments)
        except (TypeError, ValueError):
            pass
    normalised = keyword_arguments(node, function)
    if normalised is None:
        raise Unsupported(operation_name(node))
    return normalised


def keyword_arguments(node: fx.Node, function: Any) -> dict[str, Any] | None:
    """A torch operation's arguments by name, from its schema; None when no schema of it fits the call."""
    normalised = normalize_function(
        function,
        node.args,
        node.kwargs,
        argument_types(node.args),
        argument_types(node.kwargs),
        normalize_to_only_use_kwargs=True,
    )
    return None if normalised is None else normalised.kwargs


def binary_operands(node: fx.Node) -> list[Any]:
    """Both sides of a binary operation (+, *)."""
    return [*node.args[:2], *([node.kwargs["other"]] if "other" in node.kwargs else [])]


def multiplied_parameter(node: fx.Node) -> fx.Node | None:
    """The parameter or buffer a product reads directly, maybe reshaped (a LayerScale's scale), None when it reads
    none."""
    return next((a for a in binary_operands(node) if parameter_source(a) is not None), None)


def scale_shape(parameter: fx.Node) -> Shape:
    """The shape of a multiplied parameter, 1×C×1×1 as C×1×1 (which scales the same)."""
    shape = traced_shape(parameter) or ()
    return shape[1:] if len(shape) == 4 and shape[0] == 1 and shape[2:] == (1, 1) else shape


def parameter_source(value: Any) -> fx.Node | None:
    """The parameter or buffer (get_attr) a value is: itself, or the one a reshape to constant sizes reshapes
    (timm's LayerScale: gamma.reshape(1, -1, 1, 1)); None for any other value."""
    if not isinstance(value, fx.Node):
        return None
    if value.op == "get_attr":
        return value
    source = value.args[0] if value.args else None
    sizes = value.args[1:]
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    constant = bool(sizes) and all(isinstance(size, int) for size in sizes) and not value.kwargs
    reshaped = value.op == "call_method" and value.target in RESHAPES and constant
    return source if reshaped and isinstance(source, fx.Node) and source.op == "get_attr" else None


def argument_types(values: Any) -> Any:
    """The types of call arguments, a traced value being a tensor and a tuple of ints a List[int] (to pick among
    torch's overloads: conv2d's padding is a list or a string)."""

    def kind(v: Any) -> Any:
        if isinstance(v, fx.Node):
            return torch.Tensor
        if isinstance(v, (tuple, list)) and v and all(isinstance(i, int) for i in v):
            return list[int]
        return type(v)

    return {k: kind(v) for k, v in values.items()} if isinstance(values, dict) else tuple(map(kind, values))
