"""The run's settings: one dataclass, its checks, its JSON form, and good defaults for a network.

No torch here, so the CLI and the UI can read and check settings without importing it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.fields import Field, ShapeError, coerce
from netbuilder.core.graph import Graph
from netbuilder.core.text import clean
from netbuilder.records import datasets
from netbuilder.records.train_error import TrainError

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
EARLY_STOP = ("auto", "on", "off")
FINE_TUNE = ("auto", "on", "off")
AUTO_PATIENCE_SCHEDULES = ("constant",)  # "auto" stops early only where the learning rate is not planned to fall
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
_CLASSES = re.compile(r"\d{1,9}(,\d{1,9})*")


def _opt(default: Any, help: str, label: str, **shown: Any) -> Any:
    """A dataclass field carrying its Field's description: the help, the form's label and whatever else the Field
    takes (min, max, above, choices, pattern, unit, step, decimals, options, search, log). The Field's name, kind
    and whether None is allowed come from the dataclass field (settings())."""
    return field(default=default, metadata={"field": {"help": help, "label": label, "decimals": 2, **shown}})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs. Names follow PyTorch; every field is a plain JSON value."""

    dataset: str = _opt(
        "shapes10",
        "the data: shapes10 or digits (built in), cifar10, mnist, fashion_mnist, or folder:PATH",
        "Dataset",
    )
    data_dir: str | None = _opt(
        None, "the folder that holds the datasets (default: a per-user cache folder)", "Data folder"
    )
    download: bool = _opt(False, "download the dataset into the data folder if it is missing", "Download", search=False)
    resize: bool = _opt(
        False, "convert the dataset's images to the Input block's shape (channels and size)", "Resize images"
    )
    classes: str | None = _opt(
        None,
        "the class numbers to train on, comma-separated (as in 0,1,2), renumbered 0..k-1 in that order; "
        "empty: every class",
        "Classes",
        pattern=_CLASSES,
    )
    per_class: int | None = _opt(
        None,
        "use at most this many training images of each class, picked with the seed (validation and test keep theirs)",
        "Per class",
        min=1,
        max=10_000_000,
    )
    limit: int | None = _opt(
        None, "use at most this many training images, validation included (quick trials)", "Image limit", min=1
    )
    val_split: float = _opt(
        0.1, "the fraction of training images held out for validation", "Validation", step=0.05, min=0.0, max=0.9
    )
    epochs: int = _opt(10, "passes over the training images", "Epochs", min=1, max=100_000)
    batch_size: int = _opt(128, "images per step (per process under torchrun)", "Batch size", min=1, max=65_536)
    optimizer: str = _opt("adamw", "the optimizer", "Optimizer", choices=OPTIMIZERS)
    lr: float = _opt(
        3e-3, "the peak learning rate", "Learning rate", step=0.001, decimals=5, above=0.0, max=100.0, log=True
    )
    momentum: float = _opt(0.9, "SGD momentum", "Momentum", step=0.01, min=0.0, max=1.0)
    nesterov: bool = _opt(False, "Nesterov momentum (SGD)", "Nesterov")
    weight_decay: float = _opt(
        0.01, "weight decay", "Weight decay", step=0.0001, decimals=5, min=0.0, max=1.0, log=True
    )
    schedule: str = _opt("cosine", "how the learning rate changes over the run", "Schedule", choices=SCHEDULES)
    warmup_epochs: float = _opt(
        0.0,
        "epochs of linear warm-up (one-cycle: its rising phase; 0 means 0.3 of the run)",
        "Warm-up",
        step=0.5,
        min=0.0,
    )
    step_size: int = _opt(30, "step schedule: epochs between learning-rate drops", "Step size", min=1, unit="epochs")
    gamma: float = _opt(0.1, "step schedule: the factor of each drop", "Gamma", step=0.05, above=0.0, max=1.0)
    label_smoothing: float = _opt(0.0, "cross-entropy label smoothing", "Smoothing", step=0.05, min=0.0, max=0.99)
    crop_padding: int = _opt(
        0, "random crop after zero padding by this many pixels (0: no crop)", "Crop pad", min=0, max=64, unit="px"
    )
    flip: bool = _opt(False, "random horizontal flips", "Flip")
    device: str = _opt(
        "auto",
        "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps",
        "Device",
        options=("auto", "cpu", "cuda", "mps"),
        pattern=_DEVICE,
    )
    precision: str = _opt(
        "auto",
        "auto (bf16 or fp16 autocast on CUDA; bf16 with channels-last on a CPU with native bf16; fp32 elsewhere), "
        "fp32, bf16 or fp16",
        "Precision",
        choices=PRECISIONS,
    )
    channels_last: bool = _opt(
        False, "channels-last memory format (faster convolutions on recent GPUs)", "Channels last"
    )
    compile: bool = _opt(False, "compile the model with torch.compile", "Compile", search=False)
    seed: int = _opt(0, "the seed of initial weights, data order and augmentation", "Seed", min=0, max=2**31 - 1)
    workers: int = _opt(2, "DataLoader worker processes (image folders only)", "Workers", min=0, max=64, search=False)
    log_every: int = _opt(
        20,
        "steps between metric read-backs (batch metrics events)",
        "Log every",
        min=1,
        max=100_000,
        unit="steps",
        search=False,
    )
    early_stop: str = _opt(
        "auto",
        "stop when the validation accuracy has not improved for `patience` epochs: on, off, or auto (on with a "
        "constant learning rate; off with a schedule, whose late low learning rate often brings the best epochs)",
        "Early stop",
        choices=EARLY_STOP,
    )
    patience: int = _opt(
        5,
        "early stop: epochs without a better validation accuracy before the run ends",
        "Patience",
        min=1,
        max=10_000,
        unit="epochs",
    )
    health_every: int = _opt(
        100,
        "steps between per-layer health records (gradient norms, update ratios, activations; 0: none)",
        "Health every",
        min=0,
        max=1_000_000,
        unit="steps",
        search=False,
    )
    fine_tune: str = _opt(
        "auto",
        "a network that starts from learned weights trains its new blocks alone for head_epochs, the learned ones "
        "frozen, then all of them, earlier learned blocks at lower rates (from 1/100 of the rate for the first to "
        "the whole rate for the last, unless a block sets its own multiplier): on, off, or auto (on when some "
        "blocks start from learned weights and others fresh)",
        "Fine-tune",
        choices=FINE_TUNE,
    )
    head_epochs: int = _opt(
        1,
        "fine-tune: epochs the new blocks train alone before the learned ones join",
        "Head epochs",
        min=1,
        max=10_000,
        unit="epochs",
    )

    def __post_init__(self) -> None:
        for setting in settings():
            check_setting(setting, getattr(self, setting.name))
        dataset = datasets.info(self.dataset)
        datasets.subset(dataset.classes, self.class_ids, dataset.title)

    @property
    def class_ids(self) -> tuple[int, ...] | None:
        """The classes setting as class numbers, in the order given; None: every class."""
        return tuple(int(c) for c in self.classes.split(",")) if self.classes else None

    @property
    def stops_early(self) -> bool:
        """Whether the run ends once validation accuracy stops improving (early_stop, with auto resolved)."""
        if self.early_stop == "auto":
            return self.schedule in AUTO_PATIENCE_SCHEDULES
        return self.early_stop == "on"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Settings from JSON; an unknown name or a bad value raises TrainError."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise TrainError(f"There is no setting '{unknown[0]}' (settings: {', '.join(sorted(names))}).")
        return cls(**data)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some settings changed, checked like any other."""
        return dataclasses.replace(self, **changes)


def check_setting(setting: Field, value: Any) -> None:
    """Raise TrainError with a sentence when value is not allowed for this setting."""
    try:
        coerce(setting, value)
    except ShapeError as e:
        raise TrainError(f"The setting {e}") from None


@functools.cache
def settings() -> tuple[Field, ...]:
    """TrainConfig's fields in order, each as the one Field schema: kind (from its type), rules, help and form."""
    hints = typing.get_type_hints(TrainConfig)
    out = []
    for f in dataclasses.fields(TrainConfig):
        types = typing.get_args(hints[f.name]) or (hints[f.name],)
        python_type = next(t for t in types if t is not type(None))
        shown = f.metadata["field"]
        kind = {bool: "bool", int: "int", float: "float"}.get(python_type, "choice" if "choices" in shown else "text")
        out.append(Field(f.name, kind, f.default, nullable=type(None) in types, **shown))
    return tuple(out)


