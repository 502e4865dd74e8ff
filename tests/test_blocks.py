"""Each block's shape rule, cost and error sentence."""

import pytest
from helpers import chain, image

from netbuilder.core.blocks import window_out
from netbuilder.core.check.shapes import check


def shape_of(graph, node="last"):
    res = check(graph)
    nid = list(graph.nodes)[-1] if node == "last" else node
    return res.nodes[nid].output_shape


def error_of(graph, node=None):
    res = check(graph)
    nid = node or list(graph.nodes)[-1]
    return res.nodes[nid].error


def test_window_arithmetic_matches_the_article():
    assert window_out(32, 3, 1, 1) == 32
    assert window_out(32, 2, 2, 0) == 16
    assert window_out(7, 3, 2, 0) == 3
    assert window_out(5, 3, 1, 0, d=2) == 1
    # ceil_mode: the last window must start inside the input or its left padding
    assert window_out(5, 2, 2, 0, ceil_mode=True) == 3
    assert window_out(4, 2, 2, 1, ceil_mode=True) == 3


def test_conv_same_padding_keeps_size():
    g = chain(image(), ("conv", "Conv2d", {"out_channels": 12, "kernel_size": 3, "padding": 1}))
    assert shape_of(g) == (12, 32, 32)
    res = check(g)
    assert res.nodes["conv"].params == 12 * 3 * 9 + 12
    assert res.nodes["conv"].macs == 32 * 32 * 12 * 3 * 9


def test_conv_padding_same_string_and_rectangular_kernels():
    g = chain(image(3, 20, 30), ("conv", "Conv2d", {"out_channels": 8, "kernel_size": [3, 5], "padding": "same"}))
    assert shape_of(g) == (8, 20, 30)
    g = chain(image(3, 20, 30), ("conv", "Conv2d", {"out_channels": 8, "kernel_size": [3, 5], "stride": [1, 2]}))
    assert shape_of(g) == (8, 18, 13)


def test_conv_groups_cost_and_error():
    g = chain(image(4, 8, 8), ("conv", "Conv2d", {"out_channels": 8, "kernel_size": 3, "groups": 2, "bias": False}))
    res = check(g)
    assert res.nodes["conv"].params == 8 * 2 * 9
    assert res.nodes["conv"].macs == 6 * 6 * 8 * 2 * 9
    g = chain(image(3, 8, 8), ("conv", "Conv2d", {"out_channels": 8, "groups": 2}))
    assert "groups 2 must divide both its 3 input channels and its 8 out_channels" in error_of(g)


def test_conv_kernel_larger_than_input_says_what_to_change():
    g = chain(image(3, 3, 3), ("conv5", "Conv2d", {"out_channels": 8, "kernel_size": 5}))
    assert error_of(g) == (
        "Conv2d 'conv5': its 5×5 kernel (dilation 1) is larger than the 3×3 input padded by 0. "
        "Lower kernel_size or raise padding."
    )


def test_conv_same_with_stride_is_refused():
    g = chain(image(), ("conv", "Conv2d", {"out_channels": 8, "padding": "same", "stride": 2}))
    assert "padding 'same' only works with stride 1" in error_of(g)


def test_conv_on_a_vector_is_refused():
    g = chain(("input", "Input", {"shape": [100]}), ("conv", "Conv2d", {}))
    assert "needs a C×H×W volume but receives a vector of 100 features" in error_of(g)


