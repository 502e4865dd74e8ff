"""What the floors mean at run time: the CLI and the window start without torch. The static floors (which
package may import which) are import-linter contracts in pyproject.toml, checked by tests/test_contracts.py."""

import subprocess
import sys

PROBE = (
    "import sys, {module}; "
    "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'PySide6', 'pyqtgraph')); "
    "print(','.join(bad))"
)


def loaded_by(module: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def test_the_cli_check_stays_light():
    assert loaded_by("netbuilder.cli") == ""


def test_the_window_does_not_wait_for_torch():
    loaded = loaded_by("netbuilder.ui.app.app, netbuilder.ui.app.main_window").split(",")
    assert not [m for m in loaded if m.split(".")[0] in ("torch", "torchvision")]
