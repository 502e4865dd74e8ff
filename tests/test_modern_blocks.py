"""The blocks of modern CNNs (ReLU6, Hardswish, Hardsigmoid, Mish, Multiply, LayerNorm2d, LayerScale,
StochasticDepth, ChannelShuffle, Narrow) against torch and torchvision themselves: shapes, parameters and a
forward, then a MobileNetV2 inverted residual with squeeze-and-excitation through check, build, model.py,
TorchScript and ONNX."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
import torchvision
from helpers import chain, load_module
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.explain import fixes, formula
from netbuilder.core.check.shapes import check
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.pytorch import export as ex
from netbuilder.pytorch.build import build, make_layer
from netbuilder.pytorch.codegen import generate, rename_state_dict

volumes = st.tuples(st.integers(1, 12), st.integers(1, 6), st.integers(1, 6))


def _one(kind: str, params: dict, shape: tuple[int, ...]):
    """The check of Input → one block, and the block's torch module (None where the check refuses)."""
    result = check(chain(("input", "Input", {"shape": list(shape)}), ("x", kind, params)))
    node = result.nodes["x"]
    if node.output_shape is None:
        return node, None
    return node, make_layer(REGISTRY[kind].compute(node.values, [shape]))


@pytest.mark.parametrize(
    ("function", "reference"),
    [("relu6", F.relu6), ("hardswish", F.hardswish), ("hardsigmoid", F.hardsigmoid), ("mish", F.mish)],
)
@settings(max_examples=20, deadline=None)
@given(shape=volumes)
def test_new_activations_equal_torch(function, reference, shape):
    node, layer = _one("Activation", {"function": function}, shape)
    x = torch.randn(2, *shape) * 5
    assert node.output_shape == shape and node.params == 0
    assert torch.equal(layer(x), reference(x))


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 8), h=st.integers(1, 5), w=st.integers(1, 5), gate=st.sampled_from(["c11", "1hw", "full"]))
def test_multiply_broadcasts_as_torch_does(c, h, w, gate):
    small = {"c11": (c, 1, 1), "1hw": (1, h, w), "full": (c, h, w)}[gate]
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [c, h, w]}))
    g.add_node(Node("gate", "Pool2d" if gate == "full" else "AdaptivePool2d", {}))
    g.nodes["gate"].params = (
        {"mode": "avg", "kernel_size": 1}
        if gate == "full"
        else {"mode": "avg", "output_size": 1}
        if gate == "c11"
        else {"mode": "avg", "output_size": [h, w]}
    )
    g.add_node(Node("mul", "Multiply", {"inputs": 2}))
    g.add_edge(Edge("input", "gate"))
    g.add_edge(Edge("input", "mul", 0))
    g.add_edge(Edge("gate", "mul", 1))
    if gate == "1hw":  # a 1×H×W map: a 1×1 convolution down to one channel
        g.nodes["gate"] = Node("gate", "Conv2d", {"out_channels": 1, "kernel_size": 1})
    result = check(g)
    assert result.valid, result.errors
    net = build(g).eval()
    x = torch.randn(2, c, h, w)
    values = net.forward_all(x)
    assert values["gate"].shape[1:] == small
    assert torch.equal(values["mul"], x * values["gate"])
    assert result.nodes["mul"].output_shape == (c, h, w)


def test_multiply_says_what_does_not_broadcast():
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [8, 4, 4]}))
    g.add_node(Node("conv", "Conv2d", {"out_channels": 6, "kernel_size": 1}))
    g.add_node(Node("mul", "Multiply", {"inputs": 2}))
    g.add_edge(Edge("input", "conv"))
    g.add_edge(Edge("input", "mul", 0))
    g.add_edge(Edge("conv", "mul", 1))
    error = check(g).nodes["mul"].error
    assert "8×4×4 on input 0, 6×4×4 on input 1" in error and "C×1×1 gate" in error


