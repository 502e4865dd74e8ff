"""`netbuilder export`, `netbuilder import-model` and `netbuilder weights-report`: the CLI glue over pytorch/
(and train/, for a run's weights). Torch is imported only when one of them runs, so the other commands stay fast."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from netbuilder.core.atomic import check_target
from netbuilder.core.document import DocumentError, load, save
from netbuilder.core.initial import InitError, InitWeights
from netbuilder.core.text import safe
from netbuilder.pytorch import FORMATS
from netbuilder.records.runs import Run, initial_weights
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints

if TYPE_CHECKING:
    from netbuilder.pytorch.trace import Imported


def register(sub: argparse._SubParsersAction) -> None:
    """Add the export and import-model subcommands to the CLI's subparsers."""
    p = sub.add_parser(
        "export",
        help="write a network as model.py + train.py, ONNX or TorchScript",
        description="Export a network. py writes OUT (a .py file, or OUT/model.py) and train.py beside it, "
        "which trains the model with plain PyTorch, under torchrun too. onnx and torchscript "
        "write one file holding the weights (random unless --weights), whose output is the "
        'logits (a final softmax is left out). ONNX needs pip install "netbuilder[onnx]"; '
        "TorchScript is deprecated by PyTorch but still loads in C++ and older deployments.",
    )
    p.add_argument("file", help="the network (.json)")
    p.add_argument("--to", required=True, choices=FORMATS, help="the format")
    p.add_argument(
        "--weights",
        metavar="RUN_DIR",
        help="the trained weights of a training run's folder (its best checkpoint, else its last); "
        "with py they are written beside model.py",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the file (or, for py, a folder) to write")
    p.set_defaults(run=_export)

    p = sub.add_parser(
        "import-model",
        help="import a PyTorch model (torchvision, timm or your own) as a network file",
        description="Import a PyTorch nn.Module: it is traced with torch.fx and each layer becomes a block. "
        "A model using an operation that has no block is refused, with the operations listed. "
        "SOURCE is torchvision:NAME (random weights; nothing is downloaded), timm:NAME (timm's, random "
        "weights; needs the timm extra) or "
        "package.module:ClassName, a class (or function) of your own called without arguments: "
        "importing it runs your code, looked up from the current folder and the Python path.",
    )
    p.add_argument("source", metavar="SOURCE", help="torchvision:resnet18, timm:resnet50d, mypackage.models:Net, ...")
    p.add_argument(
        "--input",
        metavar="C,H,W",
        type=_shape,
        help="the input the model takes: C,H,W for images or F for vectors "
        "(default for torchvision: its image_size when it has one, as vision transformers do, "
        "else the size its pretrained weights were made for; for timm: its pretrained_cfg's input_size)",
    )
    p.add_argument(
        "--weights",
        metavar="DEFAULT|NAME|FILE",
        help="trained weights for the model: for torchvision, DEFAULT or a weights name such as IMAGENET1K_V1 "
        "(from torch's cache, downloaded when online; their classes and image preprocessing come along), or a "
        "state_dict file of the model (.pt, .pth, .safetensors); written beside OUT.json as OUT.weights.pt "
        "(or .safetensors), which the network names as its initial weights",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT.json", help="the network file to write")
    p.set_defaults(run=_import_model)

    p = sub.add_parser(
        "weights-report",
        help="say which blocks of a network start from its initial weights, which start fresh and why",
        description="Match a network's initial weights (its file's init, or --init) to its blocks by id and shape, "
        "as training will, and print which blocks take them, which start fresh and why, and which blocks of the "
        "weights the network has not.",
    )
    p.add_argument("file", help="the network (.json)")
    p.add_argument("--init", metavar="RUN_DIR|FILE", help="these weights instead of the file's own")
    p.add_argument("--json", action="store_true", help='print {"path", "loaded", "fresh", "unused"} as one line')
    p.set_defaults(run=_weights_report)


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in text.replace("×", ",").replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not an input size; give C,H,W such as 3,32,32, or F.")
    return shape


def _error(message: str) -> None:
    print(f"error: {safe(message)}", file=sys.stderr)


def _export(args: argparse.Namespace) -> int:
    try:
        document = load(args.file)
    except DocumentError as e:
        _error(str(e))
        return 2
    from netbuilder.pytorch.export import ExportError, export  # start-up time: torch

    try:
        weights = checkpoints.model_weights(Run.open(args.weights)) if args.weights else None
        written = export(document, args.to, args.output, weights)
    except (ExportError, TrainError) as e:
        _error(str(e))
        return 1
    note = " No train.py: it trains classifiers, whose output is a vector of class scores."
    trains = args.to != "py" or any(p.name == "train.py" for p in written)
    print(safe(f"Wrote {', '.join(str(p) for p in written)}.{'' if trains else note}"))
    return 0


def _import_model(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix != ".json":
        _error(f"{out}: the output must be a .json network file.")
        return 2
    from netbuilder.pytorch.export import ExportError  # start-up time: torch
    from netbuilder.pytorch.trace import MissingPackage, ModelImportError, import_model  # start-up time: torch

    try:
        check_target(out)  # a device, a folder or a loop of links: refused before the import's work
    except OSError as e:
        _error(str(e))
        return 2

    try:
        imported = import_model(args.source, args.input, args.weights)
    except MissingPackage as e:
        _error(str(e))
        return 2
    except ModelImportError as e:
        _error(str(e))
        return 1
    except InitError as e:
        _error(str(e))
        return 2
    weights = None
    try:
        weights = _write_pretrained(imported, out) if imported.pretrained is not None else None
        save(imported.document, out)
    except (OSError, ExportError) as e:
        if weights is not None:
            weights.unlink(missing_ok=True)
        _error(f"{out} cannot be written ({getattr(e, 'strerror', None) or e}).")
        return 1
    graph = imported.document.graph
    note = imported.left_out_note()
    with_weights = f" with {imported.pretrained.label} in {weights}" if imported.pretrained and weights else ""
    print(
        safe(
            f"Wrote {out}: {len(graph.nodes)} blocks, imported from {args.source}{with_weights}"
            f"{f'; {note}' if note else ''}."
        )
    )
    return 0


def _write_pretrained(imported: Imported, out: Path) -> Path:
    """Write an import's weights beside its network file, and name them as the network's initial weights."""
    from netbuilder.pytorch.export import save_weights, weights_suffix  # start-up time: torch

    given = imported.pretrained
    assert given is not None
    path = out.with_name(f"{out.stem}.weights{weights_suffix()}")
    save_weights(given.state, path)
    named = InitWeights.of_file(path, classes=given.classes, preprocess=given.preprocess)
    imported.document.init = dataclasses.replace(named, path=path.name)  # the network file's neighbour
    return path


def _weights_report(args: argparse.Namespace) -> int:
    try:
        document = load(args.file)
        if args.init:
            document.init = initial_weights(args.init)
        from netbuilder.pytorch.init_weights import document_report  # start-up time: torch

        report = document_report(document)
    except (DocumentError, InitError) as e:
        _error(str(e))
        return 2
    print(json.dumps(report.to_json()) if args.json else "\n".join(safe(line) for line in report.lines()))
    return 0
