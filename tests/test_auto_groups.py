"""Groups that come with an imported model: its module hierarchy, nested, every group folded."""

import warnings

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document, dumps, parse
from netbuilder.core.graph import blocks_in
from netbuilder.core.groups import depth, parents
from netbuilder.pytorch import trace
from netbuilder.pytorch.trace import import_module, translate


def assert_valid_forest(graph):
    """Every group reads back strictly (ids, names, members, nested groups first), folded, with ≥ 2 members."""
    again = parse(dumps(Document(graph, "x"))).graph
    assert again.groups == graph.groups
    for group in graph.groups.values():
        assert group.folded and len(group.members) >= 2, group


def tops(graph):
    return [gid for gid in graph.groups if depth(graph, gid) == 0]


def types_of(graph, gid):
    return [graph.nodes[m].type if m in graph.nodes else "group" for m in graph.groups[gid].members]


def test_resnet18_groups_its_stages_and_their_basic_blocks():
    graph = translate(torchvision.models.resnet18(weights=None), (3, 32, 32), "resnet18").document.graph
    assert check(graph).valid
    assert_valid_forest(graph)
    assert tops(graph) == ["layer1", "layer2", "layer3", "layer4"]
    owner = parents(graph)
    assert [n for n in graph.nodes if n not in owner] == [
        *("input", "conv1", "bn1", "relu", "maxpool"),  # the stem: the root's own layers
        *("avgpool", "flatten", "fc"),  # flatten: the root's forward calls torch.flatten
    ]
    for stage in range(1, 5):
        group = graph.groups[f"layer{stage}"]
        assert group.name == f"layer{stage}" and group.members == [f"layer{stage}_0", f"layer{stage}_1"]
        for block in (0, 1):
            gid = f"layer{stage}_{block}"
            assert graph.groups[gid].name == f"layer{stage}.{block}"
            downsample = stage > 1 and block == 0
            expected = ["Conv2d", "BatchNorm", "Activation", "Conv2d", "BatchNorm"]
            expected += ["group"] * downsample + ["Add", "Activation"]  # the Add of the residual is the block's
            assert types_of(graph, gid) == expected
            assert graph.groups[gid].members[0] == f"{gid}_conv1"
    down = graph.groups["layer2_0_downsample"]
    assert down.name == "layer2.0.downsample" and down.members == ["layer2_0_downsample_0", "layer2_0_downsample_1"]
    assert depth(graph, "layer2_0_downsample") == 2


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)) + x)  # an add and a relu of this forward: this module's


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.Sequential(Residual(8), Residual(8)),
            nn.MaxPool2d(2),
        )
        self.wrapped = nn.Sequential(nn.Sequential(nn.Conv2d(8, 8, 1), nn.ReLU()))  # one group, not two
        self.single = nn.Sequential(nn.Identity(), nn.Conv2d(8, 4, 1))  # one block: no group
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        x = self.single(self.wrapped(self.features(x)))
        return self.head(torch.sigmoid(x))


def test_a_custom_module_is_grouped_as_its_sequentials_are():
    imported = import_module(Custom(), (3, 8, 8), "custom")  # outputs compared: the groups change nothing
    graph = imported.document.graph
    assert_valid_forest(graph)
    assert tops(graph) == ["features", "wrapped_0", "head"]
    assert graph.groups["features"].members == ["features_0", "features_1", "features_2", "features_3"]
    assert graph.groups["features_2"].name == "features.2"
    assert graph.groups["features_2"].members == ["features_2_0", "features_2_1"]
    assert types_of(graph, "features_2_0") == ["Conv2d", "BatchNorm", "Add", "Activation"]
    assert graph.groups["wrapped_0"].name == "wrapped.0" and "wrapped" not in graph.groups
    assert blocks_in(graph, "head") == ["head_0", "head_1"]
    owner = parents(graph)
    assert [n for n in graph.nodes if n not in owner] == ["input", "single_1", "sigmoid"]


def test_without_the_module_stack_groups_come_from_names_and_neighbours(monkeypatch):
    model = torchvision.models.resnet18(weights=None)
    expected = translate(model, (3, 32, 32), "resnet18").document.graph.groups
    original = trace.translation.trace_module

    def forgetful(*args):
        traced = original(*args)
        for node in traced.graph.nodes:
            node.meta.pop("nn_module_stack", None)
        return traced

    monkeypatch.setattr(trace.translation, "trace_module", forgetful)
    assert translate(model, (3, 32, 32), "resnet18").document.graph.groups == expected


def test_a_chained_concat_goes_with_its_concat():
    class Wide(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv2d(3, 2, 1) for _ in range(trace.MAX_INPUTS + 2))

        def forward(self, x):
            return torch.cat([c(x) for c in self.convs], 1)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.wide = Wide()
            self.out = nn.Conv2d(2 * (trace.MAX_INPUTS + 2), 1, 1)

        def forward(self, x):
            return self.out(self.wide(x))

    graph = import_module(Outer(), (3, 4, 4), "outer").document.graph
    assert_valid_forest(graph)
    concats = [n for n in graph.nodes if graph.nodes[n].type == "Concat"]
    assert len(concats) == 2 and all(parents(graph)[n] == "wide" for n in concats)
    assert tops(graph) == ["wide"] and parents(graph).get("out") is None


def _torchvision(name):
    with warnings.catch_warnings():  # googlenet warns that its initialisation will change
        warnings.filterwarnings("ignore", "The default weight initialization", FutureWarning)
        return torchvision.models.get_model(name, weights=None)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "top", "nested"),
    [
        ("densenet121", ["features"], "features_denseblock1_denselayer1"),
        ("googlenet", ["conv1", "conv2", "conv3", "inception3a"], "inception3a_branch2_0"),
    ],
)
def test_densenet_and_googlenet_import_with_nested_groups(name, top, nested):
    with torch.device("meta"):  # structure and shapes only
        model = _torchvision(name)
    graph = translate(model, (3, 64, 64), name).document.graph
    assert check(graph).valid
    assert_valid_forest(graph)
    assert tops(graph)[: len(top)] == top
    assert depth(graph, nested) == 2
    concats = [n for n in graph.nodes if graph.nodes[n].type == "Concat"]
    assert concats and all(n in parents(graph) for n in concats)  # inside the block whose forward concatenates