def test_multiply_explains_broadcasting():
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [16, 8, 8]}))
    g.add_node(Node("pool", "AdaptivePool2d", {"mode": "avg", "output_size": 1}))
    g.add_node(Node("mul", "Multiply", {"inputs": 2}))
    g.add_edge(Edge("input", "pool"))
    g.add_edge(Edge("input", "mul", 0))
    g.add_edge(Edge("pool", "mul", 1))
    text = " ".join(formula(g, check(g), "mul"))
    assert "input 1 (16×1×1) is broadcast to 16×8×8" in text and "one value per channel" in text


@settings(max_examples=30, deadline=None)
@given(shape=volumes, eps=st.sampled_from([1e-6, 1e-5, 0.1]))
def test_layernorm2d_equals_torchvision_convnext(shape, eps):
    from torchvision.models.convnext import LayerNorm2d

    node, layer = _one("LayerNorm2d", {"eps": eps}, shape)
    reference = LayerNorm2d(shape[0], eps=eps)
    nn.init.normal_(reference.weight)
    nn.init.normal_(reference.bias)
    layer.load_state_dict(reference.state_dict())
    x = torch.randn(2, *shape)
    assert node.output_shape == shape and node.params == sum(p.numel() for p in reference.parameters())
    assert torch.equal(layer(x), reference(x))


@settings(max_examples=20, deadline=None)
@given(shape=volumes, init=st.sampled_from([1e-6, 0.5, 1.0]))
def test_layer_scale_scales_each_channel(shape, init):
    node, layer = _one("LayerScale", {"init_value": init}, shape)
    x = torch.randn(2, *shape)
    assert node.params == shape[0] == layer.scale.numel()
    assert torch.equal(layer(x), x * torch.full((shape[0], 1, 1), init))


@settings(max_examples=20, deadline=None)
@given(shape=volumes, p=st.sampled_from([0.0, 0.2, 0.5, 1.0]), mode=st.sampled_from(["row", "batch"]))
def test_stochastic_depth_equals_torchvision(shape, p, mode):
    node, layer = _one("StochasticDepth", {"p": p, "mode": mode}, shape)
    reference = torchvision.ops.StochasticDepth(p, mode)
    x = torch.randn(4, *shape)
    assert node.output_shape == shape and node.params == 0
    for module in (layer, reference):
        module.train()
    torch.manual_seed(7)
    ours = layer(x)
    torch.manual_seed(7)
    assert torch.equal(ours, reference(x))
    assert torch.equal(layer.eval()(x), x)  # the identity at prediction time


@settings(max_examples=40, deadline=None)
@given(shape=volumes, groups=st.integers(1, 6))
def test_channel_shuffle_equals_torch(shape, groups):
    node, layer = _one("ChannelShuffle", {"groups": groups}, shape)
    if shape[0] % groups:
        assert node.output_shape is None and f"{groups} groups do not divide the {shape[0]} channels" in node.error
        return
    x = torch.randn(2, *shape)
    assert torch.equal(layer(x), nn.ChannelShuffle(groups)(x))


@settings(max_examples=40, deadline=None)
@given(shape=volumes, start=st.integers(0, 12), length=st.integers(1, 12))
def test_narrow_equals_torch(shape, start, length):
    node, layer = _one("Narrow", {"start": start, "length": length}, shape)
    if start + length > shape[0]:
        assert node.output_shape is None and f"only {shape[0]} channels" in node.error
        return
    x = torch.randn(2, *shape)
    assert node.output_shape == (length, *shape[1:])
    assert torch.equal(layer(x), torch.narrow(x, 1, start, length))


def test_narrow_offers_the_channels_there_are():
    g = chain(("input", "Input", {"shape": [8, 4, 4]}), ("x", "Narrow", {"start": 4, "length": 8}))
    assert [f.params for f in fixes(g, check(g), "x")] == [{"start": 4, "length": 4}]


