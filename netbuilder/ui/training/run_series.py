"""Runs' curves and health records read from their metrics logs, once: each later look reads only the lines added
since."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from netbuilder.records import events as ev
from netbuilder.records.runs import METRICS, Run, parse_line
from netbuilder.records.train_error import TrainError
from netbuilder.ui.training.series import SERIES_COLORS, RunSeries


def color_for(name: str) -> str:
    """A stable colour per run name."""
    return SERIES_COLORS[sum(name.encode()) % len(SERIES_COLORS)]


def distinct_colors(runs: list[RunSeries]) -> None:
    """Give runs shown together different colours: a run whose colour an earlier one has takes the next free
    colour of the palette after it (while the palette has one), so two names hashing alike never look alike."""
    taken: set[str] = set()
    for run in runs:
        if run.color in taken and len(taken) < len(SERIES_COLORS):
            start = SERIES_COLORS.index(run.color) if run.color in SERIES_COLORS else 0
            run.color = next(
                c
                for i in range(1, len(SERIES_COLORS) + 1)
                if (c := SERIES_COLORS[(start + i) % len(SERIES_COLORS)]) not in taken
            )
        taken.add(run.color)


@dataclass
class _Read:
    series: RunSeries
    inode: int
    offset: int = 0  # bytes of the log read so far (whole lines only)
    start: float | None = None  # the time of the first event
    health: list[ev.Health] = field(default_factory=list)  # per-layer health records, in order


class SeriesCache:
    """RunSeries by run folder, brought up to date from the metrics log on each call."""

    def __init__(self) -> None:
        self._reads: dict[Path, _Read] = {}

    def series(self, run: Run) -> RunSeries:
        """The run's curves so far. A log replaced (a resumed run rewinds it) is read again from its start."""
        return self._read(run).series

    def health(self, run: Run) -> list[ev.Health]:
        """The run's per-layer health records so far (core.health judges them), oldest first."""
        return self._read(run).health

    def _read(self, run: Run) -> _Read:
        path = run.path / METRICS
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            stat = None
        read = self._reads.get(run.path)
        if read is None or stat is None or stat.st_ino != read.inode or stat.st_size < read.offset:
            read = self._reads[run.path] = _Read(
                RunSeries(run.path.name, color_for(run.path.name), dataset=_dataset(run)), stat.st_ino if stat else -1
            )
        if stat is not None and stat.st_size > read.offset:
            with open(path, "rb") as f:
                f.seek(read.offset)
                chunk = f.read(stat.st_size - read.offset)
            whole = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written is read next time
            read.offset += len(whole)
            for line in whole.decode("utf-8", "replace").splitlines():
                _add(read, line)
        return read


def _dataset(run: Run) -> str:
    try:
        return run.config.dataset
    except TrainError:
        return ""


def _add(read: _Read, line: str) -> None:
    timed = parse_line(line)
    if timed is None:
        return
    event, stamp = timed
    read.start = stamp if read.start is None else read.start
    series = read.series
    if isinstance(event, ev.Started):
        series.started(event)
    elif isinstance(event, ev.BatchMetrics):
        series.add_batch(
            event.epoch, event.step, event.steps, event.loss, event.accuracy, event.lr, (stamp or 0) - (read.start or 0)
        )
    elif isinstance(event, ev.Health):
        read.health.append(event)
    elif isinstance(event, ev.EpochMetrics):
        series.add_epoch(event.epoch, event.train_loss, event.train_accuracy, event.val_loss, event.val_accuracy)
