"""Loading a dataset into memory as uint8 arrays (or a list of image files); torchvision is imported only to
read CIFAR-10, MNIST and Fashion-MNIST, scikit-learn only to read digits. What the datasets are is
records.datasets."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
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
_DIGITS_FILE = "digits-v1.npz"  # bump the version whenever the split or the scaling changes
_SPLITS = ("train_x", "train_y", "test_x", "test_y")


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
        return _cached(dataset, root / "shapes10" / _SHAPES10_FILE, _shapes10)
    if dataset.key == "digits":
        return _cached(dataset, root / "digits" / _DIGITS_FILE, _digits)
    if not download and not is_available(name, root):
        expected = root / LOCATION[dataset.key]
        raise TrainError(
            f"{dataset.title} is not in {root} (looked for {expected}). Run again with --download to fetch it "
            f"(about {dataset.download_mb} MB), or point --data-dir at the folder that holds "
            f"{LOCATION[dataset.key].split('/')[0]}."
        )
    return _torchvision(dataset, root, download)


def _cached(dataset: DatasetInfo, path: Path, make: Callable[[], list[np.ndarray]]) -> ArrayData:
    """A built-in dataset from its cache file, made (and cached) when the file is missing or unreadable."""
    try:
        with np.load(path) as f:
            arrays = [f[k] for k in _SPLITS]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        arrays = make()
        _save_arrays(path, dict(zip(_SPLITS, arrays)))
    return ArrayData(dataset, dataset.classes or (), *arrays)


def _shapes10() -> list[np.ndarray]:
    return [*shapes10.generate(catalog.SHAPES10_TRAIN, seed=0), *shapes10.generate(catalog.SHAPES10_TEST, seed=1)]


def _digits() -> list[np.ndarray]:
    """scikit-learn's digits (pixels 0–16 scaled to 0–255), a fifth of each class held out for test by a fixed
    seed; both splits in the file's order."""
    from sklearn.datasets import load_digits  # start-up time: scikit-learn, only for this dataset

    bunch = load_digits()
    x = np.rint(bunch.images * (255 / 16)).astype(np.uint8)[:, None]
    y = bunch.target.astype(np.int64)
    rng = np.random.default_rng(catalog.DIGITS_SEED)
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        test[members[: round(len(members) * catalog.DIGITS_TEST_SHARE)]] = True
    return [x[~test], y[~test], x[test], y[test]]


def select(data: Data, classes: tuple[int, ...] | None) -> Data:
    """Only the given classes, renumbered 0..k-1 in the order given, with their names; all of data for None.
    A pick that names no class of the dataset raises TrainError."""
    names = catalog.subset(data.classes, classes, data.info.title)
    if classes is None or names is None:
        return data
    relabel = dict(zip(classes, range(len(classes))))
    if isinstance(data, FolderData):
        train, test = (
            [(f, relabel[label]) for f, label in items if label in relabel] for items in (data.train, data.test)
        )
        return FolderData(data.info, names, train, test)
    table = np.full(len(data.classes), -1, dtype=np.int64)
    table[list(classes)] = np.arange(len(classes))
    keep, keep_test = table[data.train_y] >= 0, table[data.test_y] >= 0
    return ArrayData(
        data.info,
        names,
        data.train_x[keep],
        table[data.train_y[keep]],
        data.test_x[keep_test],
        table[data.test_y[keep_test]],
    )


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
