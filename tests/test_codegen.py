"""Generated model.py files: standalone, readable, and computing exactly what build() computes."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from helpers import chain, image
from hypothesis import HealthCheck, given, settings
from test_shapes_torch import graphs
from torch import nn

from netbuilder.core.check.shapes import check
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.pytorch.build import BuildError, build
from netbuilder.pytorch.codegen import MAX_LINE, generate, module_paths, python_names, rename_state_dict

GOLDEN = Path(__file__).parent / "golden" / "seed_cnn_model.py"


def imported_modules(source: str) -> set[str]:
    tree = ast.parse(source)
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return found | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def settings_of(layer: nn.Module) -> str:
    """A layer's class and settings, with pairs of equal sides written as one int: (2, 2) → 2."""
    return re.sub(r"\((\d+), \1\)", r"\1", repr(layer))


def assert_generates_the_built_network(graph: Graph, class_name: str = "Net", title: str = "") -> nn.Module:
    """Generate, exec, load build(graph)'s weights, and compare layers and outputs; returns the module."""
    source = generate(graph, class_name, title)
    assert imported_modules(source) <= {"torch", "torch.nn.functional"}  # needs only torch
    assert max(len(line) for line in source.splitlines()) <= MAX_LINE
    namespace: dict[str, Any] = {"__name__": "model"}
    exec(compile(source, "model.py", "exec"), namespace)
    generated = namespace[class_name]()
    built = build(graph)
    x = torch.randn(3, *built.input_shape)
    with torch.no_grad():
        built.train()(x)  # moves BatchNorm's running statistics away from their initial values
    state = rename_state_dict(built.state_dict(), graph)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in generated.state_dict().items()}
    generated.load_state_dict(state)  # strict: the same keys, none missing, none extra

    names = python_names(graph)
    kept = [name for name in built.layers if not (built.trailing_softmax and name == names[built.output_id])]
    if not graph.groups:
        assert [(name, settings_of(built.layers[name])) for name in kept] == [
            (name, settings_of(layer)) for name, layer in generated.named_children()
        ]
    # Each layer is at its path, with the same settings; no other layer but the nn.Flatten of a Sequential.
    paths = {names[nid]: path for nid, path in module_paths(graph).items()}
    assert [(paths[name], settings_of(built.layers[name])) for name in kept] == [
        (path, settings_of(layer))
        for path, layer in generated.named_modules()
        if path in paths.values()
        or (not list(layer.children()) and type(layer).__module__.startswith("torch.nn"))
        and not (isinstance(layer, nn.Flatten) and path not in paths.values())
    ]
    built.eval()
    generated.eval()
    with torch.no_grad():
        assert torch.equal(generated(x), built(x))
    assert hasattr(generated, "predict") == built.trailing_softmax
    if built.trailing_softmax:
        assert torch.equal(generated.predict(x), built.predict(x))
    return generated


@pytest.mark.parametrize("key", [p.key for p in list_presets()])
def test_presets_generate_their_built_network(key):
    doc = load_preset(key)
    assert_generates_the_built_network(doc.graph, title=doc.name)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_generate_their_built_network_or_the_same_refusal(graph):
    if check(graph).valid:
        assert_generates_the_built_network(graph)
        return
    with pytest.raises(BuildError) as refused:
        build(graph)
    with pytest.raises(BuildError, match="^The network is not valid: ") as info:
        generate(graph)
    assert str(info.value) == str(refused.value)


