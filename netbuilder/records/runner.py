"""A run in a child process of its own (spawn), its events streamed back over a queue.

No Qt: the owner calls poll() from its own loop (the UI on a timer). stop() asks the child to end after its
current step and kills it if it has not within the grace period; close() does the same without the owner
waiting (a thread of its own sees the child end). A child that dies on its own, even by kill -9, is reported
with a Failed event carrying its exit code. A child whose owner dies stops by itself after its current step,
and one still running when its owner exits is killed then (it is not a daemon: a DataLoader's workers need it
not to be).
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import queue
import threading
import time
from pathlib import Path

from netbuilder.core.document import Document, dumps
from netbuilder.records import process
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import TERMINAL, Event, Failed
from netbuilder.records.lr_results import LRFound

STOP_GRACE_S = 10.0
TRAIN, LR_FIND = "train", "lr_find"  # what a Runner's child does
CHILD = "netbuilder.train.job:child"  # the child's work, named so that the owner never imports torch
NICENESS = 10  # the run yields the CPU to its owner (the app's window) whenever the owner needs it


class Runner:
    """One training run in a child process. Construct, start(), then poll() until done. task LR_FIND runs the
    learning-rate range test instead (train.lr_find): no run folder (out is not used), LRProgress events and the
    last one LRFound or Failed."""

    def __init__(
        self,
        document: Document,
        config: TrainConfig,
        out: str | os.PathLike,
        resume: bool = False,
        force: bool = False,
        task: str = TRAIN,
    ) -> None:
        ctx = mp.get_context("spawn")
        self.out = Path(out)
        self.task = task
        self._events: mp.Queue = ctx.Queue()
        self._stop = ctx.Event()
        self._process = ctx.Process(
            target=process.run_child,
            name="netbuilder-train",
            args=(
                CHILD,
                NICENESS,
                dumps(document),
                config.to_dict(),
                str(out),
                resume,
                force,
                self._events,
                self._stop,
                task,
            ),
        )
        self._kill_at: float | None = None
        self.done = False  # a Finished or Failed event has been handed out

    def start(self) -> None:
        self._process.start()
        atexit.register(self._end_at_exit)

    def _end_at_exit(self) -> None:
        if self._process.is_alive():
            self._process.kill()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode

    @property
    def running(self) -> bool:
        return self._process.is_alive()

    def poll(self) -> list[Event]:
        """The events that arrived since the last call, without waiting; after the child is gone, a Failed
        event if it never sent its last one."""
        if self._kill_at is not None and time.monotonic() > self._kill_at and self._process.is_alive():
            self._process.kill()
        alive = self._process.is_alive()
        out = self._drain()
        if not alive and not self.done:
            out += self._drain()  # whatever the child flushed before it ended
            if not self.done:
                self._process.join()
                code = self._process.exitcode
                self.done = True
                out.append(Failed(_death(code, self._kill_at is not None, self.task), code))
        if self.done:
            atexit.unregister(self._end_at_exit)
        return out

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Ask the run to end after its current step; kill the child if it is still there after grace seconds."""
        self._stop.set()
        if self._kill_at is None:
            self._kill_at = time.monotonic() + grace

    def kill(self) -> None:
        """End the child at once (its last epoch's checkpoint stays)."""
        self._kill_at = time.monotonic()
        self._process.kill()

    def close(self, grace: float = STOP_GRACE_S) -> threading.Thread:
        """stop(grace), then see the child end in a background thread, so the caller does not wait. The thread
        is not a daemon: an exiting owner waits for it, so the child never outlives its owner."""
        self.stop(grace)
        thread = threading.Thread(target=self.wait, name="netbuilder-train-close")
        thread.start()
        return thread

    def wait(self, timeout: float | None = None, interval: float = 0.05) -> list[Event]:
        """Poll until done and the child has exited (or timeout seconds), returning every event."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out: list[Event] = []
        while not self.done and (deadline is None or time.monotonic() < deadline):
            out += self.poll()
            if not self.done:
                time.sleep(interval)
        if self.done:
            self._process.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return out

    def _drain(self) -> list[Event]:
        out = []
        while True:
            try:
                event = self._events.get_nowait()
            except (queue.Empty, EOFError, OSError):
                return out
            out.append(event)
            if isinstance(event, (*TERMINAL, LRFound)):
                self.done = True


def _death(code: int | None, killed_by_us: bool, task: str = TRAIN) -> str:
    if task == LR_FIND:
        how = "was ended" if killed_by_us else f"was killed by signal {-code}" if code is not None and code < 0 else ""
        return (
            f"The learning-rate search's process {how or 'ended unexpectedly'} (exit code {code}) before it "
            f"finished; click Find learning rate to run it again."
        )
    if killed_by_us:
        return (
            f"The training process was ended (exit code {code}) before it finished; the last finished "
            f"epoch's checkpoint is kept."
        )
    if code is not None and code < 0:
        return (
            f"The training process was killed by signal {-code} (exit code {code}), perhaps by the system "
            f"for lack of memory; try a smaller batch size, or resume from the last checkpoint."
        )
    return (
        f"The training process ended unexpectedly with exit code {code}; resume it from the last "
        f"checkpoint, or start it again."
    )
