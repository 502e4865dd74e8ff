"""The settings form is generated from TrainConfig's fields (the one Field schema) and fits its width."""

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox

from netbuilder.records.config import TrainConfig, settings
from netbuilder.ui.training.settings_form import FIELDS, SettingsForm


def test_each_row_takes_its_label_range_step_choices_and_tooltip_from_the_spec(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    layout = form.layout()
    assert isinstance(layout, QFormLayout)
    for setting in settings():
        if setting.name not in FIELDS or setting.name == "dataset":
            continue
        widget = form.fields[setting.name].widget
        assert setting.help in widget.toolTip()
        if isinstance(widget, QCheckBox):
            assert widget.text() == setting.label
        else:  # a searchable setting's label is its name with a search toggle (ui.field_widgets)
            label = layout.labelForField(widget)
            text = form.search_rows[setting.name].name.text() if setting.name in form.search_rows else label.text()
            assert text == setting.label
            assert setting.help in label.toolTip()
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            lowest = setting.lowest - 1 if setting.nullable else setting.lowest  # "no limit" below the least
            assert (widget.minimum(), widget.maximum()) == (lowest, setting.highest)
        if isinstance(widget, QDoubleSpinBox):
            assert (widget.singleStep(), widget.decimals()) == (setting.step, setting.decimals)
        if isinstance(widget, QComboBox) and setting.choices:
            assert [widget.itemText(i) for i in range(widget.count())] == list(setting.choices)
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            assert widget.suffix() == (f" {setting.unit}" if setting.unit else "")
    lr = form.fields["lr"].widget
    assert isinstance(lr, QDoubleSpinBox) and lr.minimum() == 1e-5 and lr.maximum() == 100.0  # above 0, max 100


def test_a_config_shown_is_the_config_read_back(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    config = TrainConfig(
        epochs=7,
        batch_size=32,
        optimizer="sgd",
        lr=0.05,
        schedule="step",
        crop_padding=4,
        flip=True,
        val_split=0.2,
        device="cuda:1",
        precision="bf16",
        resize=True,
        data_dir="/d",
        dataset="mnist",
        seed=5,
    )
    changes = []
    form.changed.connect(lambda: changes.append(1))
    form.show_config(config)
    assert form.config() == config and changes == []
    form.fields["data_dir"].widget.setText("")
    assert form.config().data_dir is None


def test_the_form_fits_the_dock_with_its_labels_whole(make_window):
    dock = make_window().training
    assert dock.settings.minimumSizeHint().width() <= dock.scroll.viewport().width()
    assert dock.settings.width() <= dock.scroll.viewport().width()
    for child in dock.settings.findChildren(QLabel) + dock.settings.findChildren(QCheckBox):
        if child.isVisibleTo(dock) and not (isinstance(child, QLabel) and child.wordWrap()):
            assert child.sizeHint().width() <= child.width(), child.text()
