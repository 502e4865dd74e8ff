"""Help → The file format / The command line show README sections shipped inside the package (a wheel has no
README.md). The shipped copies are the README's sections exactly; after editing the README, refresh them with
`python tests/ui/test_help_shipped.py`."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from netbuilder.ui.app import help

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_help_is_the_readmes_sections():
    for key, (heading, _) in help.SECTIONS.items():
        section = help.readme_section(heading, ROOT / "README.md")
        assert section, f"README.md has no section {heading!r}"
        assert help.shipped_section(key) == section, (
            f"resources/help/{key}.md differs from README.md's {heading!r}: run python tests/ui/test_help_shipped.py"
        )


def test_help_shows_its_sections_without_a_readme_beside_the_package(make_window, monkeypatch, tmp_path):
    monkeypatch.setattr(help, "README", tmp_path / "README.md")  # as in a wheel: no README anywhere near
    window = make_window()
    window.installed.actions["help.file_format"].trigger()
    dialog = window.findChildren(help.ReadmeSection)[-1]
    assert '"format": "netbuilder"' in dialog.text.toPlainText()
    assert "not installed" not in dialog.text.toPlainText()
    dialog.close()
    window.installed.actions["help.cli"].trigger()
    dialog = window.findChildren(help.ReadmeSection)[-1]
    assert "netbuilder check" in dialog.text.toPlainText() and "lr-find" in dialog.text.toPlainText()
    dialog.close()


def test_every_resource_file_ships_in_the_package():
    """pyproject's package-data for netbuilder._resources matches every file under resources/."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "netbuilder._resources"
    ]
    resources = ROOT / "resources"
    for path in resources.rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc") and "screenshots" not in path.parts:
            name = path.relative_to(resources).as_posix()
            assert any(fnmatch(name, g) for g in globs), f"resources/{name} is not in the package data"


if __name__ == "__main__":
    for key, (heading, _) in help.SECTIONS.items():
        (help.HELP / f"{key}.md").write_text(help.readme_section(heading, ROOT / "README.md"), encoding="utf-8")
