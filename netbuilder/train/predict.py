"""`netbuilder predict RUN_DIR IMAGE...`: a trained run's answers for image files of your own.

Each image is prepared exactly as the run's training prepared its images (train/prepare.py, which says what it did)
and the network's softmax gives each class a probability. A bad image (not an image, unreadable, cut short, 1×1) is
one sentence and the other images are still answered; a run that cannot answer (no such folder, no checkpoint, a
checkpoint that does not match its network.json) is one sentence and nothing else. Torch is imported only when the
command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netbuilder.core.document import Document, DocumentError, load
from netbuilder.core.initial import InitError, InitWeights
from netbuilder.core.text import safe
from netbuilder.records import datasets, process
from netbuilder.records.events import Started
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints
from netbuilder.train.cli.cli_args import number
from netbuilder.train.prepare import normalisation, prepare_file, prepare_pretrained

TOP = 5


@dataclass
class Prediction:
    """One image's answer: every class's probability and what preparing the image did, or why it has none."""

    path: str
    probabilities: list[float] = field(default_factory=list)
    prepared: str = ""
    error: str | None = None

    def top(self, classes: list[str], k: int = TOP) -> list[tuple[str, float]]:
        """The k likeliest classes, likeliest first."""
        order = sorted(range(len(self.probabilities)), key=lambda i: -self.probabilities[i])[:k]
        return [(classes[i], self.probabilities[i]) for i in order]

    def to_dict(self, classes: list[str], k: int = TOP) -> dict[str, Any]:
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        return {
            "path": self.path,
            "prepared": self.prepared,
            "top": [[name, p] for name, p in self.top(classes, k)],
            "probabilities": self.probabilities,
        }


def run_classes(run: Any) -> list[str]:
    """The class names of a run's dataset, in the order of the network's outputs: as the run logged them when it
    started, else as the dataset registry names them (those its classes setting picked)."""
    started = [e for e in run.events() if isinstance(e, Started)]
    if started and started[-1].classes:
        return list(started[-1].classes)
    info = datasets.info(run.config.dataset)
    names = datasets.subset(info.classes, run.config.class_ids, info.title)
    if names is None:
        raise TrainError(
            f"{run.path} does not say its classes (its {run.path.name}/metrics.jsonl has no start); train it again."
        )
    return list(names)


class Predictor:
    """A run's trained network, or a network file's initial weights that came with their classes and preprocessing
    (torchvision's, imported with --weights), ready to classify image files."""

    def __init__(self, run_dir: str | Path, checkpoint: str = "best") -> None:
        import torch  # start-up time: the CLI and the window load this module without torch

        from netbuilder.pytorch.build import BuildError, GraphModule, checked  # start-up time: torch

        path = Path(run_dir)
        if not path.exists():
            raise TrainError(
                f"The run folder {path} does not exist; give a folder a training run wrote, such as runs/NAME."
            )
        self.source = str(path)
        self.run = None if path.is_file() else Run.open(path)
        document = _pretrained_network(path) if self.run is None else self.run.document
        try:
            result = checked(document.graph)
        except BuildError as e:
            raise TrainError(str(e)) from None
        torch.manual_seed(0)  # the initial weights are all replaced; a fixed seed only keeps building quiet
        self.net = GraphModule(document.graph, result)
        self.preprocess = document.init.preprocess if self.run is None and document.init else None
        if self.run is None:
            assert document.init is not None
            _load_all(self.net, document.init, path)
            self.which, self.epoch, self.classes = "initial", 0, list(document.init.classes)
            self.described = f"its initial weights ({Path(document.init.path).name})"
        else:
            self.checkpoint = checkpoints.load(self.run, checkpoint)
            checkpoints.restore(self.checkpoint, self.net)
            self.which, self.epoch, self.classes = checkpoint, int(self.checkpoint["epoch"]), run_classes(self.run)
            self.described = f"{checkpoint} checkpoint (epoch {self.epoch})"
        self.net.eval()
        outputs = result.nodes[result.output].output_shape
        if outputs is None or tuple(outputs) != (len(self.classes),):
            raise TrainError(
                f"The network in {path} gives {outputs} outputs but its dataset has {len(self.classes)} classes; "
                f"it cannot name a class."
            )
        self.input_shape = tuple(self.net.input_shape)
        self.config = self.run.config if self.run is not None else None
        self.norm = normalisation(self.config, self.input_shape) if self.config is not None else None

    def prepare(self, image: str | Path) -> Any:
        """The image as the network takes it (train/prepare.py's Prepared)."""
        if self.preprocess is not None:
            return prepare_pretrained(image, self.input_shape, self.preprocess)
        assert self.config is not None
        return prepare_file(image, self.input_shape, self.config, self.norm)

    def predict(self, image: str | Path) -> Prediction:
        """One image's answer; a bad image is a Prediction with its sentence as error."""
        import torch  # start-up time: as in __init__

        try:
            prepared = self.prepare(image)
        except TrainError as e:
            return Prediction(str(image), error=str(e))
        with torch.no_grad():
            probabilities = self.net.predict(torch.from_numpy(prepared.x)[None])[0]
        return Prediction(str(image), probabilities.tolist(), prepared.description)


def _pretrained_network(path: Path) -> Document:
    """A network file whose initial weights came with their classes and preprocessing (netbuilder import-model
    --weights DEFAULT); anything else is one sentence."""
    try:
        document = load(path)
    except DocumentError as e:
        raise TrainError(str(e)) from None
    init = document.init
    if init is None or not init.classes or init.preprocess is None:
        raise TrainError(
            f"{path} names no trained weights with their class names and image preparation (a torchvision model "
            f"imported with --weights DEFAULT has them); give a run folder, or train the network first."
        )
    return document


def _load_all(net: Any, init: InitWeights, path: Path) -> None:
    """Put every block's initial weights into net; a block that would start fresh cannot answer."""
    from netbuilder.pytorch.init_weights import load_into  # start-up time: torch

    try:
        report = load_into(net, init)
    except InitError as e:
        raise TrainError(str(e)) from None
    if report.fresh:
        nid, why = next(iter(report.fresh.items()))
        raise TrainError(f"{path}: {nid} has no trained weights ({why}), so the network cannot classify images.")


# The command -------------------------------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    """Add the predict subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "predict",
        help="classify image files with a trained run's network (top classes and probabilities)",
        description="Classify image files with a run's trained network. Each image is prepared as the run's "
        "training prepared its images (resized, converted, normalised), and the line says what was done.",
    )
    p.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        help="a run folder, or a network file whose initial weights came with their classes (import-model --weights)",
    )
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files (PNG, JPEG, BMP, GIF, TIFF, WebP)")
    p.add_argument(
        "--top", type=number(int, min=1), default=TOP, metavar="K", help=f"how many classes to show (default: {TOP})"
    )
    p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default: best)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run_command)


