"""Batches on the device. Datasets in memory live there as uint8 and batches are index slices of a permutation;
image folders go through a DataLoader. Either way normalisation, random crop and flip run batched on the device.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from netbuilder.core.blocks import fmt_shape
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.records.train_error import TrainError
from netbuilder.train import data_loading
from netbuilder.train.data_loading import ArrayData, Data, FolderData

Batch = tuple[torch.Tensor, torch.Tensor]
_CHUNK = 4096
_LUMA = (0.299, 0.587, 0.114)
# Folders have no statistics of their own: ImageNet's, the usual choice for photos.
_FOLDER_MEAN, _FOLDER_STD = {3: (0.485, 0.456, 0.406), 1: (0.449,)}, {3: (0.229, 0.224, 0.225), 1: (0.226,)}


class TensorSplit:
    """Images (uint8, N×C×H×W or N×F) and labels held on the device."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[Batch]:
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            yield self.x[idx], self.y[idx]

    def pictures(self, indices: list[int]) -> np.ndarray:
        """Some images as stored (uint8), for people to look at."""
        return self.x[torch.tensor(indices, dtype=torch.long, device=self.x.device)].cpu().numpy()


class _Images(torch.utils.data.Dataset):
    """Image files read with PIL into uint8 C×H×W tensors of one shape; an unreadable file gets label -1-i."""

    def __init__(self, items: list[tuple[Path, int]], shape: tuple[int, ...]) -> None:
        self.items, self.shape = items, shape

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        c, h, w = self.shape
        path, label = self.items[i]
        try:
            with Image.open(path) as im:
                if im.width * im.height > data_loading.PIXEL_LIMIT:  # decoding it would cost gigabytes: a bad image
                    raise ValueError(path)
                pixels = np.asarray(im.convert("L" if c == 1 else "RGB").resize((w, h), Image.Resampling.BILINEAR))
        except (OSError, ValueError, Image.DecompressionBombError):
            return torch.zeros(self.shape, dtype=torch.uint8), -1 - i
        return torch.from_numpy(pixels.reshape(h, w, c).transpose(2, 0, 1).copy()), label


class FileSplit:
    """Image files read by a DataLoader's workers and moved to the device batch by batch."""

    def __init__(
        self, items: list[tuple[Path, int]], shape: tuple[int, ...], workers: int, device: torch.device
    ) -> None:
        self.images, self.workers, self.device = _Images(items, shape), workers, device

    def __len__(self) -> int:
        return len(self.images)

    def pictures(self, indices: list[int]) -> np.ndarray:
        """Some images as read (uint8 C×H×W), for people to look at."""
        return np.stack([self.images[i][0].numpy() for i in indices])

    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[Batch]:
        loader = torch.utils.data.DataLoader(
            self.images,
            batch_size=batch_size,
            sampler=order.tolist(),
            num_workers=self.workers,
            pin_memory=self.device.type == "cuda",
        )
        for x, y in loader:
            if (y < 0).any():
                bad = self.images.items[-1 - int(y.min())][0]
                raise TrainError(f"The image {bad} cannot be read; delete or replace it.")
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


Split = TensorSplit | FileSplit


class Preprocess:
    """uint8 batches → normalised float batches; in training, random crop (zero padding) and flip first."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, config: TrainConfig, flip_ok: bool) -> None:
        self.mean, self.scale = mean * 255, 1 / (std * 255)
        self.padding = config.crop_padding
        self.flip = config.flip and flip_ok
        self.channels_last = config.channels_last

    def __call__(self, x: torch.Tensor, train: bool, generator: torch.Generator | None = None) -> torch.Tensor:
        images = x.dim() == 4
        if train and images and (self.padding or self.flip):
            x = augment(x, self.padding, self.flip, generator)
        x = x.float().sub_(self.mean).mul_(self.scale)
        return x.contiguous(memory_format=torch.channels_last) if images and self.channels_last else x


def augment(x: torch.Tensor, padding: int, flip: bool, generator: torch.Generator | None) -> torch.Tensor:
    """Each image of the batch cut at its own random offset out of its zero-padded self, and mirrored left-right
    with probability one half (when flip): one gather, whose column indices run backwards for a mirror."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding)) if padding else x
    dy, dx = torch.randint(0, 2 * padding + 1, (2, n, 1), device=x.device, generator=generator)
    rows = dy + torch.arange(h, device=x.device)
    cols = dx + torch.arange(w, device=x.device)
    if flip:
        mirror = torch.rand(n, 1, device=x.device, generator=generator) < 0.5
        cols = torch.where(mirror, cols.flip(1), cols)
    index = (rows[:, :, None] * (w + 2 * padding) + cols[:, None, :]).view(n, 1, h * w).expand(n, c, h * w)
    return padded.flatten(2).gather(2, index).view(n, c, h, w)


