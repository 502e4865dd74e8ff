"""A real X server (Xvfb) for the tests that drive the window with xdotool: started on a free display, answered
once, and stopped after the test. Skipped where Xvfb or xdotool is missing, except in CI, which installs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest


def tools_or_reason() -> str | None:
    """None when Xvfb and xdotool are installed, else why the real-pointer tests cannot run."""
    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if not missing:
        return None
    reason = f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)"
    if os.environ.get("CI"):
        pytest.fail(reason)  # CI installs them: never skip the real thing there
    return reason


@pytest.fixture
def xserver(tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a program shown on a fresh 1600×1000 Xvfb display (NETBUILDER_HOME in the test's
    folder), once the server answers xdotool."""
    reason = tools_or_reason()
    if reason:
        pytest.skip(reason)
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    display = ":" + os.read(read, 16).decode().strip()  # keep the pipe open: Xvfb may still write to it
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "NETBUILDER_HOME": str(tmp_path)}
    try:
        for _ in range(50):  # until the server answers
            if subprocess.run(["xdotool", "getmouselocation"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        yield env
    finally:
        xvfb.kill()
        xvfb.wait()
        os.close(read)
