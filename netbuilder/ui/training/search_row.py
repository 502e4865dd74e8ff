"""A parameter's or setting's name with its "search" toggle, and the line holding what it is searched over: the
inspector's block parameters and the training settings form both use it."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from netbuilder.core.search_space import Dim, format_text

SEARCH_TIP = (
    'Search this parameter: a list such as "32, 64, 128" or a range such as "0.1 … 0.5" (add "log" for a log '
    "range), tried by the Search tab's study"
)


class SearchRow:
    """The name with its "search" toggle (a form's label), and the line that holds the range or list it is
    searched over (a form row of its own under the field, shown while it is marked)."""

    def __init__(self, name: str, title: str = "", searchable: bool = True) -> None:
        self.label = QWidget()
        self.name = QLabel(title or name)
        self.toggle = QToolButton(text="±", checkable=True, autoRaise=True, objectName="search_toggle")
        self.toggle.setFixedWidth(18)  # narrow: the label column must leave the fields room in a narrow dock
        self.toggle.setAccessibleName(f"search {name}")
        self.toggle.setToolTip(SEARCH_TIP)
        layout = QHBoxLayout(self.label)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.name)
        layout.addStretch(1)
        layout.addWidget(self.toggle)
        self.toggle.setVisible(searchable)  # once it has its parent: shown without one, it is a window of its own
        self.text = QLineEdit(objectName="search_text", placeholderText="32, 64, 128  or  0.1 … 0.5 log")
        self.text.setToolTip(SEARCH_TIP)

    def show_dim(self, dim: Dim | None) -> None:
        """Show whether it is searched, and over what (unless the person is typing it)."""
        self.toggle.blockSignals(True)
        self.toggle.setChecked(dim is not None)
        self.toggle.blockSignals(False)
        if dim is not None and not self.text.hasFocus():
            self.text.setText(format_text(dim))
            self.text.setStyleSheet("")
