"""Graph → torch.nn.Module. Refuses invalid graphs with the live check's own sentences."""

from __future__ import annotations

import functools
import keyword
import operator
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from netbuilder.core.blocks import Call, Compute, Infix, Layer, Source
from netbuilder.core.check.shapes import Check, check
from netbuilder.core.graph import Graph
from netbuilder.core.learning import lr_mults
from netbuilder.core.plan import plan
from netbuilder.pytorch import layers


class BuildError(Exception):
    """The graph is not a valid network; the message lists the live check's sentences."""


_INFIX: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "*": operator.mul}


def make_layer(layer: Layer) -> nn.Module:
    """The module a block's Layer describes: a torch.nn layer, or one of NetBuilder's own."""
    return getattr(nn if layer.home == "nn" else layers, layer.cls)(*layer.args, **layer.kwargs)


def _call(fn: Callable[..., torch.Tensor], kwargs: dict[str, Any], args: list[torch.Tensor]) -> torch.Tensor:
    return fn(args, **kwargs)


def step_function(compute: Compute) -> Callable[[list[torch.Tensor]], torch.Tensor]:
    """How a non-layer step computes its value from its input values (picklable, as the module is)."""
    if isinstance(compute, Infix):
        return functools.partial(functools.reduce, _INFIX[compute.op])
    if isinstance(compute, Call):
        return functools.partial(_call, getattr(torch, compute.fn), compute.kwargs)
    raise AssertionError(f"{compute} has no inputs to compute from")


# Names a layer cannot take as they are: attributes of nn.ModuleDict (so of nn.Module), and the names
# generated code uses for itself (x is the variable of straight chains).
_RESERVED = frozenset(dir(nn.ModuleDict())) | {"self", "torch", "nn", "x", "predict", "__debug__"}


def clashes(name: str) -> bool:
    """Whether a name cannot be a layer's as it is: a Python keyword, a mangled name, or one of _RESERVED."""
    mangled = name.startswith("__") and not name.endswith("__")  # self.__a would be stored as _Net__a
    return keyword.iskeyword(name) or mangled or name in _RESERVED


def python_names(graph: Graph) -> dict[str, str]:
    """Block id → its layer name (here and in generated code): the id, suffixed with _ where it would
    clash with a Python keyword or an nn.Module attribute."""
    return safe_names(list(graph.nodes), set(graph.nodes))


def safe_names(ids: list[str], taken: set[str]) -> dict[str, str]:
    """Each id → itself, suffixed with _ while it clashes with Python or nn.Module names or a name taken."""
    names: dict[str, str] = {}
    for nid in ids:
        name = nid
        while clashes(name) or (name != nid and name in taken):
            name += "_"
        taken.add(name)
        names[nid] = name
    return names


