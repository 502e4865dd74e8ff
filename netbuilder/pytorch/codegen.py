"""Graph → the source of a standalone, readable model.py that needs only torch; groups become submodules."""

from __future__ import annotations

import inspect
import keyword
import os
import re
import textwrap
from collections.abc import Mapping
from typing import Any

import torch

from netbuilder.core.blocks import Call, Infix, Layer, Source
from netbuilder.core.graph import ID_PATTERN, Graph
from netbuilder.core.plan import Nesting, Plan, Step, Unit, nest, plan, reads
from netbuilder.core.text import clean, quote
from netbuilder.pytorch import layers
from netbuilder.pytorch.build import checked, clashes, python_names, safe_names

MAX_LINE = 79  # PEP 8
TITLE_LIMIT = 200


def rename_state_dict(state_dict: Mapping[str, torch.Tensor], graph: Graph | None = None) -> dict[str, torch.Tensor]:
    """build(graph)'s state_dict under the generated module's names: layers.<name>.<param> → <name>.<param>,
    or, given the graph, → <path>.<param> where its groups are submodules (stage3.0.weight, layer1.0.conv1.weight)."""
    if graph is None or not graph.groups:
        return {key.removeprefix("layers."): tensor for key, tensor in state_dict.items()}
    paths = {python_names(graph)[nid]: path for nid, path in module_paths(graph).items()}
    renamed = {}
    for key, tensor in state_dict.items():
        name, _, rest = key.removeprefix("layers.").partition(".")
        renamed[f"{paths.get(name, name)}.{rest}"] = tensor
    return renamed


def _literal(value: Any) -> str:
    """A value as Python source: a pair with equal sides as one int, a string in double quotes."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    return f'"{value}"' if isinstance(value, str) else repr(value)


def layer_call(layer: Layer) -> tuple[str, list[str]]:
    """The class and the arguments that construct a block's layer in model.py, straight from its Layer (which
    leaves out the arguments equal to the layer's defaults): ("nn.Conv2d", ["3", "12", "kernel_size=3"])."""
    args = [*map(_literal, layer.args), *(f"{name}={_literal(value)}" for name, value in layer.kwargs.items())]
    return f"{'nn.' if layer.home == 'nn' else ''}{layer.cls}", args


# NetBuilder's own layers, which model.py defines before its classes (they need only torch).
OWN_LAYERS = {name for name, cls in vars(layers).items() if isinstance(cls, type) and cls.__module__ == layers.__name__}


def _own_layer_sources(graph: Graph, execution: Plan) -> list[str]:
    """The source of each of NetBuilder's own layers the graph uses, in a stable order."""
    used = sorted({layer.cls for _, layer in execution.layers() if layer.home != "nn"})
    return [line for cls in used for line in [*inspect.getsource(getattr(layers, cls)).splitlines(), "", ""]]


def _statement(indent: int, start: str, items: list[str], end: str, sep: str = ", ") -> list[str]:
    """start + items joined by sep + end on one line, or wrapped when longer than MAX_LINE."""
    pad, inner = " " * indent, " " * (indent + 4)
    line = f"{pad}{start}{sep.join(items)}{end}"
    if len(line) <= MAX_LINE:
        return [line]
    target, equals, value = start.partition(" = ")
    if equals and (len(pad + start) > MAX_LINE or not items) and not end.endswith(","):
        # a long name: the value goes in parentheses on the lines below
        return [f"{pad}{target} = (", *_statement(indent + 4, value, items, end, sep), f"{pad})"]
    if not items:
        return [line]
    if sep != ", ":  # a sum: parenthesised and broken before its operators, as PEP 8 recommends
        op = sep.strip()
        return [f"{pad}{start}(", inner + items[0], *(f"{inner}{op} {item}" for item in items[1:]), f"{pad}){end}"]
    body = [inner]
    for item in items:
        if body[-1] != inner and len(f"{body[-1]} {item},") > MAX_LINE:
            body.append(inner)
        body[-1] += ("" if body[-1] == inner else " ") + item + ","
    body[-1] = body[-1][:-1]
    return [pad + start, *body, pad + end]


