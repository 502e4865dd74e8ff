"""The typed messages a run emits, in order: Started, then per epoch BatchMetrics… EpochMetrics Checkpoint
(with Health records every config.health_every steps among the BatchMetrics), then Evaluated and Finished; or
Failed at any point. Each is a plain dataclass that pickles and turns into JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Started(Event):
    kind = "started"
    run_dir: str | None  # None on the ranks of a torchrun job that write no folder
    device: str
    precision: str  # fp32, bf16 or fp16
    epochs: int
    start_epoch: int  # epochs already done (a resumed run starts after them)
    steps_per_epoch: int
    batch_size: int
    world_size: int
    train_size: int
    val_size: int
    test_size: int
    classes: list[str]
    parameters: int
    memory_bytes: int  # estimated need of the run on its device
    warnings: list[str]
    init: list[str] = dataclasses.field(default_factory=list)  # which blocks took the initial weights, which not
    unfreeze_epoch: int | None = None  # fine-tuning: the epoch from which the blocks with learned weights train


@dataclass(frozen=True)
class BatchMetrics(Event):
    """Averages over the steps since the previous read-back (every log_every steps and at the epoch's end)."""

    kind = "batch"
    epoch: int  # from 1
    step: int  # from 1 within the epoch
    steps: int  # steps in the epoch
    loss: float
    accuracy: float
    lr: float
    images_per_s: float


@dataclass(frozen=True)
class Health(Event):
    """Per-layer health over the steps since the previous record (core.health reads it). blocks maps a node id, in
    the network's order, to its numbers: blocks with weights have params, grad_norm (of all its parameters'
    gradients, unscaled), update_ratio (‖Δw‖/‖w‖ of the record's step), mean and std (of its output on the record's
    batch); Activation blocks have mean and std too, and the ReLU family dead (the share of channels, or features,
    never positive over the window, looked at on every (health_every // 20)-th step), sigmoid and tanh saturated
    (the share of outputs within 0.01 of a bound)."""

    kind = "health"
    epoch: int
    step: int  # within the epoch, as BatchMetrics counts it
    global_step: int  # from 1 over the whole run
    window: int  # steps the record covers
    lr: float  # of the record's step
    peak_lr: float  # config.lr: the schedule's top
    blocks: dict[str, dict[str, float]]


@dataclass(frozen=True)
class EpochMetrics(Event):
    kind = "epoch"
    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None  # None without a validation split
    val_accuracy: float | None
    lr: float
    seconds: float


@dataclass(frozen=True)
class Checkpoint(Event):
    kind = "checkpoint"
    epoch: int
    path: str  # the last checkpoint (weights, optimizer, epoch); best.pt too when best is true
    best: bool


@dataclass(frozen=True)
class Evaluated(Event):
    """The final test: confusion[true][predicted] counts; wrong holds the most confidently wrong samples as
    {"index": position in the test set, "label": int, "predicted": int, "confidence": float}, surest first;
    samples the same for the surest few of every cell of the matrix, right answers included (their images are
    in the run folder's samples.npz)."""

    kind = "evaluated"
    loss: float
    accuracy: float
    classes: list[str]
    confusion: list[list[int]]
    per_class_accuracy: list[float]
    wrong: list[dict[str, Any]]
    samples: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Finished(Event):
    kind = "finished"
    stopped: bool  # true when asked to stop before the last epoch
    epochs_done: int
    best_val_accuracy: float | None
    test_accuracy: float | None  # None when stopped
    seconds: float
    best_epoch: int | None = None  # the epoch of best_val_accuracy (None: unknown, or no validation split)
    early_stop: str | None = None  # "stopped early at epoch 12; best was epoch 9 (81.3%)" when patience ran out

    def to_dict(self) -> dict[str, Any]:
        """As Event's, without best_epoch and early_stop when they are None (the lines older runs wrote)."""
        out = super().to_dict()
        for name in ("best_epoch", "early_stop"):
            if out[name] is None:
                del out[name]
        return out


@dataclass(frozen=True)
class Failed(Event):
    kind = "failed"
    message: str  # one sentence a person can act on
    exit_code: int | None = None  # the child process's, when it died


KINDS: dict[str, type[Event]] = {
    c.kind: c for c in (Started, BatchMetrics, Health, EpochMetrics, Checkpoint, Evaluated, Finished, Failed)
}
TERMINAL = (Finished, Failed)


def from_dict(data: dict[str, Any]) -> Event:
    """The event a to_dict() line describes (other keys, such as a log's time stamp, are ignored)."""
    cls = KINDS[data["event"]]
    return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})
