"""The `netbuilder` command: the app, and headless subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from netbuilder import model_commands
from netbuilder.core.check.shapes import check
from netbuilder.core.check.summary import as_json, table
from netbuilder.core.document import DocumentError, load
from netbuilder.core.presets import list_presets
from netbuilder.core.text import clean
from netbuilder.records import datasets, search_settings
from netbuilder.records.config import saved_settings
from netbuilder.records.train_error import TrainError
from netbuilder.train import predict
from netbuilder.train.cli import commands as train_commands
from netbuilder.train.cli import feature_commands, search_commands
from netbuilder.train.cli.cli_args import number
from netbuilder.ui.app.display import missing_library, window_problem


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        doc = load(args.file)
        search_settings.check_training(doc.search)  # the search's own check: check passes what search accepts
    except DocumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TrainError as e:
        print(f"error: {clean(args.file, 200)} at search: {e}", file=sys.stderr)
        return 2
    try:
        saved_settings(doc.training)  # the training settings train, lr-find and search would refuse
    except TrainError as e:
        print(f"error: {clean(args.file, 200)} at training: {e}", file=sys.stderr)
        return 2
    result = check(doc.graph)
    if args.json:
        print(json.dumps(as_json(doc.graph, result)))
    else:
        print(table(doc.graph, result, f"{doc.name} ({args.file})"))
    return 0 if result.valid else 1


def _cmd_presets(args: argparse.Namespace) -> int:
    for p in list_presets():
        print(f"{clean(p.key):<14} {clean(p.name)} — {clean(p.description, 400)}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    root = datasets.data_dir(None)
    for d in datasets.list_datasets():
        where = "ready" if datasets.is_available(d.key, root) else f"--download {d.download_mb} MB"
        shape = "×".join(map(str, d.shape or ()))
        print(f"{d.key:<14} {shape:<8} {len(d.classes or ()):>2} classes  {where:<18} {d.description}")
    print(f"{'folder:PATH':<14} {'any':<8} one class per subfolder of PATH")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    problem = missing_library("offscreen")  # before Qt is loaded: it would end in an ImportError's traceback
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from netbuilder.ui.app.render import render  # start-up time: Qt, and only after the check above

    out = Path(args.output)
    if out.suffix.lower() not in (".png", ".svg"):
        print(f"error: {clean(str(out), 200)}: the output must end in .png or .svg.", file=sys.stderr)
        return 2
    try:
        doc = load(args.file)
        render(doc, out, max_side=args.max_side, expand=args.expand, style=args.style)
    except DocumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {clean(str(e), 400)}", file=sys.stderr)
        return 1
    print(f"Wrote {clean(str(out), 400)}.")
    return 0


def _subcommands() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netbuilder", description="Design neural networks block by block.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check a network file: shapes, params, MACs, errors")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=_cmd_check)
    p = sub.add_parser("presets", help="list the preset networks")
    p.set_defaults(run=_cmd_presets)
    p = sub.add_parser("datasets", help="list the datasets: shape, classes, whether they are here")
    p.set_defaults(run=_cmd_datasets)
    p = sub.add_parser("render", help="draw a network's canvas to a PNG or SVG file, without a window")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="OUT.png or OUT.svg")
    p.add_argument(
        "--max-side",
        type=number(int, min=16),
        default=16_384,
        metavar="N",
        help="the longest side of the picture in pixels (default 16384): groups are folded, then the picture "
        "scaled, to stay within it",
    )
    p.add_argument("--expand", action="store_true", help="show every group expanded (scaled down to fit --max-side)")
    p.add_argument(
        "--style",
        choices=("canvas", "volumes"),
        default="canvas",
        help="canvas: the blocks and wires as the window shows them (default); volumes: the network as cuboids "
        "to scale, as the Volumes view draws it",
    )
    p.set_defaults(run=_cmd_render)
    model_commands.register(sub)
    train_commands.register(sub)
    predict.register(sub)
    feature_commands.register(sub)
    search_commands.register(sub)
    return parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Every subcommand the parser has, with its one-line help, in the order registered."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {c.dest: c.help or "" for c in sub._choices_actions}


def _app_parser(commands: dict[str, str]) -> argparse.ArgumentParser:
    width = max(map(len, commands)) + 2
    listing = "\n".join(f"  {name:<{width}}{text}" for name, text in commands.items())
    parser = argparse.ArgumentParser(
        prog="netbuilder",
        description="Design neural networks block by block. Without FILE, opens the VGG-CIFAR preset.",
        epilog=f"commands that need no window (netbuilder COMMAND --help for each):\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", help="a network .json file to open")
    parser.add_argument("--screenshot", metavar="OUT.png", help="open the window, save a screenshot, exit")
    return parser


EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a tool that SIGPIPE ended (`netbuilder check F | head`)


def _run(argv: list[str]) -> int:
    parser = _subcommands()
    commands = _commands(parser)
    if argv and argv[0] in commands:
        args = parser.parse_args(argv)
        return args.run(args)
    args = _app_parser(commands).parse_args(argv)
    problem = window_problem(os.environ, list(commands))
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from netbuilder.ui.app.app import run  # start-up time: Qt, and only after the check above

    return run(args.file, args.screenshot)


def main(argv: list[str] | None = None) -> int:
    """Run a command. When the reader of stdout goes away (a pipe into head), stop quietly as Unix tools do."""
    try:
        code = _run(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # here, not at exit, where a closed pipe would print a traceback
        return code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the final flush at exit writes nowhere
        return EXIT_BROKEN_PIPE
