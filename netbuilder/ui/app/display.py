"""Whether Qt can show a window here, checked before Qt is loaded: without a display or one of the system libraries
its platform plugin needs, Qt prints a misleading message about its plugin and aborts with a core dump."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Mapping

# The libraries Qt's GUI module loads on every platform, and those its X11 (xcb) plugin adds, each with the
# Debian/Ubuntu package that installs it.
GUI_LIBRARIES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
}
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
ON_SCREEN = {"xcb", "wayland", "wayland-egl"}  # the platforms that need a display server


def platforms(env: Mapping[str, str]) -> list[str]:
    """The Qt platform plugins Qt will try, in order (QT_QPA_PLATFORM may list several, each with arguments)."""
    named = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    if named:
        return named
    if env.get("XDG_SESSION_TYPE") == "wayland":  # as Qt decides
        return ["wayland", "xcb"]
    return ["xcb"]


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_library(platform: str) -> str | None:
    """A sentence naming the first system library that Qt's GUI on this platform needs and cannot load."""
    libraries = GUI_LIBRARIES | (XCB_LIBRARIES if platform == "xcb" else {})
    for soname, package in libraries.items():
        if not _loads(soname):
            return (
                f"Qt cannot load its {platform} platform plugin: the system library {soname} is missing "
                f"(on Debian or Ubuntu: sudo apt install {package})."
            )
    return None


def _x_server_answers(display: str) -> bool:
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def window_problem(env: Mapping[str, str], headless: list[str]) -> str | None:
    """One sentence saying why the window cannot open here (no display, a missing library), or None when it can
    as far as can be told without loading Qt. `headless` names the commands that need no display."""
    if not sys.platform.startswith("linux"):
        return None
    tried = platforms(env)
    if not set(tried) <= ON_SCREEN:  # offscreen, minimal, vnc…: no display server needed
        return missing_library(next(p for p in tried if p not in ON_SCREEN))
    x11 = "xcb" in tried and bool(env.get("DISPLAY"))
    wayland = any(p.startswith("wayland") for p in tried) and bool(env.get("WAYLAND_DISPLAY"))
    commands = ", ".join(f"netbuilder {c}" for c in headless)
    remedy = (
        "run it in a desktop session, over `ssh -X`, or under `xvfb-run netbuilder`; "
        f"these commands need no display: {commands}."
    )
    if not (x11 or wayland):
        unset = list(dict.fromkeys("DISPLAY" if p == "xcb" else "WAYLAND_DISPLAY" for p in tried))
        what = " and ".join(unset) + (" are" if len(unset) > 1 else " is")
        return f"No display was found ({what} not set), so the window cannot open: {remedy}"
    problem = missing_library("xcb" if x11 else "wayland")
    if problem is None and x11 and not wayland and not _x_server_answers(env["DISPLAY"]):
        return f"The display {env['DISPLAY']} does not answer, so the window cannot open: {remedy}"
    return problem
