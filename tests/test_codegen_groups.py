"""Groups in the exported model.py: chains become nn.Sequential, other groups a class per group type, weights'
names follow the nesting, and what cannot be a submodule stays flat; always computing what build() computes."""

from __future__ import annotations

import ast
from typing import Any

import pytest
import torch
from helpers import chain, image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_codegen import assert_generates_the_built_network, wide_graph
from test_shapes_torch import graphs

from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document
from netbuilder.core.graph import Graph, Group
from netbuilder.core.groups import parents
from netbuilder.core.presets import load_preset
from netbuilder.pytorch.build import build
from netbuilder.pytorch.codegen import generate, module_paths, rename_state_dict
from netbuilder.pytorch.export import export_python


def ungrouped(key: str) -> Graph:
    graph = load_preset(key).graph
    graph.groups = {}  # the tests give their own groups, whatever the preset holds
    return graph


def group(graph: Graph, gid: str, members: list[str], name: str | None = None) -> None:
    graph.add_group(Group(gid, name or gid.replace("_", " "), members))


def classes(source: str) -> list[str]:
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]


def vgg() -> Graph:
    graph = ungrouped("vgg_cifar")
    order = check(graph).order
    for n in range(1, 6):
        group(
            graph,
            f"stage{n}",
            [nid for nid in order if nid.startswith(("conv", "bn", "relu")) and nid[-3] == f"{n}" or nid == f"pool{n}"],
        )
    group(graph, "classifier", order[order.index("fc1") :])
    return graph


def resnet() -> Graph:
    """resnet_cifar with torchvision's names: layer1 holds layer1_0 and layer1_1, each a residual block."""
    graph = ungrouped("resnet_cifar")
    for stage in range(1, 5):
        for block in range(2):
            prefix = f"layer{stage}_{block}_"
            group(graph, f"layer{stage}_{block}", [nid for nid in graph.nodes if nid.startswith(prefix)], "res block 1")
        group(graph, f"layer{stage}", [f"layer{stage}_0", f"layer{stage}_1"])
    return graph


def test_vgg_stages_and_classifier_are_sequentials():
    graph = vgg()
    source = generate(graph)
    assert classes(source) == ["Net"]
    lines = source.splitlines()
    for line in [
        "        self.stage1 = nn.Sequential(",
        "            nn.Conv2d(3, 64, kernel_size=3, padding=1),",
        "        self.classifier = nn.Sequential(",
        "        x = self.stage3(x)",
        "        x = self.classifier(x.flatten(1))",
    ]:
        assert line in lines, line
    generated = assert_generates_the_built_network(graph)
    keys = generated.state_dict().keys()
    assert {"stage3.0.weight", "stage3.1.running_mean", "stage5.3.weight", "classifier.6.bias"} <= set(keys)
    assert not any(key.startswith(("conv", "bn", "fc")) for key in keys)


def test_resnet_blocks_are_a_class_per_type_in_sequential_stages():
    graph = resnet()
    source = generate(graph)
    # layer1's two blocks are alike and share a class; each later stage's first block downsamples, its second
    # has more channels than the stage before's: 7 block types.
    assert classes(source) == ["ResBlock", *(f"ResBlock{n}" for n in range(2, 8)), "Net"]
    lines = source.splitlines()
    for line in [
        "class ResBlock(nn.Module):",
        "        self.conv1 = nn.Conv2d(64, 64, kernel_size=3, padding=1, bias=False)",
        "        out = self.conv1(x)",
        "        out = out + x",
        "        return out",
        "        self.layer1 = nn.Sequential(ResBlock(), ResBlock())",
        "        self.layer2 = nn.Sequential(ResBlock2(), ResBlock3())",
        "        x = self.layer4(x)",
    ]:
        assert line in lines, line
    generated = assert_generates_the_built_network(graph)
    keys = set(generated.state_dict())
    assert {"layer1.0.conv1.weight", "layer1.1.bn2.running_var", "layer2.0.downsample_0.weight", "fc.weight"} <= keys
    assert module_paths(graph)["layer3_1_conv2"] == "layer3.1.conv2"


