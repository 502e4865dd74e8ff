"""Issue 3's 'done when', as a new user does it: build the article's example by hand, break it, undo,
save and reopen."""

from gestures import click_node, drop_from_palette, key, mouse_drag
from PySide6.QtCore import QPointF
from test_canvas import set_spin

from netbuilder.core.document import load, to_dict


def test_build_the_article_example_by_hand(make_window, tmp_path):
    window = make_window()
    key(window, "Ctrl+N")
    graph = window.editor.graph
    assert list(graph.nodes) == ["input"]
    assert window.scene.node_items["input"].view.volume == "3×32×32"

    chain = ["input"]
    for i, label in enumerate(["Conv2d", "ReLU", "MaxPool2d", "Linear"], start=1):
        before = set(graph.nodes)
        drop_from_palette(window, label, QPointF(115, 33 + 110 * i))
        (new,) = set(graph.nodes) - before
        mouse_drag(window, window.scene.node_items[chain[-1]].output_pos(), window.scene.node_items[new].input_pos(0))
        chain.append(new)
    conv, relu, pool, fc = chain[1:]

    click_node(window, conv)
    set_spin(window.inspector.fields["out_channels"].widget, 12)
    set_spin(window.inspector.fields["padding"].widget.h, 1)
    click_node(window, fc)
    set_spin(window.inspector.fields["out_features"].widget, 10)

    volumes = [window.scene.node_items[n].view.volume for n in chain]
    assert volumes == ["3×32×32", "12×32×32", "12×32×32", "12×16×16", "10"]
    assert window.editor.result.valid and "valid" in window.validity.text()

    click_node(window, conv)
    set_spin(window.inspector.fields["kernel_size"].widget.h, 40)
    assert window.scene.node_items[conv].view.error.startswith(f"Conv2d '{conv}': its 40×40 kernel")
    assert [window.scene.node_items[n].view.volume for n in (relu, pool, fc)] == ["?", "?", "?"]
    assert "Lower kernel_size or raise padding" in window.statusBar().currentMessage()

    key(window, "Ctrl+Z")
    assert window.scene.node_items[pool].view.volume == "12×16×16"

    path = tmp_path / "article.json"
    window.questions.ask_path = lambda save, start: path
    key(window, "Ctrl+S")
    reopened = make_window("vgg_cifar")
    assert reopened.files.open(path)
    assert to_dict(reopened.editor.document) == to_dict(load(path)) == to_dict(window.editor.document)
    assert reopened.scene.node_items[pool].view.volume == "12×16×16"
