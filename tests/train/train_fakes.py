"""Datasets in torchvision's on-disk formats, and image folders, written small by the tests (no download)."""

import hashlib
import pickle

import numpy as np
from PIL import Image

from netbuilder.records import datasets


def write_fake_cifar10(root, n=50, seed=0):
    """CIFAR-10's on-disk format (python version): pickled dicts of uint8 rows of 3072 and labels."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "labels": rng.integers(0, 10, n).tolist()}
        (folder / name).write_bytes(pickle.dumps(batch))
    names = list(datasets.info("cifar10").classes)
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))
    return folder


def accept_fake_checksums(monkeypatch, folder):
    """torchvision checks CIFAR-10's files against their published MD5s; make it expect our fakes' instead."""
    from torchvision.datasets import CIFAR10

    def md5(name):
        return hashlib.md5((folder / name).read_bytes()).hexdigest()

    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5(n)] for n, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, "test_list", [[n, md5(n)] for n, _ in CIFAR10.test_list])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5(CIFAR10.meta["filename"])})


def write_fake_mnist(root, folder="MNIST", n=60, n_test=20, seed=0):
    """MNIST's raw idx files: a big-endian header, then the bytes."""
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for split, count in (("train", n), ("t10k", n_test)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        header = np.array([0x803, count, 28, 28], dtype=">i4").tobytes()
        (raw / f"{split}-images-idx3-ubyte").write_bytes(header + images.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(
            np.array([0x801, count], dtype=">i4").tobytes() + labels.tobytes()
        )


def write_image_folder(root, classes=("cats", "dogs"), per_class=10, size=(40, 30)):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
