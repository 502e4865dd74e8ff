"""The one widget factory for a Field (core.fields), a block parameter or a training setting: the widget that edits
it, with its range, step, unit, choices and help, and the row that marks it "search". The inspector and the
training settings form both build their rows here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.fields import Field, to_json
from netbuilder.core.search_space import Dim, format_text

INT_MAX = 2**31 - 1
NO_LIMIT = "no limit"  # what a whole number that may be None (a limit: per class, images) shows for None
SEARCH_TIP = (
    'Search this value: a list such as "32, 64, 128" or a range such as "0.1 … 0.5" (add "log" for a log range), '
    "tried by the Search tab's study"
)


def _narrow(widget: QWidget, least: int) -> None:
    """Let the widget shrink with a narrow dock (down to `least` pixels) rather than widen the form."""
    widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    widget.setMinimumWidth(least)


def _spin(field: Field, least: int = 44) -> QSpinBox:
    box = QSpinBox(minimum=int(field.lowest), maximum=int(min(field.highest, INT_MAX)))
    if field.unit:
        box.setSuffix(f" {field.unit}")
    box.setKeyboardTracking(False)
    _narrow(box, least)
    return box


class PairEdit(QWidget):
    """Two spin boxes [h, w], linked (square) by default; optional 'same' or 'default' switch."""

    changed = Signal()

    def __init__(self, field: Field, switch: str = "") -> None:
        super().__init__()
        self.h, self.w = _spin(field), _spin(field)
        self.link = QToolButton(text="=", checkable=True, checked=True, toolTip="Keep height and width equal")
        self.switch = QCheckBox(switch) if switch else None
        self.effective: tuple[int, int] | None = None  # what the boxes show while switched
        self.link.setFixedWidth(20)
        outer = QVBoxLayout(self)  # the switch under the sizes, so that the row fits a narrow inspector
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        layout = QHBoxLayout()
        layout.setSpacing(2)
        outer.addLayout(layout)
        for w in (self.h, self.link, self.w):
            layout.addWidget(w)
        if self.switch:
            outer.addWidget(self.switch)
        self.h.valueChanged.connect(self._h_changed)
        self.w.valueChanged.connect(lambda _: self.changed.emit())
        self.link.toggled.connect(self._h_changed)
        if self.switch:
            self.switch.toggled.connect(self._switched)

    def _h_changed(self, *_: Any) -> None:
        if self.link.isChecked() and self.w.value() != self.h.value():
            self.w.setValue(self.h.value())  # emits changed through w
            return
        self.changed.emit()

    def _switched(self, on: bool) -> None:
        for w in (self.h, self.w, self.link):
            w.setEnabled(not on)
        if on and self.effective is not None:
            self._show(self.effective)
        self.changed.emit()

    def set(self, value: Any, effective: tuple[int, int] | None = None) -> None:
        """Show value; while switched ("same", or None for "= kernel_size") the boxes show effective, the
        value the block uses (the kernel size), never a stale number."""
        on = value is None or value == "same"
        self.effective = effective
        if self.switch:
            self.switch.setChecked(on)
        for w in (self.h, self.w, self.link):
            w.setEnabled(not on)
        if not on:
            self._show(value)
        elif effective is not None:
            self._show(effective)

    def _show(self, value: tuple[int, int]) -> None:
        blocked = [w.blockSignals(True) for w in (self.h, self.w, self.link)]
        self.h.setValue(value[0])
        self.w.setValue(value[1])
        self.link.setChecked(value[0] == value[1])
        for w, was in zip((self.h, self.w, self.link), blocked):
            w.blockSignals(was)

    def get(self, switched_value: Any) -> Any:
        if self.switch and self.switch.isChecked():
            return switched_value
        return to_json((self.h.value(), self.w.value()))


class ShapeEdit(QWidget):
    """The Input's shape: an image C×H×W or a vector of F features."""

    changed = Signal()

    def __init__(self, field: Field) -> None:
        super().__init__()
        self.kind = QComboBox()
        self.kind.addItems(["image C×H×W", "vector F"])
        self.sizes = [_spin(field) for _ in range(3)]
        layout = QVBoxLayout(self)  # the kind above the sizes: in one line they would not fit a narrow inspector
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        sizes = QHBoxLayout()
        sizes.setSpacing(2)
        layout.addLayout(sizes)
        for box in self.sizes:
            sizes.addWidget(box)
            box.valueChanged.connect(lambda _: self.changed.emit())
        self.kind.currentIndexChanged.connect(self._kind_changed)

    def _kind_changed(self, index: int) -> None:
        for box in self.sizes[1:]:
            box.setVisible(index == 0)
        self.changed.emit()

    def set(self, value: tuple[int, ...]) -> None:
        self.kind.setCurrentIndex(0 if len(value) == 3 else 1)
        for box in self.sizes[1:]:
            box.setVisible(len(value) == 3)
        for box, v in zip(self.sizes, value):
            box.setValue(v)

    def get(self) -> list[int]:
        values = [b.value() for b in self.sizes]
        return values if self.kind.currentIndex() == 0 else values[:1]