def wide_graph() -> Graph:
    """Branches, merges of three, long ids, ids that clash with Python keywords or the generated code's own
    names, and a trailing softmax."""
    g = Graph()
    for nid, kind, params in [
        ("self", "Input", {"shape": [3, 12, 12]}),
        ("class", "Conv2d", {"out_channels": 4, "padding": 1}),
        ("stem", "Activation", {"function": "leaky_relu", "negative_slope": 0.2}),
        ("smoothing_average_branch_pool_b", "Pool2d", {"mode": "avg", "kernel_size": 3, "stride": 1, "padding": 1}),
        ("identity_shortcut_branch_c", "Activation", {"function": "identity"}),
        (
            "expand_branch_conv_a",
            "Conv2d",
            {"out_channels": 4, "kernel_size": [3, 1], "padding": "same", "bias": False},
        ),
        ("expand_branch_norm_a", "BatchNorm", {"eps": 1e-3, "momentum": 0.05}),
        ("lambda", "Add", {"inputs": 3}),
        ("x", "Conv2d", {"out_channels": 4, "stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
        ("pool", "Pool2d", {"kernel_size": 2, "ceil_mode": True}),
        ("__hidden", "Conv2d", {"out_channels": 2, "kernel_size": 1, "stride": 2}),
        ("torch", "Concat", {"inputs": 3}),
        ("predict", "Dropout", {"p": 0.25}),
        ("fc", "Linear", {"out_features": 5}),
        ("nn", "BatchNorm", {}),
        ("sm", "Activation", {"function": "softmax"}),
    ]:
        g.add_node(Node(nid, kind, params))
    for src, dst, port in [
        ("self", "class", 0),
        ("class", "stem", 0),
        ("stem", "expand_branch_conv_a", 0),
        ("expand_branch_conv_a", "expand_branch_norm_a", 0),
        ("stem", "smoothing_average_branch_pool_b", 0),
        ("stem", "identity_shortcut_branch_c", 0),
        ("expand_branch_norm_a", "lambda", 0),
        ("smoothing_average_branch_pool_b", "lambda", 1),
        ("identity_shortcut_branch_c", "lambda", 2),
        ("lambda", "x", 0),
        ("lambda", "pool", 0),
        ("lambda", "__hidden", 0),
        ("x", "torch", 0),
        ("pool", "torch", 1),
        ("__hidden", "torch", 2),
        ("torch", "predict", 0),
        ("predict", "fc", 0),
        ("fc", "nn", 0),
        ("nn", "sm", 0),
    ]:
        g.add_edge(Edge(src, dst, port))
    return g


def test_branches_merges_and_clashing_ids_generate_the_built_network():
    graph = wide_graph()
    renamed = {nid: name for nid, name in python_names(graph).items() if nid != name}
    assert renamed == {
        "self": "self_",
        "class": "class_",
        "lambda": "lambda_",
        "x": "x_",
        "__hidden": "__hidden__",
        "torch": "torch_",
        "predict": "predict_",
        "nn": "nn_",
    }
    assert_generates_the_built_network(graph, "Wide", 'A "wide" net \\ with\na title longer than a line, """ too')
    lines = generate(graph, "Wide").splitlines()
    for line in [
        "        self.class_ = nn.Conv2d(3, 4, kernel_size=3, padding=1)",
        "        self.stem = nn.LeakyReLU(negative_slope=0.2)",
        "        self.smoothing_average_branch_pool_b = nn.AvgPool2d(",
        "            kernel_size=3, stride=1, padding=1",
        "        self.expand_branch_conv_a = nn.Conv2d(",
        '            4, 4, kernel_size=(3, 1), padding="same", bias=False',
        "        self.expand_branch_norm_a = nn.BatchNorm2d(4, eps=0.001, momentum=0.05)",
        "        self.pool = nn.MaxPool2d(kernel_size=2, ceil_mode=True)",
        "        self.nn_ = nn.BatchNorm1d(5)",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        "        stem = self.stem(x)",
        "        lambda_ = (",
        "            x",
        "            + smoothing_average_branch_pool_b",
        "            + identity_shortcut_branch_c",
        "        )",
        "        x = torch.cat([x_, pool, x], dim=1)",
        "        x = self.fc(x.flatten(1))",
        "        return x",
        "    def predict(self, x: torch.Tensor) -> torch.Tensor:",
    ]:
        assert line in lines, line


def test_ids_that_name_nn_module_attributes_are_suffixed():
    graph = chain(
        image(3, 6, 6),
        ("training", "Conv2d", {"out_channels": 4}),
        ("training_", "Activation", {}),
        ("forward", "BatchNorm", {}),
        ("state_dict", "Linear", {"out_features": 3}),
    )
    names = python_names(graph)
    assert names == {
        "input": "input",
        "training": "training__",
        "training_": "training_",
        "forward": "forward_",
        "state_dict": "state_dict_",
    }
    # build() cannot hold these ids (its nn.ModuleDict refuses them), so compare with the graph renamed:
    # the code is the same from __init__ on, and that code computes the built network.
    renamed = Graph()
    for node in graph.nodes.values():
        renamed.add_node(Node(names[node.id], node.type, dict(node.params)))
    for e in graph.edges:
        renamed.add_edge(Edge(names[e.src], names[e.dst], e.port))
    assert generate(graph).split("def __init__")[1] == generate(renamed).split("def __init__")[1]
    assert_generates_the_built_network(renamed)


def test_the_generated_file_runs_on_its_own(tmp_path):
    doc = load_preset("seed_cnn")
    (tmp_path / "model.py").write_text(generate(doc.graph, title=doc.name), encoding="utf-8")
    # -I ignores PYTHONPATH and the user site; what model.py imports is checked in assert_generates_the_built_network.
    proc = subprocess.run([sys.executable, "-I", "model.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    res = check(doc.graph)
    assert proc.stdout.splitlines() == [
        f"output shape: {(2, *res.nodes[res.output].output_shape)}",
        f"parameters: {res.total_params:,}",
    ]


def test_seed_cnn_matches_its_golden_file():
    doc = load_preset("seed_cnn")
    source = generate(doc.graph, title=doc.name)
    if os.environ.get("NETBUILDER_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(source, encoding="utf-8")
    assert source == GOLDEN.read_text(encoding="utf-8"), "run with NETBUILDER_UPDATE_GOLDEN=1 to accept the change"


def test_docstrings_give_name_input_and_parameters():
    g = chain(image(3, 8, 8), ("fc", "Linear", {"out_features": 5}), ("sm", "Activation", {"function": "softmax"}))
    source = generate(g, "Tiny", "Tiny net")
    module_doc = ast.get_docstring(ast.parse(source)) or ""
    assert module_doc.startswith("Tiny net: ")
    assert "(N, 3, 8, 8)" in module_doc and "Parameters: 965." in module_doc
    assert "model = Tiny()" in module_doc
    assert "predict()" in source.split("def __init__")[0]  # the class docstring says where the softmax went


def test_an_input_alone_is_the_identity():
    g = chain(("image", "Input", {"shape": [4]}))
    namespace: dict[str, Any] = {"__name__": "model"}
    exec(generate(g), namespace)
    x = torch.randn(2, 4)
    assert torch.equal(namespace["Net"]()(x), x)


def test_invalid_graphs_and_class_names_are_refused():
    g = chain(image(3, 4, 4), ("conv", "Conv2d", {"kernel_size": 7}))
    with pytest.raises(BuildError) as info:
        generate(g)
    assert check(g).nodes["conv"].error in str(info.value)
    for bad in ("class", "2net", "torch", "my-net"):
        with pytest.raises(ValueError, match="cannot name a Python class"):
            generate(chain(image()), bad)
