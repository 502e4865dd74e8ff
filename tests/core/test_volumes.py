"""The volumes picture (core.volumes): cuboids to scale, every block once, the article's seed CNN, broken networks."""

import math

import pytest
from helpers import chain, image

from netbuilder.core.check.shapes import check
from netbuilder.core.drawing.volumes import (
    DEPTH_MAX,
    DEPTH_MIN,
    SCALES,
    SPATIAL_MAX,
    SPATIAL_MIN,
    build,
    extent,
    format_volume,
    magnitude,
)
from netbuilder.core.graph import Edge, Graph, Group, Node
from netbuilder.core.presets import list_presets, load_preset


def picture(graph: Graph, scale: str = "linear", order: str = "hwc"):
    return build(graph, check(graph), scale, order)


def represented(pic) -> list[str]:
    return [b for c in pic.cuboids for b in c.blocks] + [band.block for c in pic.cuboids for band in c.bands]


def wide_range() -> Graph:
    """Channels 2 → 8 → 32 → 128 and sides 64 → 32 → 16: unclamped under every scale."""
    return chain(
        image(2, 64, 64),
        ("c1", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("p1", "Pool2d", {"mode": "max", "kernel_size": 2}),
        ("c2", "Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
        ("p2", "Pool2d", {"mode": "max", "kernel_size": 2}),
        ("c3", "Conv2d", {"out_channels": 128, "kernel_size": 3, "padding": 1}),
    )


@pytest.mark.parametrize("scale", SCALES)
def test_cuboids_are_proportional_to_their_volumes_under_each_scale(scale):
    pic = picture(wide_range(), scale)
    sizes = {c.unit: c for c in pic.cuboids}
    top_c, top_hw = 128, 64
    for c in pic.cuboids:
        ch, h, w = c.shape
        assert c.d == pytest.approx(extent(ch, top_c, scale, DEPTH_MIN, DEPTH_MAX))
        assert c.h == pytest.approx(extent(h, top_hw, scale, SPATIAL_MIN, SPATIAL_MAX))
        assert c.w == pytest.approx(extent(w, top_hw, scale, SPATIAL_MIN, SPATIAL_MAX))
    # Ratios of unclamped sizes are the ratios of the scaled numbers.
    for a, b in (("c1", "c3"), ("c2", "c3"), ("input", "c1")):
        ca, cb = sizes[a], sizes[b]
        if DEPTH_MIN < ca.d < DEPTH_MAX and DEPTH_MIN < cb.d <= DEPTH_MAX:
            assert ca.d / cb.d == pytest.approx(magnitude(ca.shape[0], scale) / magnitude(cb.shape[0], scale))
    assert sizes["c3"].d == pytest.approx(DEPTH_MAX)  # the most channels: the deepest
    assert sizes["input"].h == pytest.approx(SPATIAL_MAX)  # the largest side: the tallest
    assert sizes["p1"].h / sizes["input"].h == pytest.approx(magnitude(32, scale) / magnitude(64, scale))
    assert sizes["p2"].w / sizes["p1"].w == pytest.approx(magnitude(16, scale) / magnitude(32, scale))
    if scale == "linear":
        assert sizes["c2"].d / sizes["c3"].d == pytest.approx(32 / 128)
    if scale == "sqrt":
        assert sizes["c2"].d / sizes["c3"].d == pytest.approx(math.sqrt(32 / 128))
    if scale == "log":
        assert sizes["c2"].d / sizes["c3"].d == pytest.approx((1 + 5) / (1 + 7))


def test_tiny_and_huge_layers_are_clamped_so_both_stay_visible():
    g = chain(image(1, 512, 512), ("c", "Conv2d", {"out_channels": 4096, "kernel_size": 1}))
    g.add_node(Node("p", "AdaptivePool2d", {"output_size": 1}))
    g.add_edge(Edge("c", "p"))
    pic = picture(g, "linear")
    by = {c.unit: c for c in pic.cuboids}
    assert by["input"].d == DEPTH_MIN  # 1 of 4096 channels: still drawn
    assert by["p"].h == by["p"].w == SPATIAL_MIN  # 1×1 of 512×512
    assert by["c"].d == DEPTH_MAX and by["c"].h == SPATIAL_MAX


def test_the_seed_cnn_is_the_articles_sequence():
    doc = load_preset("seed_cnn")
    pic = picture(doc.graph)
    assert [c.label for c in pic.cuboids] == ["32×32×3", "32×32×12", "16×16×12", "10"]
    assert [c.kind for c in pic.cuboids] == ["volume", "volume", "volume", "bar"]
    conv, pool = pic.cuboids[1], pic.cuboids[2]
    assert [b.block for b in conv.bands] == ["relu1"]  # the ReLU folds into the conv's cuboid
    assert conv.kernel is not None and conv.kernel.source == "input" and conv.kernel.size == (3, 3)
    assert pool.kernel is not None and pool.kernel.source == "conv1" and pool.kernel.size == (2, 2)
    # The kernel patch is ∝ the window on its input's face: 3 of 32 rows.
    corner, above = conv.kernel.patch[0], conv.kernel.patch[3]
    assert abs(corner[1] - above[1]) == pytest.approx(pic.cuboids[0].h * 3 / 32)
    chw = picture(doc.graph, order="chw")
    assert [c.label for c in chw.cuboids] == ["3×32×32", "12×32×32", "12×16×16", "10"]
    assert format_volume((12, 16, 16)) == "16×16×12" and format_volume(None) == "?"


@pytest.mark.parametrize("folded", [True, False])
@pytest.mark.parametrize("key", [p.key for p in list_presets()])
def test_every_block_of_every_preset_is_represented_exactly_once(key, folded):
    graph = load_preset(key).graph
    for group in graph.groups.values():
        group.folded = folded
    for scale in SCALES:
        pic = picture(graph, scale)
        assert sorted(represented(pic)) == sorted(graph.nodes)
        assert set(pic.unit_of) == set(graph.nodes)
        assert len({c.unit for c in pic.cuboids}) == len(pic.cuboids)
        for c in pic.cuboids:  # no cuboid overlaps another
            for other in pic.cuboids:
                if other is c:
                    continue
                a, b = c.bounds(), other.bounds()
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (c.unit, other.unit)


def test_folded_groups_are_one_cuboid_per_group_with_its_output_volume():
    graph = load_preset("vgg_cifar").graph
    pic = picture(graph)
    assert [c.unit for c in pic.cuboids] == ["input", "stage1", "stage2", "stage3", "stage4", "stage5", "classifier"]
    assert [c.label for c in pic.cuboids[1:]] == ["16×16×64", "8×8×128", "4×4×256", "2×2×512", "1×1×512", "10"]
    assert pic.cuboids[1].caption == "stage 1"


def test_branches_run_on_parallel_tracks_and_merge_at_add():
    graph = load_preset("resnet_cifar").graph
    for group in graph.groups.values():
        group.folded = False
    pic = picture(graph)
    by = {c.unit: c for c in pic.cuboids}
    downsample = [c for c in pic.cuboids if c.track > 0]
    assert downsample and all(c.block_type == "Conv2d" and c.kernel.size == (1, 1) for c in downsample)
    adds = [c for c in pic.cuboids if c.block_type == "Add"]
    assert len(adds) == 8 and all(c.track == 0 for c in adds)
    # Each Add is fed by two links or one link and a kernel: the residual path and the shortcut.
    for add in adds:
        feeding = [link for link in pic.links if link.dst == add.unit]
        assert len(feeding) == 2
    assert any(link.skip for link in pic.links)  # identity shortcuts pass over the residual path
    assert by["input"].track == 0


def test_concat_branches_inception_style():
    g = chain(image(3, 16, 16), ("a", "Conv2d", {"out_channels": 8, "kernel_size": 1}))
    g.add_node(Node("b", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}))
    g.add_node(Node("b2", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}))
    g.add_node(Node("c", "Pool2d", {"mode": "max", "kernel_size": 3, "stride": 1, "padding": 1}))
    g.add_node(Node("cat", "Concat", {"inputs": 3}))
    for e in (Edge("input", "b"), Edge("b", "b2"), Edge("input", "c"), Edge("a", "cat", 0), Edge("b2", "cat", 1)):
        g.add_edge(e)
    g.add_edge(Edge("c", "cat", 2))
    result = check(g)
    assert result.valid, result.errors
    pic = build(g, result)
    by = {c.unit: c for c in pic.cuboids}
    assert by["cat"].label == "16×16×15"  # 8 + 4 + 3 channels
    assert len({by[u].track for u in ("a", "b", "c")}) == 3  # three branches side by side
    assert by["b2"].track == by["b"].track  # a branch stays on its track
    assert by["cat"].column > by["b2"].column


