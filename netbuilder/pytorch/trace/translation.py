"""Translation: each traced layer and operation as the block that computes it exactly (by the import rules of
the block types), assembled into a checked network; import_module also proves its outputs the module's."""

from __future__ import annotations

import operator
from math import prod
from typing import Any

import torch.nn.functional as F
from torch import fx, nn

from netbuilder.core.blocks import CONCAT, FLATTEN, INPUT, REGISTRY, BlockType, Shape, fmt_shape
from netbuilder.core.blocks.base import ImportRefused, ImportRule
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import arrange
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.pytorch import layers
from netbuilder.pytorch.trace.grouping import add_groups, module_paths
from netbuilder.pytorch.trace.operations import (
    ADDS,
    CATS,
    DIVS,
    FUNCTIONS,
    IDENTITIES,
    MEANS,
    METHODS,
    MULS,
    NARROWS,
    RESHAPES,
    WEIGHT_ARGUMENTS,
    WEIGHTED,
    binary_operands,
    is_batch_size,
    is_size,
    keyword_arguments,
    multiplied_parameter,
    named_arguments,
    operation_name,
    parameter_source,
    scale_shape,
)
from netbuilder.pytorch.trace.patterns import Patterns, find_patterns
from netbuilder.pytorch.trace.refusals import ModelImportError, Unsupported, refusal
from netbuilder.pytorch.trace.tracing import live_nodes, trace_module, traced_shape
from netbuilder.pytorch.trace.weights import Imported, block_weights, find_left_out, used_names, verify

MAX_INPUTS = int(CONCAT.spec("inputs").max)  # type: ignore[arg-type]

# The import-rule keys of operations (the others are torch.nn class names): what trace looks up them for.
OPERATIONS = (
    "add", "mul", "cat", "rescale", "layer_scale", "layer_norm_2d", "stochastic_depth", "channel_shuffle", "narrow",
)  # fmt: skip

Block = tuple[BlockType, dict[str, Any]]  # a block type and its params
Translation = Block | list[Block] | None  # one block, a chain of blocks, or None: the input passes on


def _rule(key: str) -> tuple[BlockType, ImportRule] | None:
    """The block type whose import rule is keyed by key (a torch.nn class name, or add or cat), with the rule."""
    return next(((b, b.imports[key]) for b in REGISTRY.values() if key in b.imports), None)


def _apply(node: fx.Node, key: str, subject: Any, shapes: list[Shape], out: Shape) -> Translation:
    """The block the import rule keyed by key makes of subject (a layer, or an operation's arguments)."""
    found = _rule(key)
    if found is None:
        raise Unsupported(operation_name(node))
    block, rule = found
    try:
        return block, rule(subject, shapes, out)
    except ImportRefused as e:
        raise Unsupported(f"{operation_name(node)} {e}") from None


def _layer(node: fx.Node, module: nn.Module, shapes: list[Shape], out: Shape) -> Translation:
    """The block of a torch.nn layer of an exact class (a subclass may compute something else)."""
    cls = type(module)
    if cls is nn.Identity:
        return None
    if cls is layers.StochasticDepth:  # NetBuilder's own (kept whole by the tracer)
        return _apply(node, "stochastic_depth", {"p": module.p, "mode": module.mode}, shapes, out)
    if getattr(nn, cls.__name__, None) is not cls:
        raise Unsupported(operation_name(node))
    return _apply(node, cls.__name__, module, shapes, out)


