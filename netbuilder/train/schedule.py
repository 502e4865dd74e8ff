"""The learning rate as a pure function of the step, so a resumed run continues the same curve."""

from __future__ import annotations

import math

from netbuilder.records.config import TrainConfig

_ONECYCLE_DIV, _ONECYCLE_FINAL_DIV, _ONECYCLE_RISE = 25.0, 1e4, 0.3  # torch.optim.lr_scheduler.OneCycleLR's


def _cos(start: float, end: float, t: float) -> float:
    return end + (start - end) * (1 + math.cos(math.pi * t)) / 2


def lr_at(step: int, steps_per_epoch: int, config: TrainConfig) -> float:
    """The learning rate of step (from 0) of a run of config.epochs × steps_per_epoch steps."""
    total = config.epochs * steps_per_epoch
    lr = config.lr
    warmup = min(round(config.warmup_epochs * steps_per_epoch), total - 1)
    if config.schedule == "onecycle":
        rise = warmup or max(1, round(_ONECYCLE_RISE * total))
        low = lr / _ONECYCLE_DIV
        if step < rise:
            return _cos(low, lr, step / rise)
        return _cos(lr, low / _ONECYCLE_FINAL_DIV, (step - rise) / max(1, total - 1 - rise))
    if step < warmup:
        return lr * (step + 1) / warmup
    if config.schedule == "step":
        return lr * config.gamma ** (step // steps_per_epoch // config.step_size)
    if config.schedule == "cosine":
        return _cos(lr, 0.0, (step - warmup) / max(1, total - warmup))
    return lr
