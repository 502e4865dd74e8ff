"""The live check against torch itself, which is the truth (property-based)."""

import pytest
import torch
from helpers import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.shapes import check
from netbuilder.core.fields import ShapeError
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.pytorch.build import build, make_layer

sides = st.integers(1, 12)
pairs = st.one_of(st.integers(1, 5), st.lists(st.integers(1, 5), min_size=2, max_size=2))
pads = st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=2, max_size=2))


def conv_params():
    return st.fixed_dictionaries(
        {
            "out_channels": st.sampled_from([1, 2, 4, 6]),
            "kernel_size": pairs,
            "stride": pairs,
            "padding": st.one_of(pads, st.just("same")),
            "dilation": st.one_of(st.just(1), pairs),
            "groups": st.sampled_from([1, 1, 2, 3]),
            "bias": st.booleans(),
        }
    )


def pool_params():
    return st.fixed_dictionaries(
        {
            "mode": st.sampled_from(["max", "avg"]),
            "kernel_size": pairs,
            "stride": st.one_of(st.none(), pairs),
            "padding": pads,
            "ceil_mode": st.booleans(),
        }
    )


def torch_says(kind, params, in_shape):
    """The output shape torch computes for one layer, or None when torch refuses."""
    g = chain(("input", "Input", {"shape": list(in_shape)}), ("x", kind, params))
    values = check(g).nodes["x"].values
    assert values is not None
    try:
        layer = make_layer(REGISTRY[kind].compute(values, [in_shape]))
        with torch.no_grad():
            return tuple(layer(torch.zeros(1, *in_shape)).shape[1:])
    except (RuntimeError, ValueError):
        return None


@settings(max_examples=400, deadline=None)
@given(c=st.integers(1, 6), h=sides, w=sides, params=conv_params())
def test_conv_rule_agrees_with_torch(c, h, w, params):
    g = chain(("input", "Input", {"shape": [c, h, w]}), ("x", "Conv2d", params))
    ours = check(g).nodes["x"]
    assert ours.output_shape == torch_says("Conv2d", params, (c, h, w)), ours.error


@settings(max_examples=400, deadline=None)
@given(c=st.integers(1, 3), h=sides, w=sides, params=pool_params())
def test_pool_rule_agrees_with_torch(c, h, w, params):
    g = chain(("input", "Input", {"shape": [c, h, w]}), ("x", "Pool2d", params))
    ours = check(g).nodes["x"]
    assert ours.output_shape == torch_says("Pool2d", params, (c, h, w)), ours.error


@st.composite
def graphs(draw):
    """Random networks: chains with branches and merges, sometimes broken on purpose."""
    g = Graph()
    volume = draw(st.booleans())
    shape = [draw(st.integers(1, 4)), draw(sides), draw(sides)] if volume else [draw(st.integers(1, 20))]
    g.add_node(Node("input", "Input", {"shape": shape}))
    tips = ["input"]
    for i in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(sorted(REGISTRY)))
        nid = f"n{i}"
        params = {
            "Conv2d": conv_params(),
            "Pool2d": pool_params(),
            "Activation": st.fixed_dictionaries(
                {
                    "function": st.sampled_from(
                        ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "identity", "bogus"]
                    )
                }
            ),
            "Linear": st.fixed_dictionaries({"out_features": st.integers(-1, 12)}),
            "Dropout": st.fixed_dictionaries({"p": st.floats(0, 0.9)}),
        }.get(kind, st.just({}))
        g.add_node(Node(nid, kind, draw(params)))
        if kind in ("Add", "Concat"):
            for port in range(2):
                g.add_edge(Edge(draw(st.sampled_from(tips)), nid, port))
        elif kind != "Input":
            g.add_edge(Edge(tips[-1] if draw(st.integers(0, 4)) else draw(st.sampled_from(tips)), nid))
        tips.append(nid)
    if draw(st.integers(0, 9)) == 0:  # an arbitrary extra edge: cycles, ports fed twice, ...
        src, dst = draw(st.sampled_from(tips)), draw(st.sampled_from(tips))
        edge = Edge(src, dst, draw(st.integers(0, 2)))
        if edge not in g.edges:
            g.add_edge(edge)
    return g


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_check_never_raises_and_valid_ones_run_as_predicted(g):
    res = check(g)  # must return, never raise
    if not res.valid:
        assert res.errors and all(isinstance(e, str) and e.endswith(".") for e in res.errors)
        return
    model = build(g).eval()
    x = torch.randn(2, *model.input_shape)
    with torch.no_grad():
        values = model.forward_all(x)
    for nid in res.order:
        assert tuple(values[nid].shape[1:]) == res.nodes[nid].output_shape, nid
    assert sum(p.numel() for p in model.parameters()) == res.total_params


def test_invalid_graph_is_refused_with_the_check_sentences():
    from netbuilder.pytorch.build import BuildError

    g = chain(("input", "Input", {"shape": [3, 4, 4]}), ("conv", "Conv2d", {"kernel_size": 7}))
    with pytest.raises(BuildError) as info:
        build(g)
    assert check(g).nodes["conv"].error in str(info.value)


def test_shape_error_is_the_only_exception_of_rules():
    with pytest.raises(ShapeError):
        REGISTRY["Add"].output_shape([(1, 2, 2), (2, 2, 2)], {"inputs": 2})
