"""The setup of a process that trains, done before it imports torch, and the start of a spawned child."""

import importlib
import os
import signal
from typing import Any


def prepare() -> None:
    """Let idle OpenMP threads sleep instead of spin (unless OMP_WAIT_POLICY is set already): on a machine busy
    with other work, such as the app's own window, spinning threads made CPU training several times slower."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run_child(target: str, niceness: int, *args: Any) -> None:
    """The start of a spawned child: Ctrl-C left to its owner, its priority lowered by niceness, prepare(), then
    the function target names ("package.module:function") called with args. Owners name that function by string,
    as a command line names a module, so that their own process (the window's) never imports the torch half."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the owner's terminal is the owner's to handle
    try:
        os.nice(niceness)
    except OSError:
        pass
    prepare()
    module, name = target.split(":")
    getattr(importlib.import_module(module), name)(*args)
