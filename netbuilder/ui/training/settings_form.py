"""The run's settings a person sets before Start, generated from TrainConfig's field specs (records.config):
each row's short label, tooltip, range, step and choices come from there, so they are written once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from netbuilder.core.search_space import SearchSpace, SpaceError, first_guess, parse_text
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig, document_config, recommend, settings
from netbuilder.records.search_settings import check_training
from netbuilder.records.train_error import TrainError
from netbuilder.ui import theme
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.undo import set_search, set_training
from netbuilder.ui.field_widgets import FieldWidget, SearchRow

FOLDER_ITEM = "Image folder…"
# The settings the form shows, in order; the others keep the recommended (or reopened) config's values.
FIELDS = (
    "dataset",
    "data_dir",
    "resize",
    "classes",
    "per_class",
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "schedule",
    "fine_tune",
    "head_epochs",
    "early_stop",
    "patience",
    "crop_padding",
    "flip",
    "val_split",
    "device",
    "precision",
    "health_every",
)


class SettingsForm(QWidget):
    """FIELDS of TrainConfig, with the dataset's fit to the Input block, its fix, the device and the memory
    estimate under the rows they concern. `changed` follows every edit. Given a document (enable_search), the
    settings are the document's: each edit is an undoable step that saves them with it (Document.training), and
    opening a document or undoing shows its settings."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.base = TrainConfig()
        self.folder = ""
        by_name = {s.name: s for s in settings()}
        self.fields = {
            name: FieldWidget(by_name[name], lambda name=name: self._edited(name))
            for name in FIELDS
            if name != "dataset"
        }
        self.dataset = QComboBox()  # the registry's datasets, then a folder chosen in a dialog
        for info in datasets.list_datasets():
            self.dataset.addItem(info.title, info.key)
        self.dataset.addItem(FOLDER_ITEM, "")
        self.dataset.setToolTip(f"Dataset: {by_name['dataset'].help}")
        self.dataset.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.dataset.setMinimumWidth(60)
        data_dir = self.fields["data_dir"].widget
        assert isinstance(data_dir, QLineEdit)
        data_dir.setPlaceholderText(str(datasets.data_dir(None)))
        classes = self.fields["classes"].widget
        assert isinstance(classes, QLineEdit)
        classes.setPlaceholderText("every class, or some: 0,1,2")
        self.fit = QLabel(wordWrap=True, objectName="fit")
        self.fix_input = QPushButton()
        self.fix_input.hide()
        self.device_info = QLabel("probing…", wordWrap=True)
        self.memory = QLabel(wordWrap=True)
        after = {"data_dir": self.fit, "resize": self.fix_input, "device": self.device_info}
        self.editor: Editor | None = None  # the open document, whose search space the ± toggles mark
        self.recorded: dict[str, Any] = {}  # the document's training settings as the form last showed or set them
        self.search_rows: dict[str, SearchRow] = {}
        self.search_note = QLabel(wordWrap=True, objectName="search_note")
        self.search_note.setStyleSheet(theme.status_style("error"))
        self.form = form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name in FIELDS:
            widget = self.dataset if name == "dataset" else self.fields[name].widget
            setting = by_name[name]
            if isinstance(widget, QCheckBox):
                form.addRow("", widget)
            elif setting.searchable:
                row = self.search_rows[name] = SearchRow(setting)
                row.label.setToolTip(widget.toolTip())
                form.addRow(row.label, widget)
                form.addRow("", row.text)
                form.setRowVisible(row.text, False)
                row.toggle.setVisible(False)  # until enable_search gives the form a document
                row.toggle.toggled.connect(lambda on, n=name: self._mark(n, on))
                row.text.editingFinished.connect(lambda n=name: self._search_edited(n))
            else:
                form.addRow(setting.label, widget)
                label = form.labelForField(widget)
                if label is not None:
                    label.setToolTip(widget.toolTip())
            if name in after:
                form.addRow("", after[name])
        form.addRow("", self.search_note)
        form.setRowVisible(self.search_note, False)
        form.addRow("Memory", self.memory)
        self.dataset.activated.connect(self._dataset_chosen)  # the folder item asks for the folder first

    def _edited(self, name: str) -> None:
        """A person changed a setting: the document keeps it (one undo step), then `changed`."""
        if not self.signalsBlocked():
            self._record(name)
            self.changed.emit()

    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) == "":
            folder = QFileDialog.getExistingDirectory(self, "A folder with one subfolder of images per class")
            if folder:
                self.folder = folder
                self.dataset.setItemText(index, f"folder: {Path(folder).name}")
        self._edited("dataset")

    def dataset_key(self) -> str:
        key = self.dataset.currentData()
        return key if key else f"{datasets.FOLDER}{self.folder}"

    def show_config(self, config: TrainConfig) -> None:
        """Put a config's values in the widgets (without emitting a change for each)."""
        self.blockSignals(True)
        self.base = config
        if config.dataset.startswith(datasets.FOLDER):
            self.folder = config.dataset[len(datasets.FOLDER) :]
            self.dataset.setCurrentIndex(self.dataset.count() - 1)
        else:
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(config.dataset)))
        for name, field in self.fields.items():
            field.set(getattr(config, name))
        self.blockSignals(False)

    def set_value(self, name: str, value: Any) -> None:
        """Show one setting's new value (a learning rate the search found), as an edit would: `changed` follows."""
        self.fields[name].set(value)
        self._edited(name)

    def config(self) -> TrainConfig:
        """The settings shown; raises TrainError with a sentence when one is impossible."""
        values = {name: field.get() for name, field in self.fields.items()}
        return self.base.replace(dataset=self.dataset_key(), **values)

    def shown(self) -> dict[str, Any]:
        """The settings the form shows, by name (those without a value left out): what a document saves."""
        values = {name: field.get() for name, field in self.fields.items()}
        return {"dataset": self.dataset_key(), **{k: v for k, v in values.items() if v is not None}}

    # The document's settings ------------------------------------------------------------------------

    def show_document(self) -> str | None:
        """Show the open document's settings: those saved with it, the others from the recipe that suits its
        network (for the dataset chosen, when it saves none). Returns the sentence refusing saved settings that
        cannot be used (the recipe is shown then), else None."""
        assert self.editor is not None
        graph, training = self.editor.graph, self.editor.document.training
        problem = None
        try:
            config = document_config(graph, training, fallback_dataset=self.dataset_key())
        except TrainError as e:
            try:
                config = document_config(graph, {}, fallback_dataset=self.dataset_key())
            except TrainError:
                config = recommend(graph)
            problem = str(e) if training else None
        self.show_config(config)
        self.recorded = dict(training)
        return problem

    def _record(self, name: str) -> None:
        """Save the settings shown with the document, as one undoable step named after the setting changed
        (nothing when a value is impossible: its sentence is shown instead)."""
        if self.editor is None:
            return
        try:
            self.config()
        except TrainError:
            return
        doc = self.editor.document
        training = {**doc.training, **self.shown()}  # settings the form does not show keep their saved values
        if training != doc.training:
            self.recorded = training
            self.editor.push(set_training(doc, training, name))

    def _follow_document(self, *_: object) -> None:
        """After an undo or redo of a setting's change (the document's settings are not the ones shown)."""
        if self.editor is not None and self.editor.document.training != self.recorded:
            self.show_document()
            self.changed.emit()

    # Searched settings ------------------------------------------------------------------------------

    def enable_search(self, editor: Editor) -> None:
        """Show each searchable setting's ± toggle, marking it "search" in editor's document (undoable); the
        settings become the document's (show_document, _record)."""
        self.editor = editor
        for row in self.search_rows.values():
            row.toggle.setVisible(True)
        editor.checked.connect(self._follow_document)
        editor.checked.connect(self.show_search)
        editor.replaced.connect(self.show_search)
        self.recorded = dict(editor.document.training)
        self.show_search()

    def show_search(self, *_: object) -> None:
        """Each searched setting's toggle on and its range or list under it."""
        if self.editor is None:
            return
        training = self.editor.document.search.training
        for name, row in self.search_rows.items():
            row.show_dim(training.get(name))
            if self.form.isRowVisible(row.text) != (name in training):
                self.form.setRowVisible(row.text, name in training)

    def _mark(self, name: str, on: bool) -> None:
        """Mark a setting "search" (with a first range or list around its value) or no longer."""
        if self.editor is None:
            return
        doc = self.editor.document
        self.form.setRowVisible(self.search_note, False)
        field = self.fields[name]
        dim = first_guess(field.field, field.get()) if on else None
        if on and dim is None:
            self.search_rows[name].toggle.setChecked(False)
            self._say(f"{name} has no simple range to search from its value; type one in the Search tab.")
            return
        verb = "Search" if on else "Stop searching"
        self.editor.push(set_search(doc, doc.search.with_setting(name, dim), f"{verb} {name}"))
        if on:
            self.search_rows[name].text.setFocus()
            self.search_rows[name].text.selectAll()

    def _search_edited(self, name: str) -> None:
        """Read the range or list typed for a setting; a mistake is one sentence under the form."""
        if self.editor is None or name not in self.editor.document.search.training:
            return
        doc, row = self.editor.document, self.search_rows[name]
        try:
            dim = parse_text(row.text.text())
            check_training(SearchSpace(training={name: dim}))
        except (SpaceError, TrainError) as e:
            row.text.setStyleSheet(theme.status_style("error", bold=False))
            self._say(f"{name}: {e}")
            return
        row.text.setStyleSheet("")
        self.form.setRowVisible(self.search_note, False)
        if dim != doc.search.training[name]:
            self.editor.push(set_search(doc, doc.search.with_setting(name, dim), f"Search {name}"))

    def _say(self, text: str) -> None:
        self.search_note.setText(text)
        self.form.setRowVisible(self.search_note, True)
