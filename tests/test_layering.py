"""The floors of the house: core loads neither Qt nor torch."""

import subprocess
import sys

PROBE = (
    "import sys, {module}; "
    "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'PySide6', 'pyqtgraph')); "
    "print(','.join(bad))"
)


def loaded_by(module: str) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def test_core_imports_neither_qt_nor_torch():
    assert loaded_by("netbuilder.core.shapes, netbuilder.core.document, netbuilder.core.presets, "
                     "netbuilder.core.summary, netbuilder.core.layout") == ""


def test_the_cli_check_stays_light():
    assert loaded_by("netbuilder.cli") == ""


def test_the_window_does_not_wait_for_torch():
    loaded = loaded_by("netbuilder.ui.app, netbuilder.ui.main_window").split(",")
    assert not [m for m in loaded if m.split(".")[0] in ("torch", "torchvision")]


def test_nothing_below_ui_imports_qt():
    loaded = loaded_by("netbuilder.pytorch.build, netbuilder.pytorch.codegen").split(",")
    assert not [m for m in loaded if m.split(".")[0] in ("PySide6", "pyqtgraph")]
