import gc
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# Qt's offscreen screen is 800×800 unless configured; the tests' is a 1600×1000 desktop, which the window's
# default 1500×950 fits (the window is bounded by its screen: netbuilder/ui/app/window_place.py).
if os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).parent / 'offscreen_screen.json'}"


FULL_COLLECTION_EVERY = 25  # tests; a full collection walks the whole heap (torch, torchvision, optuna: ~0.5 s)
_finished = [0]


@pytest.fixture(autouse=True)
def _collect_after_test():
    """Collect what the test left, between tests, so no test pays for another's garbage: the young generations
    after each (milliseconds), a full collection every few tests for cycles that reach older objects. Collection
    stays on during tests (the UI tests collect on the GUI thread, as the app does: tests/ui/conftest.py)."""
    yield
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is not None:
            QApplication.processEvents()
    _finished[0] += 1
    gc.collect() if _finished[0] % FULL_COLLECTION_EVERY == 0 else gc.collect(1)


@pytest.fixture(scope="session", autouse=True)
def train_cache(tmp_path_factory):
    """Datasets (shapes10 is generated once per session) go to a temporary cache, never the user's."""
    path = tmp_path_factory.mktemp("netbuilder-cache")
    old = os.environ.get("NETBUILDER_CACHE_DIR")
    os.environ["NETBUILDER_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        del os.environ["NETBUILDER_CACHE_DIR"]
    else:
        os.environ["NETBUILDER_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _isolated_user_state(tmp_path_factory, monkeypatch):
    """Settings, recent files and recovery files go to a temporary folder, never the user's."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("NETBUILDER_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QSettings

        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(home / "config"))
    yield home
