"""Units of several blocks added in one undoable step: squeeze-and-excitation after a block."""

from __future__ import annotations

from netbuilder.core.blocks import ACTIVATION, ADAPTIVE_POOL2D, CONV2D, MULTIPLY
from netbuilder.core.check.shapes import Check
from netbuilder.core.drawing.layout import ROW, descendants
from netbuilder.core.graph import Edge, Graph, Group, Node
from netbuilder.core.groups import parents
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.items import NODE_W
from netbuilder.ui.canvas.undo import (
    AddEdge,
    AddGroup,
    AddNode,
    Edit,
    Move,
    Op,
    RemoveEdge,
    SetGroup,
    back_to_front,
    fresh_group_id,
)

SQUEEZE_EXCITE = "squeeze_excite"
SE_REDUCTION = 4  # squeezed channels = channels / 4, rounded to a multiple of 8 (as MobileNetV3 and EfficientNet)


def squeezed(channels: int) -> int:
    """The channels of the squeeze: a quarter, rounded to a multiple of 8 and never below 8 or above channels."""
    return min(channels, max(8, int(channels / SE_REDUCTION + 4) // 8 * 8))


def squeeze_excite(graph: Graph, result: Check, above: str) -> Edit | str:
    """Squeeze-and-excitation on the C×H×W volume of `above`: AdaptivePool2d 1×1 → Conv2d 1×1 (C→C/4) → ReLU →
    Conv2d 1×1 (C/4→C) → Hardsigmoid → Multiply with the volume, the Multiply taking over what `above` fed.
    One step, in a new group named SqueezeExcite. A sentence instead, when `above` gives no volume."""
    shape = result.nodes[above].output_shape if above in result.nodes else None
    if shape is None or len(shape) != 3:
        what = "nothing valid" if shape is None else f"a vector of {shape[0]} features"
        return (
            f"Squeeze-and-excitation gates the channels of a C×H×W volume, but '{above}' gives {what}. "
            f"Select a block that gives a volume, such as a Conv2d."
        )
    channels = shape[0]
    x, y = graph.nodes[above].position or (0.0, 0.0)
    side = x + NODE_W + 60.0
    chain = [
        ("se_pool", ADAPTIVE_POOL2D, {"mode": "avg", "output_size": 1}),
        ("se_reduce", CONV2D, {"out_channels": squeezed(channels), "kernel_size": 1}),
        ("se_relu", ACTIVATION, {"function": "relu"}),
        ("se_expand", CONV2D, {"out_channels": channels, "kernel_size": 1}),
        ("se_gate", ACTIVATION, {"function": "hardsigmoid"}),
    ]
    nodes, taken = [], set(graph.nodes) | set(graph.groups)
    for n, (base, block, params) in enumerate(chain):
        nid = _unique(base, taken)
        nodes.append(Node(nid, block.name, params, (side, y + ROW * (n + 1))))
    mul = Node(_unique("se_mul", taken), MULTIPLY.name, {"inputs": 2}, (x, y + ROW * (len(chain) + 1)))
    shift = ROW * (len(chain) + 1)
    reached = descendants(graph, above)  # what hangs below moves down to make room
    ops: list[Op] = [
        Move(graph, nid, n.position, (n.position[0], n.position[1] + shift))
        for nid, n in graph.nodes.items()
        if nid in reached and n.position is not None and n.position[1] > y
    ]
    fed = back_to_front(graph, graph.out_edges(above))  # the Multiply takes over what `above` fed
    ops += [RemoveEdge(graph, edge, graph.edges.index(edge)) for edge in fed]
    ops += [AddNode(graph, node) for node in (*nodes, mul)]
    ops += [AddEdge(graph, Edge(mul.id, edge.dst, edge.port)) for edge in reversed(fed)]
    ops += [AddEdge(graph, Edge(a.id, b.id, 0)) for a, b in zip(nodes, nodes[1:])]
    ops += [
        AddEdge(graph, Edge(above, nodes[0].id, 0)),
        AddEdge(graph, Edge(above, mul.id, 0)),
        AddEdge(graph, Edge(nodes[-1].id, mul.id, 1)),
    ]
    group = Group(fresh_group_id(graph, "se"), "SqueezeExcite", [n.id for n in (*nodes, mul)], folded=False)
    ops.append(AddGroup(graph, group))
    parent = parents(graph).get(above)
    if parent is not None:  # the unit belongs where the block it gates does (a stage, a residual block)
        old_parent = graph.groups[parent]
        new_parent = old_parent.copy()
        new_parent.members = [*old_parent.members, group.id]
        ops.append(SetGroup(graph, old_parent, new_parent))
    return Edit(f"Add squeeze-and-excitation under '{above}'", ops)


def _unique(base: str, taken: set[str]) -> str:
    found, n = base, 2
    while found in taken:
        found, n = f"{base}_{n}", n + 1
    taken.add(found)
    return found


def apply_template(editor: Editor, template: str, above: str | None) -> list[str]:
    """Add a unit under `above` as one undo step, or say in the status bar why not; the ids of what it added."""
    if above is None or above not in editor.graph.nodes:
        editor.say(
            "Squeeze-and-excitation gates a block's channels: select that block and double-click the unit in the "
            "palette, or drop the unit just under it."
        )
        return []
    edit = squeeze_excite(editor.graph, editor.result, above)
    if isinstance(edit, str):
        editor.say(edit)
        return []
    editor.push(edit)
    editor.say(f"Added squeeze-and-excitation under '{above}' as group SqueezeExcite (Ctrl+Z undoes it).")
    return edit.added
