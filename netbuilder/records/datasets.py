"""The registry of datasets: their names, shapes, classes and where they are kept (no torch, no loading: the
window and the CLI list datasets and check settings with it; train.data_loading reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from math import prod
from pathlib import Path

from netbuilder.core.blocks import fmt_shape
from netbuilder.records.train_error import TrainError

FOLDER = "folder:"
SHAPES10_TRAIN, SHAPES10_TEST = 20_000, 4_000
SHAPES10_CLASSES = ("circle", "ring", "square", "frame", "triangle", "cross", "star", "semicircle", "bar", "dots")
# digits: scikit-learn's 1,797 8×8 digits, a fifth of each class held out for test by a seed of its own (not the
# run's), so every run and every machine tests on the same images.
DIGITS_TRAIN, DIGITS_TEST = 1_438, 359
DIGITS_TEST_SHARE, DIGITS_SEED = 0.2, 0


@dataclass(frozen=True)
class DatasetInfo:
    key: str
    title: str
    description: str
    shape: tuple[int, ...] | None  # C, H, W of its images; None where the network's Input decides (folders)
    classes: tuple[str, ...] | None  # None where the folder's subfolders decide
    flip: bool  # a horizontal mirror keeps the label
    adapts: bool  # images are converted to the Input's shape without asking
    download_mb: int = 0  # 0: nothing to download


DATASETS: dict[str, DatasetInfo] = {
    "shapes10": DatasetInfo(
        "shapes10",
        "shapes10",
        f"Ten classes of coloured shapes drawn here from a seed: {SHAPES10_TRAIN:,} training and "
        f"{SHAPES10_TEST:,} test images of 32×32; needs no download.",
        (3, 32, 32),
        SHAPES10_CLASSES,
        flip=True,
        adapts=True,
    ),
    "digits": DatasetInfo(
        "digits",
        "digits",
        f"1,797 grey handwritten digits of 8×8 (UCI, through scikit-learn): {DIGITS_TRAIN:,} training and "
        f"{DIGITS_TEST:,} test images, a fifth of each class held out; needs no download.",
        (1, 8, 8),
        tuple(str(d) for d in range(10)),
        flip=False,
        adapts=False,
    ),
    "cifar10": DatasetInfo(
        "cifar10",
        "CIFAR-10",
        "60,000 colour photos of 32×32 in ten classes (torchvision).",
        (3, 32, 32),
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        flip=True,
        adapts=False,
        download_mb=170,
    ),
    "mnist": DatasetInfo(
        "mnist",
        "MNIST",
        "70,000 grey handwritten digits of 28×28 (torchvision).",
        (1, 28, 28),
        tuple(str(d) for d in range(10)),
        flip=False,
        adapts=False,
        download_mb=12,
    ),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist",
        "Fashion-MNIST",
        "70,000 grey 28×28 pictures of clothes in ten classes (torchvision).",
        (1, 28, 28),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        flip=True,
        adapts=False,
        download_mb=30,
    ),
}

# Where torchvision keeps each set inside the data folder; its presence decides "missing".
LOCATION = {
    "cifar10": "cifar-10-batches-py",
    "mnist": "MNIST/raw/train-images-idx3-ubyte",
    "fashion_mnist": "FashionMNIST/raw/train-images-idx3-ubyte",
}


def input_problem(have: tuple[int, ...], shape: tuple[int, ...], convert: bool, title: str) -> str | None:
    """Why images of shape have cannot feed a network whose Input is shape, or None when they can (as they are,
    flattened for a vector Input, or, when convert, turned grey↔colour and resized)."""
    if have == shape:
        return None
    values = prod(have)
    if len(shape) == 1:
        if shape[0] == values:
            return None
        return (
            f"{title} images are {fmt_shape(have)} ({values} values) but the network's Input is a vector of "
            f"{shape[0]}; set the Input to [{values}] or to {list(have)}."
        )
    if not convert:
        return (
            f"{title} images are {fmt_shape(have)} but the network's Input is {fmt_shape(shape)}; convert them "
            f"(--resize, or “convert images” in the app), or set the Input block to {list(have)}."
        )
    if {have[0], shape[0]} - {1, 3}:
        return (
            f"{title} images have {have[0]} channels and the network's Input {shape[0]}; only grey and colour "
            f"convert, so set the Input's channels to {have[0]}."
        )
    return None


def output_problem(shape: tuple[int, ...] | None, classes: int, title: str) -> str | None:
    """Why a network whose output is shape cannot score the dataset's classes (the classes trained on), or None."""
    if shape is None or len(shape) != 1:
        return (
            f"The network ends in a {fmt_shape(shape or ())} volume but {title} needs {classes} "
            f"class scores; end it with a Linear of {classes} out_features."
        )
    if shape[0] != classes:
        return (
            f"The network ends in {shape[0]} outputs but {title} has {classes} classes; set the last "
            f"Linear's out_features to {classes}."
        )
    return None


def subset(names: tuple[str, ...] | None, classes: tuple[int, ...] | None, title: str) -> tuple[str, ...] | None:
    """The names of the classes a run trains on, in its order: all of them, or those the classes setting picks
    (names None: a folder not read yet, checked for repeats only). TrainError says what is wrong with a pick."""
    if classes is None:
        return names
    repeated = next((c for i, c in enumerate(classes) if c in classes[:i]), None)
    if repeated is not None:
        raise TrainError(f"The classes setting names class {repeated} twice; give each class once, as in 0,1,2.")
    outside = next((c for c in classes if names is not None and c >= len(names)), None)
    if names is not None and outside is not None:
        raise TrainError(
            f"{title} has {len(names)} classes, numbered 0 to {len(names) - 1}; the classes setting names {outside}."
        )
    if len(classes) < 2:
        raise TrainError(f"The classes setting picks only class {classes[0]}; give at least two, as in 0,1.")
    if names is None:
        return None
    return tuple(names[c] for c in classes)


def list_datasets() -> list[DatasetInfo]:
    """The built-in datasets, the default first (folder:PATH is not listed: any folder will do)."""
    return list(DATASETS.values())


def info(name: str) -> DatasetInfo:
    """What the registry says about a dataset name; an unknown name raises TrainError."""
    if name.startswith(FOLDER):
        path = name[len(FOLDER) :]
        if not path:
            raise TrainError("A folder dataset needs a path: folder:PATH, where PATH holds one subfolder per class.")
        return DatasetInfo(
            name, f"the folder {path}", "Your own images, one subfolder per class.", None, None, flip=True, adapts=True
        )
    if name not in DATASETS:
        raise TrainError(f"There is no dataset '{name}' (datasets: {', '.join(DATASETS)}, or folder:PATH).")
    return DATASETS[name]


def cache_dir() -> Path:
    """The per-user cache: $NETBUILDER_CACHE_DIR, else $XDG_CACHE_HOME/netbuilder, else ~/.cache/netbuilder."""
    if os.environ.get("NETBUILDER_CACHE_DIR"):
        return Path(os.environ["NETBUILDER_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "netbuilder"


def data_dir(configured: str | None) -> Path:
    """The folder that holds the datasets: the configured one, else the cache's data folder."""
    return Path(configured).expanduser() if configured else cache_dir() / "data"


def is_available(name: str, root: Path) -> bool:
    """Whether loading needs no download (shapes10, digits and folders always say yes; a folder is checked on load)."""
    key = info(name).key
    return key not in LOCATION or (root / LOCATION[key]).exists()
