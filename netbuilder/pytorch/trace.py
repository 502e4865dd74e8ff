"""An existing nn.Module → a NetBuilder network, through torch.fx: each layer and operation becomes a block.

Only what a block computes exactly is translated. Anything else refuses the whole import with one sentence
that lists the operations, rather than give a different network. An import is checked twice: every block's
shape against the shape torch.fx traced, and the built network's outputs against the module's own, with
the module's weights copied in (Imported.state_dict is that copy).

Sources: "torchvision:NAME" (a torchvision classification model, random weights, nothing downloaded) and
"package.module:ClassName" (a class, or a function, of the user's own code that returns an nn.Module when
called without arguments; importing it runs that code).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import operator
import os
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.fx.operator_schemas import normalize_function

from netbuilder.core.blocks import CONCAT, FLATTEN, INPUT, REGISTRY, BlockType, fmt_shape
from netbuilder.core.blocks.base import ImportRefused, ImportRule
from netbuilder.core.document import Document
from netbuilder.core.errors import error_summary
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.groups import NAME_LIMIT, Group
from netbuilder.core.layout import arrange
from netbuilder.core.shapes import check
from netbuilder.core.text import clean, quote
from netbuilder.pytorch.build import build, python_names

TORCHVISION = "torchvision:"
MAX_INPUTS = int(CONCAT.spec("inputs").max)  # type: ignore[arg-type]
BATCH = 2  # traced and compared with a batch of two, so that nothing can mistake the batch for a feature
LISTED_CHARS = 240  # a refusal lists operations up to about this many characters, then counts the rest

Shape = tuple[int, ...]
Translation = tuple[BlockType, dict[str, Any]] | None  # (block type, params), or None: the input passes on


class ModelImportError(Exception):
    """A model that cannot be imported; the message is one sentence saying why (and what to do)."""


class _Unsupported(Exception):
    """One operation without an exact block; the message names it (the same for every place it occurs)."""


@dataclass
class Imported:
    """An imported network, and where each of its layers came from in the module."""

    document: Document
    modules: dict[str, str] = field(default_factory=dict)  # block id → qualified name of its submodule

    def state_dict(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """build(document.graph)'s state_dict, holding module's weights (the weight-copy mapping)."""
        names = python_names(self.document.graph)
        return {
            f"layers.{names[nid]}.{key}": tensor
            for nid, qualified in self.modules.items()
            for key, tensor in module.get_submodule(qualified).state_dict().items()
        }


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
    if getattr(nn, cls.__name__, None) is not cls:
        raise _Unsupported(_name(node))
    return _apply(node, cls.__name__, module, shapes, out)


# Functions, as the layer that computes the same (from their arguments, normalised to keywords).
_FUNCTIONS: dict[Any, Callable[[dict[str, Any]], nn.Module]] = {
    **{fn: lambda kw: nn.ReLU() for fn in (F.relu, F.relu_, torch.relu, torch.relu_)},
    **{fn: lambda kw: nn.Sigmoid() for fn in (F.sigmoid, torch.sigmoid, torch.sigmoid_)},
    **{fn: lambda kw: nn.Tanh() for fn in (F.tanh, torch.tanh, torch.tanh_)},
    F.silu: lambda kw: nn.SiLU(),
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
_CATS = {torch.cat, torch.concat, torch.concatenate}
_RESHAPES = {"view", "reshape", torch.reshape}
_IDENTITIES = {"contiguous"}


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
    """x.size(), x.shape, or one of their items: values a reshape may read."""
    if node.op == "call_method":
        return node.target == "size"
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] == "shape"
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


def _translate(node: fx.Node, shapes: list[Shape], out: Shape) -> Translation:
    """The block that computes what node computes, None where it passes its input on, or _Unsupported."""
    target = node.target
    if node.op == "call_module":
        return _layer(node, node.graph.owning_module.get_submodule(target), shapes, out)
    if target in _ADDS:
        return _apply(node, "add", {"alpha": node.kwargs.get("alpha", 1)}, shapes, out)
    if target in _CATS:  # a cat of one tensor is that tensor
        return _apply(node, "cat", {"dim": _dim(node, shapes[0])}, shapes, out) if len(shapes) > 1 else None
    if target in _RESHAPES:
        return _reshape(node, shapes, out)
    if target in _IDENTITIES:
        return None
    function = _METHODS.get(target) if node.op == "call_method" else target
    if function in _FUNCTIONS:
        normalised = normalize_function(
            function, node.args, node.kwargs, _types(node.args), _types(node.kwargs), normalize_to_only_use_kwargs=True
        )
        if normalised is not None:
            return _layer(node, _FUNCTIONS[function](normalised.kwargs), shapes, out)
    raise _Unsupported(_name(node))


def _types(values: Any) -> Any:
    """The types of call arguments, a traced value being a tensor (to pick among torch's overloads)."""
    kind = lambda v: torch.Tensor if isinstance(v, fx.Node) else type(v)  # noqa: E731
    return {k: kind(v) for k, v in values.items()} if isinstance(values, dict) else tuple(map(kind, values))


def _dim(node: fx.Node, shape: Shape) -> int:
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    return dim % len(shape) if isinstance(dim, int) else -1


def _tensor_inputs(node: fx.Node) -> list[fx.Node]:
    """The tensors an operation reads, in order: its first argument, both sides of +, every tensor of a cat."""
    if node.target in _CATS:
        tensors = node.kwargs.get("tensors", node.args[0] if node.args else [])
        return [t for t in tensors if isinstance(t, fx.Node)] if isinstance(tensors, (list, tuple)) else []
    if node.target in _ADDS:
        return [a for a in [*node.args[:2], node.kwargs.get("other")] if isinstance(a, fx.Node)]
    first = node.args[0] if node.args else node.kwargs.get("input")
    return [first] if isinstance(first, fx.Node) else []


# Tracing -------------------------------------------------------------------------------------------------

_SHAPE = "netbuilder_shape"


class _ShapeRecorder(fx.Interpreter):
    """Runs a traced module and notes the shape of every tensor it computes (as ShapeProp does, but quietly:
    ShapeProp prints a traceback when the module fails)."""

    def run_node(self, n: fx.Node) -> Any:
        value = super().run_node(n)
        n.meta[_SHAPE] = tuple(value.shape) if isinstance(value, torch.Tensor) else None
        return value


def _trace(module: nn.Module, input_shape: Shape, label: str) -> fx.GraphModule:
    """module traced by torch.fx, with every value's shape for a batch of input_shape."""
    try:
        traced = fx.symbolic_trace(module)
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
    modules: dict[str, str] = {}
    refused: dict[str, list[str]] = {}  # operation → where it occurs
    failed: set[fx.Node] = set()  # refused nodes, and nodes that read them
    path_of: dict[str, tuple[str, ...]] = {}  # block id → the modules whose forward computed it, outermost first
    module_paths = _module_paths(traced)
    live = _live(output)
    for node in traced.graph.nodes:
        if node not in live or node.op == "output":
            continue
        if node.op == "placeholder":
            block_of[node] = "input"
            continue
        sources = _tensor_inputs(node)
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
            translation = _translate(node, shapes, out)  # type: ignore[arg-type]
        except _Unsupported as e:
            refused.setdefault(str(e), []).append(node.name)
            failed.add(node)
            continue
        if failed.intersection(node.all_input_nodes):  # translatable, but reads what is not
            failed.add(node)
            continue
        if translation is None:
            block_of[node] = block_of[sources[0]]
            continue
        before = len(graph.nodes)
        block_of[node] = _add_block(graph, node.name, *translation, [block_of[s] for s in sources])
        for nid in list(graph.nodes)[before:]:  # the block, and the heads of a chained Concat
            path_of[nid] = module_paths[node]
        if node.op == "call_module":
            modules[block_of[node]] = str(node.target)
    if refused:
        raise ModelImportError(_refusal(label, refused))
    _compare_shapes(graph, block_of, label)
    _add_groups(graph, path_of)
    for nid, position in arrange(graph).items():
        graph.nodes[nid].position = position
    return Imported(Document(graph, label), modules)


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
    imported.document.description = (
        f"Imported from {label} through torch.fx for inputs of {fmt_shape(tuple(input_shape))}: "
        f"{len(imported.document.graph.nodes)} blocks, {result.total_params:,} parameters."
    )
    return imported


# Sources ------------------------------------------------------------------------------------------------


def torchvision_names() -> list[str]:
    """torchvision's classification models."""
    import torchvision.models

    return torchvision.models.list_models(module=torchvision.models)


def torchvision_input(name: str) -> Shape:
    """The input a torchvision model is made for: 3 × the crop size of its pretrained weights."""
    import torchvision.models

    crop = torchvision.models.get_model_weights(name).DEFAULT.transforms().crop_size[0]
    return (3, crop, crop)


def _torchvision_model(name: str) -> nn.Module:
    import torchvision.models

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
    return import_module(module, input_shape or torchvision_input(label), label)


@functools.cache
def torchvision_models() -> tuple[tuple[str, Shape], ...]:
    """(name, input shape) of every torchvision classification model that imports at its own input size.

    Slow (about 30 s on two CPU cores; 34 of torchvision 0.29's 80 models): every model is made, moved to the
    meta device (no weights, no arithmetic), traced and translated; import_model then also compares outputs.
    Run it off the UI thread; the result is cached for the process."""
    found = []
    for name in torchvision_names():
        shape = torchvision_input(name)
        try:
            with torch.device("meta"):
                module = _torchvision_model(name)
        except NotImplementedError:  # RegNet computes its widths with tensors, which have no values on meta
            module = _torchvision_model(name).to("meta")
        try:
            translate(module, shape, name)
        except ModelImportError:
            continue
        found.append((name, shape))
    return tuple(found)
