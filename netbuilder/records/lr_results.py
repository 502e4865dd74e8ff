"""What the learning-rate range test (train.lr_find) reports, and how a learning rate is shown: read by the
window without torch."""

from __future__ import annotations

from dataclasses import dataclass

from netbuilder.records.events import Event


@dataclass(frozen=True)
class LRProgress(Event):
    kind = "lr_progress"
    step: int  # from 1
    steps: int  # the most the sweep takes
    lr: float
    loss: float  # smoothed


@dataclass(frozen=True)
class LRFound(Event):
    """The curve (learning rate, smoothed loss) and its two suggestions; suggested is steepest."""

    kind = "lr_found"
    lrs: list[float]
    losses: list[float]  # smoothed
    raw_losses: list[float]
    steepest: float  # the learning rate where the smoothed loss falls fastest
    min_tenth: float  # the learning rate of the smoothed loss's minimum, divided by ten
    suggested: float
    diverged: bool  # the sweep stopped because the loss exceeded DIVERGE times its minimum (train.lr_find)
    device: str
    precision: str
    optimizer: str
    batch_size: int


def fmt_lr(lr: float) -> str:
    """Two significant digits, the exponent unpadded: 3.2e-3, 0.05 → 5e-2, 1 → 1e0."""
    mantissa, exponent = f"{lr:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def rounded(lr: float) -> float:
    """The learning rate as fmt_lr shows it (what Use… applies)."""
    return float(fmt_lr(lr))
