"""A search over a document's search space with Optuna: each trial is an ordinary run in the runs folder.

Optuna is imported here and in the CLI path only, never in the window's process. A study lives in its storage
(an SQLite file in the runs folder by default, or any SQLAlchemy URL): it resumes after a restart, and several
processes on one storage share it. The trial's value is the best validation accuracy of its run (maximised),
reported per epoch so the pruner can stop a poor trial early; a combination that gives an invalid network is
pruned with its sentence in the trial's user attribute "invalid".
"""

from __future__ import annotations

import math
import os
import random
import socket
import sqlite3
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy.exc

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document, dumps, parse
from netbuilder.core.search_space import INTEGER_KINDS, Choice, split
from netbuilder.records import runs
from netbuilder.records.config import TrainConfig, settings
from netbuilder.records.events import EpochMetrics, Event, Failed, Finished, Started
from netbuilder.records.search_settings import STORAGE_FILE, check_blocks, check_training
from netbuilder.records.train_error import TrainError

__all__ = ["Study", "load", "optimize", "summary"]
HEARTBEAT_S, GRACE_S = 10, 30  # a trial whose process died is marked failed after GRACE_S without a heartbeat
TRIES = 5  # opening a storage that another process is creating at the same moment
# What SQLAlchemy says when two processes create a storage's tables at once (both create them, or both record
# the schema's version): the second tries again and finds them made.
CREATING = ("already exists", "locked", "UNIQUE constraint failed", "duplicate key")
NETWORK_ATTR, CONFIG_ATTR = "network", "config"  # the study's user attributes: what it searches, from where
OWNER_ATTR = "owner"  # a trial's user attribute: the process running it (host, pid, start), to notice its death
# What a storage that is damaged or not a study storage raises once open (Optuna wraps some, SQLAlchemy the rest).
STORAGE_ERRORS = (optuna.exceptions.StorageInternalError, sqlalchemy.exc.SQLAlchemyError, sqlite3.DatabaseError)


def default_storage(root: str | os.PathLike) -> str:
    """The SQLite file in the runs folder that holds studies unless --storage says otherwise."""
    return f"sqlite:///{Path(root).resolve() / STORAGE_FILE}"


def storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage at a SQLAlchemy URL, with a heartbeat so a killed process's trial does not stay running;
    SQLite waits for a lock instead of failing when several processes share the file."""
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # a failed trial is a row, not a traceback
    for attempt in range(TRIES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=kwargs, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S
                )
        except Exception as e:  # SQLAlchemy's many kinds: a bad URL, a missing driver, a file that is no database
            if attempt + 1 < TRIES and any(words in str(e) for words in CREATING):
                time.sleep(0.2 * (attempt + 1) * (1 + random.random()))  # another process is creating the tables
                continue
            raise TrainError(f"The study storage {url} cannot be opened ({_first_line(e)}).") from None
    raise AssertionError("unreachable")


def storage_sentence(url: str, error: BaseException) -> str:
    """The sentence for a storage that opened but cannot be read or written (a corrupt page, a foreign file)."""
    while error.__cause__ or error.__context__:  # the database's own words, not Optuna's wrapper
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return (
        f"The study storage {url} cannot be read ({_first_line(error)}); it may be damaged: restore it from a copy, "
        "or give another --storage."
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def _integer(document: Document, key: str) -> bool:
    """Whether a range key takes whole numbers (by its setting's or its block parameter's kind)."""
    nid, dot, param = key.partition(".")
    if not dot:
        spec = next(s for s in settings() if s.name == key)
    else:
        block = REGISTRY.get(document.graph.nodes[nid].type)
        spec = next((s for s in block.params if s.name == param), None) if block else None
    return spec is None or spec.kind in INTEGER_KINDS


def suggest(trial: optuna.Trial, document: Document) -> dict[str, Any]:
    """The trial's value of every key of the document's search space."""
    values = {}
    for key, dim in document.search.items(document.graph):
        if isinstance(dim, Choice):
            values[key] = trial.suggest_categorical(key, list(dim.values))
        elif _integer(document, key):
            values[key] = trial.suggest_int(key, int(dim.low), int(dim.high), log=dim.log)
        else:
            values[key] = trial.suggest_float(key, float(dim.low), float(dim.high), log=dim.log)
    return values


@dataclass
class Study:
    """What to search and how: the network with its space, the base settings, where trials and runs go."""

    document: Document
    config: TrainConfig
    name: str
    storage_url: str
    runs_root: Path
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int | None = None

    def open(self) -> optuna.Study:
        """The study in its storage, created on first use (with the network and settings it searches)."""
        sampler = (
            optuna.samplers.RandomSampler(seed=self.seed)
            if self.sampler == "random"
            else optuna.samplers.TPESampler(seed=self.seed)
        )
        epochs = self.document.search.training.get("epochs")
        most = max(epochs.values) if isinstance(epochs, Choice) else epochs.high if epochs else self.config.epochs
        pruner = (
            optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, int(most)))
            if self.pruner == "hyperband"
            else optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
        )
        study = optuna.create_study(
            study_name=self.name,
            storage=storage(self.storage_url),
            sampler=sampler,
            pruner=pruner,
            direction="maximize",
            load_if_exists=True,
        )
        if NETWORK_ATTR not in study.user_attrs:
            study.set_user_attr(NETWORK_ATTR, dumps(self.document))
            study.set_user_attr(CONFIG_ATTR, self.config.to_dict())
        return study

    def objective(
        self, listener: Callable[[optuna.Trial, Event], None], should_stop: Callable[[], bool]
    ) -> Callable[[optuna.Trial], float]:
        def run_trial(trial: optuna.Trial) -> float:
            return self._trial(trial, listener, should_stop)

        return run_trial

    def _trial(
        self, trial: optuna.Trial, listener: Callable[[optuna.Trial, Event], None], should_stop: Callable[[], bool]
    ) -> float:
        from netbuilder.train.job import execute  # start-up time: torch, only when a trial runs

        trial.set_user_attr(OWNER_ATTR, _owner())
        values = suggest(trial, self.document)
        blocks, training = split(values)
        document = self.document.with_trial(values)
        result = check(document.graph)
        if not result.valid:
            sentence = result.errors[0] if result.errors else "The network is not valid."
            trial.set_user_attr("invalid", sentence)
            raise optuna.TrialPruned(sentence)
        try:
            config = self.config.replace(**training)
        except TrainError as e:
            trial.set_user_attr("invalid", str(e))
            raise optuna.TrialPruned(str(e)) from None
        out = runs.new_path(self.runs_root, f"{self.name}-trial{trial.number}")
        pruned = False

        def on_event(event: Event) -> None:
            nonlocal pruned
            if isinstance(event, Started):  # the folder exists from here on
                trial.set_user_attr("run_dir", str(out))
                runs.Run(out).write_trial(runs.TrialTag(self.name, trial.number, values, self.storage_url))
            elif isinstance(event, EpochMetrics) and event.val_accuracy is not None:
                trial.report(event.val_accuracy, event.epoch)
                # pruning after the last epoch would only throw a finished result away
                pruned = pruned or (event.epoch < event.epochs and trial.should_prune())
            listener(trial, event)

        last = execute(document, config, out, listener=on_event, should_stop=lambda: pruned or should_stop())
        runs.Run(out).tag_summary(self.name, trial.number, "pruned" if pruned else None)
        if isinstance(last, Failed):
            trial.set_user_attr("error", last.message)
            raise TrialFailed(last.message)
        assert isinstance(last, Finished)
        if pruned:
            raise optuna.TrialPruned(f"pruned after epoch {last.epochs_done}")
        if last.stopped:
            trial.set_user_attr("error", "stopped with the search")
            raise Interrupted("The search was asked to stop.")
        if last.test_accuracy is not None:
            trial.set_user_attr("test_accuracy", last.test_accuracy)
        value = last.best_val_accuracy if last.best_val_accuracy is not None else last.test_accuracy
        if value is None or not math.isfinite(value):
            message = "The run gave no validation or test accuracy; set a validation split."
            trial.set_user_attr("error", message)
            raise TrialFailed(message)
        return float(value)


def _owner() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _started(os.getpid())}


def _started(pid: int) -> int | None:
    """When the process began (clock ticks after boot, so a reused pid is told apart); None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return int(f.read().rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(owner: Any) -> bool:
    """Whether the process that runs a trial is still there; a trial of another host counts as alive (its
    heartbeat tells when it is not)."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return True
    pid = owner.get("pid")
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            if f.read().rpartition(")")[2].split()[0] == "Z":  # killed, not yet waited for
                return False
    except ProcessLookupError:
        return False
    except (OSError, TypeError, ValueError, OverflowError, IndexError):
        return True  # someone else's process, or no /proc: leave it to the heartbeat
    return _started(pid) == owner.get("start")


def retry_dead_trials(study: optuna.Study) -> list[int]:
    """Mark failed the running trials whose process on this host has ended (killed), and queue their values to be
    tried again; the numbers of the trials marked."""
    marked = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if _alive(trial.user_attrs.get(OWNER_ATTR)):
            continue
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "error", "its process ended while it ran")
            study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another process marked it first, and queued it again
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
        marked.append(trial.number)
    return marked


class TrialFailed(Exception):
    """A trial whose run failed; Optuna records it as failed and the study goes on."""


class Interrupted(Exception):
    """The search was asked to stop in the middle of a trial."""


def load(name: str | None, storage_url: str) -> optuna.Study:
    """An existing study (with no name, the storage's only one); TrainError when there is none by that name (a
    SQLite file that does not exist is not created)."""
    url = sqlalchemy.engine.make_url(storage_url) if storage_url.startswith("sqlite") else None
    if url is not None and url.database and url.database != ":memory:" and not Path(url.database).exists():
        raise TrainError(f"There is no study storage {storage_url} yet; start a study with a network file first.")
    found = storage(storage_url)
    if name is None:
        names = [s.study_name for s in optuna.get_all_study_summaries(found, include_best_trial=False)]
        if len(names) != 1:
            listed = f"it holds {', '.join(names)}" if names else "it holds no study yet"
            raise TrainError(f"Name the study to continue with --study NAME ({listed}).")
        name = names[0]
    try:
        return optuna.load_study(study_name=name, storage=found)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(found, include_best_trial=False)]
        hint = f" (studies there: {', '.join(names)})" if names else " (it holds no study yet)"
        raise TrainError(f"There is no study {name!r} in {storage_url}{hint}.") from None


def stored_document(study: optuna.Study) -> Document:
    """The network (with its search space) the study was started with."""
    text = study.user_attrs.get(NETWORK_ATTR)
    if not isinstance(text, str):
        raise TrainError(f"The study {study.study_name!r} holds no network; start it with a network file.")
    return parse(text, f"study {study.study_name}")


def stored_config(study: optuna.Study) -> TrainConfig | None:
    data = study.user_attrs.get(CONFIG_ATTR)
    return TrainConfig.from_dict(data) if isinstance(data, dict) else None


# Reports ---------------------------------------------------------------------------------------


def trial_row(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """A trial as plain JSON: number, state, params, value, seconds, run_dir, test_accuracy, note (why it was
    pruned or failed)."""
    seconds = (
        (trial.datetime_complete - trial.datetime_start).total_seconds()
        if trial.datetime_complete and trial.datetime_start
        else None
    )
    attrs = trial.user_attrs
    note = attrs.get("invalid") or attrs.get("error") or ""
    if not note and trial.state == optuna.trial.TrialState.PRUNED:
        last = trial.last_step
        note = f"pruned after epoch {last}" if last is not None else "pruned"
    return {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "params": trial.params,
        "value": trial.value,
        "seconds": None if seconds is None else round(seconds, 2),
        "run_dir": attrs.get("run_dir"),
        "test_accuracy": attrs.get("test_accuracy"),
        "note": note,
    }


def importances(study: optuna.Study) -> dict[str, float]:
    """How much each searched key explained the value (Optuna's fANOVA), or {} with too few finished trials."""
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(done) < 2:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = optuna.importance.get_param_importances(study)
        except ImportError:  # fANOVA needs scikit-learn; PED-ANOVA needs only numpy
            try:
                found = optuna.importance.get_param_importances(
                    study, evaluator=optuna.importance.PedAnovaImportanceEvaluator()
                )
            except (RuntimeError, ValueError, ZeroDivisionError):
                return {}
        except (RuntimeError, ValueError, ZeroDivisionError):
            return {}
    return {k: float(v) for k, v in found.items() if math.isfinite(v)}


def summary(study: optuna.Study, storage_url: str, with_importances: bool = True) -> dict[str, Any]:
    """The study as plain JSON: its trials, the best one and the importances; "network" is the document it
    searches (as file text), so a window can apply the best trial's params without Optuna."""
    trials = [trial_row(t) for t in study.trials]
    complete = [t for t in trials if t["state"] == "complete"]
    best = max(complete, key=lambda t: t["value"]) if complete else None
    return {
        "event": "study",
        "study": study.study_name,
        "storage": storage_url,
        "direction": "maximize",
        "metric": "best validation accuracy",
        "trials": trials,
        "best": best,
        "importances": importances(study) if with_importances else {},
        "network": study.user_attrs.get(NETWORK_ATTR),
    }


def network_text(document: Document) -> str:
    """The network a study searches, as text to compare: without the training settings saved with it (the
    study's own settings are its config)."""
    return dumps(replace(document, training={}))


def optimize(
    study_spec: Study,
    trials: int,
    timeout: float | None = None,
    on_trial: Callable[[dict[str, Any]], None] = lambda row: None,
    listener: Callable[[optuna.Trial, Event], None] = lambda trial, event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> optuna.Study:
    """Run trials more trials (or until timeout seconds), handing each finished trial's row to on_trial."""
    check_training(study_spec.document.search, study_spec.config)
    if not study_spec.document.search.items(study_spec.document.graph):
        raise TrainError(
            'The network searches nothing; mark a block parameter or a training setting "search" with a range '
            "or a list first."
        )
    check_blocks(study_spec.document)
    runs.check_folder(study_spec.runs_root, "give --runs a folder you can write to")
    study_spec.runs_root.mkdir(parents=True, exist_ok=True)
    study = study_spec.open()
    retry_dead_trials(study)
    if network_text(stored_document(study)) != network_text(study_spec.document):
        raise TrainError(
            f"The study {study_spec.name!r} searches another network; give another --study name, or leave out "
            "the network file to continue it."
        )
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # a failed trial is a row, not a traceback

    def callback(s: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        on_trial(trial_row(trial))
        if should_stop():
            s.stop()

    if trials > 0:
        try:
            study.optimize(
                study_spec.objective(listener, should_stop),
                n_trials=trials,
                timeout=timeout,
                catch=(TrialFailed,),
                callbacks=[callback],
                gc_after_trial=True,
            )
        except Interrupted:
            pass
    return study
