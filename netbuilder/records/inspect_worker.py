"""The feature-map worker: a spawned child process that holds a network warm and answers requests for every
block's maps of an image, so the window never imports torch and never waits.

Protocol (plain picklable dicts over two one-way pipes; every request carries all it needs, so a fresh worker can
answer any of them):

    request  {"op": "maps", "id": N, "document": JSON text, "weights": {"kind": "random", "seed": S} |
              {"kind": "run", "run": DIR, "checkpoint": "best"|"last"}, "config": TrainConfig dict,
              "image": {"path": FILE} | {"sample": INDEX}}
             {"op": "wait", "id": N, "seconds": S}   (answers after S seconds: a stand-in for a long request)
             {"op": "stop"}                           (the worker ends; so does it when the owner's end closes)
    reply    {"id": N, "ok": True, "result": features.Result}  |  {"id": N, "ok": False, "error": SENTENCE}

The worker keeps the last network it built (the same document, weights and settings reuse it; a run's checkpoint
that changed on disk is read again). No Qt here: the owner calls poll() from its own loop (the panel on a timer).
A worker that dies is a sentence for each request it had not answered, and the next request starts a new one.
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from netbuilder.records import process

NICENESS = 5  # the window comes first
SERVE = "netbuilder.train.feature_maps:serve"  # the worker's work, named so that the owner never imports torch


@dataclass
class Reply:
    id: int
    ok: bool
    result: Any = None  # features.Result for "maps"
    error: str | None = None


class InspectWorker:
    """The owner's side: request() sends (starting a worker when none is alive), poll() collects replies without
    waiting. Sending and receiving happen on two small threads, so neither call ever blocks the owner."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._process: Any = None
        self._outbox: queue.Queue | None = None
        self._inbox: queue.Queue = queue.Queue()
        self._pending: set[int] = set()
        self.starts = 0  # how many workers this owner has started

    # The process ---------------------------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def start(self) -> None:
        """Start a worker unless one is alive (the panel calls this when it opens, so the first image is quick)."""
        if self.alive:
            return
        ctx = mp.get_context("spawn")
        req_read, req_write = ctx.Pipe(duplex=False)
        rep_read, rep_write = ctx.Pipe(duplex=False)
        args = (SERVE, NICENESS, req_read, rep_write)
        proc = ctx.Process(target=process.run_child, name="netbuilder-inspect", args=args, daemon=True)
        proc.start()
        req_read.close()
        rep_write.close()  # so the reader sees the end of the pipe when the worker dies
        outbox: queue.Queue = queue.Queue()
        inbox = self._inbox
        threading.Thread(target=_write, args=(req_write, outbox), name="netbuilder-inspect-send", daemon=True).start()
        threading.Thread(
            target=_read, args=(rep_read, inbox, proc), name="netbuilder-inspect-read", daemon=True
        ).start()
        self._process, self._outbox = proc, outbox
        self.starts += 1
        atexit.register(self._end_at_exit)

    def request(self, message: dict[str, Any]) -> int:
        """Send a request (a fresh worker when the last one died); its id, which the reply will carry."""
        self.start()
        rid = next(self._ids)
        self._pending.add(rid)
        assert self._outbox is not None
        self._outbox.put({**message, "id": rid})
        return rid

    def poll(self) -> list[Reply]:
        """The replies that arrived, without waiting; when the worker died, a sentence for each unanswered request."""
        out: list[Reply] = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, dict):
                rid = item.get("id", -1)
                if rid in self._pending:
                    self._pending.discard(rid)
                    out.append(Reply(rid, bool(item.get("ok")), item.get("result"), item.get("error")))
            elif item is self._process:  # its reader saw the pipe close: every reply it sent is in already
                self._died(out)
        return out

    def _died(self, out: list[Reply]) -> None:
        proc = self._process
        if proc is None:
            return
        proc.join(0.5)
        code = proc.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"ended with exit code {code}"
        for rid in sorted(self._pending):
            out.append(
                Reply(
                    rid,
                    False,
                    error=f"The feature-map worker {how} before answering (perhaps for lack of memory); "
                    f"choose the image again to start a new one.",
                )
            )
        self._pending.clear()
        self._process, self._outbox = None, None
        atexit.unregister(self._end_at_exit)

    def wait(self, timeout: float = 60.0, interval: float = 0.01) -> list[Reply]:
        """Poll until every request is answered (or timeout seconds): for tests and the CLI."""
        deadline = time.monotonic() + timeout
        out = self.poll()
        while self._pending and time.monotonic() < deadline:
            time.sleep(interval)
            out += self.poll()
        return out

    def kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()

    def close(self) -> None:
        """Ask the worker to end, and kill it if it has not within a second (in a thread: the owner never waits)."""
        proc, outbox = self._process, self._outbox
        self._process, self._outbox = None, None
        self._pending.clear()
        if proc is None:
            return
        atexit.unregister(self._end_at_exit)
        if outbox is not None:
            outbox.put({"op": "stop"})
            outbox.put(None)

        def finish() -> None:
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)

        threading.Thread(target=finish, name="netbuilder-inspect-close", daemon=True).start()

    def _end_at_exit(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()


def _write(conn: Connection, outbox: queue.Queue) -> None:
    while True:
        message = outbox.get()
        if message is None:
            break
        try:
            conn.send(message)
        except (OSError, ValueError):
            break
    conn.close()


def _read(conn: Connection, inbox: queue.Queue, proc: Any) -> None:
    while True:
        try:
            inbox.put(conn.recv())
        except (EOFError, OSError, ValueError):
            break
        except Exception:  # a message cut short when the worker died mid-send
            break
    conn.close()
    inbox.put(proc)  # the worker's end is closed: it has ended (or is ending)
