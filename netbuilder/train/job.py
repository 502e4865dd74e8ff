"""One training job in this process, from settings to summary: the run folder (written by the main process
only), the loop, a log line per event, and one sentence when it fails."""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from collections.abc import Callable
from typing import Any

from netbuilder.core import learning
from netbuilder.core.document import Document, parse
from netbuilder.core.errors import error_summary
from netbuilder.core.initial import InitError
from netbuilder.pytorch import init_weights
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Evaluated, Event, Failed, Finished
from netbuilder.records.runner import LR_FIND
from netbuilder.records.runs import Run, summarize
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints, distributed, lr_find
from netbuilder.train.distributed import World
from netbuilder.train.loop import Trainer

ERROR_LOG = "error.log"
UNEXPECTED = "Training stopped on an unexpected error."
TRIES = 3  # each closing step is tried again when an error (such as a dying worker's signal) interrupts it


def execute(
    document: Document,
    config: TrainConfig,
    out: str | os.PathLike,
    *,
    resume: bool = False,
    force: bool = False,
    listener: Callable[[Event], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Event:
    """Train document with config into the run folder out (or continue the run there from its last
    checkpoint), hand every event to listener (main process only), and return the last: Finished or Failed.
    force starts a run that the memory estimate says will not fit.

    Nothing is written until the data and the network are known to be usable, so a mistake leaves no folder.
    Once there is a folder, every failure ends in it with error.log and a summary.json saying "failed".
    """
    world = World.from_env()
    run: Run | None = None
    evaluated: Evaluated | None = None
    last: Event | None = None
    details = ""
    try:
        checkpoint = checkpoints.load(Run.open(out), "last") if resume else None
        trainer = Trainer(document, config, world)  # the folder keeps the settings as given
        # A resumed run takes its initial weights again (its checkpoint then replaces them): the same blocks are
        # learned ones, so fine-tuning's phases and rates are the ones the run began with.
        trainer.setup(checkpoint, force, document.init)
        if world.main:
            run = Run.open(out) if resume else Run.create(out, document, config)
            if checkpoint is not None:
                run.write_config(config)
                checkpoints.rewind(run, checkpoint)
            if trainer.init_report is not None and not resume:
                init_weights.save_report(trainer.init_report, run.path)
        for event in trainer.events(run, should_stop):
            if isinstance(event, Finished):
                last = event  # handed out below, once the summary is written
                continue
            if run is not None:
                run.log(event)
            if world.main:
                listener(event)
            if isinstance(event, Evaluated):
                evaluated = event
    except (TrainError, InitError) as e:
        last = Failed(str(e))
    except Exception as e:  # a bug, not the user's doing: a sentence here, the traceback in the folder
        last = Failed(_quietly(_unexpected, e, default=UNEXPECTED))
        details = _quietly(traceback.format_exc, default="")
    finally:
        _quietly(distributed.close)
    assert last is not None
    if run is not None:
        last = _end(run, last, evaluated, details, learning.summary(document.graph))
    if world.main:
        _quietly(listener, last)
    return last


def _unexpected(error: Exception) -> str:
    return f"Training stopped on an unexpected error ({error_summary(error)})."


def _end(run: Run, last: Event, evaluated: Evaluated | None, details: str, learned: dict[str, Any]) -> Event:
    """The run folder's record of how it ended: error.log when it failed (the details there, if any, named in
    the sentence), the last event, summary.json (with learned: the frozen blocks and learning-rate multipliers).
    Returns the last event as recorded."""
    if isinstance(last, Failed):
        log = run.path / ERROR_LOG
        if _quietly(log.write_text, f"{last.message}\n{details}", "utf-8", default=None) is not None and details:
            last = Failed(f"{last.message.removesuffix('.')}; the details are in {log}.")
    _quietly(run.log, last)
    _quietly(lambda: run.write_summary({**summarize(last, evaluated), **learned}))
    return last


def _quietly(step: Callable[..., Any], *args: Any, default: Any = None) -> Any:
    """step(*args), tried up to TRIES times while it raises; default when it never succeeds. The closing steps of
    a failed run must not fail themselves: a DataLoader whose worker died raises again on every child's exit."""
    for _ in range(TRIES):
        try:
            return step(*args)
        except Exception:
            continue
    return default


def child(
    document: str, config: dict, out: str, resume: bool, force: bool, events: mp.Queue, stop: mp.Event, task: str
) -> None:
    """A Runner's child process (records.process.run_child starts it): the run, or the learning-rate test when
    task is LR_FIND, its events put on events; it stops after its current step when stop is set or its owner dies."""
    parent = mp.parent_process()
    assert parent is not None
    should_stop = lambda: stop.is_set() or not parent.is_alive()  # noqa: E731
    if task == LR_FIND:
        lr_find.execute(
            parse(document), TrainConfig.from_dict(config), force=force, listener=events.put, should_stop=should_stop
        )
    else:
        execute(
            parse(document),
            TrainConfig.from_dict(config),
            out,
            resume=resume,
            force=force,
            listener=events.put,
            should_stop=should_stop,
        )
    events.close()
    events.join_thread()
