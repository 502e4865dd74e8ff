"""Functional PyTorch imports as its module form does (issue 23): a function whose weights are the module's own
parameters and buffers (F.batch_norm, F.conv2d, F.linear) becomes the block of that layer, with those weights;
AvgPool2d's count_include_pad and ceil_mode are the block's; what has no block is still refused."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from netbuilder.core.check.shapes import check
from netbuilder.pytorch.build import build
from netbuilder.pytorch.trace import ModelImportError, import_module


def blocks(module: nn.Module, shape: tuple[int, ...]) -> list[tuple[str, dict]]:
    """The imported blocks (type, params) of module, proved by import_module to compute its outputs."""
    graph = import_module(module, shape).document.graph
    return [(n.type, n.params) for n in graph.nodes.values()]


def randomized(module: nn.Module) -> nn.Module:
    """module with its BatchNorm statistics and affine weights away from 0 and 1, in eval mode."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
    return module.eval()


class FunctionalConv(nn.Module):
    """A conv → batch norm written as timm writes them: functions reading the module's own weights."""

    def __init__(self, conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
        super().__init__()
        self.conv, self.norm = conv, norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, n = self.conv, self.norm
        x = F.conv2d(x, c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups)
        return F.batch_norm(x, n.running_mean, n.running_var, n.weight, n.bias, False, n.momentum, n.eps)


convs = st.builds(
    lambda groups, out, k, stride, padding, bias: nn.Conv2d(
        4, out * groups // 2 * 2 or groups, k, stride, min(padding, k // 2), groups=groups, bias=bias
    ),
    st.sampled_from([1, 2, 4]), st.integers(1, 6), st.integers(1, 3), st.integers(1, 2), st.integers(0, 1),
    st.booleans(),
)  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv=convs, eps=st.sampled_from([1e-5, 1e-3]), momentum=st.sampled_from([0.1, 0.03]))
def test_functional_conv2d_and_batch_norm_import_as_their_layers(conv, eps, momentum):
    torch.manual_seed(0)
    norm = nn.BatchNorm2d(conv.out_channels, eps=eps, momentum=momentum)
    layers = randomized(nn.Sequential(conv, norm))
    functional = randomized(FunctionalConv(conv, norm))
    assert blocks(functional, (4, 9, 9)) == blocks(layers, (4, 9, 9))


@settings(max_examples=8, deadline=None)
@given(bias=st.booleans(), features=st.integers(1, 8))
def test_functional_linear_and_dropout_import_as_their_layers(bias, features):
    linear = nn.Linear(6, features, bias=bias)

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = linear

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.linear(F.dropout(x, 0.2, self.training), self.linear.weight, self.linear.bias)

    assert blocks(Functional(), (6,)) == blocks(nn.Sequential(nn.Dropout(0.2), linear), (6,))


@settings(max_examples=12, deadline=None)
@given(k=st.integers(2, 3), stride=st.integers(1, 2), padding=st.integers(0, 1), ceil_mode=st.booleans(),
       count_include_pad=st.booleans())  # fmt: skip
