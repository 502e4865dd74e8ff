"""Importing nn.Modules through torch.fx: exact networks, or a refusal that names what is missing."""

import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import HealthCheck, given, settings
from test_modern_blocks import inverted_residual_se
from test_shapes_torch import graphs
from torch import nn
from torchvision.models.convnext import LayerNorm2d
from torchvision.models.shufflenetv2 import channel_shuffle
from torchvision.ops import StochasticDepth

from netbuilder.core.check.shapes import check
from netbuilder.core.presets import load_preset
from netbuilder.pytorch import trace
from netbuilder.pytorch.build import build
from netbuilder.pytorch.trace import Imported, ModelImportError, Weight, import_model, import_module, translate


def randomize_batchnorm(module: nn.Module) -> None:
    """Running statistics away from 0 and 1, so that copying them is part of what is compared."""
    generator = torch.Generator().manual_seed(1)
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)


def assert_same_outputs(module: nn.Module, imported: Imported, batch: int = 2) -> None:
    """build(graph) with the module's weights copied in computes what the module computes."""
    net = build(imported.document.graph)
    net.load_state_dict(imported.state_dict(module))  # strict: every weight of the network is copied
    net.eval()
    module.eval()
    x = torch.randn(batch, *net.input_shape)
    with torch.no_grad():
        expected = module(x)
        got = net.forward_all(x)[net.output_id]
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-5), (got - expected).abs().max()


def types(imported: Imported) -> list[str]:
    return [n.type for n in imported.document.graph.nodes.values()]


# torchvision round trips ------------------------------------------------------------------------------


def test_resnet18_round_trip_with_its_weights():
    model = torchvision.models.resnet18(weights=None)
    randomize_batchnorm(model)
    imported = translate(model, (3, 32, 32), "resnet18")
    graph = imported.document.graph
    assert check(graph).valid
    assert types(imported).count("Add") == 8  # one residual add per BasicBlock
    # The downsample Sequentials: a 1×1 stride-2 conv and its BatchNorm on the shortcut of stages 2-4.
    assert imported.modules["layer2_0_downsample_0"] == "layer2.0.downsample.0"
    assert graph.nodes["layer2_0_downsample_0"].params["kernel_size"] == 1
    assert graph.nodes["layer2_0_downsample_0"].params["stride"] == 2
    adds = [nid for nid, n in graph.nodes.items() if n.type == "Add"]
    assert sorted(e.src for e in graph.in_edges(adds[2])) == ["layer2_0_bn2", "layer2_0_downsample_1"]
    # The global average pool stays an AdaptivePool2d, exact at any input size (so the network can be resized).
    assert graph.nodes["avgpool"].type == "AdaptivePool2d"
    assert graph.nodes["avgpool"].params == {"mode": "avg", "output_size": 1}
    assert check(graph).total_params == sum(p.numel() for p in model.parameters())
    assert_same_outputs(model, imported)


def test_resnet18_imported_at_224_can_be_resized_to_32():
    with torch.device("meta"):  # structure only: no weights are made
        model = torchvision.models.resnet18(weights=None)
    graph = translate(model, (3, 224, 224)).document.graph
    assert graph.nodes["avgpool"].params == {"mode": "avg", "output_size": 1}
    assert check(graph).nodes["layer4_1_relu_1"].output_shape == (512, 7, 7)
    graph.set_params("input", {"shape": [3, 32, 32]})
    resized = check(graph)
    assert resized.valid and resized.nodes["avgpool"].output_shape == (512, 1, 1)
    assert graph.nodes["maxpool"].params == {
        "mode": "max",
        "kernel_size": 3,
        "stride": 2,
        "padding": 1,
        "ceil_mode": False,
    }


@pytest.mark.slow
def test_vgg11_bn_round_trip_with_its_weights():
    # VGG's AdaptiveAvgPool2d((7, 7)) is a fixed pool only where the features are a multiple of 7 wide.
    model = torchvision.models.vgg11_bn(weights=None)
    randomize_batchnorm(model)
    imported = translate(model, (3, 224, 224), "vgg11_bn")
    assert types(imported).count("Conv2d") == 8 and types(imported).count("Linear") == 3
    assert types(imported).count("Dropout") == 2
    assert imported.document.graph.nodes["avgpool"].params == {"mode": "avg", "output_size": 7}
    assert_same_outputs(model, imported)


def test_vgg11_bn_at_32_keeps_its_upsampling_pool():
    model = torchvision.models.vgg11_bn(weights=None)
    randomize_batchnorm(model)
    imported = translate(model, (3, 32, 32), "vgg11_bn")
    assert check(imported.document.graph).nodes["avgpool"].output_shape == (512, 7, 7)
    assert_same_outputs(model, imported)


