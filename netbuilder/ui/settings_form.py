"""The run's settings a person sets before Start, generated from TrainConfig's field specs (train.config):
each row's short label, tooltip, range, step and choices come from there, so they are written once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from netbuilder.train import datasets
from netbuilder.train.config import Setting, TrainConfig, settings

FOLDER_ITEM = "Image folder…"
# The settings the form shows, in order; the others keep the recommended (or reopened) config's values.
FIELDS = (
    "dataset",
    "data_dir",
    "resize",
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "schedule",
    "early_stop",
    "patience",
    "crop_padding",
    "flip",
    "val_split",
    "device",
    "precision",
    "health_every",
)


def editor(setting: Setting) -> QWidget:
    """The widget that edits one setting, with its range, step, choices and the long help as its tooltip."""
    widget: QWidget
    if setting.kind is bool:
        widget = QCheckBox(setting.label)
    elif "choices" in setting.rules or setting.options:
        widget = QComboBox(editable=bool(setting.options))
        widget.addItems(list(setting.rules.get("choices", setting.options)))
    elif setting.kind is int:
        widget = QSpinBox(minimum=int(setting.lowest), maximum=int(setting.highest))
    elif setting.kind is float:
        widget = QDoubleSpinBox(
            decimals=setting.decimals, minimum=setting.lowest, maximum=setting.highest, singleStep=setting.step or 1.0
        )
    else:
        widget = QLineEdit()
    if isinstance(widget, QComboBox):  # never wider than the form: long items are cut, the list shows them whole
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(8)
    if not isinstance(widget, QCheckBox):  # a check box keeps its label's width
        widget.setSizePolicy(QSizePolicy.Policy.Ignored, widget.sizePolicy().verticalPolicy())
        widget.setMinimumWidth(60)
    widget.setToolTip(f"{setting.label}: {setting.help}")
    return widget


def value_of(widget: QWidget) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value()
    assert isinstance(widget, QLineEdit)
    return widget.text().strip() or None


def show_value(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(value)
    elif isinstance(widget, QComboBox):
        widget.setCurrentText(value)
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.setValue(value)
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText(value or "")


class SettingsForm(QWidget):
    """FIELDS of TrainConfig, with the dataset's fit to the Input block, its fix, the device and the memory
    estimate under the rows they concern. `changed` follows every edit."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.base = TrainConfig()
        self.folder = ""
        by_name = {s.name: s for s in settings()}
        self.fields = {name: editor(by_name[name]) for name in FIELDS if name != "dataset"}
        self.dataset = QComboBox()  # the registry's datasets, then a folder chosen in a dialog
        for info in datasets.list_datasets():
            self.dataset.addItem(info.title, info.key)
        self.dataset.addItem(FOLDER_ITEM, "")
        self.dataset.setToolTip(f"Dataset: {by_name['dataset'].help}")
        self.dataset.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.dataset.setMinimumWidth(60)
        data_dir = self.fields["data_dir"]
        assert isinstance(data_dir, QLineEdit)
        data_dir.setPlaceholderText(str(datasets.data_dir(None)))
        self.fit = QLabel(wordWrap=True, objectName="fit")
        self.fix_input = QPushButton()
        self.fix_input.hide()
        self.device_info = QLabel("probing…", wordWrap=True)
        self.memory = QLabel(wordWrap=True)
        after = {"data_dir": self.fit, "resize": self.fix_input, "device": self.device_info}
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name in FIELDS:
            widget = self.dataset if name == "dataset" else self.fields[name]
            form.addRow("" if isinstance(widget, QCheckBox) else by_name[name].label, widget)
            label = form.labelForField(widget)
            if label is not None:
                label.setToolTip(widget.toolTip())
            if name in after:
                form.addRow("", after[name])
        form.addRow("Memory", self.memory)
        for widget in self.fields.values():
            self._connect(widget)
        self.dataset.activated.connect(self._dataset_chosen)  # the folder item asks for the folder first

    def _connect(self, widget: QWidget) -> None:
        if isinstance(widget, QCheckBox):
            widget.toggled.connect(self._emit)
        elif isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(self._emit)
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.valueChanged.connect(self._emit)
        elif isinstance(widget, QLineEdit):
            widget.editingFinished.connect(self._emit)

    def _emit(self, *_: object) -> None:
        self.changed.emit()

    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) == "":
            folder = QFileDialog.getExistingDirectory(self, "A folder with one subfolder of images per class")
            if folder:
                self.folder = folder
                self.dataset.setItemText(index, f"folder: {Path(folder).name}")
        self.changed.emit()

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
        for name, widget in self.fields.items():
            show_value(widget, getattr(config, name))
        self.blockSignals(False)

    def set_value(self, name: str, value: Any) -> None:
        """Show one setting's new value (a learning rate the search found), as an edit would: `changed` follows."""
        widget = self.fields[name]
        widget.blockSignals(True)
        show_value(widget, value)
        widget.blockSignals(False)
        self.changed.emit()

    def config(self) -> TrainConfig:
        """The settings shown; raises TrainError with a sentence when one is impossible."""
        shown = {name: value_of(widget) for name, widget in self.fields.items()}
        return self.base.replace(dataset=self.dataset_key(), **shown)
