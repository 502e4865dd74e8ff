"""The inspector shows each parameter as its definition says (decimals, step, which functions use it) and
keeps long error listings short."""

from __future__ import annotations

from PySide6.QtCore import Qt

from netbuilder.core.document import Document
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.inspector import Inspector


def _inspector(qtbot, graph: Graph) -> tuple[Editor, Inspector]:
    editor = Editor(Document(graph))
    inspector = Inspector(editor)
    qtbot.addWidget(inspector)
    inspector.show()
    return editor, inspector


def _net() -> Graph:
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [3, 8, 8]}))
    g.add_node(Node("act", "Activation", {"function": "sigmoid"}))
    g.add_node(Node("bn", "BatchNorm", {}))
    g.add_edge(Edge("input", "act"))
    g.add_edge(Edge("act", "bn"))
    return g


def test_a_parameter_shows_only_for_the_functions_that_use_it(qtbot):
    editor, inspector = _inspector(qtbot, _net())
    inspector.show_node("act")
    slope = inspector.fields["negative_slope"].widget
    assert not inspector.form.isRowVisible(slope)
    function = inspector.fields["function"].widget
    function.setFocus()
    function.setCurrentText("leaky_relu")  # as a pick in the list does
    assert editor.graph.nodes["act"].params["function"] == "leaky_relu"
    assert inspector.form.isRowVisible(slope)


def test_float_fields_take_decimals_and_step_from_their_definition(qtbot):
    editor, inspector = _inspector(qtbot, _net())
    inspector.show_node("bn")
    eps, momentum = inspector.fields["eps"].widget, inspector.fields["momentum"].widget
    assert (eps.decimals(), eps.singleStep()) == (6, 1e-5)
    assert (momentum.decimals(), momentum.singleStep()) == (3, 0.05)
    momentum.setFocus()
    qtbot.keyClick(momentum, Qt.Key.Key_Up)
    assert abs(editor.graph.nodes["bn"].params["momentum"] - 0.15) < 1e-9


def test_the_network_view_lists_at_most_ten_errors(qtbot):
    g = Graph()
    for i in range(30):
        g.add_node(Node(f"f{i}", "Flatten", {}))
    _, inspector = _inspector(qtbot, g)
    inspector.show_node(None)
    lines = inspector.error.text().splitlines()
    assert len(lines) == 11 and lines[-1] == "• and 21 more"  # 31 errors: no Input, and 30 unconnected blocks


def test_every_block_type_s_fields_fit_the_inspector_unclipped(make_window):
    """The inspector never scrolls sideways, so its widest row (a pair with its 'same' switch, a name with its
    search toggle) must fit its narrowest width, for every block type."""
    from netbuilder.core.blocks import REGISTRY
    from netbuilder.core.document import Document
    from netbuilder.core.graph import Graph, Node

    window = make_window()
    graph = Graph()
    for n, name in enumerate(REGISTRY):
        graph.add_node(Node(f"b{n}", name, {}, (0.0, 120.0 * n)))
    window.files.open_document(Document(graph, "every block"))
    inspector = window.inspector
    for nid in graph.nodes:
        window.scene.select_only(nid)
        assert inspector.node_id == nid
        assert inspector.widget().minimumSizeHint().width() <= inspector.viewport().width(), graph.nodes[nid].type


def test_no_stray_window_appears_when_blocks_are_shown(make_window):
    """A widget shown before it has a parent becomes a window of its own for a moment, which takes the focus
    (and closes an open context menu); none may while the inspector and the dock build their rows."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    shown: list[str] = []

    class Watch(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Show and obj.isWidgetType() and obj.isWindow():
                shown.append(type(obj).__name__)
            return False

    watch = Watch()
    QApplication.instance().installEventFilter(watch)
    try:
        window = make_window()
        for nid in window.editor.graph.nodes:
            window.scene.select_only(nid)
    finally:
        QApplication.instance().removeEventFilter(watch)
    assert shown == ["MainWindow"]
