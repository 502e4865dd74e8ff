"""`netbuilder train`, `netbuilder lr-find` and `netbuilder evaluate`. Torch is imported only when one of them
runs, so the other commands stay fast."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from netbuilder.core.document import DocumentError, load
from netbuilder.core.initial import InitError
from netbuilder.core.text import safe
from netbuilder.records import process, runs
from netbuilder.records.config import document_config, settings
from netbuilder.records.events import Failed, Finished
from netbuilder.records.lr_results import fmt_lr
from netbuilder.records.report import Progress, confusion_table
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints
from netbuilder.train.cli.cli_args import RUNS_HELP, CtrlC, add_setting, number


def register(sub: argparse._SubParsersAction) -> None:
    """Add the train and evaluate subcommands to the CLI's subparsers."""
    p = sub.add_parser(
        "train",
        help="train a network file and write a run folder (works under torchrun)",
        description="Train a network. Settings not given come from the recipe that suits the "
        "network; with --resume, from the run folder.",
    )
    p.add_argument("file", nargs="?", help="the network (.json); not needed with --resume")
    p.add_argument("--out", metavar="DIR", help=f"the run folder (default: FILE-DATE-TIME in {RUNS_HELP})")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument(
        "--init",
        metavar="RUN_DIR|FILE",
        help="start from these weights (a run's best checkpoint, else its last, or a weights file), matched to "
        "the blocks by id and shape; the report of which blocks take them is printed and kept in the run folder",
    )
    p.add_argument(
        "--force", action="store_true", help="start even when the memory estimate is more than the device has free"
    )
    group = p.add_argument_group("settings")
    for setting in settings():
        add_setting(group, setting)
    p.set_defaults(run=_train)

    p = sub.add_parser(
        "lr-find",
        help="find a good learning rate for a network (the learning-rate range test)",
        description="Train for up to 100 steps (at most one pass over the training images, at least 20) while "
        "the learning rate rises exponentially, with the settings' optimizer, batch size and precision; stop "
        "when the smoothed loss exceeds 4 times its minimum, and print the suggested learning rate: the steepest "
        "descent of the smoothed loss (the minimum's tenth is printed too). Settings not given come from the "
        "recipe that suits the network. Nothing is written.",
    )
    p.add_argument("file", help="the network (.json)")
    p.add_argument("--json", action="store_true", help="print the curve and both suggestions as JSON")
    p.add_argument(
        "--steps",
        type=number(int, min=2),
        default=100,
        metavar="N",
        help="the most steps the sweep takes (default 100)",
    )
    p.add_argument(
        "--start-lr", type=number(above=0), default=1e-7, metavar="LR", help="the first learning rate (1e-7)"
    )
    p.add_argument("--end-lr", type=number(above=0), default=10.0, metavar="LR", help="the last learning rate (10)")
    p.add_argument(
        "--force", action="store_true", help="start even when the memory estimate is more than the device has free"
    )
    group = p.add_argument_group("settings")
    for setting in settings():
        if setting.name != "lr":
            add_setting(group, setting)
    p.set_defaults(run=_lr_find)

    p = sub.add_parser("evaluate", help="print a run's test accuracy and confusion matrix")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--checkpoint", choices=("last", "best"), default="last", help="which weights (default: last)")
    p.add_argument("--data-dir", help="where the dataset is, if not where the run found it")
    p.add_argument("--device", help="the device (default: the run's)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=_evaluate)


def _error(message: str) -> None:
    print(f"error: {safe(message)}", file=sys.stderr)


def _train(args: argparse.Namespace) -> int:
    changes = {s.name: getattr(args, s.name) for s in settings() if hasattr(args, s.name)}
    try:
        if args.resume and (args.file or args.init):
            raise TrainError(
                "Give a network file (and --init) to start a run, or --resume RUN_DIR to continue one, not both."
            )
        if args.resume:
            run = runs.Run.open(args.resume)
            document, config, out = run.document, run.config.replace(**changes), run.path
        elif args.file:
            document = load(args.file)
            document.init = runs.initial_weights(args.init) if args.init else document.init
            if document.init is not None:
                document.init.verified()  # changed since it was named: refused before anything is written
            config = document_config(document.graph, document.training, changes)
            out = Path(args.out) if args.out else runs.new_path(runs.default_root(), Path(args.file).stem)
            runs.check_folder(out, "give --out a folder you can write to")
        else:
            raise TrainError("Give a network file to train, or --resume RUN_DIR to continue a run.")
    except (DocumentError, TrainError, InitError) as e:
        _error(str(e))
        return 2

    process.prepare()
    from netbuilder.train.distributed import World  # start-up time: torch
    from netbuilder.train.job import execute  # start-up time: torch

    with CtrlC(World.from_env().size == 1) as stopped:
        try:
            last = execute(
                document,
                config,
                out,
                resume=bool(args.resume),
                force=args.force,
                listener=Progress(),
                should_stop=stopped,
            )
        except KeyboardInterrupt:
            _error(f"interrupted; continue from the last finished epoch with `netbuilder train --resume {out}`")
            return 130
    if isinstance(last, Finished):
        return 130 if last.stopped else 0
    return 1


def _lr_find(args: argparse.Namespace) -> int:
    changes = {s.name: getattr(args, s.name) for s in settings() if hasattr(args, s.name)}
    try:
        if not args.start_lr < args.end_lr:
            raise TrainError(
                f"--start-lr must be below --end-lr (the rate rises from one to the other); got {args.start_lr:g} "
                f"and {args.end_lr:g}."
            )
        document = load(args.file)
        config = document_config(document.graph, document.training, changes)
    except (DocumentError, TrainError) as e:
        _error(str(e))
        return 2

    process.prepare()
    from netbuilder.train.lr_find import execute  # start-up time: torch when it runs

    if not args.json:
        print(
            f"lr-find: {safe(Path(args.file).name)} on {config.dataset}, {config.optimizer}, "
            f"batch {config.batch_size}, "
            f"learning rate {args.start_lr:g} to {args.end_lr:g} over at most {args.steps} steps",
            file=sys.stderr,
        )
    with CtrlC(True) as stopped:
        last = execute(
            document,
            config,
            max_steps=args.steps,
            start_lr=args.start_lr,
            end_lr=args.end_lr,
            force=args.force,
            should_stop=stopped,
        )
    if isinstance(last, Failed):
        _error(last.message)
        return 1
    if args.json:
        print(json.dumps(last.to_dict()))
        return 0
    end = "the loss diverged" if last.diverged else "the sweep ended"
    where = f"{last.device} ({last.precision})"
    print(f"{len(last.lrs)} steps on {where} until {end} at {fmt_lr(last.lrs[-1])}", file=sys.stderr)
    print(f"suggested learning rate {fmt_lr(last.suggested)} (the steepest descent of the smoothed loss)")
    print(f"a tenth of the rate at the lowest loss: {fmt_lr(last.min_tenth)}")
    print(f"use it: netbuilder train {safe(args.file)} --lr {fmt_lr(last.suggested)}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    process.prepare()
    from netbuilder.pytorch.build import BuildError, checked  # start-up time: torch
    from netbuilder.train.loop import Trainer  # start-up time: torch

    changes = {k: v for k, v in (("data_dir", args.data_dir), ("device", args.device)) if v is not None}
    try:
        run = Run.open(args.run_dir)
        try:
            checked(run.document.graph)  # a network this version cannot build, before its weights
        except BuildError as e:
            raise TrainError(str(e)) from None
        checkpoint = checkpoints.load(run, args.checkpoint)
        trainer = Trainer(run.document, run.config.replace(**changes))  # as the run's own test ran
        trainer.setup(checkpoint)
        result = trainer.test().event(trainer.classes)
    except TrainError as e:
        _error(str(e))
        return 1
    if args.json:
        print(json.dumps({**result.to_dict(), "checkpoint": args.checkpoint, "epoch": checkpoint["epoch"]}))
        return 0
    total = sum(map(sum, result.confusion))
    print(
        f"{safe(str(run.path))}: {args.checkpoint} checkpoint (epoch {checkpoint['epoch']}), "
        f"{run.config.dataset} test set of {total:,} images"
    )
    print(f"test accuracy {result.accuracy:.2%}  loss {result.loss:.3f}\n")
    print(confusion_table(result.classes, result.confusion))
    return 0