def test_an_invalid_network_is_drawn_up_to_its_broken_block_which_is_marked():
    g = chain(
        image(3, 8, 8),
        ("c1", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
        ("relu", "Activation", {"function": "relu"}),
        ("p1", "Pool2d", {"mode": "max", "kernel_size": 16}),  # too big for 6×6
        ("c2", "Conv2d", {"out_channels": 4, "kernel_size": 1}),
        ("fc", "Linear", {"out_features": 10}),
    )
    result = check(g)
    assert result.nodes["p1"].error
    pic = build(g, result)
    assert [c.unit for c in pic.cuboids] == ["input", "c1", "p1"]
    broken = pic.cuboids[-1]
    assert broken.kind == "broken" and broken.error == result.nodes["p1"].error
    assert broken.h > 0 and broken.d > 0  # drawn the size of what reaches it
    assert "c2" not in pic.unit_of and "fc" not in pic.unit_of
    assert [b.block for b in pic.cuboids[1].bands] == ["relu"]


def test_a_broken_block_inside_a_folded_group_marks_the_groups_cuboid():
    g = chain(
        image(3, 8, 8),
        ("c1", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
        ("p1", "Pool2d", {"mode": "max", "kernel_size": 16}),
        ("fc", "Linear", {"out_features": 10}),
    )
    g.add_group(Group("g", "block", ["c1", "p1"], True))
    pic = picture(g)
    assert [c.unit for c in pic.cuboids] == ["input", "g"]
    assert pic.cuboids[1].kind == "broken" and "p1" in (pic.cuboids[1].error or "")
    assert pic.cuboids[1].blocks == ["c1", "p1"]


def test_bad_scale_or_order_is_refused():
    g = chain(image())
    with pytest.raises(ValueError):
        build(g, check(g), "cubic")
    with pytest.raises(ValueError):
        build(g, check(g), "linear", "whc")
    empty = Graph()
    pic = build(empty, check(empty))
    assert pic.cuboids == [] and pic.width > 0 and pic.errors