def inverted_residual_se() -> Graph:
    """A MobileNetV2 inverted residual (expand 1×1, depthwise 3×3, project 1×1) with squeeze-and-excitation
    and stochastic depth on its branch, then ConvNeXt's LayerNorm2d and LayerScale, a channel shuffle and a
    split, and a classifier: every new block in one network."""
    g = Graph()

    def add(nid, kind, params, *sources):
        g.add_node(Node(nid, kind, params))
        for port, src in enumerate(sources):
            g.add_edge(Edge(src, nid, port))

    add("input", "Input", {"shape": [16, 8, 8]})
    add("expand", "Conv2d", {"out_channels": 64, "kernel_size": 1, "bias": False}, "input")
    add("bn1", "BatchNorm", {}, "expand")
    add("act1", "Activation", {"function": "relu6"}, "bn1")
    add("dw", "Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": 1, "groups": 64, "bias": False}, "act1")
    add("act2", "Activation", {"function": "hardswish"}, "dw")
    add("se_pool", "AdaptivePool2d", {"mode": "avg", "output_size": 1}, "act2")
    add("se_fc1", "Conv2d", {"out_channels": 16, "kernel_size": 1}, "se_pool")
    add("se_act", "Activation", {"function": "mish"}, "se_fc1")
    add("se_fc2", "Conv2d", {"out_channels": 64, "kernel_size": 1}, "se_act")
    add("se_gate", "Activation", {"function": "hardsigmoid"}, "se_fc2")
    add("se_mul", "Multiply", {"inputs": 2}, "act2", "se_gate")
    add("project", "Conv2d", {"out_channels": 16, "kernel_size": 1, "bias": False}, "se_mul")
    add("ln", "LayerNorm2d", {}, "project")
    add("scale", "LayerScale", {"init_value": 0.5}, "ln")
    add("drop_path", "StochasticDepth", {"p": 0.2}, "scale")
    add("res", "Add", {"inputs": 2}, "drop_path", "input")
    add("shuffle", "ChannelShuffle", {"groups": 4}, "res")
    add("left", "Narrow", {"start": 0, "length": 8}, "shuffle")
    add("right", "Narrow", {"start": 8, "length": 8}, "shuffle")
    add("join", "Concat", {"inputs": 2}, "right", "left")
    add("pool", "AdaptivePool2d", {"mode": "avg", "output_size": 1}, "join")
    add("flat", "Flatten", {}, "pool")
    add("fc", "Linear", {"out_features": 10}, "flat")
    return g


def test_every_new_block_through_build_model_py_torchscript_and_onnx(tmp_path):
    graph = inverted_residual_se()
    result = check(graph)
    assert result.valid, result.errors
    net = build(graph).eval()
    assert result.total_params == sum(p.numel() for p in net.parameters())
    torch.manual_seed(0)
    for p in net.parameters():  # weights away from their initial values, so that every layer matters
        nn.init.normal_(p, std=0.3)
    x = torch.randn(3, 16, 8, 8)
    expected = net(x)

    source = tmp_path / "model.py"
    source.write_text(generate(graph), encoding="utf-8")
    text = source.read_text(encoding="utf-8")
    assert "class LayerNorm2d(nn.Module):" in text and "self.ln = LayerNorm2d(16)" in text
    assert "netbuilder" not in text.split('"""', 2)[2]  # model.py needs only torch
    generated = load_module(source, "modern_model").Net().eval()
    generated.load_state_dict(rename_state_dict(net.state_dict(), graph))
    assert torch.equal(generated(x), expected)

    ts = tmp_path / "m.pt"
    ex.export_torchscript(graph, ts, net.state_dict())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.\w+` is deprecated", FutureWarning)
        assert torch.allclose(torch.jit.load(str(ts))(x), expected, atol=1e-6)

    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "m.onnx"
    ex.export_onnx(graph, path, net.state_dict())
    session = ort.InferenceSession(str(path))
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert torch.allclose(torch.from_numpy(got), expected, atol=1e-4)


def test_it_trains(tmp_path):
    """A few steps of SGD lower the loss of the network with every new block (StochasticDepth active)."""
    net = build(inverted_residual_se()).train()
    torch.manual_seed(1)
    x, y = torch.randn(16, 16, 8, 8), torch.randint(0, 10, (16,))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