def _docstring(paragraphs: list[str], indent: int) -> list[str]:
    """A docstring: paragraphs wrapped to MAX_LINE, line by line where they hold line breaks; code (a line
    indented by 4 spaces) is kept as it is."""
    pad = " " * indent
    if len(paragraphs) == 1 and len(f'{pad}"""{paragraphs[0]}"""') <= MAX_LINE:
        return [f'{pad}"""{paragraphs[0]}"""']
    lines = textwrap.wrap(paragraphs[0], MAX_LINE, initial_indent=pad + '"""', subsequent_indent=pad)
    for text in paragraphs[1:]:
        lines.append("")
        for line in text.split("\n"):
            if line.startswith("    ") or not line:
                lines.append((pad + line).rstrip())
            else:
                lines += textwrap.wrap(line, MAX_LINE, initial_indent=pad, subsequent_indent=pad)
    return [*lines, pad + '"""']


def _batch(shape: tuple[int, ...], n: int | str) -> str:
    """A batch's shape as Python source: (N, 3, 32, 32)."""
    return "(" + ", ".join(str(v) for v in (n, *shape)) + ")"


class _Emitter:
    """What model.py names and defines for a graph's nesting: attribute names, the classes of groups that
    are no straight chain (one per group type: equal structure and settings), and each layer's path."""

    def __init__(self, graph: Graph, nesting: Nesting, class_name: str) -> None:
        self.graph = graph
        self.nesting = nesting
        self.names = python_names(graph)
        self.group_names = group_names(graph)
        self.classes: dict[tuple, tuple[str, Unit, list[str]]] = {}  # signature → (class, template, names)
        taken = {class_name, "Net", *OWN_LAYERS}
        for unit in _units(nesting.items):
            key = _signature(unit)
            if unit.chain or key in self.classes:
                continue
            base = _class_base(graph.groups[unit.group].name)
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}{n}"
            taken.add(name)
            self.classes[key] = (name, unit, _local_names(unit))

    def member_names(self, parent: Unit | None, items: tuple[Step | Unit, ...]) -> list[str]:
        """The attribute of each item: top level by block or group, a class's by its template, a
        Sequential's by index (an nn.Flatten before a layer that flattens takes an index of its own)."""
        if parent is None:
            return [self.names[i.node] if isinstance(i, Step) else self.group_names[i.group] for i in items]
        if not parent.chain:
            return self.classes[_signature(parent)][2]
        out, k = [], 0
        for n, item in enumerate(items):
            if n > 0 and _flattens(item):
                k += 1
            out.append(str(k))
            k += 1
        return out

    def paths(self, items: tuple[Step | Unit, ...], parent: Unit | None = None, prefix: str = "") -> dict[str, str]:
        """Each layer block → its module's path in model.py."""
        out: dict[str, str] = {}
        for item, name in zip(items, self.member_names(parent, items)):
            if isinstance(item, Unit):
                out |= self.paths(item.items, item, f"{prefix}{name}.")
            elif isinstance(item.compute, Layer):
                out[item.node] = prefix + name
        return out

    def constructor(self, item: Step | Unit, indent: int, start: str, end: str) -> list[str]:
        """The lines constructing an item's module: start + the constructor + end."""
        pad = " " * indent
        if isinstance(item, Step):
            assert isinstance(item.compute, Layer)
            cls, args = layer_call(item.compute)
            return _statement(indent, f"{start}{cls}(", args, f"){end}")
        if not item.chain:
            return _statement(indent, f"{start}{self.classes[_signature(item)][0]}(", [], f"){end}")
        target, equals, value = start.partition(" = ")
        if equals and len(f"{pad}{start}nn.Sequential(") > MAX_LINE:  # a long name: the value in parentheses
            return [f"{pad}{target} = (", *self.constructor(item, indent + 4, value, end), f"{pad})"]
        elements: list[list[str]] = []
        for n, sub in enumerate(item.items):
            if n > 0 and _flattens(sub):
                elements.append([f"{pad}    nn.Flatten(),"])
            elements.append(self.constructor(sub, indent + 4, "", ","))
        if all(len(e) == 1 for e in elements):
            line = f"{pad}{start}nn.Sequential({', '.join(e[0].strip()[:-1] for e in elements)}){end}"
            if len(line) <= MAX_LINE:
                return [line]
        return [f"{pad}{start}nn.Sequential(", *(line for e in elements for line in e), f"{pad}){end}"]

    def methods(
        self, items: tuple[Step | Unit, ...], parent: Unit | None, var: dict[str, str], running: str
    ) -> tuple[list[str], list[str]]:
        """The body of __init__ and of forward for items (a Source step gives no code): var holds the
        variables of what forward() reads on entry; a value read only by the next item is kept in running,
        the others under their item's name."""
        attrs = self.member_names(parent, items)
        readers: dict[str, list[str | None]] = {i.node: [] for i in items}
        for item in items:
            for src in reads(item):
                if src in readers:
                    readers[src].append(item.node)
        readers[items[-1].node] = [None]  # read by the return statement
        following: list[str | None] = [*(i.node for i in items[1:]), None]
        for item, nxt, attr in zip(items, following, attrs):
            var.setdefault(item.node, running if readers[item.node] == [nxt] else attr)

        init = ["        super().__init__()"]
        forward: list[str] = []
        for item, attr in zip(items, attrs):
            if isinstance(item, Step) and isinstance(item.compute, Source):
                continue
            compute, args, assign = (
                getattr(item, "compute", None),
                [var[s] for s in reads(item)],
                f"{var[item.node]} = ",
            )
            if isinstance(compute, Infix):
                forward += _statement(8, assign, args, "", f" {compute.op} ")
            elif isinstance(compute, Call):
                kwargs = "".join(f", {k}={_literal(v)}" for k, v in compute.kwargs.items())
                forward += _statement(8, f"{assign}torch.{compute.fn}([", args, f"]{kwargs})")
            else:
                init += self.constructor(item, 8, f"self.{attr} = ", "")
                if _flattens(item):
                    args[0] += ".flatten(1)"
                forward += _statement(8, f"{assign}self.{attr}(", args, ")")
        return init, [*forward, f"        return {var[items[-1].node]}"]

    def class_source(self, name: str, unit: Unit) -> list[str]:
        """A group type's class: its own __init__ and forward."""
        key = _signature(unit)
        ids = [u.group for u in _units(self.nesting.items) if not u.chain and _signature(u) == key]
        title = _escaped(self.graph.groups[unit.group].name)
        doc = [f'The blocks of group "{title}" as a module, for {", ".join(ids)}.']
        if len(unit.inputs) == 1:
            args = ["x"]
            running = "x" if [s for i in unit.items for s in reads(i)].count(unit.inputs[0]) == 1 else "out"
        else:
            args = [f"x{n + 1}" for n in range(len(unit.inputs))]
            running = "x"
        init, forward = self.methods(unit.items, unit, dict(zip(unit.inputs, args)), running)
        return [
            f"class {name}(nn.Module):",
            *_docstring(doc, 4),
            "",
            "    def __init__(self) -> None:",
            *init,
            "",
            *_statement(4, "def forward(", ["self", *(f"{a}: torch.Tensor" for a in args)], ") -> torch.Tensor:"),
            *forward,
            "",
            "",
        ]