def test_nested_sequentials_and_a_class_inside_a_class():
    graph = vgg()
    group(graph, "features", [f"stage{n}" for n in range(1, 6)])
    generated = assert_generates_the_built_network(graph)
    assert "features.2.0.weight" in generated.state_dict()
    assert "        self.features = nn.Sequential(" in generate(graph).splitlines()

    graph = resnet()
    # a downsample path as a group of its own, inside its block's class
    graph.remove_group("layer2")
    block = graph.groups["layer2_0"]
    downsample = ["layer2_0_downsample_0", "layer2_0_downsample_1"]
    graph.set_group(Group(block.id, block.name, [m for m in block.members if m not in downsample]))
    group(graph, "layer2_0_downsample", downsample)
    graph.set_group(Group(block.id, block.name, [*graph.groups[block.id].members, "layer2_0_downsample"]))
    group(graph, "layer2", ["layer2_0", "layer2_1"])
    generated = assert_generates_the_built_network(graph)
    assert "layer2.0.downsample.0.weight" in generated.state_dict()
    assert "        out = self.downsample(x)" in generate(graph).splitlines()


def test_a_group_used_twice_after_it_stays_flat_with_a_comment():
    graph = wide_graph()
    group(graph, "tails", ["x", "pool"], "two tails")  # both read by the Concat after them
    group(graph, "head", ["predict", "fc", "nn", "sm"])  # a chain around the trailing softmax
    source = generate(graph, "Wide")
    words = " ".join(source.replace("#", "").split())
    assert "Group 'two tails' (tails) stays as flat layers: 2 of its blocks are used after it" in words
    assert "self.x_ = nn.Conv2d(" in source and "self.tails" not in source
    assert "        self.head = nn.Sequential(\n            nn.Dropout(p=0.25),\n            nn.Flatten(),\n" in source
    assert_generates_the_built_network(graph, "Wide")


def test_a_group_whose_blocks_do_not_run_together_stays_flat_but_its_nested_groups_do_not():
    graph = vgg()
    graph.groups = {}
    group(graph, "stage1", ["conv1_1", "bn1_1", "relu1_1"])
    group(graph, "odd", ["stage1", "conv3_1"], "odd one")
    source = generate(graph)
    words = " ".join(source.replace("#", "").split())
    assert "Group 'odd one' (odd) stays as flat layers: its blocks do not run one after another." in words
    assert "        self.stage1 = nn.Sequential(" in source.splitlines()
    generated = assert_generates_the_built_network(graph)
    assert {"stage1.0.weight", "conv3_1.weight"} <= set(generated.state_dict())


def test_a_branching_group_with_two_inputs_is_a_class_and_the_input_and_softmax_are_left_out():
    graph = wide_graph()
    group(graph, "merge", ["x", "pool", "__hidden", "torch"], "merge 3")
    group(graph, "start", ["self", "class", "stem"])  # with the Input, which forward() does not compute
    source = generate(graph, "Wide")
    assert classes(source) == ["Merge", "Wide"]
    lines = source.splitlines()
    assert "        out = torch.cat([x_, pool, out], dim=1)" in lines  # in Merge.forward
    assert "        x = self.merge(x)" in lines
    assert "        self.start = nn.Sequential(" in source.splitlines()
    assert_generates_the_built_network(graph, "Wide")

    g = chain(image(3, 8, 8), ("conv", "Conv2d", {}), ("fc", "Linear", {"out_features": 3}), ("sm", "Activation", {}))
    g.nodes["sm"].params["function"] = "softmax"
    group(g, "everything", ["input", "conv", "fc", "sm"])
    assert "self.everything = nn.Sequential(" in generate(g)
    assert_generates_the_built_network(g)


def test_a_document_without_groups_gives_the_same_source_as_before():
    graph = ungrouped("resnet_cifar")
    assert classes(generate(graph)) == ["Net"]
    assert (
        rename_state_dict(build(graph).state_dict(), graph).keys()
        == rename_state_dict(build(graph).state_dict()).keys()
    )


