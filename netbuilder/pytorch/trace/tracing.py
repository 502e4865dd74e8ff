"""Tracing: the module as a torch.fx graph, with the shape of every value it computes for a batch of BATCH."""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch import fx, nn

from netbuilder.core.blocks import Shape, fmt_shape
from netbuilder.core.errors import error_summary
from netbuilder.pytorch import layers
from netbuilder.pytorch.trace.refusals import ModelImportError

BATCH = 2  # traced and compared with a batch of two, so that nothing can mistake the batch for a feature
SHAPE = "netbuilder_shape"  # the node.meta key of a traced value's shape


class _ShapeRecorder(fx.Interpreter):
    """Runs a traced module and notes the shape of every tensor it computes (as ShapeProp does, but quietly:
    ShapeProp prints a traceback when the module fails)."""

    def run_node(self, n: fx.Node) -> Any:
        value = super().run_node(n)
        n.meta[SHAPE] = tuple(value.shape) if isinstance(value, torch.Tensor) else None
        return value


class _Tracer(fx.Tracer):
    """torch.fx's tracer, keeping NetBuilder's own StochasticDepth whole: in eval mode its forward returns its
    input, which would leave no trace of it. Where timm is loaded, its own fx helpers: the functions it marks as
    not traceable are kept whole, and so are the modules it marks, unless their forward traces (timm marks its
    BatchNormAct2d, whose F.batch_norm becomes a BatchNorm when traced through)."""

    def __init__(self) -> None:
        self._notrace = _timm_notrace()
        super().__init__(autowrap_functions=tuple(f for f in self._notrace if callable(f) and not isinstance(f, type)))
        self._traces: dict[int, bool] = {}  # id of a module timm marks → whether its forward traces

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if type(m) in self._notrace:
            if id(m) not in self._traces:
                self._traces[id(m)] = _traces(m)
            return not self._traces[id(m)]
        return type(m) is layers.StochasticDepth or super().is_leaf_module(m, module_qualified_name)


def _timm_notrace() -> set[Any]:
    """The modules (classes) and functions timm marks as not traceable by torch.fx, when timm is loaded."""
    if "timm.layers" not in sys.modules:  # a timm model has loaded it; nothing else needs it
        return set()
    from timm.layers import get_notrace_functions, get_notrace_modules  # an optional extra, loaded already

    return {*get_notrace_modules(), *get_notrace_functions()}


def _traces(m: nn.Module) -> bool:
    """Whether torch.fx traces m's forward (with the tracer's own rules inside it)."""
    try:
        _Tracer().trace(m)
    except Exception:  # torch.fx raises many kinds on Python control flow it cannot follow
        return False
    return True


def trace_module(module: nn.Module, input_shape: Shape, label: str) -> fx.GraphModule:
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


def traced_shape(node: Any) -> Shape | None:
    """The shape of the tensor a traced node gives (batch first), None for anything else."""
    return node.meta.get(SHAPE) if isinstance(node, fx.Node) else None


def live_nodes(output: fx.Node) -> set[fx.Node]:
    """The nodes the output depends on."""
    seen, stack = set(), [output]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.all_input_nodes)
    return seen
