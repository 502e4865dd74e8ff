"""The learning-rate range test (Smith, 2017; fastai's and torch-lr-finder's lr_find).

The run's own model, optimizer (TrainConfig's), precision, batch size and augmentation train for up to
MAX_STEPS steps while the learning rate rises exponentially from START_LR to END_LR. The sweep takes at most one
pass over the training images when that is fewer steps, but at least MIN_STEPS (a small dataset is then passed
more than once). The loss is smoothed as torch-lr-finder does it (each new loss weighs SMOOTHING; the first is
kept as it is) and the test stops once the smoothed loss exceeds DIVERGE times its minimum.

Two suggestions come out: the steepest descent of the smoothed loss (torch-lr-finder's, the first and last few
points left out) and the learning rate at the smoothed loss's minimum divided by ten (fastai v1's). The steepest
descent is *the* suggestion: it is where raising the rate still lowers the loss fastest; the minimum's tenth is
shown as the cautious alternative. The weights, the optimizer's state and BatchNorm's statistics are restored
afterwards, so nothing of the sweep reaches a later run.

No torch at import: the CLI's other commands and the window import this module.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from netbuilder.core.document import Document
from netbuilder.core.errors import error_summary
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Event, Failed
from netbuilder.records.lr_results import LRFound, LRProgress
from netbuilder.records.memory import at_batch_size
from netbuilder.records.train_error import TrainError

if TYPE_CHECKING:
    import torch

    from netbuilder.train.loop import Trainer

START_LR, END_LR = 1e-7, 10.0
MAX_STEPS, MIN_STEPS = 100, 20
SMOOTHING = 0.05  # the weight of each new loss in the smoothed one (torch-lr-finder's smooth_f)
DIVERGE = 4.0  # stop when the smoothed loss exceeds this many times its minimum
SKIP_START, SKIP_END = 10, 5  # points the steepest descent leaves out (torch-lr-finder's defaults)
PROGRESS_EVERY = 5  # steps between LRProgress events
UNEXPECTED = "Finding the learning rate stopped on an unexpected error"
STOPPED = "The learning-rate search was stopped before it finished; click Find learning rate to run it again."


def sweep(start: float, end: float, steps: int) -> list[float]:
    """steps learning rates rising exponentially from start to end (both included)."""
    if steps < 2:
        return [start]
    return [start * (end / start) ** (i / (steps - 1)) for i in range(steps)]


def smooth(losses: list[float], weight: float = SMOOTHING) -> list[float]:
    """Exponential smoothing as torch-lr-finder does it: the first loss as it is, then weight·new + (1−weight)·old."""
    out: list[float] = []
    for loss in losses:
        out.append(loss if not out else weight * loss + (1 - weight) * out[-1])
    return out


def suggestions(lrs: list[float], smoothed: list[float]) -> tuple[float, float]:
    """(steepest descent, the minimum's learning rate / 10) of a curve. The steepest descent leaves out the first
    SKIP_START and last SKIP_END points (fewer on a short curve), where the smoothed loss has not settled or has
    turned."""
    if len(lrs) < 3:
        raise TrainError(
            f"The loss diverged within {len(lrs)} steps of the learning-rate search, so it has no curve to "
            f"suggest from; check that the network trains at all with a small learning rate."
        )
    n = len(lrs)
    start, end = min(SKIP_START, n // 4), min(SKIP_END, n // 8)
    part = smoothed[start : n - end]
    steepest = lrs[start + int(np.gradient(part).argmin())]
    lowest = lrs[int(np.argmin(smoothed))]
    return steepest, lowest / 10


def step_count(train_steps: int, max_steps: int = MAX_STEPS) -> int:
    """The sweep's length: max_steps, or one pass over the training images (train_steps) when that is fewer,
    but at least MIN_STEPS."""
    return min(max_steps, max(MIN_STEPS, train_steps))


def batches(trainer: Trainer, steps: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """steps training batches, prepared (augmented, normalised) as the run's first epochs would be."""
    import torch  # start-up time: this module is read without torch (the CLI, the window's runner)

    from netbuilder.train import feed  # start-up time: torch

    cfg, device = trainer.config, trainer.device
    done, epoch = 0, 1
    while done < steps:
        generator = torch.Generator(device).manual_seed(feed.epoch_seed(cfg.seed, epoch * 7_919))
        order = feed.epoch_order(len(trainer.feed.train), epoch, cfg.seed, 0, 1, device)
        order = order[: trainer.steps_per_epoch * cfg.batch_size]
        for x, y in trainer.feed.train.batches(order, cfg.batch_size):
            yield trainer.feed.preprocess(x, train=True, generator=generator), y
            done += 1
            if done == steps:
                return
        epoch += 1


def find(
    trainer: Trainer,
    max_steps: int = MAX_STEPS,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    listener: Callable[[Event], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> LRFound | None:
    """The range test on a trainer after setup(); None when asked to stop. Its weights, optimizer state (and
    gradient scaler's) are as they were before, whatever happens."""
    saved = _save(trainer)
    try:
        return _sweep(trainer, max_steps, start_lr, end_lr, listener, should_stop)
    finally:
        _restore(trainer, saved)


def _sweep(
    trainer: Trainer,
    max_steps: int,
    start_lr: float,
    end_lr: float,
    listener: Callable[[Event], None],
    should_stop: Callable[[], bool],
) -> LRFound | None:
    import torch  # start-up time: as in batches
    import torch.nn.functional as F  # start-up time: torch

    from netbuilder.train.device import PRECISION_NAMES  # start-up time: torch
    from netbuilder.train.loop import set_lr  # start-up time: torch

    cfg, model, optimizer, scaler = trainer.config, trainer.model, trainer.optimizer, trainer.scaler
    steps = step_count(trainer.steps_per_epoch, max_steps)
    rates = sweep(start_lr, end_lr, steps)
    lrs: list[float] = []
    raw: list[float] = []
    smoothed: list[float] = []
    diverged = False
    torch.manual_seed(cfg.seed)  # dropout
    model.train()
    for step, (x, y) in enumerate(batches(trainer, steps), start=1):
        if should_stop():
            return None
        lr = rates[step - 1]
        set_lr(optimizer, lr)
        with trainer.autocast():
            loss = F.cross_entropy(model(x).float(), y, label_smoothing=cfg.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        value = float(loss.detach())
        if not math.isfinite(value):
            diverged = True
            break
        lrs.append(lr)
        raw.append(value)
        smoothed.append(smooth([smoothed[-1], value])[-1] if smoothed else value)
        if step % PROGRESS_EVERY == 0 or step == steps:
            listener(LRProgress(step, steps, lr, smoothed[-1]))
        if smoothed[-1] > DIVERGE * min(smoothed):
            diverged = True
            break
    steepest, min_tenth = suggestions(lrs, smoothed)
    return LRFound(
        lrs,
        smoothed,
        raw,
        steepest,
        min_tenth,
        steepest,
        diverged,
        str(trainer.device),
        PRECISION_NAMES[trainer.autocast_dtype],
        cfg.optimizer,
        cfg.batch_size,
    )


def _save(trainer: Trainer) -> dict[str, Any]:
    return copy.deepcopy(
        {
            "model": trainer.net.state_dict(),
            "optimizer": trainer.optimizer.state_dict(),
            "scaler": trainer.scaler.state_dict() if trainer.scaler is not None else None,
        }
    )


def _restore(trainer: Trainer, saved: dict[str, Any]) -> None:
    trainer.net.load_state_dict(saved["model"])
    trainer.optimizer.load_state_dict(saved["optimizer"])
    trainer.optimizer.zero_grad(set_to_none=True)
    if trainer.scaler is not None:
        trainer.scaler.load_state_dict(saved["scaler"])


def execute(
    document: Document,
    config: TrainConfig,
    *,
    max_steps: int = MAX_STEPS,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    force: bool = False,
    listener: Callable[[Event], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> LRFound | Failed:
    """The range test of document with config, in this process: every event to listener, the last (LRFound or
    Failed, with one sentence) returned too. force goes ahead when the memory estimate says it will not fit."""
    last: LRFound | Failed
    try:
        if not 0 < start_lr < end_lr:
            raise TrainError(f"The learning-rate search needs 0 < start < end; got {start_lr:g} and {end_lr:g}.")
        from netbuilder.train.loop import Trainer, out_of_memory  # start-up time: torch

        trainer = Trainer(document, config)
        trainer.setup(force=force)
        with out_of_memory(trainer.device, at_batch_size(config.batch_size, trainer.batch_hint)):
            found = find(trainer, max_steps, start_lr, end_lr, listener, should_stop)
        last = found if found is not None else Failed(STOPPED)
    except TrainError as e:
        last = Failed(str(e))
    except Exception as e:  # a bug, not the user's doing: a sentence, not a traceback
        last = Failed(f"{UNEXPECTED} ({error_summary(e)}).")
    listener(last)
    return last