def test_export_with_weights_names_them_for_the_nested_modules(tmp_path):
    graph = resnet()
    net = build(graph)
    with torch.no_grad():
        net.train()(torch.randn(2, 3, 32, 32))
    written = export_python(Document(graph=graph, name="grouped"), tmp_path / "model.py", net.state_dict())
    weights = next(p for p in written if "weights" in p.name)
    if weights.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(weights)
    else:
        state = torch.load(weights, weights_only=True)
    namespace: dict[str, Any] = {"__name__": "model"}
    exec(compile((tmp_path / "model.py").read_text(), "model.py", "exec"), namespace)
    model = namespace["Net"]()
    model.load_state_dict(state)  # strict
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model.eval()(x), net.eval()(x), atol=1e-6)


@st.composite
def grouped_graphs(draw):
    """Random valid networks with random groups: a forest over runs of the check's order, some with gaps, and
    sometimes a group of any blocks."""
    graph = draw(graphs().filter(lambda g: check(g).valid))
    order = check(graph).order
    count = [0]

    def split(lo: int, hi: int, top: bool = False) -> list[str]:
        """Members for the run order[lo:hi]: blocks, and groups made of sub-runs."""
        members: list[str] = []
        i = lo
        while i < hi:
            if draw(st.booleans()):
                end = draw(st.integers(i + 1, hi))
                inner = split(i, end)
                if draw(st.integers(0, 3)) == 0 and len(inner) > 1:
                    inner.pop(draw(st.integers(0, len(inner) - 1)))  # a gap
                if inner and (top or (lo, hi) != (i, end)):
                    gid = f"g{count[0]}"
                    count[0] += 1
                    graph.add_group(Group(gid, f"group {gid}", inner))
                    members.append(gid)
                else:
                    members += inner
                i = end
            else:
                members.append(order[i])
                i += 1
        return members

    runs = draw(st.integers(0, 2)) > 0
    if runs:
        split(0, len(order), top=True)
    free = [nid for nid in order[1:] if nid not in parents(graph)]  # order[0] is the Input
    if len(free) > 1 and (not runs or draw(st.booleans())):  # any set of blocks: often no submodule
        graph.add_group(Group("loose", "loose", draw(st.lists(st.sampled_from(free), min_size=2, unique=True))))
    return graph


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grouped_graphs())
def test_random_groupings_generate_the_built_network(graph):
    if check(graph).valid:
        assert_generates_the_built_network(graph)


def test_long_group_ids_and_class_names_still_fit_the_line():
    graph = resnet()
    long = "a_group_with_an_identifier_long_enough_to_overflow_the_line"
    members = graph.groups["layer4"].members
    graph.remove_group("layer4")
    group(graph, long, members, "residual.stage.with_a_long_name_of_its_own.0")
    source = generate(graph)
    assert (
        f"        self.{long} = (" in source.splitlines()
        and "            nn.Sequential(ResBlock6(), ResBlock7())" in source
    )
    assert "class WithALongNameOfItsOwnBlock(nn.Module):" not in source  # the stage is a chain: a Sequential
    assert_generates_the_built_network(graph)


def test_an_imported_torchvision_resnet_exports_with_torchvisions_own_weight_names():
    torchvision = pytest.importorskip("torchvision")
    from netbuilder.pytorch.trace import import_model

    graph = import_model("torchvision:resnet18", (3, 32, 32)).document.graph
    names = {group.name for group in graph.groups.values()}  # torchvision's submodules, nested
    assert {"layer1", "layer1.0", "layer2.0.downsample", "layer4.1"} <= names, sorted(names)
    namespace: dict[str, Any] = {"__name__": "model"}
    exec(compile(generate(graph), "model.py", "exec"), namespace)
    model = namespace["Net"]().eval()
    reference = torchvision.models.resnet18().eval()
    model.load_state_dict(reference.state_dict())  # strict: layer1.0.conv1.weight, layer2.0.downsample.0.weight, ...
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x), atol=1e-6)
