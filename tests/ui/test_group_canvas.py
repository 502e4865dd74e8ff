"""Groups on the canvas: folded cards and expanded frames driven by real mouse and keys, the folded projection,
errors on cards, copy/paste of groups, semantic zoom, and the overview (issue 12, items 1, 4, 5, 7)."""

from gestures import click_node, key, mouse_drag, view_point
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from netbuilder.core.blocks import fmt_shape
from netbuilder.core.check.summary import short
from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import arrange
from netbuilder.core.graph import Edge, Graph, Node, blocks_in
from netbuilder.core.groups import facts
from netbuilder.ui.canvas import items as canvas_items
from netbuilder.ui.canvas.group_item import GroupCard
from netbuilder.ui.canvas.items import NODE_H
from netbuilder.ui.canvas.undo import fold, group_units, set_params

STAGE_NAMES = ["stage 1", "stage 2", "stage 3", "stage 4", "stage 5", "classifier"]


def grouped_vgg(make_window):
    """VGG-CIFAR in five conv stages plus the classifier, folded (the preset's own groups once it has them)."""
    window = make_window("vgg_cifar")
    graph = window.editor.graph
    if not graph.groups:
        stages, run = [], []
        for nid in list(graph.nodes)[1:]:
            run.append(nid)
            if nid.startswith("pool"):
                stages.append(run)
                run = []
        stages.append(run)
        for name, members in zip(STAGE_NAMES, stages):
            window.editor.push(group_units(graph, members, name))
            window.editor.push(fold(graph, list(graph.groups)[-1], True))
        window.editor.undo_stack.clear()
        window.view.fit()
    assert [g.name for g in graph.groups.values()] == STAGE_NAMES
    assert all(g.folded for g in graph.groups.values())
    return window


def gid_named(window, name: str) -> str:
    return next(gid for gid, g in window.editor.graph.groups.items() if g.name == name)


def card_point(window, gid: str, where: QPointF | None = None) -> QPoint:
    card = window.scene.group_cards[gid]
    return view_point(window, card.mapToScene(where or card.shape().boundingRect().center()))


def double_click(window, point: QPoint) -> None:
    QTest.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def stored(window) -> dict:
    return {nid: n.position for nid, n in window.editor.graph.nodes.items()}


def test_folded_stages_are_cards_and_what_lies_below_moves_up(make_window):
    window = grouped_vgg(make_window)
    scene, graph = window.scene, window.editor.graph
    assert set(scene.group_cards) == set(graph.groups)
    assert all(not scene.node_items[n].isVisible() for gid in graph.groups for n in blocks_in(graph, gid))
    # Each card sits at the top-left of its members' box, a column of cards one gap apart.
    cards = [scene.group_cards[gid] for gid in graph.groups]
    first = min(graph.nodes[n].position[1] for n in blocks_in(graph, list(graph.groups)[0]))
    assert cards[0].pos().y() == first
    gaps = {round(b.pos().y() - a.pos().y()) for a, b in zip(cards, cards[1:])}
    assert len(gaps) == 1 and gaps.pop() < 2 * NODE_H
    # Only the wires between cards (and from the input) show; those inside a card are hidden.
    shown = [e for e, item in scene.edge_items.items() if item.isVisible()]
    assert len(shown) == len(cards)
    assert all(isinstance(scene.edge_items[e].dst, GroupCard) for e in shown)


