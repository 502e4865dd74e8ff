"""Issue 22 §1 in the window: the dock offers digits and the classes and per_class rows, checks the last Linear
against the classes picked, and the document keeps the picks (so a run's config records them)."""

from PySide6.QtWidgets import QLineEdit, QSpinBox

from netbuilder.records.config import document_config
from netbuilder.ui.canvas.undo import set_params
from netbuilder.ui.field_widgets import NO_LIMIT


def test_the_dock_offers_digits_and_checks_the_output_against_the_classes_picked(make_window):
    window = make_window("digits_cnn")
    dock, form = window.training, window.training.settings
    assert form.dataset_key() == "digits" and form.dataset.findData("digits") == 1  # the preset's saved dataset
    dock.refresh_checks()
    assert form.fit.text() == "digits fits the Input block (1×8×8)." and dock.start_button.isEnabled()
    classes, per_class = form.fields["classes"].widget, form.fields["per_class"].widget
    assert isinstance(classes, QLineEdit) and isinstance(per_class, QSpinBox)
    assert per_class.text() == NO_LIMIT and form.config().per_class is None

    classes.setText("3,8")
    classes.editingFinished.emit()
    per_class.setValue(25)
    dock.refresh_checks()
    assert "ends in 10 outputs but digits has 2 classes; set the last Linear's out_features to 2" in form.fit.text()
    assert not dock.start_button.isEnabled() and not form.fix_input.isVisibleTo(dock)
    training = window.editor.document.training
    assert training["classes"] == "3,8" and training["per_class"] == 25
    config = document_config(window.editor.graph, training)
    assert (config.dataset, config.classes, config.per_class) == ("digits", "3,8", 25)

    window.editor.push(set_params(window.editor.graph, "fc1", {"out_features": 2}))
    dock.refresh_checks()
    assert form.fit.text().startswith("digits fits") and dock.start_button.isEnabled()
    classes.setText("3,3")
    classes.editingFinished.emit()
    dock.refresh_checks()
    assert "names class 3 twice" in form.fit.text()
    assert window.editor.document.training["classes"] == "3,8"  # an impossible pick is not saved
