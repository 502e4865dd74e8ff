"""Where the app keeps its own files: settings aside, the recovery file and the runs."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from netbuilder.records.runs import default_root


def app_dir() -> Path:
    """NETBUILDER_HOME when set (tests, portable use), else the per-user application data folder."""
    home = os.environ.get("NETBUILDER_HOME") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation
    )
    return Path(home or Path.home() / ".netbuilder")


def runs_dir() -> Path:
    """The runs folder, the one `netbuilder train` and `search` write to by default (records.runs.default_root: the
    app's data folder, found without Qt)."""
    return default_root()
