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
import json
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from netbuilder.core.document import DocumentError, parse
from netbuilder.train import process
from netbuilder.train.config import TrainConfig
from netbuilder.train.errors import TrainError

NICENESS = 5  # the window comes first


@dataclass
class Reply:
    id: int
    ok: bool
    result: Any = None  # features.Result for "maps"
    error: str | None = None


def _weights_key(weights: dict[str, Any]) -> str:
    """The weights as a key that changes when a run's checkpoint files change on disk."""
    stamps = []
    if weights.get("kind") == "run":
        for name in ("best.pt", "last.pt"):
            try:
                stamps.append((Path(weights["run"]) / name).stat().st_mtime_ns)
            except OSError:
                stamps.append(None)
    return json.dumps([weights, stamps], sort_keys=True, default=str)


def _serve(requests: Connection, replies: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the owner's terminal is the owner's to handle
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    process.prepare()
    import torch  # start-up time: torch only in the worker process, after process.prepare()

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    from netbuilder.train import feature_maps  # start-up time: torch, as above

    held: tuple[tuple[str, str, str], Any] | None = None
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return  # the owner is gone
        op = request.get("op")
        if op == "stop":
            return
        rid = request.get("id", -1)
        try:
            if op == "wait":
                time.sleep(float(request.get("seconds", 0)))
                reply = {"id": rid, "ok": True, "result": None}
            elif op == "maps":
                key = (request["document"], _weights_key(request["weights"]), json.dumps(request["config"]))
                if held is None or held[0] != key:
                    held = None
                    try:
                        document = parse(request["document"])
                    except DocumentError as e:
                        raise TrainError(str(e)) from None
                    config = TrainConfig.from_dict(request["config"])
                    held = (key, feature_maps.load_network(document, request["weights"], config))
                result = feature_maps.compute(held[1], request["image"])
                reply = {"id": rid, "ok": True, "result": result}
            else:
                reply = {"id": rid, "ok": False, "error": f"The feature-map worker does not know {op!r}."}
        except TrainError as e:
            reply = {"id": rid, "ok": False, "error": str(e)}
        except Exception as e:  # anything else is still one sentence, and the worker stays
            reply = {"id": rid, "ok": False, "error": f"Computing the feature maps failed ({type(e).__name__}: {e})."}
        try:
            replies.send(reply)
        except (OSError, ValueError):
            return


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
        proc = ctx.Process(target=_serve, name="netbuilder-inspect", args=(req_read, rep_write), daemon=True)
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