def test_double_click_unfolds_and_folds_restoring_exact_positions(make_window):
    window = grouped_vgg(make_window)
    scene, graph = window.scene, window.editor.graph
    before_stored = stored(window)
    before_cards = {gid: card.pos() for gid, card in scene.group_cards.items()}
    stage3 = gid_named(window, "stage 3")
    double_click(window, card_point(window, stage3))
    assert not graph.groups[stage3].folded
    assert stage3 in scene.group_frames and stage3 not in scene.group_cards
    members = blocks_in(graph, stage3)
    assert all(scene.node_items[n].isVisible() for n in members)
    # Expanded in place: its blocks keep their spacing; what lies below moves down by the height it needed.
    ys = [scene.node_items[n].pos().y() for n in members]
    assert ys[0] == before_cards[stage3].y()
    assert [y - ys[0] for y in ys] == [
        graph.nodes[n].position[1] - graph.nodes[members[0]].position[1] for n in members
    ]
    frame = scene.group_frames[stage3]
    assert frame.sceneBoundingRect().contains(scene.node_items[members[-1]].sceneBoundingRect().center())
    # Double-click the frame's title folds it again.
    double_click(window, view_point(window, frame.mapToScene(frame.title_rect().center())))
    assert graph.groups[stage3].folded
    assert {gid: card.pos() for gid, card in scene.group_cards.items()} == before_cards
    assert stored(window) == before_stored  # folding never changes what is stored
    # With every group unfolded, every block is exactly where it is stored.
    for gid in graph.groups:
        window.editor.push(fold(graph, gid, False))
    assert not scene.group_cards
    for nid, item in scene.node_items.items():
        assert item.isVisible() and (item.pos().x(), item.pos().y()) == tuple(graph.nodes[nid].position)
    for _ in graph.groups:
        key(window, "Ctrl+Z")
    assert {gid: card.pos() for gid, card in scene.group_cards.items()} == before_cards


def test_the_chevron_unfolds_and_the_frame_chevron_folds(make_window):
    window = grouped_vgg(make_window)
    stage2 = gid_named(window, "stage 2")
    card = window.scene.group_cards[stage2]
    QTest.mouseClick(
        window.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        card_point(window, stage2, card.chevron_rect().center()),
    )
    assert not window.editor.graph.groups[stage2].folded
    frame = window.scene.group_frames[stage2]
    point = view_point(window, frame.mapToScene(frame.chevron_rect().center()))
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert window.editor.graph.groups[stage2].folded
    key(window, "Ctrl+Z")
    assert not window.editor.graph.groups[stage2].folded


def test_cards_show_what_groups_facts_says(make_window):
    window = grouped_vgg(make_window)
    graph, result = window.editor.graph, window.editor.result
    for gid, card in window.scene.group_cards.items():
        found = facts(graph, result, gid)
        ins = " + ".join(fmt_shape(s) for s in found.inputs)
        outs = " + ".join(fmt_shape(s) for s in found.outputs)
        assert card.view.volume == f"{ins} → {outs}"
        assert card.view.cost == f"{short(found.params)} params · {short(found.macs)} MACs"
        assert card.view.categories == tuple(found.categories)
        assert card.view.name == graph.groups[gid].name and card.view.error is None
    stage1 = window.scene.group_cards[gid_named(window, "stage 1")]
    assert stage1.view.volume == "3×32×32 → 64×16×16"
    total = sum(facts(graph, result, gid).params for gid in graph.groups)
    assert total == result.total_params  # the input has none


def test_an_error_inside_a_folded_group_shows_on_its_card_and_unfolding_goes_to_the_block(make_window):
    window = grouped_vgg(make_window)
    graph = window.editor.graph
    stage3 = gid_named(window, "stage 3")
    params = {**graph.nodes["conv3_2"].params, "kernel_size": [11, 11], "padding": [0, 0]}
    window.editor.push(set_params(graph, "conv3_2", params))
    card = window.scene.group_cards[stage3]
    sentence = window.editor.result.nodes["conv3_2"].error
    assert sentence and card.view.error == sentence and card.view.error_block == "conv3_2"
    assert sentence in card.toolTip()
    assert window.scene.group_cards[gid_named(window, "stage 1")].view.error is None
    double_click(window, card_point(window, stage3))
    assert not graph.groups[stage3].folded
    block = window.scene.node_items["conv3_2"]
    assert block.isVisible() and block.isSelected()
    assert window.inspector.node_id == "conv3_2"
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert block.sceneBoundingRect().adjusted(-40, -40, 40, 40).contains(centre)


