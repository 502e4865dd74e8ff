"""The shipped networks."""

import re

import pytest

from netbuilder.core.check.shapes import check
from netbuilder.core.document import DocumentError, dumps, parse
from netbuilder.core.graph import blocks_in
from netbuilder.core.groups import depth, parents
from netbuilder.core.presets import DEFAULT, list_presets, load_preset


def test_every_preset_is_valid_named_described_and_laid_out_top_to_bottom():
    presets = list_presets()
    assert {p.key for p in presets} >= {"vgg_cifar", "vgg16_cifar", "seed_cnn", "mlp_2hidden", "lenet5", "resnet_cifar"}
    assert presets[0].key == DEFAULT
    for p in presets:
        doc = load_preset(p.key)
        res = check(doc.graph)
        assert res.valid, (p.key, res.errors)
        assert doc.name and len(doc.description) > 20
        y = {nid: node.position[1] for nid, node in doc.graph.nodes.items()}
        assert all(y[e.src] < y[e.dst] for e in doc.graph.edges), p.key  # branches may share a row


def test_vgg_cifar_is_vgg16_without_its_last_conv():
    res = check(load_preset("vgg_cifar").graph)
    graph = load_preset("vgg_cifar").graph
    convs = [graph.nodes[n].params["out_channels"] for n in res.order if graph.nodes[n].type == "Conv2d"]
    assert convs == [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512]
    pools = [res.nodes[n].output_shape for n in res.order if graph.nodes[n].type == "Pool2d"]
    assert [s[1] for s in pools] == [16, 8, 4, 2, 1]
    fcs = [res.nodes[n].output_shape for n in res.order if graph.nodes[n].type == "Linear"]
    assert fcs == [(512,), (512,), (10,)]
    assert res.total_params == 12_892_746
    vgg16 = check(load_preset("vgg16_cifar").graph)
    assert vgg16.total_params - res.total_params == 512 * 512 * 9 + 512 + 2 * 512


def test_seed_cnn_is_the_article_example():
    res = check(load_preset("seed_cnn").graph)
    assert [res.nodes[n].output_shape for n in res.order] == [
        (3, 32, 32),
        (12, 32, 32),
        (12, 32, 32),
        (12, 16, 16),
        (10,),
    ]


PARAMS = {
    "vgg_cifar": 12_892_746,
    "vgg16_cifar": 15_253_578,
    "resnet_cifar": 11_173_962,
    "seed_cnn": 31_066,
    "digits_cnn": 10_890,
    "lenet5": 61_706,
    "mlp_2hidden": 109_386,
}


@pytest.mark.parametrize("key", sorted(PARAMS))
def test_presets_keep_their_params_and_their_groups_read_back(key):
    doc = load_preset(key)
    res = check(doc.graph)
    assert res.valid and res.total_params == PARAMS[key]
    again = parse(dumps(doc))  # strict reading: every group valid, nested ones listed first
    assert again.graph.groups == doc.graph.groups
    assert all(g.folded for g in doc.graph.groups.values())
    if key not in ("vgg_cifar", "vgg16_cifar", "resnet_cifar"):
        assert doc.graph.groups == {}


def _top_level(graph):
    return [gid for gid in graph.groups if depth(graph, gid) == 0]


@pytest.mark.parametrize("key", ["vgg_cifar", "vgg16_cifar"])
def test_vgg_presets_fold_into_five_stages_and_the_classifier(key):
    graph = load_preset(key).graph
    top = _top_level(graph)
    assert [graph.groups[g].name for g in top] == [*(f"stage {i}" for i in range(1, 6)), "classifier"]
    assert len(graph.groups) == 6  # no nesting
    owner = parents(graph)
    assert [n for n in graph.nodes if n not in owner] == ["input"]
    order = [n for n in check(graph).order if n != "input"]
    covered = [n for g in top for n in blocks_in(graph, g)]
    assert covered == order  # each stage a contiguous run of the network, in order
    for i, gid in enumerate(top[:5], start=1):
        types = [graph.nodes[n].type for n in blocks_in(graph, gid)]
        assert types[-1] == "Pool2d" and types.count("Pool2d") == 1
        assert all(re.fullmatch(rf"(conv|bn|relu){i}_\d|pool{i}", n) for n in blocks_in(graph, gid))
    assert {graph.nodes[n].type for n in blocks_in(graph, "classifier")} == {"Linear", "Activation", "Dropout"}


def test_resnet_cifar_folds_into_stem_stages_of_residual_blocks_and_head():
    graph = load_preset("resnet_cifar").graph
    top = _top_level(graph)
    assert [graph.groups[g].name for g in top] == ["stem", "stage 1", "stage 2", "stage 3", "stage 4", "head"]
    owner = parents(graph)
    assert [n for n in graph.nodes if n not in owner] == ["input"]
    for s in range(1, 5):
        blocks = graph.groups[f"stage{s}"].members
        assert [graph.groups[b].name for b in blocks] == [f"block {s}.0", f"block {s}.1"]
        for b in (0, 1):
            members = blocks_in(graph, f"block{s}_{b}")
            assert members == [n for n in graph.nodes if n.startswith(f"layer{s}_{b}_")]
            assert [graph.nodes[n].type for n in members].count("Add") == 1
            assert depth(graph, f"block{s}_{b}") == 1
    assert blocks_in(graph, "stem") == ["conv1", "bn1", "relu"]
    assert blocks_in(graph, "head") == ["avgpool", "fc"]


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(DocumentError, match="no preset 'vgg99'.*seed_cnn"):
        load_preset("vgg99")
