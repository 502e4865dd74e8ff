"""One training job in this process, from settings to summary: the run folder (written by the main process
only), the loop, a log line per event, and one sentence when it fails."""

from __future__ import annotations

import os
import traceback
from typing import Callable

from netbuilder.core.document import Document
from netbuilder.train import distributed
from netbuilder.train.config import TrainConfig
from netbuilder.train.distributed import World
from netbuilder.train.errors import TrainError
from netbuilder.train.events import Evaluated, Event, Failed, Finished
from netbuilder.train.loop import Trainer
from netbuilder.train.runs import Run, summarize

ERROR_LOG = "error.log"


def execute(document: Document, config: TrainConfig, out: str | os.PathLike, *, resume: bool = False,
            listener: Callable[[Event], None] = lambda event: None,
            should_stop: Callable[[], bool] = lambda: False) -> Event:
    """Train document with config into the run folder out (or continue the run there from its last
    checkpoint), hand every event to listener (main process only), and return the last: Finished or Failed.

    Nothing is written until the data and the network are known to be usable, so a mistake leaves no folder.
    """
    world = World.from_env()
    run: Run | None = None
    evaluated: Evaluated | None = None
    last: Event | None = None
    try:
        checkpoint = Run.open(out).load_checkpoint("last") if resume else None
        trainer = Trainer(document, config, world)
        trainer.setup(checkpoint)
        if world.main:
            run = Run.open(out) if resume else Run.create(out, document, config)
            if checkpoint is not None:
                run.write_config(config)
                run.rewind(checkpoint["epoch"])
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
    except TrainError as e:
        last = Failed(str(e))
    except Exception as e:  # a bug, not the user's doing: a sentence here, the traceback in the folder
        where = ""
        if run is not None:
            (run.path / ERROR_LOG).write_text(traceback.format_exc(), encoding="utf-8")
            where = f"; the details are in {run.path / ERROR_LOG}"
        last = Failed(f"Training stopped on an unexpected error ({type(e).__name__}: {e}){where}.")
    finally:
        distributed.close()
    assert last is not None
    if run is not None:
        run.log(last)
        run.write_summary(summarize(last, evaluated))
    if world.main:
        listener(last)
    return last
