"""A run's folder: config.json, network.json, metrics.jsonl (one event a line), last.pt and best.pt, summary.json.

Reading a folder needs no torch; only checkpoints import it. Checkpoints are torch.save'd dicts of state_dicts
and plain values, loaded back with weights_only=True.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.core.document import Document, DocumentError, dumps, load, write_atomic
from netbuilder.train import events as ev
from netbuilder.train.config import TrainConfig
from netbuilder.train.errors import TrainError

CONFIG, NETWORK, METRICS, SUMMARY = "config.json", "network.json", "metrics.jsonl", "summary.json"
SAMPLES = "samples.npz"  # the test images of the samples an Evaluated event names
CHECKPOINTS = {"last": "last.pt", "best": "best.pt"}


class Run:
    """One run's folder on disk."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: str | os.PathLike, document: Document, config: TrainConfig) -> Run:
        """A new folder with the settings and the network; an existing run there is never overwritten."""
        run = cls(path)
        if run.path.exists() and any(run.path.iterdir()):
            raise TrainError(f"{run.path} already holds files; choose another --out, or continue a run there "
                             f"with --resume {run.path}.")
        run.path.mkdir(parents=True, exist_ok=True)
        write_atomic(run.path / NETWORK, dumps(document))
        run.write_config(config)
        return run

    @classmethod
    def open(cls, path: str | os.PathLike) -> Run:
        run = cls(path)
        if not (run.path / CONFIG).is_file():
            raise TrainError(f"{run.path} is not a run folder (it has no {CONFIG}); give the folder a training "
                             f"run wrote, such as runs/NAME.")
        return run

    # Settings and network ----------------------------------------------------------------------

    @property
    def config(self) -> TrainConfig:
        try:
            return TrainConfig.from_dict(json.loads((self.path / CONFIG).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as e:
            raise TrainError(f"{self.path / CONFIG} cannot be read ({e}).") from None

    def write_config(self, config: TrainConfig) -> None:
        write_atomic(self.path / CONFIG, json.dumps(config.to_dict(), indent=2) + "\n")

    @property
    def document(self) -> Document:
        try:
            return load(self.path / NETWORK)
        except DocumentError as e:
            raise TrainError(str(e)) from None

    # Events ------------------------------------------------------------------------------------

    def log(self, event: ev.Event) -> None:
        """Append one event as a line, with the time it was written."""
        line = json.dumps({**event.to_dict(), "time": round(time.time(), 3)})
        with open(self.path / METRICS, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def events(self) -> list[ev.Event]:
        """The logged events in order (a line cut short by a crash is skipped)."""
        return [event for event, _ in self.timed_events()]

    def timed_events(self) -> list[tuple[ev.Event, float | None]]:
        """The logged events in order, each with the time it was written (seconds since the epoch)."""
        try:
            lines = (self.path / METRICS).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                data = json.loads(line)
                out.append((ev.from_dict(data), data.get("time")))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        return out

    def save_samples(self, indices: list[int], images: np.ndarray) -> None:
        """The images of the test samples an Evaluated event names, by their index in the test set."""
        fd, tmp = tempfile.mkstemp(prefix=f".{SAMPLES}.", suffix=".tmp", dir=self.path)
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, index=np.asarray(indices, dtype=np.int64), images=images)
        os.replace(tmp, self.path / SAMPLES)

    def samples(self) -> dict[int, np.ndarray]:
        """Test images by index, as saved with the evaluation; empty when there are none."""
        try:
            with np.load(self.path / SAMPLES, allow_pickle=False) as data:
                return dict(zip(data["index"].tolist(), data["images"]))
        except (OSError, ValueError, KeyError):
            return {}

    def rewind(self, epoch: int) -> None:
        """Forget the events after epoch's checkpoint, so a resumed run continues one clean curve."""
        lines = (self.path / METRICS).read_text(encoding="utf-8").splitlines(keepends=True)
        keep = 0
        for i, line in enumerate(lines):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if data.get("event") == ev.Checkpoint.kind and data.get("epoch") == epoch:
                keep = i + 1
        write_atomic(self.path / METRICS, "".join(lines[:keep]))

    # Checkpoints -------------------------------------------------------------------------------

    def checkpoint_path(self, which: str = "last") -> Path:
        return self.path / CHECKPOINTS[which]

    def save_checkpoint(self, state: dict[str, Any], best: bool) -> Path:
        """last.pt gets the whole state; best.pt, when best, the model's weights and the epoch."""
        _save(state, self.checkpoint_path("last"))
        if best:
            _save({"model": state["model"], "epoch": state["epoch"]}, self.checkpoint_path("best"))
        return self.checkpoint_path("last")

    def load_checkpoint(self, which: str = "last") -> dict[str, Any]:
        import torch

        path = self.checkpoint_path(which)
        if not path.is_file():
            raise TrainError(f"{self.path} has no {which} checkpoint yet (no epoch finished); train it again "
                             f"without --resume.")
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # a damaged or foreign file: torch raises many kinds
            raise TrainError(f"The checkpoint {path} cannot be read ({type(e).__name__}); delete it, or train "
                             f"again.") from None

    # Summary -----------------------------------------------------------------------------------

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_atomic(self.path / SUMMARY, json.dumps(summary, indent=2) + "\n")

    @property
    def summary(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.path / SUMMARY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def _save(state: dict[str, Any], path: Path) -> None:
    import torch

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summarize(final: ev.Event, evaluated: ev.Evaluated | None) -> dict[str, Any]:
    """summary.json: how the run ended, and the test results when there are some."""
    if isinstance(final, ev.Failed):
        out: dict[str, Any] = {"status": "failed", "message": final.message}
    else:
        assert isinstance(final, ev.Finished)
        out = {"status": "stopped" if final.stopped else "completed", **final.to_dict()}
        del out["event"], out["stopped"]
    if evaluated is not None:
        out["test"] = {k: v for k, v in evaluated.to_dict().items() if k != "event"}
    return out


def list_runs(root: str | os.PathLike) -> list[Run]:
    """The run folders directly under root, the most recently changed first."""
    base = Path(root)
    if not base.is_dir():
        return []
    found = [Run(p) for p in base.iterdir() if (p / CONFIG).is_file()]
    return sorted(found, key=lambda r: (r.path / CONFIG).stat().st_mtime, reverse=True)


def new_path(root: str | os.PathLike, name: str) -> Path:
    """root/NAME-YYYYmmdd-HHMMSS, with NAME reduced to letters, digits, - and _."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "run"
    return Path(root) / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
