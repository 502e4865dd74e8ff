"""Status text reads in both themes: every status colour shown has a contrast of at least 4.5:1 (WCAG AA)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

from netbuilder.ui import theme
from netbuilder.ui.canvas.undo import set_params


def _contrast_of(label) -> float:
    colour = QColor(label.styleSheet().split("color:")[1].split(";")[0].strip())
    return theme.contrast(colour, label.palette().color(QPalette.ColorRole.Window))


def test_the_validity_label_reads_in_light_and_dark(make_window):
    window = make_window("seed_cnn")
    graph = window.editor.graph
    for mode in ("light", "dark", "light"):
        window.set_theme(mode)
        assert window.validity.text() == "✓ valid network"
        assert _contrast_of(window.validity) >= 4.5, mode
        window.editor.push(set_params(graph, "conv1", {**graph.nodes["conv1"].params, "kernel_size": 99}))
        assert window.validity.text().startswith("✗") and _contrast_of(window.validity) >= 4.5, mode
        window.inspector.show_node("conv1")
        assert _contrast_of(window.inspector.error) >= 4.5, mode
        window.editor.undo_stack.undo()