def test_resnet_cifar_preset_is_torchvision_resnet18_adapted_to_32x32():
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    model.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
    model.maxpool = nn.Identity()
    model.avgpool = nn.AvgPool2d(4)
    randomize_batchnorm(model)
    doc = load_preset("resnet_cifar")
    # The preset names each layer after its torchvision module: layer2_0_downsample_0 is layer2.0.downsample.0.
    weighted = [nid for nid, n in doc.graph.nodes.items() if n.type in ("Conv2d", "BatchNorm", "Linear")]
    preset = Imported(doc, {nid: nid.replace("_", ".") for nid in weighted})
    assert check(doc.graph).total_params == sum(p.numel() for p in model.parameters()) == 11_173_962
    assert_same_outputs(model, preset)


def test_torchvision_listing_keeps_the_models_that_translate(monkeypatch):
    # The whole listing takes about half a minute; three models show each path (meta, RegNet's CPU, refused).
    monkeypatch.setattr(trace.sources, "torchvision_names", lambda: ["mobilenet_v2", "regnet_x_400mf", "swin_t"])
    trace.torchvision_models.cache_clear()
    try:
        assert trace.torchvision_models() == (("mobilenet_v2", (3, 224, 224)), ("regnet_x_400mf", (3, 224, 224)))
    finally:
        trace.torchvision_models.cache_clear()
    assert trace.torchvision_input("inception_v3") == (3, 299, 299)


# Translations ---------------------------------------------------------------------------------------------


