"""The inspector: edits the selected block's parameters, shows its arithmetic, errors and fixes."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.blocks import REGISTRY, fmt_shape
from netbuilder.core.check.explain import Fix, fixes, formula, warnings
from netbuilder.core.check.shapes import Check
from netbuilder.core.check.summary import short
from netbuilder.core.fields import Field, ShapeError, coerce
from netbuilder.core.graph import NAME_LIMIT, Edge, Node, blocks_in
from netbuilder.core.groups import facts
from netbuilder.core.learning import frozen_by, inherited_lr_mult, is_frozen, lr_mult_problem
from netbuilder.core.search_space import SpaceError, check_dim, first_guess, parse_text
from netbuilder.core.text import at_most
from netbuilder.ui import theme
from netbuilder.ui.canvas.badges import lock_icon
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.undo import (
    delete_blocks,
    fold,
    freeze,
    insert_on_edge,
    rename_group,
    set_learning,
    set_params,
    set_search,
)
from netbuilder.ui.field_widgets import FieldWidget, SearchRow

FROZEN = "Frozen: not trained"


def shown_value(spec: Field, raw: dict[str, Any]) -> Any:
    """The value a widget shows: the stored one when it is valid, else the default."""
    try:
        return coerce(spec, raw.get(spec.name, spec.default))
    except ShapeError:
        return coerce(spec, spec.default)


def _effective(spec: Field, values: dict[str, Any]) -> tuple[int, int] | None:
    """What a nullable pair means when empty: the kernel size (a pooling stride of None strides by it)."""
    if not spec.nullable:
        return None
    kernel = values.get("kernel_size")
    if isinstance(kernel, (list, tuple)) and len(kernel) == 2:
        return int(kernel[0]), int(kernel[1])
    return (int(kernel), int(kernel)) if isinstance(kernel, int) and not isinstance(kernel, bool) else None


class Inspector(QScrollArea):
    """Shows the selected block; each change applies at once as an undoable command."""

    def __init__(self, editor: Editor) -> None:
        super().__init__()
        self.editor = editor
        self.node_id: str | None = None
        self.group_id: str | None = None
        self.fields: dict[str, FieldWidget] = {}
        self.rows: dict[str, SearchRow] = {}
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # content wraps to the width
        # Always there: a scroll bar that came with an error and its fixes narrowed every field under the pointer.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setMinimumWidth(320)
        body = QWidget()
        self.layout_ = QVBoxLayout(body)
        self.title = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)  # names come from files
        self.title.setFont(theme.ui_font(11, bold=True))
        self.help = QLabel(wordWrap=True, openExternalLinks=True, textFormat=Qt.TextFormat.RichText)
        self.error = QLabel(wordWrap=True, objectName="error")
        self.error.setStyleSheet(theme.status_style("error"))
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fix_box = QVBoxLayout()
        self.group_host = QWidget()
        group_form = QFormLayout(self.group_host)
        group_form.setContentsMargins(0, 0, 0, 0)
        self.group_name = QLineEdit(objectName="group_name", maxLength=NAME_LIMIT)
        self.group_name.setToolTip("The group's name, shown on its card and frame (Enter to rename).")
        self.group_name.editingFinished.connect(self._rename_group)
        self.group_fold = QPushButton(objectName="group_fold")
        self.group_fold.clicked.connect(self._toggle_group)
        group_form.addRow("name", self.group_name)
        group_form.addRow("", self.group_fold)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.learn_host = QWidget()
        learn_form = QFormLayout(self.learn_host)
        learn_form.setContentsMargins(0, 0, 0, 0)
        self.frozen = QCheckBox(FROZEN, objectName="frozen", icon=lock_icon())
        self.frozen.setToolTip("Its parameters keep their values while training; a BatchNorm keeps its statistics.")
        self.frozen.clicked.connect(self._freeze)
        self.lr_mult = QLineEdit(objectName="lr_mult")
        self.lr_mult.setToolTip("Its learning rate is the set rate times this (0: left as it is; empty: inherited).")
        self.lr_mult.editingFinished.connect(self._set_lr_mult)
        self.learn_note = QLabel(wordWrap=True, objectName="learn_note")
        self.learn_note.setStyleSheet(theme.status_style("error"))
        learn_form.addRow("training", self.frozen)
        learn_form.addRow("lr ×", self.lr_mult)
        learn_form.addRow(self.learn_note)
        self.arithmetic = QLabel(wordWrap=True, objectName="arithmetic")
        self.arithmetic.setFont(theme.mono_font(9))
        self.arithmetic.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = QLabel(wordWrap=True, objectName="warning")
        self.warning.setStyleSheet(theme.status_style("warning", bold=False))
        self.health = QLabel(wordWrap=True, objectName="health")
        self.health.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.health_text: Callable[[str], str] = lambda node_id: ""  # the window's HealthFeed.block_text
        self.weights_text: Callable[[str], str] = lambda node_id: ""  # the window's InitialWeights.block_text
        self.facts = QLabel(wordWrap=True, objectName="facts")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The fields stay where they are whatever the check says: the error and its fixes come under them (an
        # edit that fixes the error does not move the next field away from the pointer), in a row kept for them.
        self.fix_host = QWidget(objectName="fixes")
        self.fix_host.setLayout(self.fix_box)
        self.fix_box.setContentsMargins(0, 0, 0, 0)
        self.fix_host.setMinimumHeight(QPushButton("Fix").sizeHint().height())
        self.search_note = QLabel(wordWrap=True, objectName="search_note")
        self.search_note.setStyleSheet(theme.status_style("error"))
        self.search_note.setVisible(False)
        for w in (self.title, self.help, self.group_host, self.form_host, self.learn_host, self.search_note):
            self.layout_.addWidget(w)
        for w in (self.error, self.fix_host):
            self.layout_.addWidget(w)
        for w in (self.arithmetic, self.warning, self.facts, self.health):
            self.layout_.addWidget(w)
        self.layout_.addStretch(1)
        self.setWidget(body)
        editor.checked.connect(self.refresh)
        editor.replaced.connect(self.show_node)
        self.show_node(None)

    def focus_first_field(self) -> bool:
        """Put the keyboard in the shown block's first field (its text selected, to type over); False if none."""
        for field in self.fields.values():
            w = field.widget
            widgets = [w, *w.findChildren(QWidget)]
            target = next((c for c in widgets if c.focusPolicy() & Qt.FocusPolicy.TabFocus and c.isEnabled()), None)
            if target is not None:
                target.setFocus(Qt.FocusReason.ShortcutFocusReason)
                if isinstance(target, (QAbstractSpinBox, QLineEdit)):
                    target.selectAll()
                return True
        return False

    def show_group(self, group_id: str) -> None:
        """Show a group: its name (editable), what enters and leaves it, its cost and its first error."""
        self.show_node(None)
        self.group_id = group_id if group_id in self.editor.graph.groups else None
        self.refresh()

    def show_node(self, node_id: str | None = None) -> None:
        """Show a block (rebuilding the form) or, with None, the whole network."""
        self.group_id = None
        self.node_id = node_id if node_id in self.editor.graph.nodes else None
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields, self.rows = {}, {}
        self.search_note.setVisible(False)
        if self.node_id is not None:
            node = self.editor.graph.nodes[self.node_id]
            block = REGISTRY.get(node.type)
            for spec in block.params if block else ():
                field = FieldWidget(spec, lambda name=spec.name: self._changed(name))
                row = SearchRow(spec)
                row.toggle.toggled.connect(lambda on, name=spec.name: self._mark(name, on))
                row.text.editingFinished.connect(lambda name=spec.name: self._search_edited(name))
                self.fields[spec.name], self.rows[spec.name] = field, row
                self.form.addRow(row.label, field.widget)
                self.form.addRow("", row.text)
        self.refresh()

    def refresh(self, *_: object) -> None:
        graph, result = self.editor.graph, self.editor.result
        if self.node_id is not None and self.node_id not in graph.nodes:
            self.show_node(None)
            return
        self._clear_fixes()
        if self.group_id is not None and self.group_id not in graph.groups:
            self.group_id = None
        self.group_host.setVisible(self.group_id is not None)
        self._show_learning()
        if self.group_id is not None:
            self._show_group(result)
            return
        if self.node_id is None:
            self._show_network(result)
            return
        node, res = graph.nodes[self.node_id], result.nodes[self.node_id]
        block = REGISTRY.get(node.type)
        self.title.setText(f"{node.type} '{node.id}'")
        values = res.values or {name: shown_value(f.field, node.params) for name, f in self.fields.items()}
        # The idea follows the values shown, valid or not: the help above the fields keeps its lines when an
        # error appears, so the fields do not jump away from the pointer.
        idea = block.idea(values) if block else None
        self.help.setText(
            html.escape(block.help if block else "")
            + (f'<br>Idea: <a href="{html.escape(idea[1])}">{html.escape(idea[0])}</a>' if idea else "")
        )
        self.error.setText(res.error or "")
        self.error.setVisible(bool(res.error))
        space = self.editor.document.search
        for name, field in self.fields.items():
            field.set(shown_value(field.field, node.params), _effective(field.field, values))
            dim = space.get(node.id, name)
            self.rows[name].show_dim(dim)
            self.form.setRowVisible(field.widget, field.field.applies(values))
            self.form.setRowVisible(self.rows[name].text, dim is not None and field.field.applies(values))
        lines = formula(graph, result, self.node_id)
        shown = [part for line in lines for part in line.split(": ", 1)]  # the axis, then its arithmetic
        self.arithmetic.setText("\n".join(shown))
        self.arithmetic.setVisible(bool(lines))
        warns = warnings(graph, result, self.node_id)
        self.warning.setText("\n".join(warns))
        self.warning.setVisible(bool(warns))
        for fix in fixes(graph, result, self.node_id):
            button = QPushButton(fix.label)
            button.clicked.connect(lambda _=False, f=fix: self.apply_fix(f))
            self.fix_box.addWidget(button)
        inputs = " + ".join(fmt_shape(s) for s in res.input_shapes) or "—"
        output = fmt_shape(res.output_shape) if res.output_shape is not None else "?"
        weights = self.weights_text(self.node_id)
        self.facts.setText(
            f"Input: {inputs}\nOutput: {output}\nParams: {res.params:,}\nMACs: {res.macs:,}"
            + (f"\n{weights}" if weights else "")
        )
        health = self.health_text(self.node_id)
        self.health.setText(health)
        self.health.setVisible(bool(health))

    def _show_group(self, result: Check) -> None:
        graph, gid = self.editor.graph, self.group_id
        assert gid is not None
        group, found = graph.groups[gid], facts(graph, result, gid)
        self.title.setText(f"Group '{group.name}'")
        self.help.setText("A named set of blocks, shown as one card when folded (double-click to expand).")
        if not self.group_name.hasFocus():
            self.group_name.setText(group.name)
        self.group_fold.setText("Expand" if group.folded else "Fold into a card")
        self.error.setText(f"'{found.error[0]}': {found.error[1]}" if found.error else "")
        self.error.setVisible(bool(found.error))
        self.arithmetic.setVisible(False)
        self.warning.setVisible(False)
        self.health.setVisible(False)
        shapes = [
            ", ".join(fmt_shape(s) if s else "?" for s in found.inputs),
            ", ".join(fmt_shape(s) if s else "?" for s in found.outputs),
        ]
        self.facts.setText(
            f"{len(blocks_in(graph, gid))} blocks\nInput: {shapes[0] or '—'}\nOutput: {shapes[1] or '—'}\n"
            f"Params: {found.params:,} ({short(found.params)})\nMACs: {found.macs:,} ({short(found.macs)})"
        )

    def _unit(self) -> str | None:
        """The block or group shown, if any."""
        return self.node_id if self.node_id is not None else self.group_id

    def _show_learning(self) -> None:
        """Whether the block or group shown is frozen, and its learning-rate multiplier (own, else inherited)."""
        graph, unit = self.editor.graph, self._unit()
        self.learn_host.setVisible(unit is not None)
        if unit is None:
            return
        own = graph.nodes[unit] if unit in graph.nodes else graph.groups[unit]
        self.frozen.setChecked(is_frozen(graph, unit, self.editor.result.frozen))
        holder = frozen_by(graph, unit)
        self.frozen.setText(f"Frozen with group '{graph.groups[holder].name}'" if holder else FROZEN)
        if not self.lr_mult.hasFocus():
            self.lr_mult.setText("" if own.lr_mult is None else f"{own.lr_mult:g}")
            self.learn_note.setVisible(False)
        inherited, source = inherited_lr_mult(graph, unit)
        self.lr_mult.setPlaceholderText(f"{inherited:g} (group '{graph.groups[source].name}')" if source else "1")

    def _freeze(self, on: bool) -> None:
        unit = self._unit()
        if unit is not None:
            verb = "Freeze" if on else "Unfreeze"
            self.editor.push(freeze(self.editor.graph, [unit], on, f"{verb} '{unit}'"))

    def _set_lr_mult(self) -> None:
        """Read the multiplier typed (empty: inherited); a mistake is one sentence under it."""
        graph, unit, text = self.editor.graph, self._unit(), self.lr_mult.text().strip()
        if unit is None:
            return
        try:
            value: Any = float(text) if text else None
        except ValueError:
            value = text  # the sentence quotes it
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # -1, not -1.0, in the sentence and the file
        problem = None if value is None else lr_mult_problem(value)
        self.learn_note.setText(f"{problem[0].upper()}{problem[1:]}" if problem else "")
        self.learn_note.setVisible(bool(problem))
        own = graph.nodes[unit] if unit in graph.nodes else graph.groups[unit]
        if problem is None and value != own.lr_mult:
            change = {unit: (own.frozen, value)}
            self.editor.push(set_learning(graph, change, f"Set the learning-rate multiplier of '{unit}'"))

    def _rename_group(self) -> None:
        gid, name = self.group_id, self.group_name.text().strip()
        if gid is None or gid not in self.editor.graph.groups or name == self.editor.graph.groups[gid].name:
            return
        if not name:
            self.group_name.setText(self.editor.graph.groups[gid].name)
            return
        self.editor.push(rename_group(self.editor.graph, gid, name))

    def _toggle_group(self) -> None:
        gid = self.group_id
        if gid is not None and gid in self.editor.graph.groups:
            self.editor.push(fold(self.editor.graph, gid, not self.editor.graph.groups[gid].folded))

    def _show_network(self, result: Check) -> None:
        doc = self.editor.document
        self.title.setText(doc.name)
        self.help.setText(html.escape(doc.description or "Select a block to edit it.").replace("\n", "<br>"))
        errors = at_most(result.errors)
        self.error.setText("\n".join(f"• {e}" for e in errors))
        self.error.setVisible(bool(errors))
        self.arithmetic.setVisible(False)
        self.warning.setVisible(False)
        self.health.setVisible(False)
        self.facts.setText(
            f"{len(self.editor.graph.nodes)} blocks\nParams: {result.total_params:,} ({short(result.total_params)})\n"
            f"MACs: {result.total_macs:,} ({short(result.total_macs)})"
        )

    def _clear_fixes(self) -> None:
        while self.fix_box.count():
            widget = self.fix_box.takeAt(0).widget()
            if widget:
                widget.deleteLater()

    def _changed(self, name: str) -> None:
        if self.node_id is None:
            return
        node = self.editor.graph.nodes[self.node_id]
        params = dict(node.params)
        params[name] = self.fields[name].get()
        if params != node.params:
            self.editor.push(set_params(self.editor.graph, self.node_id, params, name))

    def _mark(self, name: str, on: bool) -> None:
        """Mark a parameter "search" (with a first range or list around its value) or no longer."""
        if self.node_id is None:
            return
        doc, nid = self.editor.document, self.node_id
        field = self.fields[name]
        dim = first_guess(field.field, shown_value(field.field, doc.graph.nodes[nid].params)) if on else None
        verb = "Search" if on else "Stop searching"
        self.search_note.setVisible(False)
        if on and dim is None:
            self.rows[name].toggle.setChecked(False)
            self.search_note.setText(f"{name} has no simple range to search from its value; change it first.")
            self.search_note.setVisible(True)
            return
        self.editor.push(set_search(doc, doc.search.with_block(nid, name, dim), f"{verb} {name} of '{nid}'"))
        if on:
            self.rows[name].text.setFocus()
            self.rows[name].text.selectAll()

    def _search_edited(self, name: str) -> None:
        """Read the range or list typed for a parameter; a mistake is one sentence under the fields."""
        if self.node_id is None or name not in self.rows:
            return
        doc, nid, row = self.editor.document, self.node_id, self.rows[name]
        current = doc.search.get(nid, name)
        if current is None:
            return
        try:
            dim = check_dim(self.fields[name].field, parse_text(row.text.text()))
        except SpaceError as e:
            self.search_note.setText(f"{name}: {e}")
            self.search_note.setVisible(True)
            row.text.setStyleSheet(theme.status_style("error", bold=False))
            return
        self.search_note.setVisible(False)
        row.text.setStyleSheet("")
        if dim != current:
            self.editor.push(set_search(doc, doc.search.with_block(nid, name, dim), f"Search {name} of '{nid}'"))

    def apply_fix(self, fix: Fix) -> None:
        graph, nid = self.editor.graph, self.node_id
        if nid is None:
            return
        if fix.kind == "params":
            self.editor.push(set_params(graph, nid, {**graph.nodes[nid].params, **fix.params}))
        elif fix.kind == "remove":
            self.editor.push(delete_blocks(graph, [nid]))
        elif fix.kind == "insert":
            edge: Edge = next(e for e in graph.in_edges(nid) if e.port == fix.port)
            src = graph.nodes[edge.src].position or (0.0, 0.0)
            node = Node(
                graph.unique_id(REGISTRY[fix.block_type].new_id_base({})), fix.block_type, {}, (src[0], src[1] + 50)
            )
            self.editor.push(insert_on_edge(graph, node, edge))
        self.editor.say(f"Applied: {fix.label}.")
