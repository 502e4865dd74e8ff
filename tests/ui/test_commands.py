"""The compound edits as command builders, on a plain graph and editor: no window, no scene."""

from netbuilder.core.document import Document, to_dict
from netbuilder.core.drawing.layout import ROW
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.undo import add_below, add_wired, delete_blocks, input_count, new_node, paste


def chain() -> Graph:
    graph = Graph()
    graph.add_node(Node("input", "Input", {"shape": [3, 8, 8]}, (0.0, 0.0)))
    graph.add_node(Node("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}, (0.0, ROW)))
    graph.add_node(Node("relu", "Activation", {"function": "relu"}, (0.0, 2 * ROW)))
    graph.add_edge(Edge("input", "conv"))
    graph.add_edge(Edge("conv", "relu"))
    return graph


def editor(graph: Graph) -> Editor:
    return Editor(Document(graph, "test"))


def test_new_blocks_are_named_by_their_type(qapp):
    graph = chain()
    assert new_node(graph, "Conv2d", {}, (0.0, 0.0)).id == "conv_2"
    assert new_node(graph, "Activation", {"function": "gelu"}, (0.0, 0.0)).id == "gelu"
    assert new_node(graph, "Flatten", {}, (0.0, 0.0)).id == "flatten"


def test_input_counts_come_from_the_block_definitions():
    assert input_count(Node("i", "Input", {"shape": [3, 8, 8]})) == 0
    assert input_count(Node("a", "Add", {"inputs": 3})) == 3
    assert input_count(Node("c", "Conv2d", {"out_channels": 4, "kernel_size": 3})) == 1
    assert input_count(Node("x", "Nonexistent", {})) == 1


def test_add_below_inserts_into_the_chain_makes_room_and_undoes_as_one(qapp):
    ed = editor(chain())
    before = to_dict(ed.document)
    edit = add_below(ed.graph, "conv", "BatchNorm", {})
    ed.push(edit)
    graph = ed.graph
    assert edit.added == ["bn"] and ed.undo_stack.count() == 1
    assert Edge("conv", "bn") in graph.edges and Edge("bn", "relu") in graph.edges
    assert Edge("conv", "relu") not in graph.edges
    assert graph.nodes["bn"].position == (0.0, 2 * ROW) and graph.nodes["relu"].position == (0.0, 3 * ROW)
    assert ed.result.valid
    ed.undo_stack.undo()
    assert to_dict(ed.document) == before


def test_add_below_the_last_block_wires_it_on():
    graph = chain()
    add_below(graph, "relu", "Flatten", {}).redo()
    assert Edge("relu", "flatten") in graph.edges and graph.nodes["flatten"].position == (0.0, 3 * ROW)


def test_quick_add_from_a_dropped_wire_feeds_the_new_block_unless_it_takes_no_input():
    graph = chain()
    add_wired(graph, new_node(graph, "Flatten", {}, (0.0, 0.0)), "relu").redo()
    assert Edge("relu", "flatten") in graph.edges
    add_wired(graph, new_node(graph, "Input", {}, (0.0, 0.0)), "relu").redo()
    assert "input_2" in graph.nodes and not graph.in_edges("input_2")
    add_wired(graph, new_node(graph, "Dropout", {}, (0.0, 0.0)), None).redo()
    assert "drop" in graph.nodes and not graph.in_edges("drop")


def test_paste_renames_taken_ids_keeps_the_wires_and_undoes_as_one(qapp):
    ed = editor(chain())
    before = to_dict(ed.document)
    edit = paste(ed.graph, ed.graph.subgraph({"conv", "relu"}), (40.0, 40.0))
    ed.push(edit)
    assert edit.text() == "Paste 2 blocks" and edit.added == ["conv_2", "relu_2"]
    assert Edge("conv_2", "relu_2") in ed.graph.edges and ed.graph.nodes["conv_2"].position == (40.0, ROW + 40)
    ed.undo_stack.undo()
    assert to_dict(ed.document) == before


def test_delete_bridges_a_chain_but_not_across_a_merge():
    graph = chain()
    graph.add_node(Node("add", "Add", {}, (0.0, 3 * ROW)))
    graph.add_node(Node("out", "Flatten", {}, (0.0, 4 * ROW)))
    graph.add_edge(Edge("relu", "add", 0))
    graph.add_edge(Edge("conv", "add", 1))
    graph.add_edge(Edge("add", "out"))
    delete_blocks(graph, ["add"]).redo()
    assert not graph.in_edges("out")
    delete_blocks(graph, ["conv"]).redo()
    assert Edge("input", "relu") in graph.edges


def test_a_pasted_block_keeps_its_freeze_and_learning_rate_multiplier_through_the_clipboard(qapp):
    from netbuilder.core.document import Document, dumps, parse

    ed = editor(chain())
    ed.graph.nodes["conv"].frozen, ed.graph.nodes["conv"].lr_mult = True, 0.1
    copied = parse(dumps(Document(ed.graph.subgraph({"conv"}), "clipboard"))).graph  # what the clipboard holds
    ed.push(paste(ed.graph, copied, (40.0, 40.0)))
    pasted = ed.graph.nodes["conv_2"]
    assert (pasted.frozen, pasted.lr_mult) == (True, 0.1)
