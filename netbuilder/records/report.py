"""A run as terminal text: a live progress bar with ETA, a line per epoch, health problems once each, and the
confusion matrix."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from netbuilder.core.check.health import PROBLEM, judge
from netbuilder.core.check.summary import short
from netbuilder.core.text import safe
from netbuilder.records.events import BatchMetrics, EpochMetrics, Evaluated, Event, Failed, Finished, Health, Started
from netbuilder.records.memory import fmt_bytes

BAR = 24


def duration(seconds: float) -> str:
    """0:42, 12:05, 1:02:03."""
    s = int(round(seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


class Progress:
    """Prints a run's events to stream (default: standard error). live (default: the stream is a terminal)
    redraws one bar line while an epoch trains; otherwise only whole lines are written."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.bar_shown = False
        self.began = time.monotonic()
        self.total_steps = 1
        self.start_epoch = 0
        self.run_dir: str | None = None
        self.told: set[tuple[str, str]] = set()  # (block, rule) of the health problems printed

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchMetrics):
            if self.live:
                self._bar(event)
            return
        if isinstance(event, Health):
            self._health(event)
            return
        self._clear()
        if isinstance(event, Started):
            self._started(event)
        elif isinstance(event, EpochMetrics):
            val = "" if event.val_loss is None else f"  val loss {event.val_loss:.3f} acc {event.val_accuracy:.1%}"
            self._line(
                f"epoch {event.epoch}/{event.epochs}  train loss {event.train_loss:.3f} acc "
                f"{event.train_accuracy:.1%}{val}  lr {event.lr:.3g}  {event.seconds:.1f} s"
            )
        elif isinstance(event, Evaluated):
            self._line(f"test accuracy {event.accuracy:.2%}  loss {event.loss:.3f}")
        elif isinstance(event, Finished):
            if event.stopped:
                self._line(
                    f"stopped after {event.epochs_done} epochs; continue with "
                    f"`netbuilder train --resume {self.run_dir}`"
                )
            else:
                if event.early_stop:
                    self._line(f"{event.early_stop}; best.pt holds that epoch's weights")
                self._line(f"done in {duration(event.seconds)}; the run is in {self.run_dir}")
        elif isinstance(event, Failed):
            self._line(f"error: {event.message}")

    def _started(self, e: Started) -> None:
        self.began = time.monotonic()
        self.total_steps = max(1, (e.epochs - e.start_epoch) * e.steps_per_epoch)
        self.start_epoch = e.start_epoch
        self.run_dir = e.run_dir
        resumed = f", resuming after epoch {e.start_epoch}" if e.start_epoch else ""
        processes = f" × {e.world_size} processes" if e.world_size > 1 else ""
        self._line(
            f"training {short(e.parameters)} parameters on {e.device}{processes} ({e.precision}{resumed}): "
            f"{e.train_size:,} training, {e.val_size:,} validation, {e.test_size:,} test images; "
            f"about {fmt_bytes(e.memory_bytes)} of memory"
        )
        for warning in e.warnings:
            self._line(f"warning: {warning}")
        for line in e.init:
            self._line(line)

    def _health(self, e: Health) -> None:
        """A line for each health problem the first time it trips (watch states are left to the window)."""
        for f in judge(e.blocks, e.window, e.lr, e.peak_lr, e.global_step):
            if f.state == PROBLEM and (f.block, f.rule) not in self.told:
                self.told.add((f.block, f.rule))
                self._clear()
                self._line(f"health at step {e.global_step:,}: {f.sentence}")

    def _bar(self, e: BatchMetrics) -> None:
        done = (e.epoch - 1 - self.start_epoch) * e.steps + e.step
        fraction = min(1.0, done / self.total_steps)
        elapsed = time.monotonic() - self.began
        eta = duration(elapsed * (1 - fraction) / fraction) if fraction > 0 else "?"
        filled = round(BAR * e.step / e.steps)
        self.stream.write(
            f"\repoch {e.epoch} [{'#' * filled}{'.' * (BAR - filled)}] {e.step}/{e.steps}  "
            f"loss {e.loss:.3f} acc {e.accuracy:.1%}  {e.images_per_s:,.0f} img/s  ETA {eta} "
        )
        self.stream.flush()
        self.bar_shown = True

    def _clear(self) -> None:
        if self.bar_shown:
            self.stream.write("\r\033[K")
            self.bar_shown = False

    def _line(self, text: str) -> None:
        self.stream.write(safe(text) + "\n")
        self.stream.flush()


def confusion_table(classes: list[str], confusion: list[list[int]]) -> str:
    """Rows are the true classes, columns the predicted ones, with each row's accuracy at its end."""
    names = [safe(c)[:9] for c in classes]
    width = max(5, *(len(n) for n in names), *(len(str(v)) for row in confusion for v in row))
    label = max(len(n) for n in names)
    lines = [" " * label + " │ " + " ".join(n.rjust(width) for n in names) + " │ accuracy"]
    lines.append("─" * label + "─┼─" + "─" * ((width + 1) * len(names) - 1) + "─┼─" + "─" * 8)
    for i, row in enumerate(confusion):
        accuracy = row[i] / sum(row) if sum(row) else 0.0
        lines.append(names[i].ljust(label) + " │ " + " ".join(str(v).rjust(width) for v in row) + f" │ {accuracy:8.1%}")
    return "\n".join(lines)
