"""A block type is one definition: types declared here, in a test module only, work through the live check,
build, code export, ONNX, the inspector, the volumes picture, quick-add, training health and Look inside's filters
without any other file knowing them."""

from __future__ import annotations

import json

import pytest
import torch
from helpers import chain, image, load_module

from netbuilder.core.blocks import REGISTRY, BlockType, Family, Layer, Params, Shape, register
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document, parse, to_dict
from netbuilder.core.drawing import volumes
from netbuilder.core.fields import Field
from netbuilder.pytorch import export as ex
from netbuilder.pytorch.build import build
from netbuilder.pytorch.codegen import generate, rename_state_dict

NOT_DIVISIBLE = ErrorKind(
    "pixel_shuffle_channels",
    lambda channels, factor: (
        f"its {channels} input channels are not a multiple of {factor * factor} "
        f"(upscale_factor {factor} squared). Change the channels above it."
    ),
)


def _shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = inputs[0]
    r = p["upscale_factor"]
    if c % (r * r):
        raise NOT_DIVISIBLE(channels=c, factor=r)
    return (c // (r * r), h * r, w * r)


PIXEL_SHUFFLE = BlockType(
    name="PixelShuffle",
    category="shape",
    help="Moves channels into space: C×H×W becomes C/r²×rH×rW.",
    params=(Field("upscale_factor", "int", 2, "r: how much height and width grow", min=1, max=8),),
    output_shape=_shape,
    cost=lambda i, o, p: (0, 0),
    summary=lambda p, i: f"×{p['upscale_factor']}",
    compute=lambda p, i: Layer("PixelShuffle", kwargs={"upscale_factor": p["upscale_factor"]}),
    short=lambda p: "pixel shuffle",
    caption=lambda p: f"pixel shuffle ×{p['upscale_factor']}",
    follows=(("Conv2d", {}), ("Activation", {"function": "gelu"})),
)
# A convolution with an odd square kernel that keeps the size: its weight is filters, its kernel is drawn.
STENCIL = BlockType(
    name="Stencil",
    category="layer",
    help="out_channels k×k filters that keep height and width.",
    params=(
        Field("out_channels", "int", 8, "number of filters", min=1, max=64),
        Field("kernel_size", "int", 3, "k", min=1, max=7),
    ),
    output_shape=lambda i, p: (p["out_channels"], *i[0][1:]),
    cost=lambda i, o, p: (0, 0),
    summary=lambda p, i: f"{p['out_channels']} · {p['kernel_size']}",
    compute=lambda p, i: Layer(
        "Conv2d", (i[0][0], p["out_channels"], p["kernel_size"]), {"padding": p["kernel_size"] // 2}
    ),
    caption=lambda p: f"stencil {p['kernel_size']}×{p['kernel_size']}",
    kernel=lambda p: (p["kernel_size"], p["kernel_size"]),
    filters=True,
)
# An activation that saturates at ±1: health watches how many of its outputs sit near a bound.
SOFTSIGN = BlockType(
    name="Softsign",
    category="activation",
    help="x / (1 + |x|).",
    params=(),
    output_shape=lambda i, p: i[0],
    cost=lambda i, o, p: (0, 0),
    summary=lambda p, i: "",
    compute=lambda p, i: Layer("Softsign"),
    family=lambda p: Family(bounds=(-1.0, 1.0)),
)


@pytest.fixture
def pixel_shuffle():
    register(PIXEL_SHUFFLE)
    yield PIXEL_SHUFFLE
    del REGISTRY[PIXEL_SHUFFLE.name]


@pytest.fixture
def test_blocks(pixel_shuffle):
    for block in (STENCIL, SOFTSIGN):
        register(block)
    yield
    for block in (STENCIL, SOFTSIGN):
        del REGISTRY[block.name]


def _unit(folded: bool = False):
    """Input → Stencil → Softsign → PixelShuffle → Flatten → Linear, the middle three in a group."""
    graph = chain(
        image(3, 8, 8),
        ("stencil", "Stencil", {"out_channels": 12, "kernel_size": 5}),
        ("soft", "Softsign", {}),
        ("up", "PixelShuffle", {"upscale_factor": 2}),
        ("flat", "Flatten", {}),
        ("fc", "Linear", {"out_features": 5}),
    )
    data = to_dict(Document(graph))
    data["groups"] = [{"id": "g", "name": "unit", "members": ["stencil", "soft", "up"], "folded": folded}]
    return parse(json.dumps(data)).graph


def _graph():
    return chain(
        image(3, 8, 8),
        ("conv", "Conv2d", {"out_channels": 12, "kernel_size": 3, "padding": 1}),
        ("up", "PixelShuffle", {"upscale_factor": 2}),
        ("flat", "Flatten", {}),
        ("fc", "Linear", {"out_features": 5}),
    )


def test_check_build_codegen_and_onnx(pixel_shuffle, tmp_path):
    graph = _graph()
    result = check(graph)
    assert result.valid and result.nodes["up"].output_shape == (3, 16, 16)
    net = build(graph).eval()
    x = torch.randn(2, 3, 8, 8)
    assert tuple(net.forward_all(x)["up"].shape) == (2, 3, 16, 16)
    expected = net(x)

    source = tmp_path / "model.py"
    source.write_text(generate(graph), encoding="utf-8")
    assert "nn.PixelShuffle(upscale_factor=2)" in source.read_text(encoding="utf-8")
    generated = load_module(source, "pixel_model").Net().eval()
    generated.load_state_dict(rename_state_dict(net.state_dict()))
    assert torch.equal(generated(x), expected)

    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "m.onnx"
    ex.export_onnx(graph, path, net.state_dict())
    session = ort.InferenceSession(str(path))
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert torch.allclose(torch.from_numpy(got), expected, atol=1e-5)


def test_its_typed_error_reaches_the_check(pixel_shuffle):
    graph = _graph()
    graph.nodes["conv"].params["out_channels"] = 10
    res = check(graph).nodes["up"]
    assert res.problem is not None and res.problem.kind is NOT_DIVISIBLE
    assert res.problem.data == {"channels": 10, "factor": 2}
    assert res.error == (
        "PixelShuffle 'up': its 10 input channels are not a multiple of 4 (upscale_factor 2 "
        "squared). Change the channels above it."
    )


def test_the_inspector_edits_it(pixel_shuffle, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSpinBox

    from netbuilder.core.document import Document
    from netbuilder.ui.canvas.editor import Editor
    from netbuilder.ui.canvas.inspector import Inspector

    editor = Editor(Document(_graph()))
    inspector = Inspector(editor)
    qtbot.addWidget(inspector)
    inspector.show_node("up")
    box = inspector.fields["upscale_factor"].widget
    assert isinstance(box, QSpinBox) and box.value() == 2 and box.maximum() == 8
    box.selectAll()
    qtbot.keyClicks(box, "3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert editor.graph.nodes["up"].params["upscale_factor"] == 3
    assert "not a multiple of 9" in inspector.error.text()


def test_the_volumes_picture_reads_its_caption_short_name_and_kernel_from_the_definition(test_blocks):
    graph = _unit()
    picture = volumes.build(graph, check(graph))
    stencil, up = picture.cuboid("stencil"), picture.cuboid("up")
    assert stencil.caption == "stencil 5×5" and stencil.kernel is not None and stencil.kernel.size == (5, 5)
    assert [band.text for band in stencil.bands] == ["softsign"]  # an activation folds, named by default
    assert up.caption == "pixel shuffle ×2" and up.kernel is None

    graph = _unit(folded=True)
    assert volumes.build(graph, check(graph)).cuboid("g").note == "stencil · softsign · pixel shuffle"


def test_quick_add_after_it_offers_what_its_definition_says_follows(test_blocks, qtbot):
    from PySide6.QtCore import QPoint

    from netbuilder.ui.canvas.quick_add import QuickAdd

    popup = QuickAdd()
    qtbot.addWidget(popup)
    popup.open_at(QPoint(0, 0), "PixelShuffle")  # as a wire dropped from a PixelShuffle opens it
    assert popup.labels()[:2] == ["Conv2d", "GELU"]
    popup.open_at(QPoint(0, 0), "Stencil")  # no follows: the palette's order
    assert popup.labels()[0] == "Conv2d"


def test_health_watches_its_activation_family(test_blocks):
    from netbuilder.train.health_recorder import HealthRecorder

    graph = _unit()
    torch.manual_seed(0)
    net = build(graph)
    recorder = HealthRecorder(net, graph, every=1)
    outputs = {}
    net.layers[net.names["soft"]].register_forward_hook(lambda m, i, o: outputs.__setitem__("soft", o.detach()))
    assert recorder.begin(1)
    loss = net(torch.randn(4, 3, 8, 8) * 1e4).square().mean()
    loss.backward()
    record = recorder.after_step(recorder.before_step())
    saturated = float((outputs["soft"].abs() > 0.99).float().mean())
    assert saturated > 0 and record["soft"]["saturated"] == pytest.approx(saturated)
    assert "dead" not in record["soft"] and "grad_norm" in record["stencil"]


def test_look_inside_shows_its_filters(test_blocks):
    from netbuilder.records.config import TrainConfig
    from netbuilder.train.feature_maps import first_conv, load_network

    graph = _unit()
    graph.nodes["up"].params["upscale_factor"] = 1
    network = load_network(Document(graph), {"kind": "random", "seed": 0}, TrainConfig())
    filters = first_conv(network)
    assert filters is not None and filters.block == "stencil"
