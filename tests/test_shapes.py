"""Graph-level rules of the live check."""

from helpers import chain, image

from netbuilder.core.check.shapes import check
from netbuilder.core.graph import Edge, Graph, Node


def seed():
    return chain(
        image(),
        ("conv1", "Conv2d", {"out_channels": 12, "kernel_size": 3, "padding": 1}),
        ("relu1", "Activation", {}),
        ("pool1", "Pool2d", {"kernel_size": 2, "stride": 2}),
        ("fc1", "Linear", {"out_features": 10}),
    )


def test_the_article_example_is_valid_with_exact_totals():
    res = check(seed())
    assert res.valid and res.errors == []
    assert [res.nodes[n].output_shape for n in res.order] == [
        (3, 32, 32),
        (12, 32, 32),
        (12, 32, 32),
        (12, 16, 16),
        (10,),
    ]
    assert res.total_params == (12 * 27 + 12) + (12 * 16 * 16 * 10 + 10)
    assert res.total_macs == 32 * 32 * 12 * 27 + 12 * 16 * 16 * 10
    assert res.output == "fc1"


def test_downstream_of_an_error_has_no_shape_and_it_clears_at_once():
    g = seed()
    g.set_params("conv1", {"out_channels": 12, "kernel_size": 40})
    res = check(g)
    assert res.nodes["conv1"].error and res.nodes["conv1"].output_shape is None
    for nid in ("relu1", "pool1", "fc1"):
        assert res.nodes[nid].output_shape is None and res.nodes[nid].error is None
    assert res.errors == [res.nodes["conv1"].error] and not res.valid
    g.set_params("conv1", {"out_channels": 12, "kernel_size": 3, "padding": 1})
    assert check(g).valid


def test_cycle_is_named_with_its_path_once():
    g = seed()
    g.remove_edge(Edge("input", "conv1"))
    g.add_edge(Edge("pool1", "conv1"))
    res = check(g)
    assert res.errors == [
        "Conv2d 'conv1': it is part of a cycle (conv1 → relu1 → pool1 → conv1). Remove one of these connections."
    ]
    for nid in ("relu1", "pool1", "fc1"):
        assert res.nodes[nid].output_shape is None and res.nodes[nid].error is None


def test_self_loop_is_a_cycle():
    g = chain(image(), ("a", "Activation", {}))
    g.add_edge(Edge("a", "a", 0))
    assert "part of a cycle (a → a)" in check(g).nodes["a"].error


def test_a_big_cycle_is_one_short_error_naming_ten_blocks():
    g = chain(image())
    g.nodes.update((f"b{i}", Node(f"b{i}", "Activation")) for i in range(16_000))
    g.edges += [Edge(f"b{i}", f"b{(i + 1) % 16_000}") for i in range(16_000)]
    (error,) = check(g).errors
    path = " → ".join(f"b{i}" for i in range(10))
    assert (
        error
        == f"Activation 'b0': it is part of a cycle ({path} → and 15,990 more → b0). Remove one of these connections."
    )


def test_each_of_many_cycles_is_reported_once_along_a_real_path():
    g = chain(image(), ("a", "Activation", {}), ("b", "Activation", {}), ("c", "Activation", {}))
    g.add_edge(Edge("c", "a", 0))  # a also fed by the input: a cycle a → b → c → a, reached from outside
    g.nodes["a"].params = {}
    g.add_node(Node("x", "Activation"))
    g.add_edge(Edge("x", "x"))
    for i in range(1000):
        g.add_node(Node(f"p{i}", "Activation"))
    for i in range(0, 1000, 2):
        g.add_edge(Edge(f"p{i}", f"p{i + 1}"))
        g.add_edge(Edge(f"p{i + 1}", f"p{i}"))
    errors = [e for e in check(g).errors if "cycle" in e]
    assert len(errors) == 502
    assert errors[0].startswith("Activation 'a': it is part of a cycle (a → b → c → a)")
    assert "(x → x)" in errors[1] and "(p0 → p1 → p0)" in errors[2]


def test_many_outputs_are_counted_not_all_named():
    g = chain(image())
    for i in range(50):
        g.add_node(Node(f"o{i}", "Activation"))
        g.add_edge(Edge("input", f"o{i}"))
    (error,) = check(g).graph_errors
    assert error.startswith("The network has 50 outputs ('o0', 'o1', ") and "'o9', and 40 more)" in error


def test_node_without_input():
    g = seed()
    g.remove_edge(Edge("relu1", "pool1"))
    res = check(g)
    assert res.nodes["pool1"].error == "Pool2d 'pool1': it has no input. Connect a block's output to it."
    assert res.nodes["fc1"].output_shape is None


def test_port_fed_twice():
    g = seed()
    g.add_edge(Edge("input", "relu1"))
    assert check(g).nodes["relu1"].error == (
        "Activation 'relu1': its input is fed by both 'conv1' and 'input'. Remove one of these connections."
    )


def test_edge_into_a_port_that_does_not_exist():
    g = seed()
    g.add_edge(Edge("input", "relu1", 2))
    assert check(g).nodes["relu1"].error == (
        "Activation 'relu1': 'input' is connected to its input 2, but it has only 1 input. Remove that connection."
    )
    g = seed()
    g.add_node(Node("x", "Flatten", {}))
    g.add_edge(Edge("x", "input"))
    assert "Input 'input': 'x' is connected to its input 0, but it takes no input" in check(g).nodes["input"].error


def test_missing_input():
    g = Graph()
    g.add_node(Node("fc", "Linear", {}))
    res = check(g)
    assert res.errors[0].startswith("The network has no Input block.")
    assert not res.valid


def test_second_input():
    g = seed()
    g.add_node(Node("input2", "Input", {"shape": [3, 32, 32]}))
    assert check(g).nodes["input2"].error == (
        "Input 'input2': a network has exactly one Input, and 'input' is already one. Delete one of them."
    )


def test_two_outputs():
    g = seed()
    g.add_node(Node("side", "Activation", {}))
    g.add_edge(Edge("pool1", "side"))
    res = check(g)
    tail = "; it needs exactly one. Connect the extra blocks onward or delete them."
    assert res.graph_errors in (
        [f"The network has 2 outputs ('side', 'fc1'){tail}"],
        [f"The network has 2 outputs ('fc1', 'side'){tail}"],
    )
    assert res.output is None


def test_empty_and_lone_input():
    assert not check(Graph()).valid
    res = check(chain(image()))
    assert res.valid and res.output == "input"


def test_connect_refusals_are_sentences():
    g = seed()
    assert "would make a cycle" in g.connect_refusal("fc1", "conv1", 0)
    assert "takes no input" in g.connect_refusal("conv1", "input", 0)
    assert "already fed by 'conv1'" in g.connect_refusal("input", "relu1", 0)
    assert g.connect_refusal("input", "fc1", 1) is None