def _reshape(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """x.view(x.size(0), -1), x.reshape(-1, C·H·W) and the like: a Flatten."""
    sizes = node.args[1:] if node.kwargs.get("shape") is None else (node.kwargs["shape"],)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    features = prod(shapes[0][1:])
    flat = (
        len(sizes) == 2
        and out == (shapes[0][0], features)
        and ((is_batch_size(sizes[0]) and sizes[1] in (-1, features)) or (sizes[0] == -1 and sizes[1] == features))
    )
    if not flat:
        raise Unsupported(f"{operation_name(node)} to any shape but (batch, -1)")
    return FLATTEN, {}


def _translate(node: fx.Node, shapes: list[Shape], out: Shape, patterns: Patterns) -> Translation:
    """The block (or chain of blocks) that computes what node computes, None where it passes its input on, or
    Unsupported."""
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
    if target in ADDS:
        return _apply(node, "add", {"alpha": node.kwargs.get("alpha", 1)}, shapes, out)
    if target in MULS:
        return _multiply(node, shapes, out)
    if target in DIVS:
        return _divide(node, shapes, out)
    if target in CATS:  # a cat of one tensor is that tensor
        return _apply(node, "cat", {"dim": _dim(node, shapes[0])}, shapes, out) if len(shapes) > 1 else None
    if target in RESHAPES:
        return _reshape(node, shapes, out)
    if target in IDENTITIES:
        return None
    if target in MEANS:
        return _mean(node, shapes, out)
    if target is operator.getitem:
        return _channel_slice(node, shapes, out)
    if target in NARROWS:
        arguments = named_arguments(node)
        subject = {"dim": arguments["dim"], "start": arguments["start"], "length": arguments["length"]}
        return _apply(node, "narrow", subject, shapes, out)
    if target in WEIGHTED:
        return _weighted(node, shapes, out, patterns)
    if _is_stochastic_depth(target):
        arguments = named_arguments(node)
        return _apply(node, "stochastic_depth", {"p": arguments["p"], "mode": arguments["mode"]}, shapes, out)
    function = METHODS.get(target) if node.op == "call_method" else target
    if function in FUNCTIONS:
        normalised = keyword_arguments(node, function)
        if normalised is not None:
            return _layer(node, FUNCTIONS[function](normalised), shapes, out)
    raise Unsupported(operation_name(node))


def _channel_slice(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """x[:, a:b] (x[:, a:b, :, :], x[:, :b, ...]): a Narrow of the channels."""
    index = node.args[1] if isinstance(node.args[1], tuple) else (node.args[1],)
    whole = slice(None)
    rest = index[2:]
    if not (
        len(index) >= 2
        and index[0] == whole
        and isinstance(index[1], slice)
        and all(isinstance(v, (int, type(None))) for v in (index[1].start, index[1].stop, index[1].step))
        and index[1].step in (None, 1)
        and all(i == whole or i is Ellipsis for i in rest)
        and len(shapes[0]) == 4
    ):
        raise Unsupported(f"{operation_name(node)} of anything but a slice of the channels")
    start, stop, _ = index[1].indices(shapes[0][1])
    if stop <= start:
        raise Unsupported(f"{operation_name(node)} of no channels")
    return _apply(node, "narrow", {"dim": 1, "start": start, "length": stop - start}, shapes, out)


def _weighted(node: fx.Node, shapes: list[Shape], out: Shape, patterns: Patterns) -> Translation:
    """A function computing a layer with the module's own parameters and buffers as its weights (timm's
    BatchNormAct2d calls F.batch_norm with its own): the block of that layer."""
    arguments = named_arguments(node)
    given = {}
    for name in WEIGHT_ARGUMENTS[node.target]:
        weight = arguments.get(name)
        if weight is None:
            continue
        if weight not in patterns.parameters:
            raise Unsupported(f"{operation_name(node)} with weights computed or used elsewhere")
        given[name] = traced_shape(weight)
    return _layer(node, WEIGHTED[node.target](arguments, {"input": shapes[0], **given}), shapes, out)


def _multiply(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """A product of traced tensors (a Multiply), or of a tensor and a learned C×1×1 parameter (a LayerScale)."""
    parameter = multiplied_parameter(node)
    if parameter is not None:
        return _apply(node, "layer_scale", {"shape": scale_shape(parameter)}, shapes, out)
    if len(shapes) < 2:
        factor = _number(binary_operands(node))
        if factor is None:
            raise Unsupported(f"{operation_name(node)} by anything but a number")
        return _apply(node, "rescale", {"factor": float(factor)}, shapes, out)
    return _apply(node, "mul", {}, shapes, out)


def _divide(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """A tensor divided by a number (x / 2): a Rescale by its inverse."""
    operands = binary_operands(node)
    divisor = _number(operands[1:])
    if not isinstance(operands[0], fx.Node) or not divisor:
        raise Unsupported(f"{operation_name(node)} of anything but a tensor by a number")
    return _apply(node, "rescale", {"factor": 1.0 / divisor}, shapes, out)


def _number(operands: list[Any]) -> float | None:
    """The one number (int or float, not bool) among an operation's operands, None when there is none."""
    numbers = [a for a in operands if isinstance(a, (int, float)) and not isinstance(a, bool)]
    return numbers[0] if len(numbers) == 1 else None


def _mean(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """x.mean((2, 3)): a global average pool, and a Flatten unless keepdim."""
    arguments = named_arguments(node)
    dims = arguments.get("dim")
    dims = (dims,) if isinstance(dims, int) else tuple(dims) if isinstance(dims, (tuple, list)) else None
    rank = len(shapes[0])
    if rank != 4 or dims is None or sorted(d % rank for d in dims) != [2, 3] or arguments.get("dtype") is not None:
        raise Unsupported(f"{operation_name(node)} over any dimensions but height and width")
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
        arguments = named_arguments(node)
        affine = [arguments.get(k) for k in ("weight", "bias")]
        if not all(isinstance(a, fx.Node) and a.op == "get_attr" for a in affine):
            raise Unsupported(f"{operation_name(node)} without learned weight and bias")
        subject = {
            "normalized_shape": tuple(arguments["normalized_shape"]),
            "eps": arguments.get("eps", 1e-5),
            "elementwise_affine": True,
            "bias": True,
        }
        return _apply(node, "layer_norm_2d", subject, shapes, out)
    if node.target in IDENTITIES:
        return None
    function = METHODS.get(node.target) if node.op == "call_method" else node.target
    return _layer(node, FUNCTIONS[function](named_arguments(node, function)), shapes, out)


def _is_stochastic_depth(target: Any) -> bool:
    """torchvision.ops.stochastic_depth (kept whole by torch.fx)."""
    return getattr(target, "__name__", None) == "stochastic_depth" and str(
        getattr(target, "__module__", "")
    ).startswith("torchvision.ops")


def _dim(node: fx.Node, shape: Shape) -> int:
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    return dim % len(shape) if isinstance(dim, int) else -1


def _tensor_inputs(node: fx.Node, patterns: Patterns | None = None) -> list[fx.Node]:
    """The tensors an operation reads, in order: its first argument, both sides of + and *, every tensor of a
    cat; for a piece of a chunk or split, and the last view of a channel shuffle, the tensor they divide. A
    parameter read as a block's weights (a LayerScale's) is no input."""
    if patterns is not None and node in patterns.pieces:
        return [patterns.pieces[node][0]]
    if patterns is not None and node in patterns.shuffles:
        return [patterns.shuffles[node][0]]
    if node.target in CATS:
        tensors = node.kwargs.get("tensors", node.args[0] if node.args else [])
        return [t for t in tensors if isinstance(t, fx.Node)] if isinstance(tensors, (list, tuple)) else []
    if node.target in ADDS or node.target in MULS:
        return [a for a in binary_operands(node) if isinstance(a, fx.Node) and parameter_source(a) is None]
    first = node.args[0] if node.args else node.kwargs.get("input")
    return [first] if isinstance(first, fx.Node) else []


def translate(module: nn.Module, input_shape: Shape, label: str = "the model") -> Imported:
    """The network of module for inputs of input_shape (C, H, W or F), checked shape by shape.

    The module is traced in eval mode (its mode is restored after). It may live on the meta device (no
    weights): the structure and shapes are all this reads. Raises ModelImportError."""
    was_training = module.training
    module.eval()
    try:
        traced = trace_module(module, tuple(input_shape), label)
    finally:
        module.train(was_training)
    output = next(n for n in traced.graph.nodes if n.op == "output")
    result = output.args[0]
    if not isinstance(result, fx.Node) or traced_shape(result) is None:
        raise ModelImportError(f"{label} returns {type(result).__name__}, not one tensor; a network has one output.")

    graph = Graph()
    graph.add_node(Node("input", INPUT.name, {"shape": list(input_shape)}))
    block_of: dict[fx.Node, str] = {}  # fx node → the block whose output it is
    imported = Imported(Document(graph, label))
    refused: dict[str, list[str]] = {}  # operation → where it occurs
    failed: set[fx.Node] = set()  # refused nodes, and nodes that read them
    path_of: dict[str, tuple[str, ...]] = {}  # block id → the modules whose forward computed it, outermost first
    node_paths = module_paths(traced)
    live = live_nodes(output)
    patterns = find_patterns(traced, live)
    for node in traced.graph.nodes:
        if node not in live or node.op == "output" or node in patterns.skipped or node in patterns.parameters:
            continue
        if node.op == "placeholder":
            block_of[node] = "input"
            continue
        sources = _tensor_inputs(node, patterns)
        out = traced_shape(node)
        try:
            if out is None:  # not one tensor: a size that a reshape may read (anything else reading it is refused)
                if is_size(node):
                    continue
                raise Unsupported(operation_name(node))
            if not sources:
                raise Unsupported(
                    operation_name(node) if node.op == "get_attr" else f"{operation_name(node)} creating a tensor"
                )
            shapes = [traced_shape(s) for s in sources]
            if None in shapes:
                raise Unsupported(operation_name(node))
            translation = _translate(node, shapes, out, patterns)  # type: ignore[arg-type]
        except Unsupported as e:
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
            path_of[nid] = node_paths[node]
        weights = block_weights(node, patterns)
        if weights is not None:
            imported.tensors[block_of[node]] = weights
        elif node.op == "call_module":
            imported.modules[block_of[node]] = str(node.target)
    if refused:
        raise ModelImportError(refusal(label, refused))
    _compare_shapes(graph, block_of, label)
    add_groups(graph, path_of)
    for nid, position in arrange(graph).items():
        graph.nodes[nid].position = position
    imported.left_out = find_left_out(module, used_names(traced, live))
    return imported


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
        traced, ours = traced_shape(node), result.nodes[nid].output_shape
        if traced is not None and traced[1:] != ours:
            raise ModelImportError(
                f"{label} does not translate exactly: '{nid}' gives {fmt_shape(ours or ())} "
                f"where the module gives {fmt_shape(traced[1:])}."
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
