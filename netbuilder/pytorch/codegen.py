"""Graph → the source of a standalone, readable model.py that needs only torch."""

from __future__ import annotations

import inspect
import keyword
import textwrap
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from netbuilder.core.blocks import Call, Infix, Layer
from netbuilder.core.graph import ID_PATTERN, Graph
from netbuilder.core.plan import Step, plan
from netbuilder.core.text import clean, quote
from netbuilder.pytorch.build import checked, make_layer, python_names

MAX_LINE = 79  # PEP 8
TITLE_LIMIT = 200
# Constructor arguments written by position; all others are written by name.
_POSITIONAL = frozenset({"in_channels", "out_channels", "in_features", "out_features", "num_features"})


def rename_state_dict(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """build(graph)'s state_dict under the generated module's names: layers.<name>.<param> → <name>.<param>."""
    return {key.removeprefix("layers."): tensor for key, tensor in state_dict.items()}


def _literal(value: Any) -> str:
    """A value as Python source: a pair with equal sides as one int, a string in double quotes."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _constructor(module: nn.Module) -> tuple[str, list[str]]:
    """The class and the arguments that construct module, leaving out those equal to torch's defaults."""
    args = []
    for name, param in inspect.signature(type(module)).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or not hasattr(module, name):
            continue  # device and dtype are no attributes
        value = getattr(module, name)
        if name == "bias":
            value = value is not None  # the module holds the tensor, or None
        elif name == "stride" and param.default is None and value == module.kernel_size:
            continue  # pooling: torch's default stride is the window
        if name in _POSITIONAL:
            args.append(_literal(value))
        elif _literal(value) != _literal(param.default):
            args.append(f"{name}={_literal(value)}")
    return f"nn.{type(module).__name__}", args


def _statement(indent: int, start: str, items: list[str], end: str, sep: str = ", ") -> list[str]:
    """start + items joined by sep + end on one line, or wrapped when longer than MAX_LINE."""
    pad, inner = " " * indent, " " * (indent + 4)
    line = f"{pad}{start}{sep.join(items)}{end}"
    if len(line) <= MAX_LINE:
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
    """A docstring: paragraphs wrapped to MAX_LINE, except those with line breaks, kept as they are."""
    pad = " " * indent
    if len(paragraphs) == 1 and len(f'{pad}"""{paragraphs[0]}"""') <= MAX_LINE:
        return [f'{pad}"""{paragraphs[0]}"""']
    lines = textwrap.wrap(paragraphs[0], MAX_LINE, initial_indent=pad + '"""', subsequent_indent=pad)
    for text in paragraphs[1:]:
        lines.append("")
        if "\n" in text:
            lines += [(pad + line).rstrip() for line in text.split("\n")]
        else:
            lines += textwrap.wrap(text, MAX_LINE, initial_indent=pad, subsequent_indent=pad)
    return [*lines, pad + '"""']


def _batch(shape: tuple[int, ...], n: int | str) -> str:
    """A batch's shape as Python source: (N, 3, 32, 32)."""
    return "(" + ", ".join(str(v) for v in (n, *shape)) + ")"


def _methods(graph: Graph, steps: tuple[Step, ...]) -> tuple[list[str], str, list[str]]:
    """The body of __init__, the name of forward's argument and the body of forward, which runs the plan's
    steps (ending with the logits) in order."""
    names = python_names(graph)
    # A value read only by the next step is kept in x; the others are kept under their block's name.
    readers: dict[str, list[str | None]] = {s.node: [] for s in steps}
    for step in steps:
        for src in step.inputs:
            readers[src].append(step.node)
    readers[steps[-1].node] = [None]  # read by the return statement
    following: list[str | None] = [*(s.node for s in steps[1:]), None]
    var = {s.node: "x" if readers[s.node] == [nxt] else names[s.node] for s, nxt in zip(steps, following)}

    init = ["        super().__init__()"]
    forward: list[str] = []
    for step in steps[1:]:  # steps[0] is the Input, the only step without inputs
        compute, args, assign = step.compute, [var[s] for s in step.inputs], f"{var[step.node]} = "
        if isinstance(compute, Infix):
            forward += _statement(8, assign, args, "", f" {compute.op} ")
        elif isinstance(compute, Call):
            kwargs = "".join(f", {k}={_literal(v)}" for k, v in compute.kwargs.items())
            forward += _statement(8, f"{assign}torch.{compute.fn}([", args, f"]{kwargs})")
        else:
            assert isinstance(compute, Layer)
            with torch.device("meta"):  # no weights are needed, only the layer's class and settings
                cls, ctor_args = _constructor(make_layer(compute))
            init += _statement(8, f"self.{names[step.node]} = {cls}(", ctor_args, ")")
            flatten = ".flatten(1)" if compute.flatten else ""
            forward += _statement(8, f"{assign}self.{names[step.node]}(", [args[0] + flatten], ")")
    return init, var[steps[0].node], [*forward, f"        return {var[steps[-1].node]}"]


def generate(graph: Graph, class_name: str = "Net", title: str = "") -> str:
    """The source of model.py for a valid graph; an invalid one raises build.BuildError.

    The module it defines holds build(graph)'s layers under python_names(graph) (rename_state_dict
    carries trained weights over) and computes the same outputs.
    """
    if not class_name.isidentifier() or keyword.iskeyword(class_name) or class_name in ("torch", "nn"):
        raise ValueError(f"{quote(class_name)} cannot name a Python class.")
    bad = next((nid for nid in graph.nodes if not ID_PATTERN.fullmatch(nid)), None)
    if bad is not None:
        raise ValueError(f"{quote(bad)} cannot name a layer: an id is letters, digits and _.")
    result = checked(graph)
    execution = plan(graph, result)
    softmax = execution.softmax is not None
    init, argument, forward = _methods(graph, execution.forward_steps())
    input_shape = execution.input_shape
    batch = _batch(input_shape, "N")

    # The title comes from a file: control characters are escaped, so model.py holds none.
    name = clean(" ".join(title.split()), TITLE_LIMIT).replace("\\", "\\\\").replace('"', '\\"') or class_name
    module_doc = [
        f"{name}: a PyTorch model generated by NetBuilder.",
        f"Input: a batch of shape {batch}.\nParameters: {result.total_params:,}.",
        f"Usage:\n    from model import {class_name}\n\n    model = {class_name}()\n"
        f"    y = model(torch.randn{_batch(input_shape, 8)})",
        "Run `python model.py` to try it on a random batch.",
    ]
    class_doc = [f"{name}, as designed in NetBuilder.", "Each layer is the attribute named after its block."]
    renamed = [f"{nid} is {new}" for nid, new in python_names(graph).items() if nid != new]
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
        "from torch import nn",
        "",
        "",
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