def test_ctrl_g_groups_the_selection_and_ctrl_shift_g_ungroups_with_undo(make_window):
    window = make_window("seed_cnn")
    graph = window.editor.graph
    click_node(window, "conv1")
    click_node(window, "relu1", Qt.KeyboardModifier.ControlModifier)
    key(window, "Ctrl+G")
    assert len(graph.groups) == 1
    gid, group = next(iter(graph.groups.items()))
    assert group.members == ["conv1", "relu1"] and not group.folded
    frame = window.scene.group_frames[gid]
    assert frame.isSelected() and window.inspector.group_id == gid
    # Rename in the inspector: one undoable step.
    window.inspector.group_name.setFocus()
    window.inspector.group_name.selectAll()
    QTest.keyClicks(window.inspector.group_name, "features")
    QTest.keyClick(window.inspector.group_name, Qt.Key.Key_Return)
    assert graph.groups[gid].name == "features" and frame.name == "features"
    window.scene.clearSelection()
    frame.setSelected(True)
    key(window, "Ctrl+Shift+G")
    assert not graph.groups and not window.scene.group_frames
    key(window, "Ctrl+Z")
    assert graph.groups[gid].name == "features"
    key(window, "Ctrl+Z")
    assert graph.groups[gid].name != "features"
    key(window, "Ctrl+Z")
    assert not graph.groups
    key(window, "Ctrl+Shift+Z")
    assert gid in graph.groups and gid in window.scene.group_frames


def test_dragging_a_card_moves_its_blocks_as_one_undo_step(make_window):
    window = grouped_vgg(make_window)
    graph = window.editor.graph
    stage2 = gid_named(window, "stage 2")
    members = blocks_in(graph, stage2)
    before = stored(window)
    card = window.scene.group_cards[stage2]
    start = card.mapToScene(card.shape().boundingRect().center() + QPointF(0, 10))
    mouse_drag(window, start, start + QPointF(300, 0))
    dx = card.pos().x()
    assert dx > 200
    for nid in graph.nodes:
        x, y = before[nid]
        assert graph.nodes[nid].position == ((x + dx, y) if nid in members else (x, y))
    assert window.editor.undo_stack.undoText().startswith("Move 'stage 2'")
    key(window, "Ctrl+Z")
    assert stored(window) == before and card.pos().x() == 0


def test_copy_paste_of_a_folded_group_keeps_it_with_fresh_ids(make_window):
    window = grouped_vgg(make_window)
    graph = window.editor.graph
    stage2 = gid_named(window, "stage 2")
    nodes, groups = len(graph.nodes), dict(graph.groups)
    window.scene.clearSelection()
    window.scene.group_cards[stage2].setSelected(True)
    key(window, "Ctrl+C")
    assert QGuiApplication.clipboard().mimeData().hasFormat("application/x-netbuilder-blocks")
    key(window, "Ctrl+V")
    new = [gid for gid in graph.groups if gid not in groups]
    assert len(new) == 1 and len(graph.nodes) == nodes + 7
    copy = graph.groups[new[0]]
    assert copy.name == "stage 2" and copy.folded and new[0] != stage2
    assert not set(copy.members) & set(graph.groups[stage2].members)
    assert [graph.nodes[m].type for m in copy.members] == [graph.nodes[m].type for m in groups[stage2].members]
    assert window.scene.group_cards[new[0]].isSelected()
    key(window, "Ctrl+Z")  # one step
    assert len(graph.nodes) == nodes and set(graph.groups) == set(groups)


def test_group_repeated_pattern_groups_every_run_after_asking(make_window):
    window = make_window()
    g = Graph()
    g.nodes["input"] = Node("input", "Input", {"shape": [3, 8, 8]})
    prev = "input"
    for i in range(3):
        for kind, block, params in (("c", "Conv2d", {"out_channels": 4}), ("r", "Activation", {"function": "relu"})):
            nid = f"{kind}{i}"
            g.nodes[nid] = Node(nid, block, params)
            g.edges.append(Edge(prev, nid))
            prev = nid
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    window.editor.replace(Document(g, "repeats"), None)
    asked = []
    window.questions.ask_group_repeats = lambda runs, size: asked.append((runs, size)) or "block"
    click_node(window, "c1")
    click_node(window, "r1", Qt.KeyboardModifier.ControlModifier)
    window.installed.actions["network.group_repeats"].trigger()
    assert asked == [(3, 2)]
    graph = window.editor.graph
    assert [(grp.name, grp.members) for grp in graph.groups.values()] == [
        ("block 1", ["c0", "r0"]),
        ("block 2", ["c1", "r1"]),
        ("block 3", ["c2", "r2"]),
    ]
    key(window, "Ctrl+Z")
    assert not graph.groups


