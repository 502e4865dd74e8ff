"""The network graph: nodes, edges, groups (named, nestable sets of blocks) and small reversible mutations that
observers can follow."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.problems import ErrorKind, Problem
from netbuilder.core.text import quote

ID_PATTERN = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,63}\Z")  # \Z: unlike $, no newline may follow


class GraphError(Exception):
    """A refused edit; the message says why in a sentence."""


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] | None = None
    frozen: bool = False  # its parameters are not trained (core.learning)
    lr_mult: float | None = None  # its learning-rate multiplier; None: its group's, else 1

    def copy(self) -> Node:
        return Node(self.id, self.type, dict(self.params), self.position, self.frozen, self.lr_mult)


class Edge(NamedTuple):
    """A connection from src's output to input `port` of dst (a tuple: compared and hashed in C)."""

    src: str
    dst: str
    port: int = 0


NAME_LIMIT = 80


@dataclass
class Group:
    id: str
    name: str
    members: list[str] = field(default_factory=list)  # block ids and nested group ids
    folded: bool = True
    frozen: bool = False  # all its blocks are frozen (core.learning)
    lr_mult: float | None = None  # the multiplier of its blocks that set none; None: its own group's, else 1

    def copy(self) -> Group:
        return Group(self.id, self.name, list(self.members), self.folded, self.frozen, self.lr_mult)


Listener = Callable[[str, Any], None]

NOT_IN_NETWORK = ErrorKind("not_in_network", lambda: "Both ends of a connection must be blocks of this network.")
INTO_SOURCE = ErrorKind(
    "into_source", lambda block, type: f"{type} {block} takes no input: it is where the data enters the network."
)
WOULD_CYCLE = ErrorKind(
    "would_cycle", lambda src, dst: f"Connecting {src} to {dst} would make a cycle; data must flow one way."
)
PORT_TAKEN = ErrorKind(
    "port_taken",
    lambda port, dst, src: f"Input {port} of {dst} is already fed by {src}. Remove that connection first.",
)


