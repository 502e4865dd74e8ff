"""Metric series for live plots: preallocated growing arrays, and TensorBoard's debiased smoothing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


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
    """s_t = w·s_{t−1} + (1−w)·v_t, continuing from state, vectorised in chunks (w^−j stays finite)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    chunk = max(1, int(500 / -math.log(weight)))
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        j = np.arange(len(part), dtype=np.float64)
        out[start : start + len(part)] = np.cumsum(part * weight**-j) * (1 - weight) * weight**j + state * weight ** (
            j + 1
        )
        state = out[start + len(part) - 1]
    return out


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """The debiased exponential moving average TensorBoard draws (tensorflow/tensorboard#639): the EMA from
    s_0 = 0, divided by 1 − w^t so that the start is not pulled towards zero."""
    values = np.asarray(values, dtype=np.float64)
    if weight <= 0 or len(values) == 0:
        return values.copy()
    return ema(values, weight) / (1 - weight ** np.arange(1, len(values) + 1, dtype=np.float64))


class Smoothed:
    """smooth() of a growing series, extended as points arrive instead of recomputed at every redraw."""

    def __init__(self) -> None:
        self.out = Growing()
        self.state = 0.0  # the EMA before debiasing, at the last point done
        self.weight = -1.0

    def of(self, series: Growing, weight: float) -> np.ndarray:
        if weight <= 0:
            return series.y
        if weight != self.weight or self.out.n > series.n:
            self.out, self.state, self.weight = Growing(max(1024, series.n)), 0.0, weight
        done = self.out.n
        if series.n > done:
            tail = ema(series.y[done:], weight, self.state)
            self.state = float(tail[-1])
            steps = np.arange(done + 1, series.n + 1, dtype=np.float64)
            self.out.extend(series.x[done:], tail / (1 - weight**steps))
        return self.out.y


@dataclass
class RunSeries:
    """Everything plotted for one run. x of batch series: global step; epochs at their end."""

    name: str
    color: str
    steps_per_epoch: int = 1
    batch_loss: Growing = field(default_factory=Growing)
    batch_accuracy: Growing = field(default_factory=Growing)
    lr: Growing = field(default_factory=Growing)
    batch_time: Growing = field(default_factory=Growing)  # x: global step, y: seconds since start
    train_loss: Growing = field(default_factory=lambda: Growing(64))
    val_loss: Growing = field(default_factory=lambda: Growing(64))
    train_accuracy: Growing = field(default_factory=lambda: Growing(64))
    val_accuracy: Growing = field(default_factory=lambda: Growing(64))

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
