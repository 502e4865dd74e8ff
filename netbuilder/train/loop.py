"""The training and evaluation loop. It yields events and knows nothing about who listens.

The hot loop has no per-image Python and no host↔device sync: loss and accuracy add up in device tensors
and are read back every config.log_every steps, where divergence is checked too. Per-layer health (train.health)
is read back every config.health_every steps.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from netbuilder.core.check.shapes import Check
from netbuilder.core.document import Document
from netbuilder.core.initial import InitWeights
from netbuilder.core.learning import fine_tune_mults
from netbuilder.pytorch import init_weights
from netbuilder.pytorch.build import BuildError, GraphModule, checked
from netbuilder.records import datasets, memory
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import (
    BatchMetrics,
    Checkpoint,
    EpochMetrics,
    Evaluated,
    Event,
    Finished,
    Health,
    Started,
)
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints, data_loading, distributed, feed
from netbuilder.train.device import PRECISION_NAMES, resolve, resolve_device, resolve_precision
from netbuilder.train.distributed import World
from netbuilder.train.health_recorder import HealthRecorder, Pending, runaway
from netbuilder.train.schedule import lr_at

WRONG_SAMPLES = 64
CELL_SAMPLES = 8  # per cell of the confusion matrix
CPU_ALLOCATOR_WORDS = ("can't allocate memory", "not enough memory", "enforce fail at alloc_cpu")


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    confusion: torch.Tensor  # K×K counts, [true, predicted]
    wrong: list[dict[str, Any]]  # the most confidently wrong samples, surest first
    samples: list[dict[str, Any]]  # the surest few of each cell of the confusion matrix

    def event(self, classes: tuple[str, ...]) -> Evaluated:
        confusion = self.confusion.tolist()
        per_class = [row[i] / max(1, sum(row)) for i, row in enumerate(confusion)]
        return Evaluated(self.loss, self.accuracy, list(classes), confusion, per_class, self.wrong, self.samples)


class Trainer:
    """One run's model, data and optimizer. setup() prepares them; events() trains, validates, checkpoints
    and tests, yielding events; test() evaluates the test split alone."""

    def __init__(self, document: Document, config: TrainConfig, world: World | None = None) -> None:
        """config as given; the trainer runs it as this machine does (device.resolve: bf16 on the CPU brings
        channels-last)."""
        self.document, self.config = document, resolve(config)
        self.world = world or World()

    def setup(
        self, checkpoint: dict[str, Any] | None = None, force: bool = False, init: InitWeights | None = None
    ) -> None:
        """Load the data, build the network, put its initial weights in (init; the report is init_report), make
        the optimizer (fine-tuning's rates when it fine-tunes), restore a checkpoint (as checkpoints.load gives
        it); TrainError on what a person can fix (a missing dataset, a shape mismatch, a device that is not
        there, a run that needs more memory than the device has free, unless force); InitError on weights that
        cannot be used."""
        cfg, world = self.config, self.world
        self.device = resolve_device(cfg.device, world.local_rank)
        self.autocast_dtype = resolve_precision(cfg.precision, self.device)
        try:
            result = checked(self.document.graph)
        except BuildError as e:
            raise TrainError(str(e)) from None
        self._check_fits(result, force)
        torch.manual_seed(cfg.seed)
        with out_of_memory(self.device, "building the network; use fewer channels or a smaller network"):
            net = GraphModule(self.document.graph, result)
        data = data_loading.load(cfg.dataset, datasets.data_dir(cfg.data_dir), cfg.download)
        with out_of_memory(self.device, "holding the data and the network; use a smaller --limit or --device cpu"):
            self.feed = feed.prepare(data, net.input_shape, cfg, self.device)
            net = net.to(self.device)
        if len(self.feed.train) < world.size:
            raise TrainError(
                f"No training images are left after holding out the validation split; raise --limit "
                f"or lower --val-split (now {cfg.val_split})."
            )
        self.classes = self.feed.classes
        problem = datasets.output_problem(result.nodes[result.output].output_shape, len(self.classes), data.info.title)
        if problem:
            raise TrainError(problem)
        distributed.init(world, self.device)
        self.net: GraphModule = net.to(memory_format=torch.channels_last) if cfg.channels_last else net
        self.init_report = init_weights.load_into(self.net, init) if init is not None else None
        self._plan_fine_tune()
        self.optimizer = make_optimizer(self.net, cfg)
        fp16 = self.autocast_dtype == torch.float16
        self.scaler = torch.amp.GradScaler(self.device.type) if fp16 else None
        self.steps_per_epoch = max(1, len(self.feed.train) // world.size // cfg.batch_size)
        self.start_epoch, self.best, self.best_epoch = 0, None, None
        if checkpoint is not None:
            checkpoints.restore(checkpoint, self.net, self.optimizer, self.scaler)
            self.start_epoch, self.best = checkpoint["epoch"], checkpoint.get("best_val_accuracy")
            # a checkpoint from before best_epoch was kept: its own epoch when it was the best, else unknown
            self.best_epoch = checkpoint.get("best_epoch", checkpoint["epoch"] if checkpoint.get("best") else None)
        self.health = None  # per-layer health, recorded by the process that writes the run folder
        if cfg.health_every and world.main:
            self.health = HealthRecorder(self.net, self.document.graph, cfg.health_every, hooks=not cfg.compile)
        self.last_health = self.start_epoch * self.steps_per_epoch
        self.records: list[Health] = []  # this read-back window's health records, for a divergence's sentence
        model: nn.Module = torch.compile(self.net) if cfg.compile else self.net
        if world.size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            model = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        self.model = model
        self.estimate = memory.estimate(
            result, cfg.batch_size, cfg.optimizer, cfg.momentum, self.autocast_dtype is not None, self.feed.device_bytes
        )
        self.parameters = result.total_params

    def _plan_fine_tune(self) -> None:
        """Whether this run fine-tunes (config.fine_tune; auto: when blocks start from learned weights and others,
        a new head, start fresh) and, if so, the learned blocks' lower rates; TrainError when it cannot."""
        cfg, net = self.config, self.net
        loaded = set(self.init_report.loaded) if self.init_report is not None else set()
        self.learned = [nid for nid in net.layer_ids() if nid in loaded]
        new = [nid for nid in net.layer_ids() if nid not in loaded and net.trains(nid)]  # a head to train first
        self.unfreeze_epoch: int | None = None  # from this epoch the learned blocks train too
        if cfg.fine_tune == "off" or (cfg.fine_tune == "auto" and not (self.learned and new)):
            return
        if not self.learned:
            raise TrainError(
                "fine_tune on needs a network that starts from learned weights: name them with --init RUN_DIR or a "
                "weights file (File → New from run… in the window), or set fine_tune to auto or off."
            )
        if self.world.size > 1:
            raise TrainError(
                "Fine-tuning freezes blocks for its first epochs, which torchrun's DDP cannot follow; "
                "set fine_tune off for a torchrun job."
            )
        self.unfreeze_epoch = cfg.head_epochs + 1 if new else 1  # nothing new: no head phase
        net.set_lr_mults(fine_tune_mults(self.learned))

    def _phase(self, epoch: int) -> None:
        """Fine-tuning: the learned blocks held frozen until unfreeze_epoch, then training with the rest."""
        if self.unfreeze_epoch is not None:
            self.net.hold(self.learned if epoch < self.unfreeze_epoch else ())

    # The run -----------------------------------------------------------------------------------

    def events(self, run: Run | None = None, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Event]:
        """Train from the epoch after the checkpoint to the last, then test. A stop request (checked every
        step when alone) ends the run after the current step with Finished(stopped=True)."""
        cfg = self.config
        started = time.perf_counter()
        yield Started(
            str(run.path) if run else None,
            str(self.device),
            PRECISION_NAMES[self.autocast_dtype],
            cfg.epochs,
            self.start_epoch,
            self.steps_per_epoch,
            cfg.batch_size,
            self.world.size,
            len(self.feed.train),
            len(self.feed.val),
            len(self.feed.test),
            list(self.classes),
            self.parameters,
            self.estimate.total,
            self._warnings(),
            self.init_report.lines() if self.init_report is not None else [],
            self.unfreeze_epoch,
        )
        epoch = self.start_epoch
        early_stop = None
        with out_of_memory(self.device, memory.at_batch_size(cfg.batch_size, self.batch_hint)):
            for epoch in range(self.start_epoch + 1, cfg.epochs + 1):
                t0 = time.perf_counter()
                self._phase(epoch)
                train = yield from self._train_epoch(epoch, should_stop)
                if train is None:
                    yield Finished(True, epoch - 1, self.best, None, time.perf_counter() - started, self.best_epoch)
                    return
                val = self._evaluate(self.feed.val, sharded=True) if len(self.feed.val) else None
                lr = lr_at(epoch * self.steps_per_epoch - 1, self.steps_per_epoch, cfg)
                yield EpochMetrics(
                    epoch, cfg.epochs, *train, val and val.loss, val and val.accuracy, lr, time.perf_counter() - t0
                )
                is_best = val is None or self.best is None or val.accuracy > self.best
                if is_best:
                    self.best, self.best_epoch = val and val.accuracy, epoch
                if run is not None:
                    yield Checkpoint(epoch, str(checkpoints.save(run, self._state(epoch), is_best)), is_best)
                early_stop = self._early_stop(epoch, val is not None)
                if early_stop:
                    break
            test = self.test() if self.world.main else None
            distributed.barrier()
        if test is not None:
            if run is not None and test.samples and self.feed.test.pictures([0]).ndim == 4:
                run.save_samples(
                    [s["index"] for s in test.samples], self.feed.test.pictures([s["index"] for s in test.samples])
                )
            yield test.event(self.classes)
        yield Finished(
            False, epoch, self.best, test and test.accuracy, time.perf_counter() - started, self.best_epoch, early_stop
        )

    def _health_event(self, epoch: int, step: int, pending: Pending) -> Health:
        assert self.health is not None
        cfg, at = self.config, (epoch - 1) * self.steps_per_epoch + step
        window, self.last_health = at - self.last_health, at
        blocks = self.health.after_step(pending)
        record = Health(epoch, step, at, window, lr_at(at - 1, self.steps_per_epoch, cfg), cfg.lr, blocks)
        self.records = [*self.records[-(cfg.log_every + 1) :], record]
        return record

    def _before(self, bad: int) -> str:
        """What the last health record before global step bad shows running away, as a sentence ("" if none)."""
        record = next((r for r in reversed(self.records) if r.global_step < bad), None)
        shown = runaway(record.blocks) if record is not None else ""
        return f" The health record of step {record.global_step}, before it: {shown}." if shown and record else ""

    def _early_stop(self, epoch: int, validated: bool) -> str | None:
        """The sentence ending the run when early stopping is on and the validation accuracy has not improved
        for config.patience epochs; None to go on."""
        cfg = self.config
        if not (cfg.stops_early and validated and self.best is not None and epoch < cfg.epochs):
            return None
        best_epoch = self.best_epoch if self.best_epoch is not None else self.start_epoch
        if epoch - best_epoch < cfg.patience:
            return None
        return f"stopped early at epoch {epoch}; best was epoch {best_epoch} ({self.best:.1%})"

    def test(self) -> Evaluation:
        """The whole test split, with its confusion matrix and most confidently wrong samples."""
        return self._evaluate(self.feed.test, sharded=False)

    # Steps -------------------------------------------------------------------------------------

    def _train_epoch(
        self, epoch: int, should_stop: Callable[[], bool]
    ) -> Generator[BatchMetrics | Health, None, tuple[float, float] | None]:
        """Yields BatchMetrics (and Health every config.health_every steps); returns (loss, accuracy) of the epoch,
        or None when asked to stop."""
        cfg, world, device = self.config, self.world, self.device
        steps, bs = self.steps_per_epoch, cfg.batch_size
        self.model.train()
        torch.manual_seed(feed.epoch_seed(cfg.seed, epoch))  # dropout
        generator = torch.Generator(device).manual_seed(feed.epoch_seed(cfg.seed, epoch * 7_919 + world.rank))
        order = feed.epoch_order(len(self.feed.train), epoch, cfg.seed, world.rank, world.size, device)
        order = order[: steps * bs]
        sums = torch.zeros(2, device=device)  # loss × images, correct answers
        seen = 0
        first_bad = torch.full((), -1, dtype=torch.int64, device=device)
        total_loss = total_correct = total_seen = 0.0
        window = time.perf_counter()
        for step, (x, y) in enumerate(self.feed.train.batches(order, bs), start=1):
            if world.size == 1 and should_stop():
                return None
            lr = lr_at((epoch - 1) * steps + step - 1, steps, cfg)
            set_lr(self.optimizer, lr)
            x = self.feed.preprocess(x, train=True, generator=generator)
            record = self.health is not None and self.health.begin((epoch - 1) * steps + step)
            with self.autocast():
                logits = self.model(x)
                loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
            self.optimizer.zero_grad(set_to_none=True)
            (loss if self.scaler is None else self.scaler.scale(loss)).backward()
            pending = None
            if record and self.health is not None:
                pending = self.health.before_step(1.0 if self.scaler is None else self.scaler.get_scale())
            if self.scaler is not None:
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                self.optimizer.step()
            loss = loss.detach()
            health = None if pending is None else self._health_event(epoch, step, pending)
            sums += torch.stack([loss * len(y), (logits.argmax(1) == y).sum().float()])
            seen += len(y) * world.size
            first_bad = torch.where((first_bad < 0) & ~torch.isfinite(loss), step, first_bad)
            if step % cfg.log_every and step != steps:
                if health is not None:
                    yield health
                continue
            loss_sum, correct = distributed.all_sum(sums).tolist()
            if not math.isfinite(loss_sum):
                bad = int(first_bad) if int(first_bad) > 0 else step
                what = "NaN" if math.isnan(loss_sum) else "infinite"
                bad_lr = lr_at((epoch - 1) * steps + bad - 1, steps, cfg)
                raise TrainError(
                    f"Training diverged at epoch {epoch}, step {bad}: the loss became {what}."
                    f"{self._before((epoch - 1) * steps + bad)} Try a lower learning rate (it was {bad_lr:.3g})."
                )
            now = time.perf_counter()
            yield BatchMetrics(epoch, step, steps, loss_sum / seen, correct / seen, lr, seen / (now - window))
            if health is not None:
                yield health
            total_loss, total_correct, total_seen = total_loss + loss_sum, total_correct + correct, total_seen + seen
            sums.zero_()
            seen = 0
            window = now
        return total_loss / total_seen, total_correct / total_seen

    @torch.no_grad()
    def _evaluate(self, split: feed.Split, sharded: bool) -> Evaluation:
        """Loss, accuracy and confusion over a split; sharded: each process takes a part and the sums are
        shared, otherwise the most confidently wrong samples are found too. In full precision whatever the
        training's autocast: the figures a run reports are the network's own, equal to what predict and Look
        inside compute from its weights."""
        self.net.eval()
        k, device = len(self.classes), self.device
        rank, size = (self.world.rank, self.world.size) if sharded else (0, 1)
        confusion = torch.zeros(k * k, dtype=torch.int64, device=device)
        loss_sum = torch.zeros((), device=device)
        outcomes = []  # per batch: (confidence; predicted; label)
        for x, y in split.batches(feed.shard(len(split), rank, size, device), 2 * self.config.batch_size):
            logits = self.net(self.feed.preprocess(x, train=False)).float()
            predicted = logits.argmax(1)
            confusion += torch.bincount(y * k + predicted, minlength=k * k)
            loss_sum += F.cross_entropy(logits, y, reduction="sum")
            outcomes.append((logits.softmax(1).amax(1), predicted, y))
        if sharded:
            distributed.all_sum(confusion)
            distributed.all_sum(loss_sum)
        matrix = confusion.view(k, k).cpu()
        n = max(1, int(matrix.sum()))
        if sharded or not outcomes:
            return Evaluation(float(loss_sum) / n, float(matrix.diag().sum()) / n, matrix, [], [])
        confidence, predicted, labels = (torch.cat(parts).cpu() for parts in zip(*outcomes))
        wrong = _surest(confidence, predicted, labels, predicted != labels, WRONG_SAMPLES)
        samples = [
            s
            for cell in range(k * k)
            for s in _surest(confidence, predicted, labels, labels * k + predicted == cell, CELL_SAMPLES)
        ]
        return Evaluation(float(loss_sum) / n, float(matrix.diag().sum()) / n, matrix, wrong, samples)

    def autocast(self) -> contextlib.AbstractContextManager:
        """The training forward's mixed precision (nothing in fp32)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _state(self, epoch: int) -> dict[str, Any]:
        return {
            "model": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
            "epoch": epoch,
            "best_val_accuracy": self.best,
            "best_epoch": self.best_epoch,
        }

    def _check_fits(self, result: Check, force: bool) -> None:
        """Refuse, before anything is allocated, a run whose estimate exceeds the device's free memory (unless
        force); keep the batch size to suggest should it run out of memory anyway (batch_hint)."""
        cfg, device = self.config, self.device
        need = memory.estimate(result, cfg.batch_size, cfg.optimizer, cfg.momentum, self.autocast_dtype is not None, 0)
        free = (
            torch.cuda.mem_get_info(device)[0]
            if device.type == "cuda"
            else memory.available_ram()
            if device.type == "cpu"
            else None
        )
        self.batch_hint = memory.suggested_batch_size(need, cfg.batch_size, free)
        problem = memory.refusal(
            need, cfg.batch_size, free, "GPU" if device.type == "cuda" else "computer", "add --force to start it anyway"
        )
        if problem and not force:
            raise TrainError(problem)

    def _warnings(self) -> list[str]:
        if self.device.type != "cuda":
            return []
        free, _ = torch.cuda.mem_get_info(self.device)
        need = self.estimate.total - self.estimate.weights - self.estimate.data  # those two are there already
        if need <= 0.9 * free:
            return []
        return [
            f"This run needs about {memory.fmt_bytes(need)} of GPU memory and {memory.fmt_bytes(free)} are "
            f"free; if it runs out, lower the batch size to {max(1, self.batch_hint)} or less."
        ]


def _surest(
    confidence: torch.Tensor, predicted: torch.Tensor, labels: torch.Tensor, chosen: torch.Tensor, count: int
) -> list[dict[str, Any]]:
    """The count samples among the chosen ones that the network was surest of, surest first."""
    scores = torch.where(chosen, confidence, -1.0)
    top = scores.topk(min(count, len(scores)))
    return [
        {"index": i, "label": int(labels[i]), "predicted": int(predicted[i]), "confidence": c}
        for c, i in zip(top.values.tolist(), top.indices.tolist())
        if c >= 0
    ]


def make_optimizer(net: GraphModule, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The settings' optimizer over the network's trainable parameters, a group per learning-rate multiplier (its
    "lr_mult"; set_lr keeps each group's rate at the schedule's times its multiplier)."""
    params = [{**group, "lr": cfg.lr * group["lr_mult"]} for group in net.parameter_groups()]
    if not params:
        raise TrainError(
            "Nothing in this network can be trained: every block with parameters is frozen. Unfreeze some "
            "(select them and press Ctrl+L, or Network → Unfreeze all)."
        )
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov and cfg.momentum > 0,
            weight_decay=cfg.weight_decay,
        )
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """The schedule's rate for this step: each parameter group's, times its multiplier."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_mult", 1.0)


@contextlib.contextmanager
def out_of_memory(device: torch.device, when: str) -> Iterator[None]:
    """Running out of memory becomes a sentence: "The GPU ran out of memory {when}."."""
    try:
        yield
    except torch.OutOfMemoryError:
        raise TrainError(f"The {'computer' if device.type == 'cpu' else 'GPU'} ran out of memory {when}.") from None
    except MemoryError:
        raise TrainError(f"The computer ran out of memory {when}.") from None
    except RuntimeError as e:
        if not any(words in str(e) for words in CPU_ALLOCATOR_WORDS):
            raise
        raise TrainError(f"The computer ran out of memory {when}.") from None