class KitchenSink(nn.Module):
    """Functions, methods and layers that each have an exact block."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding="same", bias=False)
        self.bn = nn.BatchNorm2d(8, eps=1e-3, momentum=0.2)
        self.branch = nn.Conv2d(8, 8, (1, 3), padding=(0, 1), dilation=1, groups=2)
        self.pool = nn.AdaptiveMaxPool2d((4, 2))
        self.fc = nn.Linear(8 * 4 * 2 * 2, 12)
        self.norm = nn.BatchNorm1d(12)
        self.act = nn.LeakyReLU(0.2)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(12, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.conv(x)), inplace=True)
        y = self.branch(x).sigmoid()
        y += x
        z = torch.cat([F.max_pool2d(y, 2, ceil_mode=True), F.avg_pool2d(x, 3, 2, 1)], dim=1)
        z = self.pool(z).contiguous()
        z = z.view(z.size(0), -1)
        z = self.drop(self.act(self.norm(self.fc(z))))
        z = torch.tanh(z) + F.gelu(z)
        return F.softmax(self.out(z.reshape(-1, 12)), dim=-1)


def test_functions_methods_and_layers_translate_exactly():
    model = KitchenSink()
    randomize_batchnorm(model)
    imported = import_module(model, (3, 15, 8), "KitchenSink")
    graph = imported.document.graph
    assert types(imported) == [
        "Input",
        "Conv2d",
        "BatchNorm",
        "Activation",
        "Conv2d",
        "Activation",
        "Add",
        "Pool2d",
        "Pool2d",
        "Concat",
        "AdaptivePool2d",
        "Flatten",
        "Linear",
        "BatchNorm",
        "Activation",
        "Dropout",
        "Activation",
        "Activation",
        "Add",
        "Flatten",
        "Linear",
        "Activation",
    ]
    assert graph.nodes["conv"].params["padding"] == "same"
    # AdaptiveMaxPool2d((4, 2)) is an AdaptivePool2d; x.view(x.size(0), -1) and x.reshape(-1, 12) flatten.
    assert graph.nodes["pool"].params == {"mode": "max", "output_size": [4, 2]}
    assert graph.nodes["view"].type == graph.nodes["reshape"].type == "Flatten"
    assert graph.nodes["max_pool2d"].params["ceil_mode"] is True
    assert imported.document.description.startswith("Imported from KitchenSink through torch.fx for inputs of 3×15×8")
    assert all(n.position is not None for n in graph.nodes.values())
    y = {nid: n.position[1] for nid, n in graph.nodes.items()}
    assert all(y[e.src] < y[e.dst] for e in graph.edges)
    assert_same_outputs(model, imported, batch=3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(graphs().filter(lambda g: check(g).valid))
def test_built_networks_import_back_exactly(graph):
    net = build(graph)
    randomize_batchnorm(net)
    shape = tuple(check(graph).nodes["input"].output_shape)
    assert_same_outputs(net, import_module(net, shape))


class ModernSink(nn.Module):
    """The operations of MobileNet, ShuffleNet, EfficientNet and ConvNeXt, each with its exact block."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.fc = nn.Conv2d(8, 8, 1)
        self.norm = LayerNorm2d(8)  # torchvision's: permute, F.layer_norm, permute
        self.ln = nn.LayerNorm(8, eps=1e-6)
        self.expand = nn.Linear(8, 16)
        self.project = nn.Linear(16, 8)
        self.layer_scale = nn.Parameter(torch.rand(8, 1, 1) + 0.5)
        self.drop_path = StochasticDepth(0.1, "row")
        self.head = nn.Linear(5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.hardswish(self.conv(x))
        a, b = x.chunk(2, dim=1)
        x = channel_shuffle(torch.cat([a, F.relu6(self.dw(b))], dim=1), 2)
        x = x * F.hardsigmoid(self.fc(x.mean((2, 3), keepdim=True)))
        y = self.norm(x).permute(0, 2, 3, 1)
        y = self.project(F.gelu(self.expand(self.ln(y)))).permute(0, 3, 1, 2)
        x = x + self.drop_path(self.layer_scale * y)
        _, q = torch.split(x, [3, 5], dim=1)
        return self.head(F.mish(q).mean([-2, -1]))


def test_the_operations_of_modern_cnns_translate_exactly():
    model = ModernSink()
    with torch.no_grad():
        for p in (model.norm.weight, model.norm.bias, model.ln.weight, model.ln.bias):
            p.copy_(torch.randn(p.shape))
    imported = import_module(model, (3, 6, 5), "ModernSink")  # also compares outputs with the module's
    nodes = imported.document.graph.nodes
    assert [(n.type, n.params) for n in nodes.values() if n.type not in ("Input", "Conv2d")] == [
        ("Activation", {"function": "hardswish"}),
        ("Narrow", {"start": 0, "length": 4}),  # x.chunk(2, dim=1)
        ("Narrow", {"start": 4, "length": 4}),
        ("Activation", {"function": "relu6"}),
        ("Concat", {"inputs": 2}),
        ("ChannelShuffle", {"groups": 2}),  # view, transpose, contiguous, view
        ("AdaptivePool2d", {"mode": "avg", "output_size": 1}),  # mean over H, W, keepdim
        ("Activation", {"function": "hardsigmoid"}),
        ("Multiply", {"inputs": 2}),  # the squeeze-and-excitation gate
        ("LayerNorm2d", {"eps": 1e-5}),
        ("LayerNorm2d", {"eps": 1e-6}),  # nn.LayerNorm between the permutes
        ("Activation", {"function": "gelu"}),
        ("LayerScale", {}),
        ("StochasticDepth", {"p": 0.1, "mode": "row"}),
        ("Add", {"inputs": 2}),
        ("Narrow", {"start": 3, "length": 5}),  # torch.split(x, [3, 5], dim=1)[1]
        ("Activation", {"function": "mish"}),
        ("AdaptivePool2d", {"mode": "avg", "output_size": 1}),  # mean over H, W: and a Flatten
        ("Flatten", {}),
        ("Linear", {"out_features": 3, "bias": True}),
    ]
    # The Linear layers between the permutes are 1×1 convolutions holding the Linear's weights, reshaped.
    assert nodes["expand"].params["kernel_size"] == 1 and nodes["expand"].params["out_channels"] == 16
    assert imported.tensors["expand"]["weight"] == Weight("expand.weight", (16, 8, 1, 1))
    assert imported.tensors["layer_norm"] == {"weight": Weight("norm.weight"), "bias": Weight("norm.bias")}
    assert imported.tensors["mul_1"] == {"scale": Weight("layer_scale")}
    assert imported.modules["ln"] == "ln"
    assert_same_outputs(model, imported, batch=3)


def test_netbuilders_own_layers_import_back_as_their_blocks():
    """LayerNorm2d, LayerScale, ChannelShuffle (unflatten, transpose, flatten), Narrow and StochasticDepth (kept
    whole: in eval mode its forward is the identity), as build() makes them."""
    graph = inverted_residual_se()
    net = build(graph)
    randomize_batchnorm(net)
    imported = import_module(net, (16, 8, 8))
    assert types(imported) == [n.type for n in graph.nodes.values()]
    assert imported.document.graph.nodes["layers_drop_path"].params == {"p": 0.2, "mode": "row"}
    assert_same_outputs(net, imported)


def test_a_concat_of_more_inputs_than_a_block_takes_becomes_a_chain():
    class Wide(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x] * 20, 1)

    imported = import_module(Wide(), (2, 3, 3))
    concats = [n for n in imported.document.graph.nodes.values() if n.type == "Concat"]
    assert [n.params["inputs"] for n in concats] == [16, 5]
    assert_same_outputs(Wide(), imported)


class Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.act = nn.Hardtanh()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv(x)).floor()
        return self.fc(x.amax((2, 3)))