# What a small dataset changes in either recipe: digits' 1,438 training images of 8×8 want many epochs, a shift of
# at most a pixel and a small validation share (5%: 72 images, more left to train on). With the digits_cnn preset,
# batch 64 × 300 epochs misses 5, 5, 3, 5, 6 of the 359 test images at seeds 0–4 (98.3–99.2%, ≥ 98.5% at
# seeds 0–3), 25–39 s a run on a 2-core CPU shared with other work; batch 32 × 100 epochs with 10% held out
# missed 3, 6, 6 at seeds 0–2 (tests/benchmarks/bench_digits.py).
DATASET_RECIPES: dict[str, dict[str, Any]] = {
    "digits": {"batch_size": 64, "epochs": 300, "crop_padding": 1, "val_split": 0.05}
}


def recommend(graph: Graph, dataset: str = "shapes10") -> TrainConfig:
    """Settings that give a good curve for this network, so Start needs no tuning.

    Networks with a normalization block (BatchNorm: the VGG presets) get the CIFAR recipe: SGD 0.05 with Nesterov
    momentum, weight decay 5e-4, one-cycle, random crop and flip, batch 256, channels-last convolutions. Networks
    without one get AdamW 3e-3 on a cosine. A dataset in DATASET_RECIPES changes what it names (digits: batch 64,
    300 epochs, a crop of 1 pixel's padding, 5% held out for validation).
    Flips are left off for data whose labels a mirror changes (digits).
    """
    flip = datasets.info(dataset).flip
    changes = DATASET_RECIPES.get(dataset, {})
    if any(getattr(REGISTRY.get(node.type), "category", None) == "normalization" for node in graph.nodes.values()):
        return TrainConfig(
            dataset=dataset,
            epochs=30,
            batch_size=256,
            optimizer="sgd",
            lr=0.05,
            momentum=0.9,
            nesterov=True,
            weight_decay=5e-4,
            schedule="onecycle",
            crop_padding=4,
            flip=flip,
            channels_last=True,
        ).replace(**changes)
    return TrainConfig(dataset=dataset, **changes)


