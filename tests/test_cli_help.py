"""`netbuilder --help` lists every subcommand the parser has, each with its one-line help."""

from __future__ import annotations

import argparse

import pytest

from netbuilder.cli import _subcommands, main


def registered() -> dict[str, str]:
    sub = next(a for a in _subcommands()._actions if isinstance(a, argparse._SubParsersAction))
    return {c.dest: c.help for c in sub._choices_actions}


def test_top_level_help_lists_every_registered_subcommand(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    commands = registered()
    assert {"check", "train", "lr-find", "predict", "features", "search"} <= set(commands)
    listed = out.split("commands that need no window", 1)[1].splitlines()[1:]
    assert [line.split()[0] for line in listed if line.strip()] == list(commands)
    for name, text in commands.items():
        assert any(line.split()[0] == name and text in " ".join(line.split()) for line in listed), name