class GraphModule(nn.Module):
    """The network of a graph, running its execution plan. forward() gives logits (a trailing softmax is
    left to predict()). Its frozen blocks' parameters do not require gradients, and train() leaves those blocks in
    eval mode (a frozen BatchNorm keeps its running statistics, as Keras does)."""

    def __init__(self, graph: Graph, result: Check) -> None:
        super().__init__()
        self.plan = plan(graph, result)
        self.names = python_names(graph)
        self.layers = nn.ModuleDict({self.names[nid]: make_layer(layer) for nid, layer in self.plan.layers()})
        self.frozen = tuple(self.names[nid] for nid, _ in self.plan.layers() if nid in result.frozen)
        self.held: tuple[str, ...] = ()  # frozen for now besides (fine-tuning's first phase: hold())
        for name in self.frozen:
            self.layers[name].requires_grad_(False)
        self.lr_mults = {self.names[nid]: m for nid, m in lr_mults(graph).items() if self.names[nid] in self.layers}
        self.output_id = result.output
        self.logits_id = self.plan.logits
        self.trailing_softmax = self.plan.softmax is not None
        self.input_shape = self.plan.input_shape
        # The steps after the Input, resolved once (forward() runs per batch, as lean as a hand-written one):
        # (block, its layer's name or None, its function for a non-layer step, inputs, frees, flatten first).
        self.program = tuple(
            (
                s.node,
                self.names[s.node] if isinstance(s.compute, Layer) else None,
                None if isinstance(s.compute, Layer) else step_function(s.compute),
                s.inputs,
                s.frees,
                isinstance(s.compute, Layer) and s.compute.flatten,
            )
            for s in self.plan.steps
            if not isinstance(s.compute, Source)
        )

    def forward_all(
        self, x: torch.Tensor, stop_at: str | None = None, keep_all: bool = True
    ) -> dict[str, torch.Tensor]:
        """Every node's output up to stop_at (default: all), keyed by node id. Without keep_all, an output is
        dropped once its last reader has run (as a hand-written forward's locals are), to spare memory."""
        values: dict[str, torch.Tensor] = {self.plan.input: x}
        if stop_at == self.plan.input:
            return values
        modules = self.layers._modules  # by name, without ModuleDict's checks on each call
        for node, name, function, inputs, frees, flatten in self.program:
            if name is not None:
                value = values[inputs[0]]
                values[node] = modules[name](value.flatten(1) if flatten else value)  # type: ignore[misc]
            else:
                values[node] = function([values[s] for s in inputs])  # type: ignore[misc]
            if node == stop_at:
                break
            if not keep_all:
                for done in frees:
                    del values[done]
        return values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x, self.logits_id, keep_all=False)[self.logits_id]

    def train(self, mode: bool = True) -> GraphModule:
        """Training or eval mode; the frozen (and held) blocks stay in eval mode either way."""
        super().train(mode)
        for name in (*self.frozen, *self.held):
            self.layers[name].eval()
        return self

    def hold(self, ids: Iterable[str]) -> None:
        """Freeze these blocks for now, besides the frozen ones (their parameters stop requiring gradients, their
        BatchNorm statistics stay); hold(()) lets them train again. The optimizer keeps them: a parameter without
        a gradient is left as it is."""
        self.held = tuple(self.names[nid] for nid in ids if self.names.get(nid) in self.layers)
        for name, layer in self.layers.items():
            layer.requires_grad_(name not in self.frozen and name not in self.held)
        self.train(self.training)

    def trains(self, nid: str) -> bool:
        """Whether a block has parameters that are trained (a layer with weights, not frozen)."""
        name = self.names.get(nid)
        return name in self.layers and name not in self.frozen and any(True for _ in self.layers[name].parameters())

    def layer_ids(self) -> list[str]:
        """The blocks that hold a layer, in the order the network runs them."""
        return [nid for nid, _ in self.plan.layers()]

    def set_lr_mults(self, mults: dict[str, float]) -> None:
        """Learning-rate multipliers for blocks that have none of their own (the file's win), by block id; for
        the optimizer made after (parameter_groups)."""
        for nid, mult in mults.items():
            name = self.names.get(nid)
            if name in self.layers and name not in self.lr_mults:
                self.lr_mults[name] = mult

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The trainable parameters by learning-rate multiplier, as an optimizer's groups (each with "lr_mult")."""
        groups: dict[float, list[nn.Parameter]] = {}
        for name, layer in self.layers.items():
            trained = [p for p in layer.parameters() if p.requires_grad]
            if trained:
                groups.setdefault(self.lr_mults.get(name, 1.0), []).extend(trained)
        return [{"params": params, "lr_mult": mult} for mult, params in groups.items()]

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities: the softmax of the logits."""
        return torch.softmax(self.forward(x), dim=1)


def checked(graph: Graph) -> Check:
    """The live check of a graph that must be valid; an invalid one raises BuildError with its sentences."""
    result = check(graph)
    if not result.valid:
        raise BuildError("The network is not valid: " + " ".join(result.errors))
    return result


def build(graph: Graph) -> GraphModule:
    """Compile a valid graph; an invalid one raises BuildError with the live check's sentences."""
    return GraphModule(graph, checked(graph))
