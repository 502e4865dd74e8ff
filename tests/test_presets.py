"""The shipped networks."""

import pytest

from netbuilder.core.document import DocumentError
from netbuilder.core.presets import DEFAULT, list_presets, load_preset
from netbuilder.core.shapes import check


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


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(DocumentError, match="no preset 'vgg99'.*seed_cnn"):
        load_preset("vgg99")
