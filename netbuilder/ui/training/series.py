"""Metric series for live plots: preallocated growing arrays, and TensorBoard's debiased smoothing."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from netbuilder.records.events import Started

# Okabe–Ito's hues, each at the lightness that reads on the light and the dark plot background alike (a contrast
# of at least 3:1 on both; Okabe–Ito's yellow was 1.3:1 on white, its black 1.3:1 on the dark background).
SERIES_COLORS = ("#0083CC", "#CC5A00", "#008F68", "#C05992", "#A87400", "#8C6BD1", "#7D7D7D")
DIVERGED = 100.0  # a loss this many times its first values' median has diverged (as has a NaN or an infinity)


class Growing:
    """x and y values appended one at a time into float64 arrays that double when full."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._grow(self.n + 1)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        end = self.n + len(xs)
        if end > len(self._x):
            self._grow(end)
        self._x[self.n : end] = xs
        self._y[self.n : end] = ys
        self.n = end

    def _grow(self, needed: int) -> None:
        size = max(needed, 2 * len(self._x))
        self._x = np.resize(self._x, size)
        self._y = np.resize(self._y, size)

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]


def ema(values: np.ndarray, weight: float, state: float = 0.0) -> np.ndarray:
    """s_t = w·s_{t−1} + (1−w)·v_t, continuing from state, vectorised: the values in rows short enough that
    w^−j stays finite, each row's EMA from zero as one cumulative sum, then each row's carry-in added."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        return values.copy()
    width = max(1, min(n, int(300 / -math.log(weight))))
    rows = -(-n // width)
    block = np.zeros(rows * width, dtype=np.float64)
    block[:n] = values
    block = block.reshape(rows, width)
    j = np.arange(width, dtype=np.float64)
    local = np.cumsum(block * weight**-j, axis=1)
    local *= (1 - weight) * weight**j
    carries = np.empty(rows, dtype=np.float64)
    across = weight**width
    for k, last in enumerate(local[:, -1].tolist()):  # a scalar loop over rows only (hundreds at most)
        carries[k] = state
        state = last + state * across
    local += carries[:, None] * weight ** (j + 1)
    return local.reshape(-1)[:n]


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """The debiased exponential moving average TensorBoard draws (tensorflow/tensorboard#639): the EMA from
    s_0 = 0, divided by 1 − w^t so that the start is not pulled towards zero."""
    values = np.asarray(values, dtype=np.float64)
    if weight <= 0 or len(values) == 0:
        return values.copy()
    return debias(ema(values, weight), weight, 1)


def debias(ema_values: np.ndarray, weight: float, first: int) -> np.ndarray:
    """EMA values (the first one the first-th) divided by 1 − w^t, in place: only the first few hundred, as
    beyond them w^t < 1e−17 and the divisor is 1."""
    count = min(len(ema_values), max(0, int(40 / -math.log(weight)) + 2 - first))
    if count > 0:
        ema_values[:count] /= 1 - weight ** np.arange(first, first + count, dtype=np.float64)
    return ema_values


class Smoothed:
    """smooth() of a growing series, extended as points arrive (only the new points are smoothed) instead of
    recomputed at every redraw; the last few weights are kept, so a slider moved back and forth recomputes
    nothing."""

    KEEP = 4

    def __init__(self) -> None:
        self.cache: dict[float, tuple[Growing, float]] = {}  # weight → (smoothed points, EMA before debiasing)

    def of(self, series: Growing, weight: float) -> np.ndarray:
        if weight <= 0:
            return series.y
        out, state = self.cache.pop(weight, (None, 0.0))
        if out is None or out.n > series.n:
            out, state = Growing(max(1024, series.n)), 0.0
        done = out.n
        if series.n > done:
            tail = ema(series.y[done:], weight, state)
            state = float(tail[-1])
            out.extend(series.x[done:], debias(tail, weight, done + 1))
        self.cache[weight] = (out, state)  # the most recent last
        while len(self.cache) > self.KEEP:
            del self.cache[next(iter(self.cache))]
        return out.y


def diverged_at(series: Growing) -> int | None:
    """The index of the first point where the loss diverged: not finite, or DIVERGED times the median of its
    first tenth (at most 100 points); None while it has not."""
    ys = series.y
    if len(ys) == 0:
        return None
    head = ys[: max(1, min(100, len(ys) // 10))]
    head = head[np.isfinite(head)]
    limit = DIVERGED * abs(float(np.median(head))) if len(head) else 0.0
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(ys) | (ys > limit) if limit > 0 else ~np.isfinite(ys)
    first = int(np.argmax(bad))
    return first if bad[first] else None


def finite_range(arrays: list[np.ndarray], positive: bool = False) -> tuple[float, float] | None:
    """The least and the greatest finite value of all arrays (only the positive ones for a log axis)."""
    parts = [a[np.isfinite(a) & (a > 0)] if positive else a[np.isfinite(a)] for a in arrays]
    values = np.concatenate(parts) if parts else np.empty(0)
    return (float(values.min()), float(values.max())) if len(values) else None


@dataclass
class RunSeries:
    """Everything plotted for one run. x of batch series: global step; epochs at their end."""

    name: str
    color: str
    steps_per_epoch: int = 1
    dataset: str = ""
    batch_loss: Growing = field(default_factory=Growing)
    batch_accuracy: Growing = field(default_factory=Growing)
    lr: Growing = field(default_factory=Growing)
    batch_time: Growing = field(default_factory=Growing)  # x: global step, y: seconds since start
    train_loss: Growing = field(default_factory=lambda: Growing(64))
    val_loss: Growing = field(default_factory=lambda: Growing(64))
    train_accuracy: Growing = field(default_factory=lambda: Growing(64))
    val_accuracy: Growing = field(default_factory=lambda: Growing(64))
    unfreeze_step: int | None = None  # fine-tuning: the step after which the learned blocks train too

    def started(self, event: Started) -> None:
        """What the run's start says about its curves: the steps of an epoch, and where fine-tuning unfreezes."""
        self.steps_per_epoch = event.steps_per_epoch
        if event.unfreeze_epoch is not None and event.unfreeze_epoch > 1:
            self.unfreeze_step = (event.unfreeze_epoch - 1) * event.steps_per_epoch

    @property
    def label(self) -> str:
        """A readable name for legends: network · dataset · time ("VGG · cifar10 · Nov 30 06:25:53")."""
        return label_of(self.name, self.dataset)

    def add_batch(
        self, epoch: int, step: int, steps: int, loss: float, accuracy: float, lr: float, seconds: float
    ) -> None:
        self.steps_per_epoch = steps
        x = (epoch - 1) * steps + step
        self.batch_loss.append(x, loss)
        self.batch_accuracy.append(x, accuracy)
        self.lr.append(x, lr)
        self.batch_time.append(x, seconds)

    def add_epoch(
        self, epoch: int, train_loss: float, train_accuracy: float, val_loss: float | None, val_accuracy: float | None
    ) -> None:
        x = epoch * self.steps_per_epoch
        self.train_loss.append(x, train_loss)
        self.train_accuracy.append(x, train_accuracy)
        if val_loss is not None and val_accuracy is not None:
            self.val_loss.append(x, val_loss)
            self.val_accuracy.append(x, val_accuracy)

    def axis(self, steps: np.ndarray, mode: str) -> np.ndarray:
        """Global steps as the chosen x axis: step, epoch (fractional) or wall time (seconds)."""
        if mode == "epoch":
            return steps / max(1, self.steps_per_epoch)
        if mode == "time":
            times = self.batch_time
            if times.n == 0:
                return steps.astype(np.float64)
            return np.interp(steps, times.x, times.y)
        return steps


_STAMP = re.compile(
    r"^(?P<net>.*?)-?(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})-(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})(?P<rest>.*)$"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def label_of(folder: str, dataset: str = "") -> str:
    """A run folder's name (NAME-YYYYmmdd-HHMMSS) as network · dataset · time."""
    m = _STAMP.match(folder)
    if m is None or not 1 <= int(m["mo"]) <= 12:
        return " · ".join(p for p in (folder, dataset) if p)
    when = f"{_MONTHS[int(m['mo']) - 1]} {int(m['d'])} {m['h']}:{m['mi']}:{m['s']}{m['rest']}"
    return " · ".join(p for p in (m["net"] or "run", dataset, when) if p)
