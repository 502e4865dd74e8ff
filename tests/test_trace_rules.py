"""Import rules live on the block definitions: trace dispatches on them, so a block type declared here only is
imported from its torch layer, and a variant it does not compute is refused in the block's own words."""

import pytest
from torch import nn

from netbuilder.core.blocks import REGISTRY, BlockType, Layer, Params, Shape, register
from netbuilder.core.blocks.base import ImportRefused, no_cost, same_shape
from netbuilder.pytorch.trace import OPERATIONS, ModelImportError, import_module, translate


def _import_hardtanh(m: nn.Module, shapes: list[Shape], out: Shape) -> Params:
    if (m.min_val, m.max_val) != (-1.0, 1.0):
        raise ImportRefused(f"with min_val {m.min_val:g} and max_val {m.max_val:g}")
    return {}


HARDTANH = BlockType(
    name="Hardtanh",
    category="activation",
    help="Clamps every value to [-1, 1].",
    params=(),
    output_shape=same_shape,
    cost=no_cost,
    summary=lambda p, i: "",
    compute=lambda p, i: Layer("Hardtanh"),
    imports={"Hardtanh": _import_hardtanh},
)


@pytest.fixture
def hardtanh():
    register(HARDTANH)
    yield HARDTANH
    del REGISTRY[HARDTANH.name]


def model(act: nn.Module) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), act, nn.Flatten(), nn.Linear(4 * 4 * 4, 2))


def refusal(module: nn.Module) -> str:
    with pytest.raises(ModelImportError) as info:
        translate(module, (3, 6, 6))
    return str(info.value)


def test_a_block_type_declared_in_a_test_imports_its_layer(hardtanh):
    imported = import_module(model(nn.Hardtanh()), (3, 6, 6))  # also compares outputs with the module's
    assert [n.type for n in imported.document.graph.nodes.values()] == [
        "Input",
        "Conv2d",
        "Hardtanh",
        "Flatten",
        "Linear",
    ]
    assert "Hardtanh with min_val -2 and max_val 2 (at _1)" in refusal(model(nn.Hardtanh(-2.0, 2.0)))


def test_without_the_definition_the_layer_is_refused():
    assert "no block for: Hardtanh (at _1);" in refusal(model(nn.Hardtanh()))


def test_every_import_rule_names_an_exact_torch_layer_or_an_operation():
    keys = {key for block in REGISTRY.values() for key in block.imports}
    assert {"Conv2d", "BatchNorm2d", *OPERATIONS} <= keys  # every operation trace recognises has its block
    assert [k for k in keys if k not in OPERATIONS and not isinstance(getattr(nn, k, None), type)] == []
    owners = [key for block in REGISTRY.values() for key in block.imports]
    assert len(owners) == len(keys)  # one block type per layer class
