"""The .json file format (version 1): strict reading of untrusted files, and atomic writing."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netbuilder.core.atomic import write_text_atomic
from netbuilder.core.fields import describe, is_number
from netbuilder.core.gc_pause import paused_gc
from netbuilder.core.graph import ID_PATTERN, Edge, Graph, GraphError, Group, Node
from netbuilder.core.initial import InitWeights, init_from_json
from netbuilder.core.learning import lr_mult_problem
from netbuilder.core.search_space import SearchSpace, SpaceError, check_space, space_from_json, split
from netbuilder.core.text import clean, fmt_int, quote

FORMAT = "netbuilder"
VERSION = 1
MAX_BYTES = 16 * 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 16
write_atomic = write_text_atomic  # the name callers outside core still import from here

_TOP_KEYS = {"format", "version", "name", "description", "nodes", "edges", "groups", "search", "training", "init"}
_NODE_KEYS = {"id", "type", "params", "position", "frozen", "lr_mult"}
_EDGE_KEYS = {"from", "to", "port"}
_GROUP_KEYS = {"id", "name", "members", "folded", "frozen", "lr_mult"}
_SETTING_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")
MAX_SETTINGS = 64
MAX_SETTING_TEXT = 4096


class DocumentError(Exception):
    """A file that cannot be read as a network; the message names the file and the place in it."""


@dataclass
class Document:
    graph: Graph = field(default_factory=Graph)
    name: str = "Untitled"
    description: str = ""
    search: SearchSpace = field(default_factory=SearchSpace)  # what a search varies (core.search_space)
    # The run's settings saved with the network (name → plain value; records.config checks names and values and
    # fills the others from the recipe). Empty in files written before they were saved.
    training: dict[str, Any] = field(default_factory=dict)
    init: InitWeights | None = None  # the weights it starts from (core.initial); None: fresh weights

    def snapshot(self) -> Document:
        """A copy that later edits of this one do not reach: its graph, search and settings copied; its initial
        weights (an immutable record) shared."""
        return dataclasses.replace(
            self, graph=self.graph.copy(), search=self.search.copy(), training=copy.deepcopy(self.training)
        )

    def with_trial(self, values: dict[str, Any], keep_space: bool = False) -> Document:
        """A copy with a search trial's block values set (its training settings are for the run's config; see
        core.search_space.split). Without keep_space the copy searches nothing: it is the trial's concrete
        network."""
        graph = self.graph.copy()
        for nid, params in split(values)[0].items():
            if nid in graph.nodes:
                graph.nodes[nid].params.update(params)
        space = self.search.copy() if keep_space else SearchSpace()
        return Document(graph, self.name, self.description, space, init=self.init)


def _fail(source: str, where: str, what: str) -> DocumentError:
    """The error for a place in a file; its path and the place (which may hold a key from the file) are escaped."""
    place = f" at {clean(where, 120)}" if where else ""
    return DocumentError(f"{clean(source, 200)}{place}: {what}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}.get(type(value), "null")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping early past the limit."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((v, d + 1) for v in children if isinstance(v, (dict, list)))  # scalars add no depth
    return deepest


def _expect(source: str, where: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _fail(source, where, f"expected {what}, found {_kind(value)}.")
    return value


def _unknown_keys(source: str, where: str, obj: dict, allowed: set[str]) -> None:
    if obj.keys() <= allowed:
        return
    extra = sorted(set(obj) - allowed)
    if extra:
        raise _fail(source, where, f"unknown field {quote(extra[0])} (allowed here: {', '.join(sorted(allowed))}).")


def _param_value(source: str, where: str, value: Any) -> Any:
    scalar = (str, int, float, bool, type(None))
    if isinstance(value, list):
        if len(value) > 8 or not all(isinstance(v, scalar) and not isinstance(v, list) for v in value):
            raise _fail(source, where, "a parameter list holds at most 8 plain values.")
        return list(value)
    return _expect(source, where, value, scalar, "a number, text, true/false or a list")


def _parse_node(source: str, where: str, raw: Any) -> Node:
    _expect(source, where, raw, dict, "an object with id and type")
    _unknown_keys(source, where, raw, _NODE_KEYS)
    for key in ("id", "type"):
        if key not in raw:
            raise _fail(source, where, f"the block has no '{key}'.")
    node_id = _expect(source, f"{where}.id", raw["id"], str, "text")
    if not ID_PATTERN.fullmatch(node_id):
        raise _fail(
            source,
            f"{where}.id",
            f"{quote(node_id)} is not a valid id (letters, digits and _, "
            "starting with a letter or _, at most 64 characters).",
        )
    block_type = _expect(source, f"{where}.type", raw["type"], str, "text")
    params = _expect(source, f"{where}.params", raw.get("params", {}), dict, "an object")
    params = {str(k): _param_value(source, f"{where}.params.{k}", v) for k, v in params.items()}
    position = raw.get("position")
    if position is not None:
        ok = isinstance(position, list) and len(position) == 2 and all(is_number(v) and abs(v) < 1e9 for v in position)
        if not ok:
            raise _fail(source, f"{where}.position", "expected [x, y] with two numbers.")
        position = (float(position[0]), float(position[1]))
    return Node(node_id, block_type, params, position, *_learning(source, where, raw))


def _learning(source: str, where: str, raw: dict) -> tuple[bool, float | None]:
    """A block's or group's optional "frozen" (true or false) and "lr_mult" (a number from 0 to 1000)."""
    frozen = _expect(source, f"{where}.frozen", raw.get("frozen", False), bool, "true or false")
    lr_mult = raw.get("lr_mult")
    problem = None if lr_mult is None else lr_mult_problem(lr_mult)
    if problem:
        raise _fail(source, f"{where}.lr_mult", problem)
    return frozen, lr_mult


def _parse_edge(source: str, where: str, raw: Any, graph: Graph) -> Edge:
    _expect(source, where, raw, dict, "an object with from and to")
    _unknown_keys(source, where, raw, _EDGE_KEYS)
    ends = []
    for key in ("from", "to"):
        if key not in raw:
            raise _fail(source, where, f"the connection has no '{key}'.")
        value = _expect(source, f"{where}.{key}", raw[key], str, "a block id")
        if value not in graph.nodes:
            raise _fail(source, f"{where}.{key}", f"there is no block {quote(value)}.")
        ends.append(value)
    port = _expect(source, f"{where}.port", raw.get("port", 0), int, "a whole number")
    if not 0 <= port < 64:
        raise _fail(source, f"{where}.port", f"port must be between 0 and 63; got {fmt_int(port)}.")
    return Edge(ends[0], ends[1], port)


def _parse_training(source: str, raw: Any) -> dict[str, Any]:
    """The file's "training" object: setting names with plain values (numbers through is_number)."""
    _expect(source, "training", raw, dict, 'an object of training settings such as {"lr": 0.003}')
    if len(raw) > MAX_SETTINGS:
        raise _fail(source, "training", f"more than {MAX_SETTINGS} training settings.")
    for name, value in raw.items():
        where = f"training.{name}"
        if not _SETTING_NAME.fullmatch(name):
            raise _fail(source, "training", f"{quote(name)} is not a training setting's name.")
        _expect(source, where, value, (str, int, float, bool, type(None)), "a number, text, true/false or null")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not is_number(value):
            raise _fail(source, where, f"expected a number of at most 1e300 in size; got {describe(value)}.")
        if isinstance(value, str) and len(value) > MAX_SETTING_TEXT:
            raise _fail(source, where, f"the text is longer than {MAX_SETTING_TEXT:,} characters.")
    return dict(raw)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def parse(text: str, source: str = "<text>") -> Document:
    """Read a document from JSON text; anything malformed raises one DocumentError."""
    if len(text) > MAX_BYTES:
        raise _fail(source, "", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; it is not a network.")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise _fail(source, f"line {e.lineno}, column {e.colno}", f"this is not valid JSON ({e.msg}).") from None
    except RecursionError:
        raise _fail(source, "", f"the data is nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError as e:
        raise _fail(source, "", f"this is not valid JSON ({e}).") from None
    try:
        with paused_gc():
            return _read(data, source)
    except DocumentError:
        # A file that passes the reading is shallow by construction; one that fails may be deep, which says more.
        if _depth(data, MAX_DEPTH) > MAX_DEPTH:
            raise _fail(source, "", f"the data is nested more than {MAX_DEPTH} levels deep.") from None
        raise


def _read(data: Any, source: str) -> Document:
    """The document in parsed JSON, read strictly: every field checked for its kind and shape."""
    _expect(source, "", data, dict, "a JSON object")
    if data.get("format") != FORMAT:
        raise _fail(source, "format", f'this is not a NetBuilder network ("format" must be "{FORMAT}").')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(source, "version", "expected a version number such as 1.")
    if version > VERSION:
        raise _fail(
            source,
            "version",
            f"the file was written by a newer NetBuilder (format version {fmt_int(version)}); "
            f"this one reads up to version {VERSION}. Update NetBuilder.",
        )
    _unknown_keys(source, "", data, _TOP_KEYS)
    name = _expect(source, "name", data.get("name", "Untitled"), str, "text")
    description = _expect(source, "description", data.get("description", ""), str, "text")
    raw_nodes = _expect(source, "nodes", data.get("nodes", []), list, "a list of blocks")
    raw_edges = _expect(source, "edges", data.get("edges", []), list, "a list of connections")
    if len(raw_nodes) > MAX_NODES or len(raw_edges) > 4 * MAX_NODES:
        raise _fail(source, "nodes", f"more than {MAX_NODES:,} blocks; this is not a network NetBuilder can show.")
    graph = Graph()
    for i, raw in enumerate(raw_nodes):
        node = _parse_node(source, f"nodes[{i}]", raw)
        if node.id in graph.nodes:
            raise _fail(source, f"nodes[{i}].id", f"the id '{node.id}' is used twice; ids must be unique.")
        graph.nodes[node.id] = node
    seen: set[Edge] = set()
    nodes = graph.nodes
    for i, raw in enumerate(raw_edges):
        # The common, well-formed case inline (no place name made, no call); anything else is read in full.
        if type(raw) is dict and raw.keys() <= _EDGE_KEYS:
            src, dst, port = raw.get("from"), raw.get("to"), raw.get("port", 0)
            if type(src) is str and type(dst) is str and type(port) is int and 0 <= port < 64:
                if src in nodes and dst in nodes:
                    edge = Edge(src, dst, port)
                    if edge not in seen:
                        seen.add(edge)
                        graph.edges.append(edge)
                        continue
        edge = _parse_edge(source, f"edges[{i}]", raw, graph)
        if edge in seen:
            raise _fail(source, f"edges[{i}]", f"the connection {edge.src} → {edge.dst} is listed twice.")
        seen.add(edge)
        graph.edges.append(edge)
    raw_groups = _expect(source, "groups", data.get("groups", []), list, "a list of groups")
    if len(raw_groups) > MAX_NODES:
        raise _fail(source, "groups", f"more than {MAX_NODES:,} groups.")
    for i, raw in enumerate(raw_groups):
        where = f"groups[{i}]"
        _expect(source, where, raw, dict, "an object with id, name and members")
        _unknown_keys(source, where, raw, _GROUP_KEYS)
        members = _expect(source, f"{where}.members", raw.get("members"), list, "a list of block and group ids")
        for j, member in enumerate(members):
            _expect(source, f"{where}.members[{j}]", member, str, "a block or group id")
        group = Group(
            _expect(source, f"{where}.id", raw.get("id"), str, "a group id"),
            _expect(source, f"{where}.name", raw.get("name"), str, "text"),
            list(members),
            _expect(source, f"{where}.folded", raw.get("folded", True), bool, "true or false"),
            *_learning(source, where, raw),
        )
        try:
            graph.add_group(group)  # members must already be defined: nested groups come first
        except GraphError as e:
            raise _fail(source, where, str(e)[0].lower() + str(e)[1:]) from None
    search = SearchSpace()
    if "search" in data:
        try:
            search = space_from_json(data["search"])
            check_space(search, graph)
        except SpaceError as e:
            raise _fail(source, "search", str(e)) from None
    training = _parse_training(source, data["training"]) if "training" in data else {}
    try:
        init = init_from_json(data["init"]) if "init" in data else None
    except ValueError as e:
        raise _fail(source, "init", f"{e}.") from None
    return Document(graph, name, description, search, training, init)


def load(path: str | os.PathLike) -> Document:
    """Read a document from a file; unreadable or malformed files raise DocumentError."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise _fail(str(p), "", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; it is not a network.")
        raw = p.read_bytes()
    except OSError as e:
        raise DocumentError(f"{p}: cannot be read ({e.strerror or e}).") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(str(p), "", "the file is not UTF-8 text; it is not a NetBuilder network.") from None
    document = parse(text, str(p))
    if document.init is not None:  # a relative path is the network file's neighbour
        document.init = document.init.located(p.absolute().parent)
    return document


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise DocumentError(f"cannot save the value {value}: only finite numbers can be written.")
    return value


def _number(value: float) -> float | int:
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def _nested_first(graph: Graph) -> list[Group]:
    """The groups in document order, except that each comes after the groups it contains (as reading needs:
    a group grouped inside an existing one is added after it)."""
    done: dict[str, Group] = {}
    for gid in graph.groups:
        stack = [(gid, False)]
        while stack:  # post-order, without recursion (groups nest up to the file's depth limit)
            current, expanded = stack.pop()
            if current in done:
                continue
            if expanded:
                done[current] = graph.groups[current]
                continue
            stack.append((current, True))
            stack.extend((m, False) for m in reversed(graph.groups[current].members) if m in graph.groups)
    return list(done.values())


def _with_learning(entry: dict[str, Any], unit: Node | Group) -> dict[str, Any]:
    """A block's or group's entry with "frozen" and "lr_mult" where they are set (files without them as before)."""
    if unit.frozen:
        entry["frozen"] = True
    if unit.lr_mult is not None:
        entry["lr_mult"] = _finite(unit.lr_mult)
    return entry


def to_dict(doc: Document) -> dict[str, Any]:
    nodes = []
    for n in doc.graph.nodes.values():
        entry: dict[str, Any] = {"id": n.id, "type": n.type, "params": {k: _finite(v) for k, v in n.params.items()}}
        if n.position is not None:
            entry["position"] = [_number(n.position[0]), _number(n.position[1])]
        nodes.append(_with_learning(entry, n))
    edges = []
    for e in doc.graph.edges:
        entry = {"from": e.src, "to": e.dst}
        if e.port:
            entry["port"] = e.port
        edges.append(entry)
    out = {
        "format": FORMAT,
        "version": VERSION,
        "name": doc.name,
        "description": doc.description,
        "nodes": nodes,
        "edges": edges,
    }
    if doc.graph.groups:  # files without groups read and write as before
        out["groups"] = [
            _with_learning({"id": g.id, "name": g.name, "members": g.members, "folded": g.folded}, g)
            for g in _nested_first(doc.graph)
        ]
    search = doc.search.to_json(doc.graph)
    if search:  # files without a search space read and write as before
        out["search"] = search
    if doc.training:  # files without saved training settings read and write as before
        out["training"] = {name: _finite(value) for name, value in doc.training.items()}
    if doc.init is not None:  # files without initial weights read and write as before
        out["init"] = doc.init.to_json()
    return out


def dumps(doc: Document) -> str:
    """JSON text with one block or connection per line, so files read well and diff well."""
    data = to_dict(doc)
    head = [
        f"  {json.dumps(k)}: {json.dumps(data[k], ensure_ascii=False)}"
        for k in ("format", "version", "name", "description")
    ]

    def listing(key: str) -> str:
        items = [json.dumps(item, ensure_ascii=False) for item in data[key]]
        if not items:
            return f'  "{key}": []'
        return f'  "{key}": [\n    ' + ",\n    ".join(items) + "\n  ]"

    lists = [listing(key) for key in ("nodes", "edges", "groups") if key in data]
    lists += [
        f"  {json.dumps(key)}: {json.dumps(data[key], ensure_ascii=False)}"
        for key in ("search", "training", "init")
        if key in data
    ]
    return "{\n" + ",\n".join(head + lists) + "\n}\n"


def save(doc: Document, path: str | os.PathLike) -> None:
    """Save a document atomically (through a symbolic link, to its target); the text is produced before
    the file is touched."""
    write_text_atomic(path, dumps(doc))
