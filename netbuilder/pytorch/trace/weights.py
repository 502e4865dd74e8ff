"""Weights: where each tensor of the imported network comes from in the module (Imported, Weight: whole layers,
or single tensors renamed and reshaped, such as a Linear's weight as a 1×1 convolution's), the check that the
built network holding them computes the module's outputs, and the parameters the traced eval-mode network never
uses (LeftOut: Inception's AuxLogits), with their counts."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import fx, nn

from netbuilder.core.blocks import Shape
from netbuilder.core.document import Document
from netbuilder.core.initial import INTERPOLATIONS, InitError, Preprocess, mismatch
from netbuilder.core.text import clean, quote
from netbuilder.pytorch.build import build, python_names
from netbuilder.pytorch.export import ExportError, load_weights
from netbuilder.pytorch.trace.operations import (
    MULS,
    WEIGHT_ARGUMENTS,
    multiplied_parameter,
    named_arguments,
    parameter_source,
    scale_shape,
)
from netbuilder.pytorch.trace.patterns import Patterns
from netbuilder.pytorch.trace.refusals import ModelImportError
from netbuilder.pytorch.trace.tracing import BATCH, traced_shape


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
    pretrained: Pretrained | None = None  # the weights it was imported with (--weights), under build's names

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


def block_weights(node: fx.Node, patterns: Patterns) -> dict[str, Weight] | None:
    """The tensors of node's block taken one by one from the module (None: the whole submodule's, or none)."""
    if node.op == "call_module" and node in patterns.channels_last:
        module = node.graph.owning_module.get_submodule(node.target)
        if isinstance(module, nn.Linear):  # as a 1×1 convolution
            weights = {"weight": Weight(f"{node.target}.weight", (*module.weight.shape, 1, 1))}
            return weights | ({"bias": Weight(f"{node.target}.bias")} if module.bias is not None else {})
    if node.op == "call_function" and node.target in WEIGHT_ARGUMENTS:  # F.batch_norm with the module's own
        arguments = named_arguments(node)
        given = [k for k in WEIGHT_ARGUMENTS[node.target] if arguments.get(k) is not None]
        return {k: Weight(str(arguments[k].target)) for k in given}
    if node.op != "call_module" and node.target in MULS:
        parameter = multiplied_parameter(node)
        if parameter is None:
            return None
        source, shape = parameter_source(parameter), scale_shape(parameter)
        return {"scale": Weight(str(source.target), None if shape == traced_shape(source) else shape)}
    return None


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


def used_names(traced: fx.GraphModule, nodes: Any) -> set[str]:
    """The qualified names of the layers and parameters that these nodes of a traced module call or read."""
    return {str(n.target) for n in nodes if n.op in ("call_module", "get_attr")}


def find_left_out(module: nn.Module, used: set[str]) -> list[LeftOut]:
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
    return used_names(traced, traced.graph.nodes)


@dataclass(frozen=True)
class Pretrained:
    """Trained weights (a module's state_dict, or once imported build's), with their classes and preprocessing when
    torchvision's weights API gave them; label says where they came from."""

    state: dict[str, torch.Tensor]
    label: str
    classes: tuple[str, ...] = ()
    preprocess: Preprocess | None = None


def pretrained(name: str | None, which: str, input_shape: Shape) -> Pretrained:
    """The weights --weights names: a file (.pt, .pth, .safetensors: a state_dict of the module), or for a
    torchvision model (name) DEFAULT or one of its weights' names, from torch's cache (downloaded when online).
    Anything that cannot be had is InitError, with the sentence saying what to do."""
    if Path(which).suffix.lower() in (".pt", ".pth", ".safetensors") or Path(which).exists():
        try:
            return Pretrained(load_weights(which), clean(which, 300))
        except ExportError as e:
            raise InitError(str(e)) from None
    if name is None:
        raise InitError(f"{quote(which)} is not a weights file; give a .pt, .pth or .safetensors file.")
    import torchvision.models  # start-up time: only torchvision imports load it

    choices = torchvision.models.get_model_weights(name)
    names = ["DEFAULT", *(w.name for w in choices)]
    if which not in names:
        raise InitError(f"torchvision has no weights {quote(which)} for {name}; give {', '.join(names)} or a file.")
    weights = choices[which]
    file = Path(urlparse(weights.url).path).name
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # torch.hub's "Downloading: …" line, printed even offline
            state = weights.get_state_dict(progress=False, check_hash=True)
    except Exception:  # offline, a proxy, a cut download: urllib and torch.hub raise many kinds
        raise InitError(
            f"{name}'s {weights.name} weights are not in torch's cache and cannot be downloaded here; download "
            f"{file} ({weights.url}) and put it in {cache}, then import again."
        ) from None
    return Pretrained(
        state,
        f"torchvision {name} {weights.name}",
        tuple(weights.meta["categories"]),
        _preprocess(weights.transforms(), input_shape),
    )


def _preprocess(transforms: Any, input_shape: Shape) -> Preprocess | None:
    """torchvision's ImageClassification transforms as a Preprocess for a square Input (the crop scaled to it)."""
    if (
        len(input_shape) != 3
        or input_shape[1] != input_shape[2]
        or transforms.interpolation.value not in INTERPOLATIONS
    ):
        return None
    crop, resize, size = transforms.crop_size[0], transforms.resize_size[0], input_shape[1]
    return Preprocess(
        max(size, round(resize * size / crop)),
        size,
        tuple(transforms.mean),
        tuple(transforms.std),
        transforms.interpolation.value,
    )


def load_pretrained(module: nn.Module, weights: Pretrained) -> None:
    """Put weights into module; weights of another module (other names or shapes) are InitError."""
    problem = mismatch(weights.state, module.state_dict())
    if problem:
        raise InitError(f"{weights.label} does not hold the weights of this model: {problem}.")
    module.load_state_dict(weights.state)