def _units(items: tuple[Step | Unit, ...]) -> list[Unit]:
    """The units among items, nested ones before the unit holding them, in plan order."""
    out: list[Unit] = []
    for item in items:
        if isinstance(item, Unit):
            out += [*_units(item.items), item]
    return out


def _signature(unit: Unit) -> tuple:
    """A unit's structure and settings: equal signatures compute alike and can share one class."""
    index = {item.node: k for k, item in enumerate(unit.items)}
    inputs = {src: k for k, src in enumerate(unit.inputs)}
    out: list[Any] = [unit.chain, len(unit.inputs)]
    for item in unit.items:
        wires = tuple(("item", index[s]) if s in index else ("in", inputs[s]) for s in reads(item))
        out.append((repr(item.compute) if isinstance(item, Step) else _signature(item), wires))
    return tuple(out)


def _flattens(item: Step | Unit) -> bool:
    """Whether an item flattens what it reads first: a layer that flattens, or a chain starting with one."""
    if isinstance(item, Step):
        return isinstance(item.compute, Layer) and item.compute.flatten
    return item.chain and _flattens(item.items[0])


def _class_base(group_name: str) -> str:
    """A class name from the last part of a group's dotted name, its numbering left off: "res unit 2" →
    ResUnit, "features.denseblock1.denselayer2" → Denselayer; an item of a sequence is a block of it:
    "layer1.0" → LayerBlock."""
    parts = [part for part in group_name.split(".") if part.strip()]
    item = bool(parts) and parts[-1].strip().isdigit()
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", re.sub(r"[\d\W_]+$", "", parts[-1 - item] if len(parts) > item else ""))
    name = "".join(w[0].upper() + w[1:] for w in words)
    if item and name and not name.endswith("Block"):
        name += "Block"
    return name if name.isidentifier() and not keyword.iskeyword(name) else "Block"