def test_fit_on_grouped_vgg_shows_everything_with_readable_text(make_window):
    """F in a 1500×950 window with the training dock open: the whole network, every text drawn ≥ 8 px high."""
    window = grouped_vgg(make_window)
    window.resize(1500, 950)
    window.training_dock.show()
    QTest.qWait(50)
    key(window, "F")
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert seen.contains(window.scene.content_rect())
    canvas_items.DRAWN = drawn = []
    try:
        for item in window.scene.items():
            item.update()  # no cached pixmaps: paint everything again
        view.viewport().grab()
    finally:
        canvas_items.DRAWN = None
    texts = [t for t, _ in drawn]
    assert all(name in texts for name in STAGE_NAMES), texts
    small = [(t, round(h, 1)) for t, h in drawn if h < 8]
    assert not small, small
    # The heights are what the font metrics and the view transform say.
    zoom = view.transform().m11()
    assert min(h for _, h in drawn) >= 8 and zoom > 0


def test_zoomed_out_blocks_draw_a_simple_face_without_small_text(make_window):
    window = make_window("vgg_cifar")
    for gid in list(window.editor.graph.groups):
        window.editor.push(fold(window.editor.graph, gid, False))
    window.view.zoom_by(0.25 / window.view.zoom())
    canvas_items.DRAWN = drawn = []
    try:
        for item in window.scene.items():
            item.update()
        window.view.viewport().grab()
    finally:
        canvas_items.DRAWN = None
    assert all(h >= 8 for _, h in drawn), drawn
    assert any(t == "64×32×32" for t, _ in drawn)  # the simple face's large volume
    assert not any(t.startswith("64 · 3×3") for t, _ in drawn)  # no settings line


def test_dragging_the_overview_rectangle_pans_the_canvas(make_window):
    window = make_window("vgg_cifar")
    for gid in list(window.editor.graph.groups):
        window.editor.push(fold(window.editor.graph, gid, False))
    view, minimap = window.view, window.view.minimap
    view.zoom_by(1.0 / view.zoom())
    view.centerOn(window.scene.node_items["conv1_1"])
    assert minimap.isVisible()
    seen = minimap.visible_on_map()
    start = seen.center().toPoint()
    before = view.mapToScene(view.viewport().rect().center())
    # The map's scale while it is dragged: the one it had when pressed (the map holds still under the pointer).
    k = seen.height() / view.mapToScene(view.viewport().rect()).boundingRect().height()
    QTest.mousePress(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for dy in range(10, 61, 10):
        QTest.mouseMove(minimap, start + QPoint(0, dy))
    QTest.mouseRelease(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(0, 60))
    after = view.mapToScene(view.viewport().rect().center())
    assert abs((after.y() - before.y()) - 60 / k) < 0.1 * 60 / k
    # View → Overview hides it, and the choice is remembered.
    window.installed.actions["view.overview"].trigger()
    assert not minimap.isVisible() and window.settings.value("view/overview") == "false"
    window.installed.actions["view.overview"].trigger()
    assert minimap.isVisible()


def overview_colours(minimap) -> set[tuple[int, ...]]:
    image = minimap.grab().toImage()
    return {image.pixelColor(x, y).getRgb() for x in range(image.width()) for y in range(image.height())}


def test_the_overview_shows_an_edit_once_the_edits_pause_and_a_pan_keeps_its_picture(make_window, qtbot):
    """The overview redraws the network after an edit, outside the frame that shows the edit on the canvas."""
    window = make_window("seed_cnn")
    minimap, graph = window.view.minimap, window.editor.graph
    qtbot.waitUntil(lambda: minimap._picture is not None)
    before = overview_colours(minimap)
    window.editor.push(set_params(graph, "conv1", dict(graph.nodes["conv1"].params, kernel_size=99)))
    assert window.scene.node_items["conv1"].view.error
    qtbot.waitUntil(lambda: bool(overview_colours(minimap) - before))  # the broken conv in the error colour
    view = window.view
    view.zoom_by(4.0 / view.zoom())  # the visible rectangle inside the network: a pan keeps the map's extent
    view.centerOn(window.scene.node_items["conv1"])
    minimap.repaint()
    picture = minimap._picture
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + 5)
    minimap.repaint()
    assert minimap._picture is picture


