"""The overview never covers a small canvas: at most a quarter of its width and height, and none on a tiny one."""

from netbuilder.ui.canvas.minimap import MAP_H, MAP_LEAST, MAP_SHARE, MAP_W


def shown_share(window) -> tuple[float, float]:
    port, map_ = window.view.viewport().size(), window.view.minimap.size()
    return map_.width() / port.width(), map_.height() / port.height()


def test_the_overview_keeps_to_a_quarter_of_a_small_canvas_and_steps_aside_on_a_tiny_one(make_window, qtbot):
    window = make_window()
    minimap, seen = window.view.minimap, []
    for size in ((800, 800), (800, 500), (520, 380), (800, 800)):  # 800×500: the map covered the network there
        window.resize(*size)
        qtbot.wait(50)
        port = window.view.viewport().size()
        room = min((port.width() - 24) * MAP_SHARE, (port.height() - 24) * MAP_SHARE)
        seen.append(minimap.isVisible())
        assert minimap.isVisible() == (room >= MAP_LEAST)
        if minimap.isVisible():
            assert all(share <= MAP_SHARE for share in shown_share(window))
            assert minimap.width() <= MAP_W and minimap.height() <= MAP_H
            assert window.view.viewport().geometry().contains(minimap.geometry())
    assert seen[0] and not seen[2] and seen[3]  # shown, stepped aside on the small canvas, back


def test_view_overview_off_stays_off_whatever_the_room(make_window, qtbot):
    window = make_window()
    minimap = window.view.minimap
    window.installed.actions["view.overview"].trigger()
    assert not minimap.isVisible()
    window.resize(1400, 900)
    window.view.minimap.place()
    assert not minimap.isVisible()
    window.installed.actions["view.overview"].trigger()
    qtbot.waitUntil(minimap.isVisible)