def _error(message: str) -> None:
    print(f"error: {safe(message)}", file=sys.stderr)


def run_command(args: argparse.Namespace) -> int:
    """Exit 0 when every image was answered, 1 when the run cannot answer or an image could not be read."""
    process.prepare()
    try:
        predictor = Predictor(args.run_dir, args.checkpoint)
        answers = [predictor.predict(image) for image in args.images]
    except TrainError as e:
        _error(str(e))
        return 1
    classes, k = predictor.classes, min(args.top, len(predictor.classes))
    failed = [a for a in answers if a.error is not None]
    if args.json:
        print(
            json.dumps(
                {
                    "run": predictor.source,
                    "checkpoint": predictor.which,
                    "epoch": predictor.epoch,
                    "classes": classes,
                    "images": [a.to_dict(classes, k) for a in answers],
                }
            )
        )
    elif len(failed) < len(answers):
        print(f"{safe(predictor.source)}: {predictor.described}")
        for answer in (a for a in answers if a.error is None):
            print(f"\n{safe(answer.path)}: {safe(answer.prepared)}")
            top = [(safe(name), p) for name, p in answer.top(classes, k)]
            width = max(len(name) for name, _ in top)
            for name, p in top:
                print(f"  {name:<{width}}  {p:7.2%}")
    for answer in failed:
        _error(answer.error or "")
    return 1 if failed else 0
