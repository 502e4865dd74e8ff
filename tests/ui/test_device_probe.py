"""The device probe waits for the first paint, and a stopped probe never starts."""

from PySide6.QtWidgets import QWidget

from netbuilder.ui.training.device_probe import DeviceProbe


def test_the_probe_is_timed_from_the_first_paint_and_stop_cancels_it(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    probe = DeviceProbe(widget)
    probe.start_after_paint(widget, 60_000)
    qtbot.wait(20)
    assert not probe.timer.isActive()  # never shown, so never painted
    widget.show()
    qtbot.waitUntil(probe.timer.isActive)
    probe.stop()
    assert not probe.timer.isActive() and probe.process.state() == probe.process.ProcessState.NotRunning


def test_a_probe_stopped_before_the_paint_stays_stopped(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    probe = DeviceProbe(widget)
    probe.start_after_paint(widget, 0)
    probe.stop()
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.wait(20)
    assert not probe.timer.isActive() and probe.process.state() == probe.process.ProcessState.NotRunning
