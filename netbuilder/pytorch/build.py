"""Graph → torch.nn.Module. Refuses invalid graphs with the live check's own sentences."""

from __future__ import annotations

import keyword
from typing import Any, Callable

import torch
from torch import nn

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import Check, check

Builder = Callable[[dict[str, Any], list[tuple[int, ...]]], nn.Module]


class BuildError(Exception):
    """The graph is not a valid network; the message lists the live check's sentences."""


def _activation(p: dict[str, Any], inputs: list[tuple[int, ...]]) -> nn.Module:
    fn = p["function"]
    if fn == "leaky_relu":
        return nn.LeakyReLU(p["negative_slope"])
    if fn == "softmax":
        return nn.Softmax(dim=1)
    return {
        "relu": nn.ReLU, "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU, "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh, "identity": nn.Identity,
    }[fn]()


def _conv(p: dict[str, Any], inputs: list[tuple[int, ...]]) -> nn.Module:
    return nn.Conv2d(inputs[0][0], p["out_channels"], p["kernel_size"], stride=p["stride"], padding=p["padding"],
                     dilation=p["dilation"], groups=p["groups"], bias=p["bias"])


def _pool(p: dict[str, Any], inputs: list[tuple[int, ...]]) -> nn.Module:
    cls = nn.MaxPool2d if p["mode"] == "max" else nn.AvgPool2d
    return cls(p["kernel_size"], stride=p["stride"] or p["kernel_size"], padding=p["padding"], ceil_mode=p["ceil_mode"])


def _adaptive_pool(p: dict[str, Any], inputs: list[tuple[int, ...]]) -> nn.Module:
    cls = nn.AdaptiveMaxPool2d if p["mode"] == "max" else nn.AdaptiveAvgPool2d
    return cls(p["output_size"])


def _batchnorm(p: dict[str, Any], inputs: list[tuple[int, ...]]) -> nn.Module:
    cls = nn.BatchNorm2d if len(inputs[0]) == 3 else nn.BatchNorm1d
    return cls(inputs[0][0], eps=p["eps"], momentum=p["momentum"])


def _linear(p: dict[str, Any], inputs: list[tuple[int, ...]]) -> nn.Module:
    in_features = 1
    for size in inputs[0]:
        in_features *= size
    return nn.Linear(in_features, p["out_features"], bias=p["bias"])


# One builder per block type that owns a module; Input, Add and Concat are operations in forward().
BUILDERS: dict[str, Builder] = {
    "Conv2d": _conv,
    "Activation": _activation,
    "Pool2d": _pool,
    "AdaptivePool2d": _adaptive_pool,
    "BatchNorm": _batchnorm,
    "Dropout": lambda p, i: nn.Dropout(p["p"]),
    "Flatten": lambda p, i: nn.Flatten(),
    "Linear": _linear,
}


# Names a layer cannot take as they are: attributes of nn.ModuleDict (so of nn.Module), and the names
# generated code uses for itself (x is the variable of straight chains).
_RESERVED = frozenset(dir(nn.ModuleDict())) | {"self", "torch", "nn", "x", "predict", "__debug__"}


def _clashes(name: str) -> bool:
    mangled = name.startswith("__") and not name.endswith("__")  # self.__a would be stored as _Net__a
    return keyword.iskeyword(name) or mangled or name in _RESERVED


def python_names(graph: Graph) -> dict[str, str]:
    """Block id → its layer name (here and in generated code): the id, suffixed with _ where it would
    clash with a Python keyword or an nn.Module attribute."""
    taken = set(graph.nodes)
    names: dict[str, str] = {}
    for nid in graph.nodes:
        name = nid
        while _clashes(name) or (name != nid and name in taken):
            name += "_"
        taken.add(name)
        names[nid] = name
    return names


def is_softmax(graph: Graph, result: Check, node_id: str) -> bool:
    node = graph.nodes[node_id]
    return node.type == "Activation" and (result.nodes[node_id].values or {}).get("function") == "softmax"


class GraphModule(nn.Module):
    """The network of a graph. forward() gives logits (a trailing softmax is left to predict())."""

    def __init__(self, graph: Graph, result: Check) -> None:
        super().__init__()
        assert result.output is not None
        self.layers = nn.ModuleDict()
        self.names = python_names(graph)
        self.steps: list[tuple[str, str, list[str], bool]] = []  # (id, type, inputs by port, flatten first)
        for nid in result.order:
            node, res = graph.nodes[nid], result.nodes[nid]
            sources = [e.src for e in sorted(graph.in_edges(nid), key=lambda e: e.port)]
            if node.type in BUILDERS:
                self.layers[self.names[nid]] = BUILDERS[node.type](res.values or {}, res.input_shapes)
            flatten = node.type == "Linear" and len(res.input_shapes[0]) > 1
            self.steps.append((nid, node.type, sources, flatten))
        self.output_id = result.output
        # step index -> the outputs no later step reads (dropped there by forward)
        last: dict[str, int] = {}
        for i, (_, _, sources, _) in enumerate(self.steps):
            for s in sources:
                last[s] = i
        self.last_read: dict[int, list[str]] = {}
        for source, i in last.items():
            self.last_read.setdefault(i, []).append(source)
        # A softmax at the end is applied by predict() only, so training can use cross-entropy on logits.
        self.trailing_softmax = is_softmax(graph, result, result.output)
        self.logits_id = graph.in_edges(self.output_id)[0].src if self.trailing_softmax else self.output_id
        self.input_shape = result.nodes[next(n for n in result.order if graph.nodes[n].type == "Input")].output_shape

    def forward_all(self, x: torch.Tensor, stop_at: str | None = None, keep_all: bool = True
                    ) -> dict[str, torch.Tensor]:
        """Every node's output up to stop_at (default: all), keyed by node id. Without keep_all, an output is
        dropped once its last reader has run (as a hand-written forward's locals are), to spare memory."""
        values: dict[str, torch.Tensor] = {}
        for i, (nid, kind, sources, flatten) in enumerate(self.steps):
            args = [values[s] for s in sources]
            if kind == "Input":
                out = x
            elif kind == "Add":
                out = args[0]
                for a in args[1:]:
                    out = out + a
            elif kind == "Concat":
                out = torch.cat(args, dim=1)
            else:
                out = self.layers[self.names[nid]](args[0].flatten(1) if flatten else args[0])
            values[nid] = out
            if nid == stop_at:
                break
            if not keep_all:
                for done in self.last_read.get(i, ()):
                    del values[done]
        return values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x, self.logits_id, keep_all=False)[self.logits_id]

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
