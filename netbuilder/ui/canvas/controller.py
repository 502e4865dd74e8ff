"""Editing on the canvas: the selection, delete, groups, the clipboard, auto-arrange, adding below, quick-add and the
right-click menu with what it inserts. Each gesture pushes one command built in undo.py on the editor's stack; the
window installs these as actions and hands in what they need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from netbuilder.core.drawing.layout import arrange
from netbuilder.core.graph import Edge, blocks_in
from netbuilder.core.groups import parents, repeats
from netbuilder.core.learning import is_frozen, upstream
from netbuilder.ui.canvas import clipboard
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.group_item import GroupCard, GroupFrame
from netbuilder.ui.canvas.items import NodeItem
from netbuilder.ui.canvas.palette import Entry
from netbuilder.ui.canvas.quick_add import QuickAdd
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.canvas.templates import apply_template
from netbuilder.ui.canvas.undo import (
    Edit,
    add_above,
    add_below,
    add_wired,
    delete_blocks,
    disconnect,
    freeze,
    group_repeats,
    group_units,
    insert_on_edge,
    move_nodes,
    paste,
    ungroup,
)
from netbuilder.ui.canvas.view import CanvasView

PASTE_OFFSET = (40.0, 40.0)
Where = tuple[str, str] | tuple[str, Edge] | None  # ("below" or "above", a block), ("edge", a connection)


class CanvasQuestions(Protocol):
    """What editing the canvas asks the user."""

    def ask_group_repeats(self, runs: int, size: int) -> str | None: ...


class CanvasController(QObject):
    """The canvas's editing gestures on the editor's document, through its scene and view. `menu` makes the
    right-click menu for "block", "edge" or "canvas"; quick-add and dialogs open over `parent`."""

    def __init__(
        self,
        editor: Editor,
        scene: CanvasScene,
        view: CanvasView,
        questions: CanvasQuestions,
        menu: Callable[[str], QMenu],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.editor, self.scene, self.view, self.questions, self.menu = editor, scene, view, questions, menu
        self.quick_add = QuickAdd(parent)
        self._quick_add_at: tuple[QPointF, str | None, Where] = (QPointF(), None, None)
        self._context_pos = QPointF()
        self.context_menu: QMenu | None = None  # the last right-click menu
        scene.quick_add_requested.connect(self.open_quick_add)
        view.quick_add_requested.connect(self.open_quick_add)
        view.context_requested.connect(self.show_context_menu)
        self.quick_add.chosen.connect(self._quick_add_chosen)

    # The selection ----------------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        """Selected blocks in document order, with the blocks of selected cards."""
        ids = {i.node_id for i in self.scene.selectedItems() if isinstance(i, NodeItem)}
        for item in self.scene.selectedItems():
            if isinstance(item, GroupCard) and item.group_id in self.editor.graph.groups:
                ids.update(blocks_in(self.editor.graph, item.group_id))
        return [nid for nid in self.editor.graph.nodes if nid in ids]

    def selected_groups(self) -> list[str]:
        """Selected cards and frames' groups, in document order."""
        ids = {i.group_id for i in self.scene.selectedItems() if isinstance(i, (GroupCard, GroupFrame))}
        return [gid for gid in self.editor.graph.groups if gid in ids]

    def selected_units(self) -> list[str]:
        """What the selection shows as units: visible blocks and cards (a frame stands for its group)."""
        graph = self.editor.graph
        blocks = {i.node_id for i in self.scene.selectedItems() if isinstance(i, NodeItem)}
        groups = set(self.selected_groups())
        return [nid for nid in graph.nodes if nid in blocks] + [gid for gid in graph.groups if gid in groups]

    def select_all(self) -> None:
        for item in (*self.scene.node_items.values(), *self.scene.group_cards.values()):
            if item.isVisible():
                item.setSelected(True)

    def select_stepped(self, undone: bool) -> None:
        """After Ctrl+Z or redo: select the blocks the step brought back, or those a removed chain hung from, so
        that the next Tab adds where the user was (fold and arrange leave the selection as it is)."""
        stack = self.editor.undo_stack
        command = stack.command(stack.index() if undone else stack.index() - 1)
        if isinstance(command, Edit) and not command.view_only:
            chosen = command.to_select(self.editor.graph, undone)
            if chosen:
                self.scene.select_units(chosen)

    def _push_and_select(self, edit: Edit) -> None:
        self.editor.push(edit)
        self.scene.clearSelection()
        for nid in edit.added:  # a pasted folded group is selected as its card
            self.scene.unit_item(self.scene.shown.get(nid, nid)).setSelected(True)

    def delete_selection(self) -> None:
        ids = self.selected_ids()
        edges = [e for e, item in self.scene.edge_items.items() if item.isSelected()]
        if ids:
            self.editor.push(delete_blocks(self.editor.graph, ids))
        elif edges:
            self.editor.push(disconnect(self.editor.graph, edges))

    # Groups ---------------------------------------------------------------------------------------

    def _select_group(self, gid: str) -> None:
        self.scene.clearSelection()
        item = self.scene.group_cards.get(gid) or self.scene.group_frames.get(gid)
        if item is not None:
            item.setSelected(True)

    def group_selection(self) -> None:
        """Ctrl+G: the selected blocks and groups become one group (expanded, selected)."""
        graph = self.editor.graph
        units = self.selected_units()
        if not units:
            self.editor.say("Select blocks or groups to group them.")
            return
        owner = parents(graph)
        holder = owner.get(units[0])
        if holder is not None and set(graph.groups[holder].members) == set(units):
            self.editor.say(f"These are already the group '{graph.groups[holder].name}'.")
            return
        edit = group_units(graph, units)
        if edit is None:
            self.editor.say("These cannot be grouped: they belong to different groups.")
            return
        before = set(graph.groups)
        self.editor.push(edit)
        new = next((gid for gid in graph.groups if gid not in before), None)
        if new is not None:
            self._select_group(new)
            self.editor.say(f"Grouped {len(units)} as '{graph.groups[new].name}' (rename it in the inspector).")

    def ungroup_selection(self) -> None:
        """Ctrl+Shift+G: dissolve the selected groups (one undo step each)."""
        groups = self.selected_groups()
        if not groups:
            self.editor.say("Select a group (its card, or Ctrl+click its frame's name) to ungroup it.")
            return
        for gid in groups:
            if gid in self.editor.graph.groups:
                self.editor.push(ungroup(self.editor.graph, gid))

    def toggle_fold_selection(self) -> None:
        for gid in self.selected_groups():
            if gid in self.editor.graph.groups:
                self.scene.set_folded(gid, not self.editor.graph.groups[gid].folded)

    def group_repeated_pattern(self) -> None:
        """Find the other runs of the selected blocks' sequence; after asking, group each run (one undo step)."""
        graph, result = self.editor.graph, self.editor.result
        selection = self.selected_ids()
        found = repeats(graph, result, selection)
        if not found:
            self.editor.say("No other run of these blocks, in this order and wired the same way, was found.")
            return
        rank = {nid: i for i, nid in enumerate(result.order)}
        chosen = sorted(selection, key=lambda n: rank.get(n, len(rank)))
        runs = sorted([chosen, *found], key=lambda run: rank.get(run[0], 0))
        name = self.questions.ask_group_repeats(len(runs), len(chosen))
        if name is None:
            return
        self.editor.push(group_repeats(graph, runs, name))
        self.editor.say(f"Grouped {len(runs)} runs as '{name} 1' … '{name} {len(runs)}'.")

    # Freezing ------------------------------------------------------------------------------------

    def toggle_freeze_selection(self) -> None:
        """Ctrl+L: freeze the selected blocks and groups, or unfreeze them when they all are frozen (one step)."""
        graph, units = self.editor.graph, self.selected_units()
        if not units:
            self.editor.say("Select blocks or groups to freeze them (their parameters are then not trained).")
            return
        frozen = not all(is_frozen(graph, u, self.editor.result.frozen) for u in units)
        name = f"'{units[0]}'" if len(units) == 1 else f"{len(units)} blocks and groups"
        self.editor.push(freeze(graph, units, frozen, f"{'Freeze' if frozen else 'Unfreeze'} {name}"))
        what = "not trained (Ctrl+L again unfreezes)" if frozen else "trained again"
        its = "its" if len(units) == 1 else "their"
        self.editor.say(f"{'Froze' if frozen else 'Unfroze'} {name}: {its} parameters are {what}.")

    def freeze_up_to_here(self) -> None:
        """Freeze the selected blocks and every block before them on the way from the input (one step)."""
        graph, ids = self.editor.graph, self.selected_ids()
        if not ids:
            self.editor.say("Select a block to freeze it and every block before it.")
            return
        before = {nid for chosen in ids for nid in upstream(graph, chosen)}
        self.editor.push(freeze(graph, [n for n in graph.nodes if n in before], True, f"Freeze up to '{ids[-1]}'"))

    def unfreeze_all(self) -> None:
        """Unfreeze every block and group (one step)."""
        graph = self.editor.graph
        units = [u for u, unit in [*graph.nodes.items(), *graph.groups.items()] if unit.frozen]
        if units:
            self.editor.push(freeze(graph, units, False, "Unfreeze all"))

    # The clipboard and arranging ------------------------------------------------------------------

    def copy(self) -> None:
        ids = set(self.selected_ids())
        if ids:
            clipboard.publish(self.editor.graph, ids)
            self.editor.say(f"Copied {len(ids)} block{'s' if len(ids) > 1 else ''}.")

    def cut(self) -> None:
        if self.selected_ids():
            self.copy()
            self.delete_selection()

    def paste(self) -> None:
        pasted = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if pasted is None:
            self.editor.say("Nothing to paste: the clipboard holds no NetBuilder blocks.")
            return
        self._push_and_select(paste(self.editor.graph, pasted, PASTE_OFFSET))

    def duplicate(self) -> None:
        ids = set(self.selected_ids())
        if ids:
            self._push_and_select(paste(self.editor.graph, self.editor.graph.subgraph(ids), PASTE_OFFSET, "Duplicate"))

    def auto_arrange(self) -> None:
        graph = self.editor.graph
        moves = {
            nid: (graph.nodes[nid].position, pos)
            for nid, pos in arrange(graph).items()
            if graph.nodes[nid].position != pos
        }
        if moves:
            self.editor.push(move_nodes(graph, moves, "Auto-arrange", view_only=True))
        self.view.fit()

    # Adding blocks --------------------------------------------------------------------------------

    def add_below_selection(self, entry: Entry) -> None:
        """Double-click in the palette: add under the selected block, wired in (inserted into its chain)."""
        selected = self.selected_ids()
        if entry.template:
            added = apply_template(self.editor, entry.template, selected[0] if len(selected) == 1 else None)
            for nid in added[-1:]:
                self.scene.select_only(nid)
            return
        if len(selected) != 1:
            center = self.view.mapToScene(self.view.viewport().rect().center())
            self.scene.drop_block(entry.block_type, center, entry.params)
            return
        self._push_and_select(add_below(self.editor.graph, selected[0], entry.block_type, entry.params))

    def open_quick_add(self, scene_pos: QPointF, source: str | None = None, where: Where = None) -> None:
        """The quick-add popup at a canvas point; source: the block a dropped wire comes from; where: ("below" or
        "above", a block) or ("edge", a connection). Tab with one block selected adds below it, as double-click
        in the palette does."""
        selected = self.selected_ids()
        if where is None and source is None and len(selected) == 1:
            where = ("below", selected[0])
        self._quick_add_at = (scene_pos, source, where)
        graph = self.editor.graph
        after = source if source is not None else where[1] if where and where[0] == "below" else None
        after_type = graph.nodes[after].type if after in graph.nodes else None
        if where and where[0] == "edge":
            after_type = graph.nodes[where[1].src].type if where[1].src in graph.nodes else None
        self.quick_add.open_at(self.view.mapToGlobal(self.view.mapFromScene(scene_pos)), after_type)

    def _quick_add_chosen(self, entry: Entry) -> None:
        pos, source, where = self._quick_add_at
        graph = self.editor.graph
        if where is not None and where[0] in ("below", "above") and where[1] in graph.nodes:
            build = add_below if where[0] == "below" else add_above
            self._push_and_select(build(graph, where[1], entry.block_type, entry.params))
        elif where is not None and where[0] == "edge" and where[1] in graph.edges:
            node = self.scene.new_node(entry.block_type, pos, entry.params)
            self._push_and_select(insert_on_edge(graph, node, where[1]))
        else:
            node = self.scene.new_node(entry.block_type, pos, entry.params)
            self._push_and_select(add_wired(graph, node, source))
        for nid in self.selected_ids()[:1]:
            self.scene.select_only(nid)

    # The right-click menu -------------------------------------------------------------------------

    def show_context_menu(self, scene_pos: QPointF, global_pos: QPoint) -> QMenu:
        """The menu for what lies under the pointer, acting on it: a block (or card) is selected first unless it
        is already part of the selection; a connection is selected alone; empty canvas clears the selection."""
        hit = next(
            (i for i in self.scene.items(scene_pos) if isinstance(i, (NodeItem, GroupCard, EdgeItem, GroupFrame))),
            None,
        )
        if isinstance(hit, GroupFrame) and not hit.title_rect().contains(hit.mapFromScene(scene_pos)):
            hit = None
        where = "canvas" if hit is None else "edge" if isinstance(hit, EdgeItem) else "block"
        if hit is None:
            self.scene.clearSelection()
        elif not hit.isSelected() or isinstance(hit, EdgeItem):
            self.scene.clearSelection()
            hit.setSelected(True)
        self._context_pos = scene_pos
        menu = self.menu(where)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context_menu = menu
        menu.popup(global_pos)
        return menu

    def insert_next_to(self, side: str) -> None:
        """Insert before/after…: quick-add for a block wired in above or below the selected one."""
        selected = self.selected_ids()
        if len(selected) != 1:
            self.editor.say("Select one block to insert a block next to it.")
            return
        item = self.scene.node_items[selected[0]]
        self.open_quick_add(item.sceneBoundingRect().center(), None, (side, selected[0]))

    def insert_on_selected_edge(self) -> None:
        edges = [e for e, item in self.scene.edge_items.items() if item.isSelected()]
        if len(edges) != 1:
            self.editor.say("Select one connection to insert a block on it.")
            return
        self.open_quick_add(self._context_pos, None, ("edge", edges[0]))

    def disconnect_selection(self) -> None:
        """Remove every connection of the selected blocks (one step)."""
        ids = set(self.selected_ids())
        edges = [e for e in self.editor.graph.edges if e.src in ids or e.dst in ids]
        if edges:
            self.editor.push(disconnect(self.editor.graph, edges))
