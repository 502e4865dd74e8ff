"""`netbuilder search`: a study over a network's search space, each trial a run. Optuna and torch are imported
only when it runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from netbuilder.core.document import DocumentError, load
from netbuilder.core.text import safe
from netbuilder.records import process
from netbuilder.records.config import document_config, recommend, settings
from netbuilder.records.events import EpochMetrics, Event, Started
from netbuilder.records.runs import default_root
from netbuilder.records.search_settings import PRUNERS, SAMPLERS, STORAGE_FILE, check_blocks, check_training
from netbuilder.records.train_error import TrainError
from netbuilder.train.cli.cli_args import RUNS_HELP, CtrlC, add_setting, number


def register(sub: argparse._SubParsersAction) -> None:
    """Add the search subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "search",
        help="search a network's marked parameters and training settings with Optuna, each trial a run",
        description='Run trials of a study over the network\'s search space (its "search" key). Settings not '
        "searched come from the options, then the recipe that suits the network. A study is kept in its storage: "
        "run the command again to add trials, or from several processes at once to share it. Without FILE, "
        "continues the --study in --storage (with --trials 0, only reports it).",
    )
    p.add_argument("file", nargs="?", help="the network (.json) with its search space")
    p.add_argument(
        "--trials", type=number(int, min=0), default=10, metavar="N", help="trials this process runs (default 10)"
    )
    p.add_argument("--study", metavar="NAME", help="the study's name (default: the file's name)")
    p.add_argument("--storage", metavar="URL", help=f"a SQLAlchemy URL (default: {STORAGE_FILE} in the --runs folder)")
    p.add_argument("--runs", metavar="DIR", help=f"where the trials' run folders go (default: {RUNS_HELP})")
    p.add_argument("--timeout", type=number(above=0), metavar="S", help="start no trial after S seconds")
    p.add_argument("--sampler", choices=SAMPLERS, default="tpe", help="how values are picked (default tpe)")
    p.add_argument("--pruner", choices=PRUNERS, default="median", help="how poor trials stop early (default median)")
    p.add_argument(
        "--sampler-seed",
        type=number(int, min=0, max=2**32 - 1),
        metavar="S",
        help="the sampler's seed, for a repeatable search",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON lines: each trial as it starts and ends, each epoch, and the study's summary last",
    )
    group = p.add_argument_group("settings")
    for setting in settings():
        add_setting(group, setting)
    p.set_defaults(run=_search)


def _error(message: str) -> None:
    print(f"error: {safe(message)}", file=sys.stderr)


def _values(params: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def _line(row: dict[str, Any]) -> str:
    value = f"{row['value']:.4f}" if row["value"] is not None else "—"
    seconds = f"{row['seconds']:.1f} s" if row["seconds"] is not None else ""
    note = f"  ({row['note']})" if row["note"] else ""
    return f"trial {row['number']:<3} {row['state']:<8} {value:>7}  {_values(row['params'])}  {seconds}{note}"


def _search(args: argparse.Namespace) -> int:
    changes = {s.name: getattr(args, s.name) for s in settings() if hasattr(args, s.name)}
    out = sys.stdout
    emit = (lambda data: print(json.dumps(data), file=out, flush=True)) if args.json else (lambda data: None)
    say = (lambda text: None) if args.json else (lambda text: print(safe(text), file=out, flush=True))
    try:
        document = load(args.file) if args.file else None
        if document is not None:
            check_training(document.search)  # as `check` does, before anything is written
            check_blocks(document)
    except (DocumentError, TrainError) as e:
        _error(str(e))
        return 2

    process.prepare()
    from netbuilder.train import search  # start-up time: Optuna and torch

    runs_root = Path(args.runs) if args.runs else default_root()
    name = args.study or (Path(args.file).stem if args.file else None)
    url = args.storage or search.default_storage(runs_root)
    try:
        if document is None:
            study = search.load(name, url)
            name = study.study_name
            document = search.stored_document(study)
            base = search.stored_config(study) or recommend(document.graph, changes.get("dataset", "shapes10"))
            config = base.replace(**changes)
        else:
            config = document_config(document.graph, document.training, changes)
        spec = search.Study(document, config, name, url, runs_root, args.sampler, args.pruner, args.sampler_seed)
    except (DocumentError, TrainError) as e:
        _error(str(e))
        return 2
    except search.STORAGE_ERRORS as e:
        _error(search.storage_sentence(url, e))
        return 2

    def on_event(trial: Any, event: Event) -> None:
        if isinstance(event, Started):
            emit({"event": "trial_started", "number": trial.number, "params": trial.params, "run_dir": event.run_dir})
            say(f"trial {trial.number:<3} running  {_values(trial.params)}  → {event.run_dir}")
        elif isinstance(event, EpochMetrics):
            emit(
                {
                    "event": "epoch",
                    "number": trial.number,
                    "epoch": event.epoch,
                    "epochs": event.epochs,
                    "val_accuracy": event.val_accuracy,
                }
            )

    def on_trial(row: dict[str, Any]) -> None:
        emit({"event": "trial", **row})
        say(_line(row))

    plural = "" if args.trials == 1 else "s"
    say(f"study {name!r} in {url}: {args.trials} trial{plural}, {args.sampler} sampler, {args.pruner} pruner")
    with CtrlC(True) as stopped:
        try:
            study = search.optimize(spec, args.trials, args.timeout, on_trial, on_event, stopped)
            result = search.summary(study, url)
        except TrainError as e:
            _error(str(e))
            return 2
        except search.STORAGE_ERRORS as e:
            _error(search.storage_sentence(url, e))
            return 2
        except KeyboardInterrupt:
            _error(f"interrupted; run the command again to continue the study {name!r}")
            return 130
    emit(result)
    _report(say, result)
    if stopped():
        _error(f"stopped; run the command again to continue the study {name!r}")
        return 130
    return 0


def _report(say: Any, result: dict[str, Any]) -> None:
    states: dict[str, int] = {}
    for row in result["trials"]:
        states[row["state"]] = states.get(row["state"], 0) + 1
    say(f"{len(result['trials'])} trials: " + ", ".join(f"{n} {state}" for state, n in sorted(states.items())))
    best = result["best"]
    if best is None:
        say("no trial has completed yet.")
        return
    say(f"best: trial {best['number']}, {result['metric']} {best['value']:.4f}  {_values(best['params'])}")
    say(f"      its run: {best['run_dir']}")
    if result["importances"]:
        say("importance: " + "  ".join(f"{k} {v:.2f}" for k, v in result["importances"].items()))
