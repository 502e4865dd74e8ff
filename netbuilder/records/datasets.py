"""The registry of datasets, and loading one into memory as uint8 arrays (or a list of image files).

No torch at import time: the UI and the CLI can list datasets and check settings without it;
torchvision is imported only to read CIFAR-10, MNIST and Fashion-MNIST.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from netbuilder.core.atomic import write_atomic
from netbuilder.core.blocks import fmt_shape
from netbuilder.train import shapes10
from netbuilder.train.errors import TrainError

FOLDER = "folder:"
IMAGE_SUFFIXES = {".bmp", ".gif", ".jpeg", ".jpg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"}
# The most pixels an image may have to be read: decoding and preparing one costs about 30 bytes a pixel (a
# 9400×9400 PNG of 258 kB took 2.4 GB), so larger ones are refused from their header, before decoding.
PIXEL_LIMIT = 25_000_000
SHAPES10_TRAIN, SHAPES10_TEST = 20_000, 4_000
_SHAPES10_FILE = "shapes10-v1.npz"  # bump the version whenever the generator's output changes


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
        shapes10.CLASSES,
        flip=True,
        adapts=True,
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
_LOCATION = {
    "cifar10": "cifar-10-batches-py",
    "mnist": "MNIST/raw/train-images-idx3-ubyte",
    "fashion_mnist": "FashionMNIST/raw/train-images-idx3-ubyte",
}


@dataclass
class ArrayData:
    """A dataset in memory: N×C×H×W uint8 images and int64 labels."""

    info: DatasetInfo
    classes: tuple[str, ...]
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@dataclass
class FolderData:
    """A dataset of image files, read by a DataLoader: (path, label) pairs."""

    info: DatasetInfo
    classes: tuple[str, ...]
    train: list[tuple[Path, int]]
    test: list[tuple[Path, int]]


Data = ArrayData | FolderData


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
    """Whether loading needs no download (shapes10 and folders always say yes; a folder is checked on load)."""
    key = info(name).key
    return key not in _LOCATION or (root / _LOCATION[key]).exists()


def load(name: str, root: Path, download: bool = False) -> Data:
    """Read a dataset; a missing or broken one raises TrainError saying where it looked and what to do."""
    dataset = info(name)
    if name.startswith(FOLDER):
        return _folder(dataset, Path(name[len(FOLDER) :]).expanduser())
    if dataset.key == "shapes10":
        return _shapes10(dataset, root)
    if not download and not is_available(name, root):
        expected = root / _LOCATION[dataset.key]
        raise TrainError(
            f"{dataset.title} is not in {root} (looked for {expected}). Run again with --download to fetch it "
            f"(about {dataset.download_mb} MB), or point --data-dir at the folder that holds "
            f"{_LOCATION[dataset.key].split('/')[0]}."
        )
    return _torchvision(dataset, root, download)


def _shapes10(dataset: DatasetInfo, root: Path) -> ArrayData:
    path = root / "shapes10" / _SHAPES10_FILE
    try:
        with np.load(path) as f:
            arrays = [f[k] for k in ("train_x", "train_y", "test_x", "test_y")]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        arrays = [*shapes10.generate(SHAPES10_TRAIN, seed=0), *shapes10.generate(SHAPES10_TEST, seed=1)]
        _save_arrays(path, dict(zip(("train_x", "train_y", "test_x", "test_y"), arrays)))
    return ArrayData(dataset, shapes10.CLASSES, *arrays)


def _save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the cache through a temporary file and a rename, so concurrent readers never see half of it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda f: np.savez(f, **arrays))
    except OSError:
        pass  # the cache is an optimisation: a read-only disk only costs generating again next time


def _torchvision(dataset: DatasetInfo, root: Path, download: bool) -> ArrayData:
    from torchvision import datasets as tv  # start-up time: torch, only for these datasets

    cls = {"cifar10": tv.CIFAR10, "mnist": tv.MNIST, "fashion_mnist": tv.FashionMNIST}[dataset.key]
    try:
        train, test = (cls(str(root), train=split, download=download) for split in (True, False))
    except (RuntimeError, OSError) as e:
        if download and not is_available(dataset.key, root):
            reason = f" ({e.reason})" if getattr(e, "reason", None) else ""  # a URLError's; torchvision's are long
            raise TrainError(
                f"Could not download {dataset.title} into {root}{reason}; check the internet "
                f"connection, or copy the files there by hand."
            ) from None
        raise TrainError(
            f"{dataset.title} in {root} is incomplete or damaged; delete "
            f"{root / _LOCATION[dataset.key].split('/')[0]} and run again with --download."
        ) from None

    def arrays(split) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(split.data, dtype=np.uint8)
        x = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x[:, None]  # CIFAR stores H×W×C, MNIST H×W
        return np.ascontiguousarray(x), np.asarray(split.targets, dtype=np.int64)

    return ArrayData(dataset, dataset.classes or (), *arrays(train), *arrays(test))


def _scan(folder: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    items = [
        (f, label)
        for label, name in enumerate(classes)
        for f in sorted((folder / name).rglob("*"))
        if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file()
    ]
    return classes, items


def _folder(dataset: DatasetInfo, path: Path) -> FolderData:
    """PATH/train and PATH/test (or val) when both exist; otherwise PATH's class folders, a fifth held out for test."""
    if not path.is_dir():
        raise TrainError(
            f"The image folder {path} does not exist; give folder:PATH where PATH holds one "
            f"subfolder of images per class."
        )
    test_dir = next((path / n for n in ("test", "val") if (path / n).is_dir()), None)
    if (path / "train").is_dir() and test_dir is not None:
        classes, train = _scan(path / "train")
        test_classes, test = _scan(test_dir)
        if test_classes != classes:
            raise TrainError(
                f"The class folders of {path / 'train'} and {test_dir} differ; give both the same subfolders."
            )
    else:
        classes, items = _scan(path)
        order = np.random.default_rng(0).permutation(len(items))
        cut = len(items) // 5
        test = [items[i] for i in sorted(order[:cut])]
        train = [items[i] for i in sorted(order[cut:])]
    if len(classes) < 2 or not train or not test:
        raise TrainError(
            f"The image folder {path} needs at least two subfolders of images, one per class, and "
            f"enough images to hold some out for testing."
        )
    return FolderData(dataset, tuple(classes), train, test)