def fit(x: np.ndarray, shape: tuple[int, ...], convert: bool, title: str) -> torch.Tensor:
    """Images in the network Input's shape: as they are, flattened for a vector Input, or (when convert)
    turned grey↔colour and resized; a mismatch that may not be converted raises TrainError naming both."""
    have = tuple(x.shape[1:])
    images = torch.from_numpy(x)
    problem = datasets.input_problem(have, shape, convert, title)
    if problem:
        raise TrainError(problem)
    if have == shape:
        return images
    if len(shape) == 1:
        return images.reshape(len(images), shape[0])
    out = torch.empty((len(images), *shape), dtype=torch.uint8)
    luma = torch.tensor(_LUMA).view(1, 3, 1, 1)
    for start in range(0, len(images), _CHUNK):
        chunk = images[start : start + _CHUNK].float()
        if have[0] == 1 and shape[0] == 3:
            chunk = chunk.expand(-1, 3, -1, -1)
        elif have[0] == 3 and shape[0] == 1:
            chunk = (chunk * luma).sum(1, keepdim=True)
        if chunk.shape[2:] != shape[1:]:
            chunk = F.interpolate(chunk, size=shape[1:], mode="bilinear", antialias=True, align_corners=False)
        out[start : start + _CHUNK] = chunk.round().clamp(0, 255).to(torch.uint8)
    return out


def stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation in 0..1 units: per channel for images (shaped C×1×1), overall for vectors."""
    dims = (0, 2, 3) if x.dim() == 4 else (0, 1)
    total = torch.zeros(x.shape[1] if x.dim() == 4 else 1, dtype=torch.float64, device=x.device)
    squares = torch.zeros_like(total)
    for start in range(0, len(x), _CHUNK):
        chunk = x[start : start + _CHUNK].double() / 255
        total += chunk.sum(dims)
        squares += (chunk * chunk).sum(dims)
    count = x.numel() / len(total)
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(1e-12).sqrt()
    view = (-1, 1, 1) if x.dim() == 4 else (1,)
    return mean.float().view(view), std.float().view(view)


def holdout(labels: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices of images with these labels: a seeded shuffle, cut to config.limit, the last
    val_split held out; then the first config.per_class training images of each class in that shuffle."""
    order = np.random.default_rng(config.seed).permutation(len(labels))[: config.limit]
    cut = len(order) - round(len(order) * config.val_split)
    train, val = order[:cut], order[cut:]
    if config.per_class is not None:
        by_class = np.argsort(labels[train], kind="stable")
        sorted_labels = labels[train][by_class]
        rank = np.empty(len(train), dtype=np.int64)
        rank[by_class] = np.arange(len(train)) - np.searchsorted(sorted_labels, sorted_labels)
        train = train[rank < config.per_class]
    return train, val


@dataclass
class Feed:
    """Everything the loop takes data from."""

    train: Split
    val: Split
    test: Split
    classes: tuple[str, ...]
    preprocess: Preprocess
    device_bytes: int  # what the data occupies on the device


def prepare(data: Data, input_shape: tuple[int, ...], config: TrainConfig, device: torch.device) -> Feed:
    """The dataset's splits (of the classes config picks), fitted to the Input's shape, with their preprocessing."""
    title = data.info.title
    data = data_loading.select(data, config.class_ids)
    if isinstance(data, ArrayData):
        x = fit(data.train_x, input_shape, config.resize or data.info.adapts, title)
        test_x = fit(data.test_x, input_shape, config.resize or data.info.adapts, title)
        train_i, val_i = holdout(data.train_y, config)
        y = torch.from_numpy(data.train_y)
        mean, std = stats(x[train_i])

        def split(images: torch.Tensor, labels: torch.Tensor) -> TensorSplit:
            return TensorSplit(images.to(device), labels.to(device))

        train, val = split(x[train_i], y[train_i]), split(x[val_i], y[val_i])
        test = split(test_x, torch.from_numpy(data.test_y))
        used = sum(s.x.numel() + 8 * len(s) for s in (train, val, test))
        preprocess = Preprocess(mean.to(device), std.to(device), config, data.info.flip)
        return Feed(train, val, test, data.classes, preprocess, used)
    assert isinstance(data, FolderData)
    if len(input_shape) != 3 or input_shape[0] not in (1, 3):
        raise TrainError(
            f"An image folder needs an Input of grey or colour images (1×H×W or 3×H×W); the "
            f"network's Input is {fmt_shape(input_shape)}."
        )
    c = input_shape[0]
    train_i, val_i = holdout(np.array([label for _, label in data.train], dtype=np.int64), config)

    def files(items: list[tuple[Path, int]]) -> FileSplit:
        return FileSplit(items, input_shape, config.workers, device)

    mean = torch.tensor(_FOLDER_MEAN[c], device=device).view(-1, 1, 1)
    std = torch.tensor(_FOLDER_STD[c], device=device).view(-1, 1, 1)
    return Feed(
        files([data.train[i] for i in train_i]),
        files([data.train[i] for i in val_i]),
        files(data.test),
        data.classes,
        Preprocess(mean, std, config, data.info.flip),
        0,
    )


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's randomness, from the run's seed: the same whether the run was resumed or not."""
    return seed * 100_003 + epoch


def epoch_order(n: int, epoch: int, seed: int, rank: int, world: int, device: torch.device) -> torch.Tensor:
    """This process's share of the epoch's shuffle: the same permutation on every process, cut in equal parts."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(epoch_seed(seed, epoch)))
    per = n // world
    return perm[rank * per : (rank + 1) * per].to(device)


def shard(n: int, rank: int, world: int, device: torch.device) -> torch.Tensor:
    """This process's contiguous part of 0..n-1 (for evaluation; the last process takes the remainder)."""
    per = n // world
    end = n if rank == world - 1 else (rank + 1) * per
    return torch.arange(rank * per, end, device=device)
