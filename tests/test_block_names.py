"""A block type is one definition: no module outside core/blocks/ names a block type in a string literal (a
branch on a type, a table keyed by types), so that what a type is, how it is shown and what follows it are read
from its definition. The palette's order list names the types it offers; each other exception says why."""

from __future__ import annotations

import ast
from pathlib import Path

import netbuilder
from netbuilder.core.blocks import REGISTRY

PACKAGE = Path(netbuilder.__file__).parent
DEFINITIONS = "core/blocks/"
# torch.nn layers that share a block type's name: the trace names the torch layer (nn.Conv2d), not the block
TORCH_LAYERS = ("Conv2d", "Linear", "Flatten", "Dropout")
# (module, or the start of a package's path; its top-level name, "" for any; the names it may use, () for any)
# → why it may name block types
ALLOWED: dict[tuple[str, str, tuple[str, ...]], str] = {
    (
        "ui/canvas/palette.py",
        "GROUPS",
        (),
    ): "the palette's order list: which entries it offers, in order, with their params",
    ("ui/canvas/palette.py", "_act", ("Activation",)): "makes the Activation entries of the palette's order list",
    ("pytorch/trace", "", TORCH_LAYERS): "torch.nn layer names, which the trace reads and writes",
}


def _allowed(module: str, top: str, name: str) -> bool:
    return module.startswith(DEFINITIONS) or any(
        module.startswith(path) and where in ("", top) and (not names or name in names)
        for path, where, names in ALLOWED
    )


def _name(top: ast.stmt) -> str:
    """The name a top-level statement defines: a function's, a class's, an assignment's first target."""
    if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return top.name
    target = top.targets[0] if isinstance(top, ast.Assign) else top.target if isinstance(top, ast.AnnAssign) else None
    return target.id if isinstance(target, ast.Name) else ""


def named_types(source: str, module: str, names: set[str]) -> list[str]:
    """Where a module's string literals name a block type outside what ALLOWED lets it: module:line: name."""
    return [
        f"netbuilder/{module}:{node.lineno}: {node.value!r}"
        for top in ast.parse(source).body
        for node in ast.walk(top)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in names
        and not _allowed(module, _name(top), node.value)
    ]


def test_no_module_outside_the_definitions_names_a_block_type():
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        for hit in named_types(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE).as_posix(), set(REGISTRY))
    ]
    assert not found, "block type names outside core/blocks/ (move the fact onto the definition):\n" + "\n".join(found)


def test_the_walk_finds_a_branch_on_a_type_and_a_table_keyed_by_types():
    source = 'def caption(t):\n    if t == "Conv2d":\n        return "conv"\n'
    source += '_SHORT = {"BatchNorm": "BN"}\nGROUPS = ["Add"]\n'
    assert named_types(source, "core/drawing/volumes.py", set(REGISTRY)) == [
        "netbuilder/core/drawing/volumes.py:2: 'Conv2d'",
        "netbuilder/core/drawing/volumes.py:4: 'BatchNorm'",
        "netbuilder/core/drawing/volumes.py:5: 'Add'",  # only the palette's GROUPS is the order list
    ]
    assert named_types(source, "core/blocks/conv.py", set(REGISTRY)) == []
    assert named_types('GROUPS = ["Add"]\nORDER = ["Add"]\n', "ui/canvas/palette.py", set(REGISTRY)) == [
        "netbuilder/ui/canvas/palette.py:2: 'Add'"
    ]
    # the trace may name torch layers, not branch on other block types
    assert named_types('X = ("Conv2d", "Add")\n', "pytorch/trace/patterns.py", set(REGISTRY)) == [
        "netbuilder/pytorch/trace/patterns.py:1: 'Add'"
    ]


def test_the_torch_layer_names_allowed_are_torch_layers():
    from torch import nn

    assert all(isinstance(getattr(nn, name, None), type) for name in TORCH_LAYERS)


def test_what_follows_a_block_names_registered_types_with_their_params():
    for block in REGISTRY.values():
        for block_type, params in block.follows:
            assert block_type in REGISTRY, f"{block.name} follows unknown {block_type}"
            names = {s.name for s in REGISTRY[block_type].params}
            assert set(params) <= names, f"{block.name} follows {block_type} with unknown params {params}"
