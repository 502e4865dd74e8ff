"""A run's folder: config.json, network.json, metrics.jsonl (one event a line), last.pt and best.pt, summary.json.

No torch: the window reads run folders; reading and writing the checkpoints in them is train.checkpoints.
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
from netbuilder.core.initial import InitError, InitWeights
from netbuilder.records import events as ev
from netbuilder.records.config import TrainConfig
from netbuilder.records.train_error import TrainError

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
        is logged from the checkpoint itself when it is missing, and the leftovers of interrupted saves are removed
        (train.checkpoints.rewind also makes best.pt agree with it)."""
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
        if epoch > 0 and not logged:
            self.log(ev.Checkpoint(epoch, str(self.checkpoint_path("last")), bool(checkpoint.get("best"))))

    # Checkpoints -------------------------------------------------------------------------------

    def checkpoint_path(self, which: str = "last") -> Path:
        return self.path / CHECKPOINTS[which]

    def weights_path(self) -> Path:
        """The checkpoint holding the run's trained weights: best.pt, else last.pt (which may not exist yet)."""
        best = self.checkpoint_path("best")
        return best if best.is_file() else self.checkpoint_path("last")

    def initial_weights(self) -> InitWeights:
        """Its trained weights as a network's initial weights; InitError before an epoch has finished."""
        path = self.weights_path()
        if not path.is_file():
            raise InitError(f"{self.path} has no checkpoint yet (no epoch finished); train it first, or name another.")
        return InitWeights.of_file(path)

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


def initial_weights(spec: str | os.PathLike) -> InitWeights:
    """--init's weights: a run folder's trained weights or a weights file's, as they are now; InitError when
    there are none."""
    path = Path(spec)
    if not path.is_dir():
        return InitWeights.of_file(path)
    try:
        return Run.open(path).initial_weights()
    except TrainError as e:
        raise InitError(str(e)) from None


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