def _local_names(unit: Unit) -> list[str]:
    """A class's attribute for each item of its template unit: the ids with the prefix all its blocks share
    (up to an underscore) left off, suffixed with _ where they would clash."""
    raw = [i.node if isinstance(i, Step) else i.group for i in unit.items]
    blocks = [i.node for i in unit.items if isinstance(i, Step)]
    prefix = os.path.commonprefix(blocks) if blocks else ""
    for cut in (unit.group + "_", prefix[: prefix.rfind("_") + 1]):
        if cut != "_" and all(r[len(cut) :].isidentifier() for r in raw if r.startswith(cut) and r != cut):
            raw = [r[len(cut) :] if r.startswith(cut) and r != cut else r for r in raw]
    reserved = {"out", "x", *(f"x{n + 1}" for n in range(len(unit.inputs)))}
    names: list[str] = []
    for r in raw:
        name = r
        while clashes(name) or name in reserved or name in names or (name != r and name in raw):
            name += "_"
        names.append(name)
    return names


def group_names(graph: Graph) -> dict[str, str]:
    """Group id → its submodule's name in model.py, by python_names' rules, clear of the blocks' names."""
    return safe_names(list(graph.groups), set(graph.nodes) | set(python_names(graph).values()) | set(graph.groups))


def module_paths(graph: Graph) -> dict[str, str]:
    """Each block computed by a layer → its module's path in generate(graph)'s model (layer1.0.conv1)."""
    execution = plan(graph, checked(graph))
    nesting = nest(execution, graph)
    emitter = _Emitter(graph, nesting, "Net")
    return emitter.paths(nesting.items)


def _escaped(text: str) -> str:
    """Text from a file, safe inside a double-quoted docstring."""
    return clean(" ".join(text.split()), TITLE_LIMIT).replace("\\", "\\\\").replace('"', '\\"')


def _weights_doc(graph: Graph, weights: str | None) -> list[str]:
    """The module docstring's paragraphs on loading trained weights: the file `export --weights` writes beside
    model.py (weights: its name, None when there is none yet) and a run's checkpoint (best.pt, last.pt)."""
    if weights is None:
        where = (
            "Trained weights: `netbuilder export NET.json --to py --weights RUN_DIR` writes a run's weights beside "
            "this file under its names (model_weights.pt, or .safetensors with safetensors installed), loaded as:"
        )
        weights = "model_weights.pt"
    else:
        where = "Trained weights, written beside this file by `netbuilder export --weights`, under its names:"
    load = (
        f'    from safetensors.torch import load_file\n    model.load_state_dict(load_file("{weights}"))'
        if weights.endswith(".safetensors")
        else f'    model.load_state_dict(torch.load("{weights}", weights_only=True))'
    )
    checkpoint = (
        'A run\'s best.pt or last.pt is a checkpoint, a dict {"model": state_dict, "epoch": …}, whose "model" '
        "names the layers as NetBuilder does (layers.<block>.weight)"
    )
    if graph.groups:  # its layers are submodules: their names are not NetBuilder's with "layers." left off
        return [f"{where}\n{load}", f"{checkpoint}: `export --weights RUN_DIR` renames them for this file."]
    return [
        f"{where}\n{load}",
        f"{checkpoint}:\n"
        '    state = torch.load("RUN_DIR/best.pt", weights_only=True)["model"]\n'
        '    state = {k.removeprefix("layers."): v for k, v in state.items()}\n'
        "    model.load_state_dict(state)",
    ]


