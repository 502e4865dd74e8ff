"""NetBuilder's own layers: the blocks torch.nn has no layer for.

Each class needs only torch, so that model.py can carry its source (codegen
copies it, so lines stay within 79 columns); each stores its constructor's
arguments under their own names, as torch.nn layers do. A block leaves out of
its Layer the arguments equal to their defaults here (core.blocks.changed);
tests/test_codegen_layers.py checks the defaults it states against these.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    """Layer normalisation over the channels at each position of a N×C×H×W
    batch (as ConvNeXt's)."""

    def __init__(self, num_channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.num_channels, self.eps = num_channels, eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        shape = (self.num_channels,)
        x = F.layer_norm(x, shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """A learned scale per channel (CaiT, ConvNeXt), starting at init_value."""

    def __init__(self, num_channels: int, init_value: float = 1e-6) -> None:
        super().__init__()
        self.num_channels, self.init_value = num_channels, init_value
        self.scale = nn.Parameter(torch.full((num_channels, 1, 1), init_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class Rescale(nn.Module):
    """The input times a fixed factor (Inception-ResNet's scaled residuals)."""

    def __init__(self, factor: float = 1.0) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


class StochasticDepth(nn.Module):
    """Drop path: while training, zeroes a sample's whole branch (mode "row")
    or the whole batch's ("batch") with probability p and scales what is kept
    by 1/(1−p); the identity at eval."""

    def __init__(self, p: float = 0.1, mode: str = "row") -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        size = [1] * x.dim()
        if self.mode == "row":
            size[0] = x.shape[0]
        mask = torch.empty(size, dtype=x.dtype, device=x.device)
        mask.bernoulli_(keep)
        if keep > 0.0:
            mask.div_(keep)
        return x * mask


class ChannelShuffle(nn.Module):
    """Interleaves the channels of `groups` groups (ShuffleNet): channel i of
    group g moves to i·groups + g."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(1, (self.groups, -1)).transpose(1, 2).flatten(1, 2)


class Narrow(nn.Module):
    """Channels start … start+length−1 of the input (torch.narrow, dim 1)."""

    def __init__(self, start: int, length: int) -> None:
        super().__init__()
        self.start, self.length = start, length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.narrow(1, self.start, self.length)