def test_the_new_actions_are_in_the_menus_and_the_shortcut_sheet(make_window):
    window = make_window()
    sheet = window.show_shortcuts()
    names = [sheet.table.item(r, 0).text() for r in range(sheet.table.rowCount())]
    for name in ("Group", "Ungroup", "Group repeated pattern…", "Overview", "Fold or expand group"):
        assert name in names
    keys = {sheet.table.item(r, 0).text(): sheet.table.item(r, 1).text() for r in range(sheet.table.rowCount())}
    assert keys["Group"] == "Ctrl+G" and keys["Ungroup"] == "Ctrl+Shift+G"
    sheet.close()


def test_folding_and_unfolding_a_100_block_group_moves_what_lies_below_and_back(make_window):
    """Folded, the block below the group moves up under its card; unfolded, it is back where it is stored.
    (The time this takes is bench_canvas.py's fold_unfold_100_ms, target 50 ms.)"""
    window = make_window()
    g = Graph()
    g.nodes["input"] = Node("input", "Input", {"shape": [4, 8, 8]})
    for i in range(1, 101):
        g.nodes[f"r{i}"] = Node(f"r{i}", "Activation", {"function": "relu"})
        g.edges.append(Edge(f"r{i - 1}" if i > 1 else "input", f"r{i}"))
    g.nodes["tail"] = Node("tail", "Flatten", {})
    g.edges.append(Edge("r100", "tail"))
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    window.editor.replace(Document(g, "chain"), None)
    graph = window.editor.graph
    window.editor.push(group_units(graph, [f"r{i}" for i in range(1, 101)], "hundred"))
    gid = next(iter(graph.groups))
    tail = window.scene.node_items["tail"]
    stored = tuple(graph.nodes["tail"].position)
    for _ in range(2):
        window.scene.set_folded(gid, True)
        card = window.scene.group_cards[gid]
        assert graph.groups[gid].folded and not window.scene.node_items["r50"].isVisible()
        assert card.isVisible() and card.sceneBoundingRect().bottom() < tail.pos().y() < stored[1]
        window.scene.set_folded(gid, False)
        assert not graph.groups[gid].folded and window.scene.node_items["r50"].isVisible()
        assert (tail.pos().x(), tail.pos().y()) == stored


def test_far_out_expanded_groups_are_drawn_as_cards(make_window):
    """Semantic zoom's last level: so far out that a block's volume cannot be read, each expanded group is
    drawn as one card (its name and output volume) and its blocks and inner wires step back."""
    window = make_window("vgg_cifar")
    for gid in list(window.editor.graph.groups):
        window.editor.push(fold(window.editor.graph, gid, False))
    window.view.zoom_by(0.05 / window.view.zoom())  # as far as the view goes
    assert canvas_items.far(window.view.zoom())
    canvas_items.DRAWN = drawn = []
    try:
        for item in window.scene.items():
            item.update()
        window.view.viewport().grab()
    finally:
        canvas_items.DRAWN = None
    texts = [t for t, _ in drawn]
    assert all(h >= 8 for _, h in drawn), drawn
    assert len([name for name in STAGE_NAMES if name in texts]) >= 3, texts  # those in view, large
    assert not any(t in ("Conv2d", "64×32×32") for t in texts)  # blocks inside step back


def test_the_canvas_background_follows_the_theme(make_window):
    """The background (cached between pans and zooms) is drawn again in the new theme's colours."""
    from collections import Counter

    from PySide6.QtWidgets import QApplication

    from netbuilder.ui import theme

    window = make_window("seed_cnn")
    try:
        for mode, palette in (("dark", theme.DARK), ("light", theme.LIGHT), ("dark", theme.DARK)):
            window.set_theme(mode)
            QApplication.processEvents()  # the palette change reaches the view
            image = window.view.viewport().grab().toImage()
            corner = Counter(image.pixelColor(x, y).rgb() for x in range(40) for y in range(40))
            assert corner.most_common(1)[0][0] == palette.background.rgb(), mode
    finally:
        window.set_theme("system")
