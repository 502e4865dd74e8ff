"""The torch-free floor (netbuilder/records/): what the window reads of runs loads no torch, and the processes it
starts name their work in the torch half by string (records.process.run_child), names that must resolve."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import netbuilder.records
from netbuilder.records import inspect_worker, runner


def test_every_records_module_imports_without_torch():
    names = [m.name for m in pkgutil.iter_modules(netbuilder.records.__path__, "netbuilder.records.")]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'optuna')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert len(names) >= 10 and out.strip() == "[]"


def test_the_child_processes_name_functions_of_the_torch_half():
    for target in (runner.CHILD, inspect_worker.SERVE):
        module, name = target.split(":")
        assert module.startswith("netbuilder.train.") and callable(getattr(importlib.import_module(module), name))
