"""The dock says when and why a run stopped early, and its bar shows the share of epochs that ran."""

from __future__ import annotations

from netbuilder.records.events import Finished
from netbuilder.ui.training.run_series import RunSeries


def test_an_early_stop_is_said_in_the_status_and_the_bar(make_window):
    window = make_window()
    dock = window.training
    dock.epochs = 30
    dock.live = RunSeries("run", "#0072B2")  # as the dock's own start sets it
    message = "stopped early at epoch 12; best was epoch 9 (81.3%)"
    dock.handle(Finished(False, 12, 0.813, 0.8, 60.0, best_epoch=9, early_stop=message))
    assert dock.status.text() == (
        "Finished after 12 epochs; test accuracy 80.0%. Stopped early at epoch 12; best was epoch 9 (81.3%)."
    )
    assert dock.progress.value() == 12 and dock.progress.maximum() == 30


def test_the_settings_form_offers_early_stopping_and_health(make_window):
    window = make_window()
    fields = window.training.settings.fields
    assert {"early_stop", "patience", "health_every"} <= set(fields)