def test_avg_pool_count_include_pad_and_ceil_mode_import_functional_and_as_layers(
    k, stride, padding, ceil_mode, count_include_pad
):
    arguments = {"kernel_size": k, "stride": stride, "padding": padding, "ceil_mode": ceil_mode,
                 "count_include_pad": count_include_pad}  # fmt: skip

    class Functional(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.avg_pool2d(x, **arguments)

    imported = blocks(Functional(), (2, 7, 7))
    assert imported == blocks(nn.AvgPool2d(**arguments), (2, 7, 7))
    assert imported[1][1]["count_include_pad"] is count_include_pad


class Mixed(nn.Module):
    """A hand-written network mixing functions and layers: a functional stem (conv, batch norm, max pool), a
    residual block of layers with a reshaped layer scale, a functional projection with the module's weights, a
    mean over H and W and a functional head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(8)
        self.body = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.gamma = nn.Parameter(torch.rand(8) + 0.5)  # a layer scale, as timm's ConvNeXt reshapes it
        self.project = nn.Parameter(torch.randn(16, 8, 1, 1) * 0.1)
        self.scale = nn.Parameter(torch.rand(16) + 0.5)
        self.shift = nn.Parameter(torch.randn(16) * 0.1)
        self.register_buffer("mean", torch.randn(16) * 0.1)
        self.register_buffer("var", torch.rand(16) + 0.5)
        self.head = nn.Parameter(torch.randn(10, 16) * 0.1)
        self.head_bias = nn.Parameter(torch.zeros(10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem_bn(self.stem(x)))
        x = F.max_pool2d(x, 2)
        x = x + self.body(x).mul(self.gamma.reshape(1, -1, 1, 1))
        x = F.conv2d(x, self.project, stride=2)
        x = F.batch_norm(x, self.mean, self.var, self.scale, self.shift, eps=1e-3)
        x = F.avg_pool2d(F.silu(x), 3, 1, 1, count_include_pad=False)
        return F.linear(x.mean((2, 3)), self.head, self.head_bias)


def test_a_hand_written_model_mixing_functions_and_layers_imports_exactly():
    model = randomized(Mixed())
    imported = import_module(model, (3, 16, 16), "Mixed")  # its outputs are proved equal
    graph = imported.document.graph
    types = [n.type for n in graph.nodes.values()]
    assert types.count("Conv2d") == 3 and types.count("BatchNorm") == 3 and types.count("Linear") == 1
    assert types.count("LayerScale") == 1 and types.count("Pool2d") == 2
    assert check(graph).total_params == sum(p.numel() for p in model.parameters())
    net = build(graph).eval()
    net.load_state_dict(imported.state_dict(model))
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(net(x), model(x), rtol=1e-4, atol=1e-5)


def test_functions_that_are_still_no_block_are_refused_with_the_sentence():
    class BatchStatistics(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.batch_norm(x, None, None, self.weight, training=True) + F.pad(x, (0, 0))

    with pytest.raises(ModelImportError, match="batch_norm with the batch's statistics.*pad") as e:
        import_module(BatchStatistics(), (3, 4, 4), "Net")
    assert "the import was refused rather than give a different network" in str(e.value)


def test_weights_computed_from_parameters_are_refused():
    class Standardised(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.randn(4, 3, 3, 3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.conv2d(x, self.weight * 2)

    with pytest.raises(ModelImportError, match="no block for"):
        import_module(Standardised(), (3, 8, 8), "Net")


@settings(max_examples=12, deadline=None)
@given(
    mode=st.sampled_from(["nearest", "bilinear"]),
    scale=st.sampled_from([2, 3, 1.5]),
    size=st.sampled_from([None, (5, 7), 12]),
    align_corners=st.booleans(),
)
def test_interpolate_imports_as_upsample_as_the_layer_does(mode, scale, size, align_corners):
    arguments = {"size": size, "scale_factor": None if size else scale, "mode": mode}
    arguments["align_corners"] = align_corners if mode == "bilinear" else None

    class Functional(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.interpolate(x, **arguments)

    imported = blocks(Functional(), (2, 6, 6))
    assert imported == blocks(nn.Upsample(**arguments), (2, 6, 6))
    assert imported[1][0] == "Upsample"


@pytest.mark.parametrize("index", [(slice(None), slice(2, 5)), (slice(None), slice(None, -1), ...)])
def test_a_slice_of_the_channels_is_a_narrow(index):
    class Sliced(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[index]

    assert blocks(Sliced(), (6, 4, 4))[1][0] == "Narrow"


def test_other_slices_and_interpolations_are_refused():
    class Rows(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :, 1:] + F.interpolate(x, scale_factor=2.0, mode="bicubic")[:, :, ::2, ::2][:, :, 1:]

    with pytest.raises(
        ModelImportError, match="getitem of anything but a slice of the channels.*interpolate with mode 'bicubic'"
    ):
        import_module(Rows(), (2, 4, 4), "Net")


@settings(max_examples=8, deadline=None)
@given(groups=st.sampled_from([1, 2, 4]), eps=st.sampled_from([1e-5, 1e-6]))
def test_functional_group_norm_imports_as_the_layer_does(groups, eps):
    norm = nn.GroupNorm(groups, 8, eps)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.1, 0.1)

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = norm

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.group_norm(x, groups, self.norm.weight, self.norm.bias, eps)

    expected = [("Input", {"shape": [8, 5, 5]}), ("GroupNorm", {"num_groups": groups, "eps": eps})]
    assert blocks(Functional(), (8, 5, 5)) == blocks(norm, (8, 5, 5)) == expected


def test_a_layer_norm_of_vectors_imports_as_a_group_norm_of_one_group():
    norm = nn.LayerNorm(6, eps=1e-6)

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = norm

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.layer_norm(x, (6,), self.norm.weight, self.norm.bias, 1e-6)

    expected = [("Input", {"shape": [6]}), ("GroupNorm", {"num_groups": 1, "eps": 1e-6})]
    assert blocks(Functional(), (6,)) == blocks(norm, (6,)) == expected
    with pytest.raises(ModelImportError, match="layer_norm on a 4-dimensional tensor"):
        import_module(nn.LayerNorm((4, 4)), (2, 4, 4), "Net")


@settings(max_examples=8, deadline=None)
@given(factor=st.floats(-4, 4).filter(lambda f: abs(f) > 1e-3))
def test_a_tensor_times_or_divided_by_a_number_is_a_rescale(factor):
    class Scaled(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return (x * factor + x) / 2

    imported = blocks(Scaled(), (3, 4, 4))
    assert [t for t, _ in imported] == ["Input", "Rescale", "Add", "Rescale"]
    assert imported[1][1] == {"factor": factor} and imported[3][1] == {"factor": 0.5}


def test_a_number_divided_by_a_tensor_is_refused():
    class Inverse(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 1 / x

    with pytest.raises(ModelImportError, match="truediv creating a tensor"):
        import_module(Inverse(), (3, 4, 4), "Net")