def saved_settings(training: dict[str, Any]) -> dict[str, Any]:
    """The training settings a network file saves (Document.training), each checked: TrainError names the first
    that is not a setting or whose value is not allowed."""
    known = {s.name: s for s in settings()}
    for name, value in training.items():
        setting = known.get(name)
        if setting is None:
            raise TrainError(
                f"The file's training settings name {name!r}, which is not a setting of this NetBuilder "
                f"(settings: {', '.join(sorted(known))})."
            )
        try:
            check_setting(setting, value)
            if name == "dataset":
                datasets.info(value)
        except TrainError as e:  # a dataset's name is escaped: it comes from the file
            raise TrainError(f"The file's training settings: {clean(str(e), 400)}") from None
    return dict(training)


def as_saved(config: TrainConfig) -> dict[str, Any]:
    """A config as a network file saves it (Document.training): every setting that has a value."""
    return {name: value for name, value in config.to_dict().items() if value is not None}


def document_config(
    graph: Graph, training: dict[str, Any], changes: dict[str, Any] | None = None, fallback_dataset: str = "shapes10"
) -> TrainConfig:
    """A run's settings for a network: the recipe that suits it, then the settings saved with it (training),
    then changes (the command line's options); the recipe's dataset is fallback_dataset when neither names one."""
    changes = changes or {}
    saved = saved_settings(training)
    dataset = changes.get("dataset", saved.get("dataset", fallback_dataset))
    return recommend(graph, dataset).replace(**{**saved, **changes})
