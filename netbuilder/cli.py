"""The `netbuilder` command: the app, and headless subcommands."""

from __future__ import annotations

import argparse
import json
import sys

from netbuilder.core.document import DocumentError, load
from netbuilder.core.presets import list_presets
from netbuilder.core.shapes import check
from netbuilder.core.summary import as_json, table


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        doc = load(args.file)
    except DocumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = check(doc.graph)
    if args.json:
        print(json.dumps(as_json(doc.graph, result)))
    else:
        print(table(doc.graph, result, f"{doc.name} ({args.file})"))
    return 0 if result.valid else 1


def _cmd_presets(args: argparse.Namespace) -> int:
    for p in list_presets():
        print(f"{p.key:<14} {p.name} — {p.description}")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = _subcommands()
    if argv and argv[0] in parser._subparsers._group_actions[0].choices:  # type: ignore[union-attr]
        args = parser.parse_args(argv)
        return args.run(args)
    if argv and argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    print("The NetBuilder window is not built yet; use `netbuilder check FILE` or `netbuilder presets`.",
          file=sys.stderr)
    return 1