def test_pool_default_stride_is_kernel_size():
    g = chain(image(), ("pool", "Pool2d", {"kernel_size": 2}))
    assert shape_of(g) == (3, 16, 16)
    g = chain(image(3, 7, 7), ("pool", "Pool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}))
    assert shape_of(g) == (3, 3, 3)


def test_pool_padding_more_than_half_the_window():
    g = chain(image(), ("pool", "Pool2d", {"kernel_size": 3, "padding": 2}))
    assert error_of(g) == (
        "Pool2d 'pool': its padding 2 is more than half its 3×3 window; PyTorch allows at most 1. "
        "Lower padding or enlarge kernel_size."
    )


def test_pool_window_that_does_not_fit():
    g = chain(image(512, 1, 1), ("pool5", "Pool2d", {"kernel_size": 2}))
    assert error_of(g) == (
        "Pool2d 'pool5': its 2×2 window does not fit the 1×1 volume that reaches it (512×1×1). "
        "Remove this pooling layer, or one of the pooling layers above it."
    )


def test_activation_batchnorm_dropout_keep_shape():
    g = chain(image(), ("a", "Activation", {"function": "gelu"}), ("bn", "BatchNorm", {}), ("d", "Dropout", {"p": 0.2}))
    res = check(g)
    assert res.nodes["d"].output_shape == (3, 32, 32)
    assert res.nodes["bn"].params == 6


def test_linear_flattens_a_volume_and_says_so():
    g = chain(image(512, 1, 1), ("fc", "Linear", {"out_features": 10}))
    res = check(g)
    assert res.nodes["fc"].output_shape == (10,)
    assert res.nodes["fc"].params == 512 * 10 + 10
    assert res.nodes["fc"].macs == 5120
    from netbuilder.core.check.summary import settings

    assert settings(g, res, "fc") == "10 · flattens 512×1×1 → 512"


def test_flatten():
    g = chain(image(4, 5, 6), ("f", "Flatten", {}))
    assert shape_of(g) == (120,)


def branchy(kind, a_channels, b_stride=1, inputs=2):
    from netbuilder.core.graph import Edge, Node

    g = chain(image(), ("a", "Conv2d", {"out_channels": a_channels, "padding": 1}))
    g.add_node(Node("b", "Conv2d", {"out_channels": 8, "padding": 1, "stride": b_stride}))
    g.add_node(Node("m", kind, {"inputs": inputs}))
    for e in (Edge("input", "b"), Edge("a", "m", 0), Edge("b", "m", 1)):
        g.add_edge(e)
    return g


def test_add_and_concat():
    assert check(branchy("Add", 8)).nodes["m"].output_shape == (8, 32, 32)
    assert check(branchy("Concat", 4)).nodes["m"].output_shape == (12, 32, 32)


def test_add_with_unequal_shapes():
    err = check(branchy("Add", 16)).nodes["m"].error
    assert err.startswith("Add 'm': its inputs differ (16×32×32 on input 0, 8×32×32 on input 1)")


def test_concat_with_unequal_height_width():
    err = check(branchy("Concat", 8, b_stride=2)).nodes["m"].error
    assert "differ in height×width (32×32 on input 0, 16×16 on input 1)" in err


def test_merge_with_an_unconnected_port():
    err = check(branchy("Add", 8, inputs=3)).nodes["m"].error
    assert err == "Add 'm': its input 2 is not connected. Connect a branch to it, or lower inputs."


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"out_channels": 0}, "out_channels must be between 1 and 65536; got 0."),
        ({"out_channels": -4}, "out_channels must be between 1 and 65536; got -4."),
        ({"out_channels": "64"}, "out_channels must be a whole number; got '64'."),
        ({"out_channels": 2.5}, "out_channels must be a whole number; got 2.5."),
        ({"kernel_size": [3, 3, 3]}, "kernel_size must be a whole number or a pair [h, w]"),
        ({"padding": "valid"}, "padding must be a whole number or a pair [h, w]; got 'valid'."),
        ({"bias": 1}, "bias must be true or false; got 1."),
        ({"kernal_size": 3}, "it has no parameter 'kernal_size' (its parameters: out_channels, kernel_size"),
    ],
)
def test_wrong_parameter_types_and_values(params, fragment):
    g = chain(image(), ("conv", "Conv2d", params))
    err = error_of(g)
    assert err.startswith("Conv2d 'conv': ") and fragment in err


def test_zero_or_negative_input_sizes():
    g = chain(("input", "Input", {"shape": [3, 0, 32]}))
    assert error_of(g) == "Input 'input': every size in shape must be between 1 and 1000000; got [3, 0, 32]."


@pytest.mark.parametrize(
    ("kind", "params", "fragment"),
    [
        (
            "Input",
            {"shape": [1, 10**309, 1]},
            "every size in shape must be between 1 and 1000000; got [1, a 310-digit number, 1].",
        ),
        ("Input", {"shape": [10**5000]}, "got [a 5,001-digit number]."),
        ("Input", {"shape": [1_000_001]}, "got [1000001]."),
        ("Conv2d", {"out_channels": 10**5000}, "out_channels must be between 1 and 65536; got a 5,001-digit number."),
        ("Conv2d", {"kernel_size": [-(10**400), 3]}, "got a negative 401-digit number."),
        ("Linear", {"out_features": 10**7}, "out_features must be between 1 and 1000000; got 10000000."),
        ("Dropout", {"p": 10**400}, "p must be between 0 and 0.99; got a 401-digit number."),
    ],
)
def test_absurd_sizes_are_refused_with_a_sentence(kind, params, fragment):
    g = chain(("input", "Input", params)) if kind == "Input" else chain(image(), ("x", kind, params))
    assert fragment in error_of(g)


def test_activation_choice_and_unknown_type():
    g = chain(image(), ("a", "Activation", {"function": "swish"}))
    assert "function must be one of relu, relu6, leaky_relu" in error_of(g)
    g = chain(image(), ("c3", "Conv3d", {}))
    assert error_of(g).startswith("Block 'c3': its type 'Conv3d' is unknown (known types: Input, Conv2d")


def test_adaptive_pool_reaches_its_output_size_from_any_input():
    for h, w in ((7, 7), (1, 1), (32, 20)):
        g = chain(image(64, h, w), ("gap", "AdaptivePool2d", {"output_size": 1}))
        assert shape_of(g) == (64, 1, 1)
    g = chain(image(8, 5, 5), ("p", "AdaptivePool2d", {"mode": "max", "output_size": [2, 3]}))
    assert shape_of(g) == (8, 2, 3)
    g = chain(("input", "Input", {"shape": [10]}), ("p", "AdaptivePool2d", {}))
    assert "needs a C×H×W volume but receives a vector of 10 features" in error_of(g)
