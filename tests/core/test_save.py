"""Saving a document: through a symbolic link to its target, and no leftovers of an interrupted save
(issue 10, item 14)."""

from __future__ import annotations

import os
from pathlib import Path

from netbuilder.core.document import load, save
from netbuilder.core.presets import load_preset


def test_saving_through_a_symbolic_link_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real" / "net.json"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    chained = tmp_path / "chained.json"
    chained.symlink_to(link)
    save(load_preset("seed_cnn"), chained)
    assert link.is_symlink() and chained.is_symlink() and not target.is_symlink()
    assert load(target).name == "Seed CNN" and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chained.json", "link.json", "real"]
    assert os.listdir(target.parent) == ["net.json"]


def test_leftovers_of_an_interrupted_save_are_cleaned_at_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "net[1].json"  # glob characters in the name
    (tmp_path / ".net[1].json.k3j9x0ab.tmp").write_text("half")  # what a save killed mid-write leaves
    other = tmp_path / ".net[1].json.old.k3j9x0ab.tmp"  # another file's save in progress
    other.write_text("busy")
    save(load_preset("seed_cnn"), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["net[1].json", other.name])
    assert load(path).name == "Seed CNN"
