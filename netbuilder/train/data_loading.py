"""Loading a dataset into memory as uint8 arrays (or a list of image files); torchvision is imported only to
read CIFAR-10, MNIST and Fashion-MNIST. What the datasets are is records.datasets."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netbuilder.core.atomic import write_atomic
from netbuilder.records import datasets as catalog
from netbuilder.records.datasets import FOLDER, LOCATION, DatasetInfo, info, is_available
from netbuilder.records.train_error import TrainError
from netbuilder.train import shapes10

IMAGE_SUFFIXES = {".bmp", ".gif", ".jpeg", ".jpg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"}
# The most pixels an image may have to be read: decoding and preparing one costs about 30 bytes a pixel (a
# 9400×9400 PNG of 258 kB took 2.4 GB), so larger ones are refused from their header, before decoding.
PIXEL_LIMIT = 25_000_000
_SHAPES10_FILE = "shapes10-v1.npz"  # bump the version whenever the generator's output changes


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


def load(name: str, root: Path, download: bool = False) -> Data:
    """Read a dataset; a missing or broken one raises TrainError saying where it looked and what to do."""
    dataset = info(name)
    if name.startswith(FOLDER):
        return _folder(dataset, Path(name[len(FOLDER) :]).expanduser())
    if dataset.key == "shapes10":
        return _shapes10(dataset, root)
    if not download and not is_available(name, root):
        expected = root / LOCATION[dataset.key]
        raise TrainError(
            f"{dataset.title} is not in {root} (looked for {expected}). Run again with --download to fetch it "
            f"(about {dataset.download_mb} MB), or point --data-dir at the folder that holds "
            f"{LOCATION[dataset.key].split('/')[0]}."
        )
    return _torchvision(dataset, root, download)


def _shapes10(dataset: DatasetInfo, root: Path) -> ArrayData:
    path = root / "shapes10" / _SHAPES10_FILE
    try:
        with np.load(path) as f:
            arrays = [f[k] for k in ("train_x", "train_y", "test_x", "test_y")]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        arrays = [*shapes10.generate(catalog.SHAPES10_TRAIN, seed=0), *shapes10.generate(catalog.SHAPES10_TEST, seed=1)]
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
            f"{root / LOCATION[dataset.key].split('/')[0]} and run again with --download."
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