class FieldWidget:
    """The widget that edits one Field: set() shows a value without signalling, get() reads the value to store,
    and on_change follows every edit by the person."""

    def __init__(self, field: Field, on_change: Callable[[], None]) -> None:
        self.field = field
        kind = field.kind

        def edited(*_: object) -> None:  # each widget's signal carries its own arguments
            on_change()

        if kind == "int":
            self.widget: QWidget = _spin(field, least=60)
            if field.nullable:  # None is the value below the least, shown as words
                self.widget.setMinimum(self.widget.minimum() - 1)
                self.widget.setSpecialValueText(NO_LIMIT)
            self.widget.valueChanged.connect(edited)
        elif kind == "float":
            box = QDoubleSpinBox(decimals=field.decimals, minimum=field.lowest, maximum=field.highest)
            box.setSingleStep(field.step)
            if field.unit:
                box.setSuffix(f" {field.unit}")
            box.setKeyboardTracking(False)
            _narrow(box, 60)
            box.valueChanged.connect(edited)
            self.widget = box
        elif kind == "bool":
            self.widget = QCheckBox(field.label)
            self.widget.toggled.connect(edited)
        elif kind == "choice" or field.options:
            combo = QComboBox(editable=bool(field.options))  # options: suggestions; any allowed text may be typed
            combo.addItems(list(field.choices or field.options))
            # Never wider than the form: long items are cut, the open list shows them whole.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            _narrow(combo, 60)
            combo.currentTextChanged.connect(edited)
            self.widget = combo
        elif kind == "text":
            line = QLineEdit()
            _narrow(line, 60)
            line.editingFinished.connect(edited)
            self.widget = line
        elif kind in ("pair", "padding"):
            switch = "same" if kind == "padding" else ("= kernel_size" if field.nullable else "")
            self.widget = PairEdit(field, switch)
            self.widget.changed.connect(edited)
        else:
            self.widget = ShapeEdit(field)
            self.widget.changed.connect(edited)
        self.widget.setToolTip(f"{field.label}: {field.help}" if field.label else field.help)

    def set(self, value: Any, effective: Any = None) -> None:
        """Show value (for a switched pair, the boxes show effective: the value the block uses)."""
        w = self.widget
        blocked = [c.blockSignals(True) for c in (w, *w.findChildren(QWidget))]
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(w.minimum() if value is None else value)
        elif isinstance(w, QCheckBox):
            w.setChecked(value)
        elif isinstance(w, QComboBox):
            w.setCurrentText(value)
        elif isinstance(w, QLineEdit):
            w.setText(value or "")
        elif isinstance(w, PairEdit):
            w.set(value, effective)
        else:
            w.set(value)
        for c, was in zip((w, *w.findChildren(QWidget)), blocked):
            c.blockSignals(was)

    def get(self) -> Any:
        w = self.widget
        if isinstance(w, QSpinBox) and self.field.nullable and w.value() == w.minimum():
            return None
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentText()
        if isinstance(w, QLineEdit):
            return w.text().strip() or None
        if isinstance(w, PairEdit):
            return w.get("same" if self.field.kind == "padding" else None)
        return w.get()


class SearchRow:
    """A field's name with its "search" toggle (a form's label), and the line that holds the range or list it is
    searched over (a form row of its own under the field, shown while it is marked)."""

    def __init__(self, field: Field) -> None:
        self.label = QWidget()
        self.name = QLabel(field.label or field.name)
        self.toggle = QToolButton(text="±", checkable=True, autoRaise=True, objectName="search_toggle")
        self.toggle.setFixedWidth(18)  # narrow: the label column must leave the fields room in a narrow dock
        self.toggle.setAccessibleName(f"search {field.name}")
        self.toggle.setToolTip(SEARCH_TIP)
        layout = QHBoxLayout(self.label)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.name)
        layout.addStretch(1)
        layout.addWidget(self.toggle)
        self.toggle.setVisible(field.searchable)  # once it has its parent: shown without one, it is its own window
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
