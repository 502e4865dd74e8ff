"""Grouping: the imported blocks grouped as the module's hierarchy is (layer1 → layer1.0 → its convs), from the
modules whose forward computed each traced node."""

from __future__ import annotations

import functools
import re

from torch import fx

from netbuilder.core.graph import NAME_LIMIT, Graph, Group
from netbuilder.core.text import clean


def module_paths(traced: fx.GraphModule) -> dict[fx.Node, tuple[str, ...]]:
    """For each node, the qualified names of the modules whose forward computed it, outermost first, the root
    left out (a layer is not part of its own path: layer1.0.conv1 → layer1, layer1.0).

    torch.fx notes these as meta["nn_module_stack"], leaving it out for what the root's own forward computes.
    A torch.fx that does not note them: a layer's path comes from its name, and an operation's is inferred
    from its neighbours: the modules around both the layer before it and the layer after it (an Add between
    bn2 and the relu of layer1.0 is layer1.0's), or, deeper, the modules around all of its inputs (the relu
    that follows the BatchNorm of a small conv-BN-relu module)."""
    nodes = list(traced.graph.nodes)
    if any("nn_module_stack" in n.meta for n in nodes):
        paths = {}
        for node in nodes:
            stack = node.meta.get("nn_module_stack")
            entries = stack.items() if isinstance(stack, dict) else []
            names = [str(entry[0]) if isinstance(entry, tuple) and entry else str(key) for key, entry in entries]
            if node.op == "call_module" and names and names[-1] == str(node.target):
                names = names[:-1]  # the layer itself
            paths[node] = tuple(name for name in names if name)
        return paths

    def of_layer(node: fx.Node) -> tuple[str, ...]:
        parts = str(node.target).split(".")
        return tuple(".".join(parts[:i]) for i in range(1, len(parts)))

    following: dict[fx.Node, tuple[str, ...]] = {}  # the path of the next layer
    after: tuple[str, ...] = ()
    for node in reversed(nodes):
        following[node] = after
        if node.op == "call_module":
            after = of_layer(node)
    paths, before = {}, ()
    for node in nodes:
        if node.op == "call_module":
            paths[node] = before = of_layer(node)
            continue
        around = _common(before, following[node])
        inputs = [paths[n] for n in node.all_input_nodes if n in paths and n.op != "placeholder"]
        fed = functools.reduce(_common, inputs) if inputs else ()
        paths[node] = fed if fed[: len(around)] == around else around
    return paths


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def add_groups(graph: Graph, path_of: dict[str, tuple[str, ...]]) -> None:
    """Group the blocks as the module's hierarchy does: a submodule whose forward computed blocks becomes a
    folded group of them, nested as the submodules are (layer1 → layer1.0 → its convs). A submodule with
    fewer than two members (blocks, or submodules that became groups) is no group: its member, if any,
    belongs to the submodule around it. Blocks of the module's own forward stay ungrouped."""
    items: dict[tuple[str, ...], list[tuple[str, ...] | str]] = {}  # a path → its sub-paths and blocks, in order
    for nid, path in path_of.items():
        for depth in range(1, len(path) + 1):
            if path[:depth] not in items:
                items[path[:depth]] = []
                items.setdefault(path[: depth - 1], []).append(path[:depth])
        items.setdefault(path, []).append(nid)
    taken = set(graph.nodes)

    def members_of(path: tuple[str, ...]) -> list[str]:
        """The members path gives its parent: one group (its own), or its blocks and groups when it is none."""
        members: list[str] = []
        for item in items.get(path, []):
            members.extend([item] if isinstance(item, str) else members_of(item))
        if not path or len(members) < 2:
            return members
        gid = _group_id(path[-1], taken)
        name = clean(path[-1], NAME_LIMIT - 1)
        group = Group(gid, name if name.strip() and name.isprintable() else gid, members, folded=True)
        taken.add(gid)
        graph.add_group(group)  # nested groups are added first, as the file lists them
        return [group.id]

    members_of(())


def _group_id(qualified: str, taken: set[str]) -> str:
    """An id for the group of a submodule: its qualified name made an id (layer1.0 → layer1_0), unique."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", qualified)[:56] or "group"
    if not (base[0].isalpha() or base[0] == "_"):
        base = "_" + base[:55]
    found, n = base, 2
    while found in taken:
        found, n = f"{base}_{n}", n + 1
    return found