def test_operations_without_a_block_are_listed_in_one_sentence():
    with pytest.raises(ModelImportError) as info:
        import_module(Unsupported(), (3, 8, 8), "Unsupported")
    message = str(info.value)
    assert message == (
        "Unsupported uses 3 operations NetBuilder has no block for: Hardtanh (at act), Tensor.floor (at floor), "
        "Tensor.amax (at amax); the import was refused rather than give a different network."
    )


@pytest.mark.parametrize(
    "forward, refusal",
    [
        (lambda self, x: torch.cat([x, x], dim=2), "cat along another dimension than the channels (at cat)"),
        (lambda self, x: self.fc(x), "Linear on a 4-dimensional tensor (at fc)"),
        (lambda self, x: x.view(2, -1), "Tensor.view to any shape but (batch, -1) (at view)"),
        (lambda self, x: x + 1, "add of anything but two tensors of equal shape (at add)"),
        (lambda self, x: x + self.scale, "a parameter or buffer used directly (at scale)"),
        (lambda self, x: torch.zeros_like(x), "zeros_like (at zeros_like)"),
        (lambda self, x: x.mean(1), "Tensor.mean over any dimensions but height and width (at mean)"),
        (lambda self, x: x.chunk(2, dim=2)[0], "Tensor.chunk (at chunk)"),
        (lambda self, x: x.permute(0, 2, 3, 1), "Tensor.permute (at permute)"),
        (lambda self, x: x.permute(0, 2, 3, 1).softmax(-1).permute(0, 3, 1, 2), "Tensor.permute ×2 (first at"),
        (lambda self, x: x * self.scale, "mul by a tensor of shape 1×3×4×4 (at mul)"),
    ],
)
def test_operations_that_differ_from_a_block_are_refused(forward, refusal):
    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.scale = nn.Parameter(torch.ones(1, 3, 4, 4))

    Model.forward = forward
    with pytest.raises(ModelImportError, match="no block for: ") as info:
        translate(Model(), (3, 4, 4))
    assert refusal in str(info.value)


def test_an_in_place_change_that_another_operation_reads_is_caught_by_the_comparison():
    class InPlace(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 1)
            with torch.no_grad():  # outputs of both signs, so the in-place ReLU changes what the add reads
                self.conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
                self.conv.bias.fill_(-0.25)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.conv(x)
            return y + F.relu(y, inplace=True)  # y itself becomes relu(y) before the add reads it

    with pytest.raises(ModelImportError, match="does not compute what .* computes"):
        import_module(InPlace(), (1, 3, 3))


@pytest.mark.parametrize(
    "forward, message",
    [
        (lambda self, x: x if x.sum() > 0 else -x, "torch.fx cannot trace the model (TraceError"),
        (lambda self, x: (x, x), "the model returns tuple, not one tensor; a network has one output."),
        (lambda self, x: x.flatten(1) @ torch.ones(7, 2), "the model does not run on inputs of 3×4×4 (RuntimeError"),
    ],
)
def test_models_that_cannot_be_traced_are_refused(forward, message):
    Model = type("Model", (nn.Module,), {"forward": forward})
    with pytest.raises(ModelImportError) as info:
        translate(Model(), (3, 4, 4))
    assert str(info.value).startswith(message)


# Sources ------------------------------------------------------------------------------------------------


def test_sources_that_cannot_be_loaded_say_why(tmp_path, monkeypatch):
    with pytest.raises(ModelImportError, match="torchvision has no classification model 'resnet19' .*resnet18"):
        import_model("torchvision:resnet19")
    with pytest.raises(ModelImportError, match=r"^Give the input size of mine:Net, such as --input 3,32,32\.$"):
        import_model("mine:Net")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine_bad.py").write_text("import torch\nNet = dict\n")
    for source, message in [
        ("no_such_module:Net", "no_such_module:Net cannot be loaded (ModuleNotFoundError: No module named"),
        ("mine_bad:Missing", "mine_bad:Missing cannot be loaded (AttributeError"),
        ("mine_bad:Net", "mine_bad:Net() gives a dict, not a torch.nn.Module."),
        ("resnet18", "'resnet18' is not a model source; give torchvision:NAME or package.module:ClassName."),
    ]:
        with pytest.raises(ModelImportError) as info:
            import_model(source, (3, 8, 8))
        assert str(info.value).startswith(message)
    assert str(tmp_path) not in sys.path


def test_a_users_own_module_is_imported_from_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mynet.py").write_text(
        textwrap.dedent("""
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(36, 3))

            def forward(self, x):
                return self.body(x)
    """)
    )
    imported = import_model("mynet:Net", (1, 5, 5))
    assert types(imported) == ["Input", "Conv2d", "Activation", "Flatten", "Linear"]
    assert imported.document.name == "mynet:Net"