def generate(graph: Graph, class_name: str = "Net", title: str = "", weights: str | None = None) -> str:
    """The source of model.py for a valid graph; an invalid one raises build.BuildError. weights: the name of
    the weights file written beside it, which its docstring says how to load.

    The module it defines holds build(graph)'s layers under python_names(graph) and computes the same
    outputs. A group (core.plan.nest) is a submodule named by group_names(graph): an nn.Sequential when its
    blocks form a straight chain, else an instance of a class generated once per group type; the layers'
    paths are module_paths(graph), and rename_state_dict(state_dict, graph) carries trained weights over.
    A group that cannot be called once stays as flat layers, with a comment in __init__ saying why.
    """
    if (
        not class_name.isidentifier()
        or keyword.iskeyword(class_name)
        or class_name in ("torch", "nn", "F", *OWN_LAYERS)
    ):
        raise ValueError(f"{quote(class_name)} cannot name a Python class.")
    bad = next((nid for nid in graph.nodes if not ID_PATTERN.fullmatch(nid)), None)
    if bad is not None:
        raise ValueError(f"{quote(bad)} cannot name a layer: an id is letters, digits and _.")
    result = checked(graph)
    execution = plan(graph, result)
    softmax = execution.softmax is not None
    nesting = nest(execution, graph)
    emitter = _Emitter(graph, nesting, class_name)
    items = nesting.items
    var: dict[str, str] = {}  # the Input's variable is chosen as any other value's
    init, forward = emitter.methods(items, None, var, "x")
    argument = var[items[0].node]
    for gid, why in nesting.flat:
        name = " ".join(graph.groups[gid].name.split())
        init[1:1] = textwrap.wrap(
            f"Group {quote(name)} ({gid}) stays as flat layers: {why}.",
            MAX_LINE,
            initial_indent="        # ",
            subsequent_indent="        # ",
        )
    classes = [line for name, unit, _ in emitter.classes.values() for line in emitter.class_source(name, unit)]
    own = _own_layer_sources(graph, execution)
    input_shape = execution.input_shape
    batch = _batch(input_shape, "N")

    # The title comes from a file: control characters are escaped, so model.py holds none.
    name = clean(" ".join(title.split()), TITLE_LIMIT).replace("\\", "\\\\").replace('"', '\\"') or class_name
    module_doc = [
        f"{name}: a PyTorch model generated by NetBuilder.",
        f"Input: a batch of shape {batch}.\nParameters: {result.total_params:,}.",
        f"Usage:\n    from model import {class_name}\n\n    model = {class_name}()\n"
        f"    y = model(torch.randn{_batch(input_shape, 8)})",
        *_weights_doc(graph, weights),
        "Run `python model.py` to try it on a random batch.",
    ]
    class_doc = [f"{name}, as designed in NetBuilder.", "Each layer is the attribute named after its block."]
    renamed = [f"{nid} is {new}" for nid, new in {**python_names(graph), **group_names(graph)}.items() if nid != new]
    if any(isinstance(item, Unit) for item in items):
        class_doc[1] = (
            "Each layer outside a group is the attribute named after its block; "
            "a group is a submodule named after the group."
        )
    if renamed:
        class_doc.append(f"Renamed to stay clear of Python and nn.Module names: {', '.join(renamed)}.")
    predict: list[str] = []
    if softmax:
        class_doc.append(
            f"forward() returns logits: the final softmax (block {execution.softmax}) is left to predict(), "
            "so that training can use nn.CrossEntropyLoss on forward's output."
        )
        predict = [
            "",
            "    @torch.no_grad()",
            "    def predict(self, x: torch.Tensor) -> torch.Tensor:",
            '        """Class probabilities: the softmax of the logits."""',
            "        return torch.softmax(self(x), dim=1)",
        ]
    what = "logits" if softmax else "output"
    lines = [
        *_docstring(module_doc, 0),
        "",
        "import torch",
        *(["import torch.nn.functional as F"] if own else []),
        "from torch import nn",
        "",
        "",
        *own,
        *classes,
        f"class {class_name}(nn.Module):",
        *_docstring(class_doc, 4),
        "",
        "    def __init__(self) -> None:",
        *init,
        "",
        f"    def forward(self, {argument}: torch.Tensor) -> torch.Tensor:",
        *_docstring([f"The {what} for a batch of shape {batch}."], 8),
        *forward,
        *predict,
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {class_name}().eval()",
        f"    x = torch.randn{_batch(input_shape, 2)}",
        "    with torch.no_grad():",
        "        y = model(x)",
        "    n_params = sum(p.numel() for p in model.parameters())",
        '    print(f"output shape: {tuple(y.shape)}")',
        '    print(f"parameters: {n_params:,}")',
        "",
    ]
    return "\n".join(lines)
