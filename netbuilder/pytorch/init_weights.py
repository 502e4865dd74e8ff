"""A network's initial weights (core.initial's InitWeights) put into its built module, matched block by block: a
block takes the weights stored under its id when every one of its tensors is there with the same shape, and
otherwise starts fresh, with the reason. The Report says which blocks got weights, which start fresh and why, and
which blocks of the weights this network does not have; nothing is loaded silently or in part."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from netbuilder.core.atomic import write_text_atomic
from netbuilder.core.document import Document
from netbuilder.core.initial import InitError, InitWeights
from netbuilder.core.text import at_most, clean
from netbuilder.pytorch.build import GraphModule, build
from netbuilder.pytorch.export import ExportError, load_weights

REPORT_FILE = "init.json"  # a run folder's record of where its weights started
PREFIX = "layers."  # build's state_dict names: layers.<block's layer name>.<tensor>


@dataclass
class Report:
    """Which blocks start from the weights (loaded), which start fresh and why (fresh: block id → the reason), and
    the blocks of the weights that this network has not (unused)."""

    path: str
    loaded: list[str] = field(default_factory=list)
    fresh: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as the terminal shows it: a summary, then a line per block that starts fresh."""
        total = len(self.loaded) + len(self.fresh)
        lines = [f"initial weights from {self.path}: {len(self.loaded)} of {total} blocks with weights take them"]
        lines += [f"{nid}: {why} — starts fresh" for nid, why in self.fresh.items()]
        if self.unused:
            names = ", ".join(at_most(self.unused, 8))
            lines.append(f"not in this network, left unused: {names} ({len(self.unused)} blocks of the weights)")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "loaded": self.loaded, "fresh": self.fresh, "unused": self.unused}


def _shape(tensor: torch.Tensor) -> str:
    return "×".join(map(str, tensor.shape)) or "a scalar"


def _by_block(state: Mapping[str, torch.Tensor], ids: Mapping[str, str]) -> dict[str, dict[str, torch.Tensor]]:
    """A state_dict's tensors by block id (ids: layer name → block id; an unknown name is kept as it is), each
    under its own key (weight, bias, running_mean…). Keys may lack the "layers." prefix (model.py's flat names)."""
    blocks: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in state.items():
        name, _, rest = key.removeprefix(PREFIX).partition(".")
        blocks.setdefault(ids.get(name, name), {})[rest] = tensor
    return blocks


def match(net: GraphModule, weights: Mapping[str, torch.Tensor], path: str) -> tuple[Report, dict[str, torch.Tensor]]:
    """The report of putting weights into net, and the part of its state_dict they give (the matched blocks')."""
    ids = {name: nid for nid, name in net.names.items()}
    here, there = _by_block(net.state_dict(), ids), _by_block(weights, ids)
    report, chosen = Report(path), {}
    for nid, tensors in here.items():
        theirs = there.get(nid)
        if theirs is None:
            report.fresh[nid] = "not in the weights"
            continue
        missing = [key for key in tensors if key not in theirs]
        other = [key for key in tensors if key in theirs and theirs[key].shape != tensors[key].shape]
        if other:
            key = other[0]
            report.fresh[nid] = f"{_shape(theirs[key])} in the weights, {_shape(tensors[key])} here"
        elif missing:
            report.fresh[nid] = f"its {missing[0]} is not in the weights"
        else:
            report.loaded.append(nid)
            chosen |= {f"{PREFIX}{net.names[nid]}.{key}": theirs[key] for key in tensors}
    report.unused = [nid for nid in there if nid not in here]
    return report, chosen


def read(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a weights file (.pt/.pth, .safetensors) or a run's checkpoint; InitError when it has none."""
    try:
        return load_weights(path)
    except ExportError as e:
        raise InitError(f"{e} Name a weights file (.pt, .pth, .safetensors) or a run folder.") from None


def load_into(net: GraphModule, init: InitWeights) -> Report:
    """Put init's weights into net, block by block; InitError when the file changed since it was named, cannot
    be read, or gives no block of this network its weights (the weights of another network)."""
    path = init.verified()
    report, chosen = match(net, read(path), str(path))
    if not report.loaded:
        raise InitError(
            f"{clean(str(path), 300)} holds no weights for this network's blocks (none has the id and the shapes of "
            f"a block here): it is another network's; name the weights of this one, or train from fresh weights."
        )
    with torch.no_grad():
        net.load_state_dict(chosen, strict=False)
    return report


def document_report(document: Document) -> Report:
    """The report of a network file's initial weights, without training (netbuilder weights-report)."""
    if document.init is None:
        raise InitError("The network names no initial weights; give --init RUN_DIR or a weights file.")
    with torch.device("meta"):  # only the shapes are needed
        net = build(document.graph)
    path = document.init.verified()
    return match(net, read(path), str(path))[0]


def save_report(report: Report, folder: Path) -> Path:
    """Write the report as folder/init.json (a run folder's)."""
    path = folder / REPORT_FILE
    write_text_atomic(path, json.dumps(report.to_json(), indent=1) + "\n")
    return path
