"""Colours and fonts: block categories as Netron draws them, light and dark canvases."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # pyqtgraph loads with the plots, not with every user of the theme
    from pyqtgraph import PlotWidget

CATEGORY_COLORS = {
    "layer": QColor(51, 85, 136),
    "activation": QColor(75, 27, 22),
    "pooling": QColor(51, 85, 51),
    "normalization": QColor(51, 85, 68),
    "dropout": QColor(69, 71, 112),
    "shape": QColor(108, 79, 71),
    "data": QColor(85, 85, 85),
}
ERROR = QColor(204, 35, 35)


@dataclass(frozen=True)
class Palette:
    background: QColor
    grid: QColor
    body: QColor
    text: QColor
    muted: QColor
    edge: QColor
    selection: QColor
    label_back: QColor
    ok: QColor = field(
        default_factory=lambda: QColor(27, 110, 43)
    )  # status text ("✓ valid network"): ≥ 4.5:1 on the window and the canvas
    warning: QColor = field(default_factory=lambda: QColor(150, 80, 0))
    error: QColor = field(default_factory=lambda: QColor(190, 30, 30))
    disabled: QColor = field(
        default_factory=lambda: QColor(160, 160, 160)
    )  # a disabled button's text: clearly dimmer than an enabled one's


LIGHT = Palette(
    QColor(250, 250, 250),
    QColor(200, 200, 205),
    QColor(255, 255, 255),
    QColor(30, 30, 30),
    QColor(150, 150, 150),
    QColor(120, 120, 130),
    QColor(0, 114, 178),
    QColor(250, 250, 250, 230),
)
DARK = Palette(
    QColor(32, 33, 36),
    QColor(70, 72, 78),
    QColor(52, 54, 58),
    QColor(235, 235, 235),
    QColor(130, 130, 135),
    QColor(150, 150, 160),
    QColor(86, 180, 233),
    QColor(32, 33, 36, 230),
    ok=QColor(110, 214, 128),
    warning=QColor(255, 184, 77),
    error=QColor(255, 122, 112),
    disabled=QColor(105, 106, 112),
)


MODES = ("system", "light", "dark")
_mode = "system"


def set_mode(mode: str) -> None:
    """Follow the system, or force light or dark, for the canvas and the widgets alike."""
    global _mode
    _mode = mode if mode in MODES else "system"
    app = QGuiApplication.instance()
    if app is None:
        return
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(_mode, Qt.ColorScheme.Unknown)
    app.styleHints().setColorScheme(scheme)
    palette = _widget_palette() if is_dark() else _light_palette(app)
    if palette != app.palette():  # a new palette visits every widget (0.2 s beside a 10,000-block canvas)
        app.setPalette(palette)


def _widget_palette() -> QPalette:
    pal = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, DARK.body),
        (QPalette.ColorRole.Base, DARK.background),
        (QPalette.ColorRole.AlternateBase, DARK.body),
        (QPalette.ColorRole.Button, DARK.body),
        (QPalette.ColorRole.WindowText, DARK.text),
        (QPalette.ColorRole.Text, DARK.text),
        (QPalette.ColorRole.ButtonText, DARK.text),
        (QPalette.ColorRole.ToolTipBase, DARK.body),
        (QPalette.ColorRole.ToolTipText, DARK.text),
        (QPalette.ColorRole.Highlight, DARK.selection),
        (QPalette.ColorRole.HighlightedText, QColor(0, 0, 0)),
        (QPalette.ColorRole.PlaceholderText, DARK.muted),
    ):
        pal.setColor(role, color)
    # Disabled widgets: dim text on a flatter button, so a disabled Stop reads as disabled at a glance.
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        pal.setColor(disabled, role, DARK.disabled)
    pal.setColor(disabled, QPalette.ColorRole.Button, DARK.background.lighter(115))
    pal.setColor(disabled, QPalette.ColorRole.Light, DARK.body)
    return pal


def _light_palette(app: QGuiApplication) -> QPalette:
    pal = app.style().standardPalette()
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        pal.setColor(disabled, role, LIGHT.disabled)
    return pal


def status(kind: str) -> QColor:
    """The current theme's colour for status text: "ok", "warning" or "error"."""
    return QColor(getattr(current(), kind))


def status_style(kind: str, bold: bool = True) -> str:
    """A style sheet for a status label in the current theme's colour."""
    return f"color: {status(kind).name()};" + (" font-weight: bold;" if bold else "")


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21 (text needs ≥ 4.5)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark() -> bool:
    """True when dark is forced, or when following a system that asks for a dark colour scheme."""
    if _mode != "system":
        return _mode == "dark"
    if _system_dark:
        return _system_dark[0]
    app = QGuiApplication.instance()
    if app is None:
        return False
    hints = app.styleHints()
    if hints not in _watched:
        _watched.append(hints)
        hints.colorSchemeChanged.connect(lambda *_: _system_dark.clear())
    _system_dark.append(hints.colorScheme() == Qt.ColorScheme.Dark)
    return _system_dark[0]


# The system's answer, asked once and again when it changes: every item asks for the palette as it paints.
_system_dark: list[bool] = []
_watched: list[object] = []  # the style hints whose changes clear it


def current() -> Palette:
    return DARK if is_dark() else LIGHT


@lru_cache(maxsize=32)
def mono_font(point_size: float = 9.0) -> QFont:
    """A fixed-width font (shared: callers must not change it)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(point_size)
    return font


@lru_cache(maxsize=32)
def ui_font(point_size: float = 9.5, bold: bool = False) -> QFont:
    """The interface font at a size (shared: callers must not change it)."""
    font = QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


TEXT_PADDING = 12  # pixels a widget's frame and margins take from the text it draws inside itself


def fitting(widget: QWidget, texts: list[str]) -> str:
    """The first (the fullest) of texts that fits inside widget's width in its font, else the last (the
    shortest): text a widget draws itself (a progress bar's) never runs past its edge."""
    room = widget.width() - TEXT_PADDING
    metrics = widget.fontMetrics()
    return next((t for t in texts if metrics.horizontalAdvance(t) <= room), texts[-1])


def plain_axes(plot: PlotWidget) -> None:
    """A plot's axes as every plot here shows them: numbers without SI prefixes (accuracy 0.8, not 800 ×0.001),
    labels on the major ticks only (a narrow plot's minor labels ran into each other), in the small UI font."""
    for axis in ("left", "bottom"):
        plot.getAxis(axis).enableAutoSIPrefix(False)
        plot.getAxis(axis).setStyle(tickFont=ui_font(8), maxTextLevel=0)
