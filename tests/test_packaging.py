"""`pip install .` and a built wheel work outside the checkout: presets and icons ship inside the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_names_every_package():
    """setuptools is given the package list (find cannot map presets/ and resources/ into the package)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "netbuilder").rglob("__init__.py")}
    assert listed == on_disk | {"netbuilder._presets", "netbuilder._resources"}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{args}: {proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.mark.slow
def test_the_wheel_works_outside_the_checkout(tmp_path):
    """Build the wheel, install it (without dependencies: they come from this venv through a .pth file) in a
    fresh venv, and run the commands from another folder, with the checkout nowhere on sys.path (.ci/run does the
    same from the shell)."""
    source = tmp_path / "source"  # a copy: the build writes build/ and *.egg-info beside the sources
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    for name in ("netbuilder", "presets", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")} | {
        "QT_QPA_PLATFORM": "offscreen"
    }
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)], tmp_path, env)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python, netbuilder = venv / "bin" / "python", venv / "bin" / "netbuilder"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [*pip, "--python", str(python), "install", "--no-deps", str(next((tmp_path / "dist").glob("*.whl")))],
        tmp_path,
        env,
    )
    shutil.rmtree(source)  # nothing may be read from the sources

    where = _run(
        [
            str(python),
            "-c",
            "import netbuilder.ui.canvas.palette as p, netbuilder.core.presets as q; "
            "print(p.__file__, (p.RESOURCES / 'icons' / 'conv.svg').is_file(), q.preset_path('seed_cnn'))",
        ],
        tmp_path,
        env,
    ).split()
    assert where[0].startswith(str(site)) and where[1] == "True" and where[2].startswith(str(site))
    assert _run([str(netbuilder), "presets"], tmp_path, env).startswith("vgg_cifar ")
    assert "Valid: yes" in _run([str(netbuilder), "check", where[2]], tmp_path, env)
    _run([str(netbuilder), "--screenshot", "shot.png"], tmp_path, env)
    assert (tmp_path / "shot.png").stat().st_size > 10_000
    shown = "from netbuilder.ui.app import help; print(all(help.shipped_section(k) for k in help.SECTIONS))"
    assert _run([str(python), "-c", shown], tmp_path, env).strip() == "True"  # Help's README sections, no README
