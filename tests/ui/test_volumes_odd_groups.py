"""View → Volumes on a file whose group's blocks are not contiguous (a ReLU between them, outside the group):
the picture draws every block instead of a KeyError (issue 20, part 4)."""

from __future__ import annotations

from group_files import split_group


def test_the_volumes_view_draws_a_group_that_is_not_contiguous(make_window, qtbot, tmp_path):
    window = make_window("seed_cnn")
    path = tmp_path / "split.json"
    path.write_text(split_group(True))
    assert window.files.open(path)
    window.installed.actions["view.dock.volumes"].trigger()
    qtbot.waitUntil(window.volumes_dock.isVisible)
    qtbot.waitUntil(lambda: window.volumes.picture is not None)
    picture = window.volumes.picture
    assert picture.cuboid("g").blocks == ["conv1", "conv2"]
    assert {b for c in picture.cuboids for b in c.blocks} | {
        band.block for c in picture.cuboids for band in c.bands
    } == set(window.editor.graph.nodes)
    assert not window.errors
    assert not window.volumes.canvas.grab().toImage().isNull()