class Graph:
    """Nodes in insertion order and edges; every change notifies listeners with (kind, subject).

    Kinds: node_added, node_removed, edge_added, edge_removed, params_changed, node_moved, learning_changed,
    group_added, group_removed, group_changed (subject: the group).
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.groups: dict[str, Group] = {}  # in document order; what they say: core.groups
        self.listeners: list[Listener] = []
        self.check_memo: dict[str, Any] = {}  # core.shapes' per-block memo: it belongs to this graph alone
        self._mutations = 0
        self._index_key: tuple[int, int, int] | None = None
        self._in: dict[str, list[Edge]] = {}
        self._out: dict[str, list[Edge]] = {}
        self._group_mutations = 0
        self._node_mutations = 0
        self._rank: dict[str, int] = {}
        self._rank_key: tuple[int, int, int] | None = None
        self._parents: dict[str, str] = {}
        self._parents_key: tuple[int, int, int] | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Follow every change; returns the function that stops following."""
        self.listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def _emit(self, kind: str, subject: Any) -> None:
        for listener in list(self.listeners):
            listener(kind, subject)

    # Queries ----------------------------------------------------------------------------------

    def _key(self) -> tuple[int, int, int]:
        return id(self.edges), len(self.edges), self._mutations

    def _index(self) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
        """Edges by target and by source, rebuilt only after the edge list changed (O(E) once, not per query)."""
        key = self._key()
        if key != self._index_key:
            self._in, self._out = {}, {}
            for e in self.edges:
                self._in.setdefault(e.dst, []).append(e)
                self._out.setdefault(e.src, []).append(e)
            self._index_key = key
        return self._in, self._out

    def node_rank(self) -> dict[str, int]:
        """Each block → its place in document order (read-only; rebuilt in O(N) only after blocks changed)."""
        key = id(self.nodes), len(self.nodes), self._node_mutations
        if key != self._rank_key:
            self._rank = {nid: i for i, nid in enumerate(self.nodes)}
            self._rank_key = key
        return self._rank

    def _groups_key(self) -> tuple[int, int, int]:
        return id(self.groups), len(self.groups), self._group_mutations

    def parents(self) -> dict[str, str]:
        """Each grouped block or group → the id of the group it is a member of (read-only: kept up to date by
        the group mutations, rebuilt in O(members) only after the groups were replaced some other way)."""
        key = self._groups_key()
        if key != self._parents_key:
            self._parents = {member: gid for gid, group in self.groups.items() for member in group.members}
            self._parents_key = key
        return self._parents

    def _group_changed(self, old: Group | None, new: Group | None, current: bool) -> None:
        """Count a group mutation, keeping parents() current when it was (current: before the change) in
        O(the group's members), not O(all groups)."""
        self._group_mutations += 1
        if current:
            for member in old.members if old else ():
                self._parents.pop(member, None)
            for member in new.members if new else ():
                self._parents[member] = new.id
            self._parents_key = self._groups_key()

    def in_edges(self, node_id: str) -> list[Edge]:
        return list(self._index()[0].get(node_id, ()))

    def out_edges(self, node_id: str) -> list[Edge]:
        return list(self._index()[1].get(node_id, ()))

    def edges_of(self, node_id: str) -> list[Edge]:
        ins, outs = self._index()
        return [*ins.get(node_id, ()), *(e for e in outs.get(node_id, ()) if e.dst != node_id)]

    def reaches(self, start: str, goal: str) -> bool:
        """True when a path of edges leads from start to goal (or start is goal)."""
        outs = self._index()[1]
        seen, stack = set(), [start]
        while stack:
            nid = stack.pop()
            if nid == goal:
                return True
            if nid not in seen:
                seen.add(nid)
                stack.extend(e.dst for e in outs.get(nid, ()))
        return False

    def unique_id(self, base: str) -> str:
        """A fresh id derived from base: conv, conv_2, conv_3, ..."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "block"
        if not base[0].isalpha() and base[0] != "_":
            base = "b_" + base
        base = base[:56]
        if base not in self.nodes:
            return base
        n = 2
        while f"{base}_{n}" in self.nodes:
            n += 1
        return f"{base}_{n}"

    def connect_problem(self, src: str, dst: str, port: int) -> Problem | None:
        """Why an edge src → dst:port would be refused (a typed problem), or None when it is fine."""
        if src not in self.nodes or dst not in self.nodes:
            return Problem(NOT_IN_NETWORK, {})
        target = self.nodes[dst]
        block = REGISTRY.get(target.type)
        if block is not None and block.takes_no_input:
            return Problem(INTO_SOURCE, {"block": quote(dst), "type": block.name})
        if src == dst or self.reaches(dst, src):
            return Problem(WOULD_CYCLE, {"src": quote(src), "dst": quote(dst)})
        for e in self._index()[0].get(dst, ()):
            if e.port == port:
                return Problem(PORT_TAKEN, {"port": port, "dst": quote(dst), "src": quote(e.src)})
        return None

    def connect_refusal(self, src: str, dst: str, port: int) -> str | None:
        """connect_problem's sentence, or None when the edge is fine."""
        problem = self.connect_problem(src, dst, port)
        return None if problem is None else problem.sentence

    # Mutations, each undone by its counterpart -----------------------------------------------

    def add_node(self, node: Node, index: int | None = None) -> None:
        """Add a node, at the end of document order or at index (undo puts it back where it was)."""
        if node.id in self.nodes or node.id in self.groups:
            raise GraphError(f"A block or group named {quote(node.id)} already exists.")
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        self._node_mutations += 1
        self._emit("node_added", node)

    def remove_node(self, node_id: str) -> Node:
        """Remove a node that has no edges left (remove its edges first, so undo restores them)."""
        if self.edges_of(node_id):
            raise GraphError(f"Block {quote(node_id)} still has connections.")
        if node_id in self.parents():
            raise GraphError(f"Block {quote(node_id)} is still in a group.")
        node = self.nodes.pop(node_id)
        self._node_mutations += 1
        self._emit("node_removed", node)
        return node

    def add_edge(self, edge: Edge, index: int | None = None) -> None:
        """Add an edge (at index, for undo); unlike connect_refusal this only refuses what a file cannot hold."""
        if edge.src not in self.nodes or edge.dst not in self.nodes:
            raise GraphError("Both ends of a connection must be blocks of this network.")
        if edge in self._index()[0].get(edge.dst, ()):
            raise GraphError(f"{quote(edge.src)} is already connected to input {edge.port} of {quote(edge.dst)}.")
        current = self._index_key == self._key()
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self._mutations += 1
        if current:  # keep the index instead of rebuilding it (order within a node's lists does not matter)
            self._in.setdefault(edge.dst, []).append(edge)
            self._out.setdefault(edge.src, []).append(edge)
            self._index_key = self._key()
        self._emit("edge_added", edge)

    def remove_edge(self, edge: Edge) -> None:
        current = self._index_key == self._key()
        self.edges.remove(edge)
        self._mutations += 1
        if current:
            self._in[edge.dst].remove(edge)
            self._out[edge.src].remove(edge)
            self._index_key = self._key()
        self._emit("edge_removed", edge)

    def set_params(self, node_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Replace a node's parameters; returns the old ones."""
        node = self.nodes[node_id]
        old, node.params = node.params, dict(params)
        self._emit("params_changed", node)
        return old

    def move(self, node_id: str, position: tuple[float, float] | None) -> tuple[float, float] | None:
        node = self.nodes[node_id]
        old, node.position = node.position, position
        self._emit("node_moved", node)
        return old

    def set_learning(self, node_id: str, frozen: bool, lr_mult: float | None) -> tuple[bool, float | None]:
        """Freeze or unfreeze a block and set its learning-rate multiplier; returns the old pair."""
        node = self.nodes[node_id]
        old = node.frozen, node.lr_mult
        node.frozen, node.lr_mult = frozen, lr_mult
        self._emit("learning_changed", node)
        return old

    def add_group(self, group: Group, index: int | None = None) -> None:
        """Add a group (at index in document order, for undo); refused when it does not fit the graph."""
        problem = problem_with(self, group)
        if problem:
            raise GraphError(problem[0].upper() + problem[1:])
        current = self._parents_key == self._groups_key()
        if index is None or index >= len(self.groups):
            self.groups[group.id] = group.copy()  # O(1): loading G groups is O(G)
        else:
            items = list(self.groups.items())
            items.insert(index, (group.id, group.copy()))
            self.groups = dict(items)
        self._group_changed(None, self.groups[group.id], current)
        self._emit("group_added", self.groups[group.id])

    def remove_group(self, gid: str) -> Group:
        """Remove a group that no other group contains (its members stay, ungrouped)."""
        if gid in self.parents():
            raise GraphError(f"Group {quote(gid)} is inside another group; take it out first.")
        current = self._parents_key == self._groups_key()
        group = self.groups.pop(gid)
        self._group_changed(group, None, current)
        self._emit("group_removed", group)
        return group

    def set_group(self, group: Group) -> Group:
        """Replace a group of the same id (its name, members or folding); returns the old one."""
        problem = problem_with(self, group, replacing=group.id)
        if problem:
            raise GraphError(problem[0].upper() + problem[1:])
        current = self._parents_key == self._groups_key()
        old, self.groups[group.id] = self.groups[group.id], group.copy()
        self._group_changed(old, self.groups[group.id], current)
        self._emit("group_changed", self.groups[group.id])
        return old

    def subgraph(self, node_ids: set[str]) -> Graph:
        """A copy of some nodes, the edges among them, and the groups wholly among them, in document order."""
        g = Graph()
        g.nodes = {nid: n.copy() for nid, n in self.nodes.items() if nid in node_ids}
        g.edges = [e for e in self.edges if e.src in node_ids and e.dst in node_ids]
        kept = {gid for gid in self.groups if set(blocks_in(self, gid)) <= node_ids}
        g.groups = {gid: grp.copy() for gid, grp in self.groups.items() if gid in kept}
        return g

    def copy(self) -> Graph:
        """A deep copy without listeners."""
        g = Graph()
        g.nodes = {nid: n.copy() for nid, n in self.nodes.items()}
        g.edges = list(self.edges)
        g.groups = {gid: grp.copy() for gid, grp in self.groups.items()}
        return g


def problem_with(graph: Graph, group: Group, replacing: str | None = None) -> str | None:
    """Why group cannot join graph (replacing: the id of the group it replaces), or None when it can."""
    if not ID_PATTERN.fullmatch(group.id):
        return f"{quote(group.id)} is not a valid group id: letters, digits and _, not starting with a digit."
    if group.id in graph.nodes or (group.id in graph.groups and group.id != replacing):
        return f"the id {quote(group.id)} is already taken."
    if not group.name.strip() or len(group.name) > NAME_LIMIT or not group.name.isprintable():
        return f"a group needs a name of 1 to {NAME_LIMIT} printable characters; got {quote(group.name)}."
    if not group.members:
        return f"group {quote(group.id)} has no members."
    if len(set(group.members)) != len(group.members):
        return f"group {quote(group.id)} names a member twice."
    owner = graph.parents()
    for member in group.members:
        if member not in graph.nodes and member not in graph.groups:
            return f"group {quote(group.id)} names {quote(member)}, which is neither a block nor a group."
        if member == group.id:
            return f"group {quote(group.id)} cannot contain itself."
        if owner.get(member, replacing) != replacing:
            return f"{quote(member)} is already in group {quote(owner[member])}; a block belongs to one group."
    if replacing is None:
        return None  # a new id is no existing group's member, so no member can contain it: no cycle to look for
    # No cycle: no member may (through its own members) contain this group.
    stack = [m for m in group.members if m in graph.groups]
    seen: set[str] = set()
    while stack:
        gid = stack.pop()
        if gid == group.id:
            return f"group {quote(group.id)} would contain itself through {quote(gid)}."
        if gid not in seen:
            seen.add(gid)
            stack.extend(m for m in graph.groups[gid].members if m in graph.groups)
    return None


def blocks_in(graph: Graph, gid: str) -> list[str]:
    """The blocks of a group and of its nested groups, in document order: O(its blocks), not O(the graph)."""
    found: list[str] = []
    stack = [gid]
    while stack:
        for member in graph.groups[stack.pop()].members:
            if member in graph.groups:
                stack.append(member)
            else:
                found.append(member)
    rank = graph.node_rank()
    if any(nid not in rank for nid in found):  # the blocks were changed without the graph's mutations
        return [nid for nid in graph.nodes if nid in set(found)]
    return sorted(found, key=rank.__getitem__)
