"""The house's contracts, machine-checked: import-linter's floors (pyproject's [tool.importlinter]) and ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_import_contracts_are_kept():
    proc = _run(str(BIN / "lint-imports"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_ruff_lint_and_format():
    lint = _run(str(BIN / "ruff"), "check", "netbuilder", "tests")
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = _run(str(BIN / "ruff"), "format", "--check", "netbuilder", "tests")
    assert fmt.returncode == 0, fmt.stdout[-3000:]
