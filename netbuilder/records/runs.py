"""A run's folder: config.json, network.json, metrics.jsonl (one event a line), last.pt and best.pt, summary.json.

Reading a folder needs no torch; only checkpoints import it. Checkpoints are torch.save'd dicts of state_dicts
and plain values, loaded back with weights_only=True.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.core.atomic import clean_leftovers, write_atomic, write_text_atomic
from netbuilder.core.document import Document, DocumentError, dumps, load
from netbuilder.core.text import quote
from netbuilder.train import events as ev
from netbuilder.train.config import TrainConfig
from netbuilder.train.errors import TrainError

CONFIG, NETWORK, METRICS, SUMMARY = "config.json", "network.json", "metrics.jsonl", "summary.json"
TRIAL = "trial.json"  # a search's runs only: the study and trial the run belongs to
SAMPLES = "samples.npz"  # the test images of the samples an Evaluated event names
CHECKPOINTS = {"last": "last.pt", "best": "best.pt"}
NAME_BYTES = 80  # of the network's name in a new run folder's (a file name holds at most 255)


def parse_line(line: str) -> tuple[ev.Event, float | None] | None:
    """One line of metrics.jsonl: its event and the time it was written; None for a line cut short by a crash."""
    try:
        data = json.loads(line)
        return ev.from_dict(data), data.get("time")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class TrialTag:
    """Which study and trial of a search a run is, and the values the trial tried."""

    study: str
    number: int
    params: dict[str, Any]
    storage: str = ""


class Run:
    """One run's folder on disk."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: str | os.PathLike, document: Document, config: TrainConfig) -> Run:
        """A new folder with the settings and the network; an existing run there is never overwritten."""
        run = cls(path)
        check_folder(run.path)
        if run.path.exists() and any(run.path.iterdir()):
            raise TrainError(
                f"{run.path} already holds files; choose another --out, or continue a run there "
                f"with --resume {run.path}."
            )
        run.path.mkdir(parents=True, exist_ok=True)
        write_text_atomic(run.path / NETWORK, dumps(document))
        run.write_config(config)
        return run

    @classmethod
    def open(cls, path: str | os.PathLike) -> Run:
        run = cls(path)
        if not (run.path / CONFIG).is_file():
            raise TrainError(
                f"{run.path} is not a run folder (it has no {CONFIG}); give the folder a training "
                f"run wrote, such as runs/NAME."
            )
        return run

    # Settings and network ----------------------------------------------------------------------

    @property
    def config(self) -> TrainConfig:
        try:
            return TrainConfig.from_dict(json.loads((self.path / CONFIG).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as e:
            raise TrainError(f"{self.path / CONFIG} cannot be read ({e}).") from None

    def write_config(self, config: TrainConfig) -> None:
        write_text_atomic(self.path / CONFIG, json.dumps(config.to_dict(), indent=2) + "\n")

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
        return [timed for line in lines if (timed := parse_line(line)) is not None]

    def save_samples(self, indices: list[int], images: np.ndarray) -> None:
        """The images of the test samples an Evaluated event names, by their index in the test set."""
        write_atomic(
            self.path / SAMPLES,
            lambda f: np.savez_compressed(f, index=np.asarray(indices, dtype=np.int64), images=images),
        )

    def samples(self) -> dict[int, np.ndarray]:
        """Test images by index, as saved with the evaluation; empty when there are none."""
        try:
            with np.load(self.path / SAMPLES, allow_pickle=False) as data:
                return dict(zip(data["index"].tolist(), data["images"]))
        except (OSError, ValueError, KeyError):
            return {}

    def rewind(self, checkpoint: dict[str, Any]) -> None:
        """Forget the events after the checkpoint's epoch, so a resumed run continues one clean curve.

        A kill can fall anywhere in an epoch's end (its metrics are logged, then last.pt, best.pt and the
        checkpoint event written): every line about an epoch up to the checkpoint's stays, the checkpoint event
        is logged from the checkpoint itself when it is missing, best.pt is made to agree with it, and the
        leftovers of interrupted saves are removed."""
        for name in (METRICS, SAMPLES, SUMMARY, *CHECKPOINTS.values()):
            clean_leftovers(self.path / name)
        epoch = checkpoint["epoch"]
        lines = (self.path / METRICS).read_text(encoding="utf-8").splitlines(keepends=True)
        keep, logged = 0, False
        for i, line in enumerate(lines):
            try:
                data = json.loads(line)
                kind, at = data["event"], data["epoch"]
            except (ValueError, TypeError, KeyError):
                continue
            if isinstance(at, int) and at <= epoch:
                keep, logged = i + 1, kind == ev.Checkpoint.kind and at == epoch
        write_text_atomic(self.path / METRICS, "".join(lines[:keep]))
        best = bool(checkpoint.get("best"))
        if best and epoch > 0 and _epoch_of(self.checkpoint_path("best")) != epoch:
            _save({"model": checkpoint["model"], "epoch": epoch}, self.checkpoint_path("best"))
        if epoch > 0 and not logged:
            self.log(ev.Checkpoint(epoch, str(self.checkpoint_path("last")), best))

    # Checkpoints -------------------------------------------------------------------------------

    def checkpoint_path(self, which: str = "last") -> Path:
        return self.path / CHECKPOINTS[which]

    def save_checkpoint(self, state: dict[str, Any], best: bool) -> Path:
        """last.pt gets the whole state and whether its epoch was the best; best.pt, when best, the model's
        weights and the epoch."""
        _save({**state, "best": best}, self.checkpoint_path("last"))
        if best:
            _save({"model": state["model"], "epoch": state["epoch"]}, self.checkpoint_path("best"))
        return self.checkpoint_path("last")

    def load_checkpoint(self, which: str = "last") -> dict[str, Any]:
        """The checkpoint as saved, its layout checked (a "model" dict of tensors, a whole "epoch"), with
        "path": where it was read from."""
        path = self.checkpoint_path(which)
        if not path.is_file():
            raise TrainError(
                f"{self.path} has no {which} checkpoint yet (no epoch finished); train it again without --resume."
            )
        data = _load(path)
        problem = _layout_problem(data)
        if problem:
            raise TrainError(
                f"{path.name} in {self.path} is not a checkpoint of this run ({problem}); delete it, or train again."
            )
        return {**data, "path": path}

    def model_weights(self) -> dict[str, Any]:
        """The trained network's state_dict: the best checkpoint's, or the last's where there is no best."""
        return self.load_checkpoint("best" if self.checkpoint_path("best").is_file() else "last")["model"]

    # Summary -----------------------------------------------------------------------------------

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_text_atomic(self.path / SUMMARY, json.dumps(summary, indent=2) + "\n")

    @property
    def summary(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.path / SUMMARY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # A search's trial --------------------------------------------------------------------------

    def write_trial(self, tag: TrialTag) -> None:
        """Tag the run as a trial of a study (trial.json), as soon as its folder exists."""
        write_text_atomic(self.path / TRIAL, json.dumps(asdict(tag), indent=2) + "\n")

    @property
    def trial(self) -> TrialTag | None:
        """The study and trial this run belongs to, or None for a run of its own (or an unreadable tag)."""
        try:
            data = json.loads((self.path / TRIAL).read_text(encoding="utf-8"))
            return TrialTag(str(data["study"]), int(data["number"]), dict(data["params"]), str(data.get("storage", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def tag_summary(self, study: str, number: int, outcome: str | None = None) -> None:
        """Add the study, the trial number and (for a pruned trial) its outcome to summary.json, if it has one."""
        summary = self.summary
        if summary is None:
            return
        summary.update({"study": study, "trial": number})
        if outcome:
            summary["search"] = outcome
        self.write_summary(summary)


def restore(checkpoint: dict[str, Any], net: Any, optimizer: Any = None, scaler: Any = None) -> None:
    """Put a checkpoint's weights into net (and its state into the optimizer and the scaler, where it has
    one); a checkpoint that does not fit is one sentence."""
    path = checkpoint["path"]
    where = f"{path.name} in {path.parent} does not match its {NETWORK}"
    mismatch = _mismatch(checkpoint["model"], net.state_dict())
    if mismatch:
        raise TrainError(f"{where}: {mismatch}.")
    try:
        net.load_state_dict(checkpoint["model"])
        if optimizer is not None and checkpoint.get("optimizer"):
            optimizer.load_state_dict(checkpoint["optimizer"])
        if scaler is not None and checkpoint.get("scaler"):
            scaler.load_state_dict(checkpoint["scaler"])
    except Exception as e:  # torch's own checks, in many kinds and many lines
        raise TrainError(f"{where}: its saved state does not fit ({type(e).__name__}).") from None


def _save(state: dict[str, Any], path: Path) -> None:
    import torch  # start-up time: the window reads runs without torch; checkpoints need it

    write_atomic(path, lambda f: torch.save(state, f))


def _load(path: Path) -> Any:
    import torch  # start-up time: the window reads runs without torch; checkpoints need it

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a damaged or foreign file: torch raises many kinds
        raise TrainError(
            f"The checkpoint {path} cannot be read ({type(e).__name__}); delete it, or train again."
        ) from None


def _epoch_of(path: Path) -> int | None:
    """The epoch a checkpoint file holds, or None when it is missing or unreadable."""
    try:
        data = _load(path)
    except TrainError:
        return None
    return data.get("epoch") if isinstance(data, dict) else None


def _layout_problem(data: Any) -> str | None:
    """What keeps data from being a checkpoint, in a few words; None when it is one."""
    import torch  # start-up time: the window reads runs without torch; checkpoints need it

    if not isinstance(data, dict):
        return f"it holds a {type(data).__name__}, not a dict"
    model, epoch = data.get("model"), data.get("epoch")
    if not isinstance(model, dict) or not all(isinstance(v, torch.Tensor) for v in model.values()):
        return "it holds no model weights"
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        return "it holds no epoch"
    return None


def _mismatch(saved: dict[Any, Any], expected: dict[str, Any]) -> str | None:
    """How saved weights differ from a network's (by name and shape), or None when they fit."""
    missing = [k for k in expected if k not in saved]
    unknown = [k for k in saved if k not in expected]
    other = [k for k in expected if k in saved and tuple(saved[k].shape) != tuple(expected[k].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing weights, first {quote(missing[0])}")
    if unknown:
        parts.append(f"{len(unknown)} unknown weights, first {quote(unknown[0])}")
    if other:
        k = other[0]
        parts.append(
            f"{len(other)} of another shape, first {quote(k)} ({list(saved[k].shape)} instead of "
            f"{list(expected[k].shape)})"
        )
    return ", ".join(parts) or None


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


def default_root() -> Path:
    """Where runs go unless told otherwise, from the window and the command line alike: the runs folder in the
    app's data folder ($NETBUILDER_HOME/runs when that is set). The same folder as Qt's AppDataLocation for the
    app (organisation and application NetBuilder), found without Qt so the command line needs none."""
    home = os.environ.get("NETBUILDER_HOME")
    if home:
        return Path(home) / "runs"
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "NetBuilder" / "NetBuilder" / "runs"


def check_folder(path: str | os.PathLike, advice: str = "choose another folder") -> None:
    """Refuse with a sentence (TrainError) a folder that cannot be made or written to, before anything is written:
    a file there or above it, or a folder this process may not write in; advice ends the sentence."""
    target = Path(path).absolute()
    existing = target
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == target else f"is under {existing}, which is a file"
        raise TrainError(f"{target} {what}, not a folder; {advice}.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise TrainError(f"{target} cannot be written to ({existing} is read-only); {advice}.")


def list_runs(root: str | os.PathLike) -> list[Run]:
    """The run folders directly under root, the most recently changed first."""
    base = Path(root)
    if not base.is_dir():
        return []
    found = [Run(p) for p in base.iterdir() if (p / CONFIG).is_file()]
    return sorted(found, key=lambda r: (r.path / CONFIG).stat().st_mtime, reverse=True)


def new_path(root: str | os.PathLike, name: str) -> Path:
    """root/NAME-YYYYmmdd-HHMMSS, NAME being the network's name reduced to letters and digits (of any script),
    - and _, and cut to NAME_BYTES: no control character, separator, dot or shell character reaches the disk."""
    slug = re.sub(r"[^\w-]+", "-", name).strip("-")
    slug = slug.encode()[:NAME_BYTES].decode(errors="ignore").rstrip("-") or "run"
    return Path(root) / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
