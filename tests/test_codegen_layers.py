"""model.py prints each layer from its block's Layer data, the data build() constructs: for every block type, the
printed layer is the built one, the defaults a block leaves out are the layer's own, and generate() neither
constructs a module nor reads a signature."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import torch
from helpers import chain
from torch import nn

from netbuilder.core.blocks import REGISTRY, Layer, Shape, changed
from netbuilder.core.check.problems import ShapeError
from netbuilder.core.check.shapes import check
from netbuilder.core.fields import Field, validate
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.pytorch import layers
from netbuilder.pytorch.build import make_layer
from netbuilder.pytorch.codegen import generate, layer_call

INPUTS: tuple[Shape, ...] = ((8, 12, 12), (8,))


def _variants(spec: Field) -> list[Any]:
    """Values of one parameter besides its default, as a file writes them."""
    if spec.kind == "choice":
        return list(spec.choices)
    if spec.kind == "bool":
        return [not spec.default]
    if spec.kind == "int":
        return [spec.min, 3, min(spec.default + 1, spec.max)]
    if spec.kind == "float":
        return [spec.min, 0.3]
    if spec.kind == "pair":
        return [1, [2, 3], 3] + ([None] if spec.nullable else [])
    if spec.kind == "padding":
        return [1, [1, 2], "same"]
    return []


def _samples() -> Iterator[tuple[str, dict[str, Any], Shape]]:
    """(block type, its checked values, its input) for every block type computed by a layer: its defaults and
    each parameter varied alone, on a volume and on a vector, where the block accepts them."""
    for kind, block in REGISTRY.items():
        raws = [{}, *({spec.name: value} for spec in block.params for value in _variants(spec))]
        for shape in INPUTS:
            for raw in raws:
                try:
                    values = validate(block.params, raw)
                    block.output_shape([shape], values)
                except ShapeError:
                    continue
                if isinstance(block.compute(values, [shape]), Layer):
                    yield kind, values, shape


SAMPLES = list(_samples())
OWN_LAYERS = {name: cls for name, cls in vars(layers).items() if isinstance(cls, type)}


def _settings(module: nn.Module) -> tuple:
    """A module's class, its public attributes (pairs of equal sides as one int) and its initial tensors."""

    def side(value: Any) -> Any:
        return value[0] if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1] else value

    attributes = {k: side(v) for k, v in vars(module).items() if not k.startswith("_")}
    return type(module), attributes, {k: v.tolist() for k, v in module.state_dict().items()}


def _built(layer: Layer) -> nn.Module:
    torch.manual_seed(0)  # layers with equal settings then start from equal weights
    return make_layer(layer)


def test_every_block_type_computed_by_a_layer_is_sampled():
    sampled = {kind for kind, _, _ in SAMPLES}
    for kind, block in REGISTRY.items():
        values = validate(block.params, {})
        assert kind in sampled or not isinstance(block.compute(values, [INPUTS[0]] * block.inputs(values)), Layer)


@pytest.mark.parametrize(("kind", "values", "shape"), SAMPLES)
def test_the_printed_layer_is_the_built_layer(kind, values, shape):
    layer = REGISTRY[kind].compute(values, [shape])
    cls, args = layer_call(layer)
    torch.manual_seed(0)
    printed = eval(f"{cls}({', '.join(args)})", {"nn": nn, **OWN_LAYERS})
    assert _settings(printed) == _settings(_built(layer))


@pytest.mark.parametrize(("kind", "values", "shape"), SAMPLES)
def test_each_default_a_block_leaves_out_is_the_layers_own(kind, values, shape, monkeypatch):
    """The defaults a block states to changed() are the layer's: built with them left out or written out, the
    layer is the same."""
    stated: list[dict[str, Any]] = []

    def recording(values: dict[str, Any], /, **defaults: Any) -> dict[str, Any]:
        stated.append(defaults)
        return changed(values, **defaults)

    for module in [m for name, m in sys.modules.items() if name.startswith("netbuilder.core.blocks.")]:
        if getattr(module, "changed", None) is changed:
            monkeypatch.setattr(module, "changed", recording)
    layer = REGISTRY[kind].compute(values, [shape])
    for defaults in stated:
        left_out = replace(layer, kwargs={k: v for k, v in layer.kwargs.items() if k not in defaults})
        written_out = replace(layer, kwargs={**left_out.kwargs, **defaults})
        assert _settings(_built(written_out)) == _settings(_built(left_out)), defaults


def test_generate_constructs_no_module_and_reads_no_signature(monkeypatch):
    graphs = [load_preset(p.key).graph for p in list_presets()]
    firsts = {kind: (values, shape) for kind, values, shape in reversed(SAMPLES)}
    for kind, (values, shape) in firsts.items():
        graphs.append(chain(("input", "Input", {"shape": list(shape)}), ("x", kind, values), ("y", "Dropout", {})))
    assert all(check(graph).valid for graph in graphs)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("model.py is printed from the plan's Layer data")

    monkeypatch.setattr(nn.Module, "__init__", refuse)
    monkeypatch.setattr(inspect, "signature", refuse)
    for graph in graphs:
        assert "class Net(nn.Module):" in generate(graph)
