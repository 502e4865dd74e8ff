"""One image prepared for a network exactly as its training prepared the dataset's images, with a sentence saying
what was done ("resized 640×480 → 32×32, normalised with the CIFAR-10 mean/std").

Training (train/feed.py) takes an in-memory dataset (shapes10, CIFAR-10, MNIST, …) through feed.fit (grey↔colour
by luma or repetition, a bilinear antialiased resize, rounded back to uint8) and normalises with the mean and
standard deviation of its training split; an image folder is read with PIL (convert, then a bilinear resize) and
normalised with ImageNet's statistics. An image file is taken through the same path as its run's dataset: the same
functions where a conversion is needed, and the same float32 arithmetic for the normalisation.

No torch at import time: reading an image, the sentences and the normalisation need none; a conversion of size or
channels for an in-memory dataset, and computing a dataset's statistics the first time, import it (the statistics
are then kept in the cache folder, so the next time needs neither torch nor the dataset).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from netbuilder.core.atomic import write_text_atomic
from netbuilder.core.blocks import fmt_shape
from netbuilder.core.initial import Preprocess
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.records.train_error import TrainError
from netbuilder.train import data_loading

_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
_STATS_FILE = "normalisation-v1.json"
# Folders have no statistics of their own: ImageNet's (the same values as feed's).
_FOLDER_MEAN = {3: (0.485, 0.456, 0.406), 1: (0.449,)}
_FOLDER_STD = {3: (0.229, 0.224, 0.225), 1: (0.226,)}


@dataclass(frozen=True)
class Normalisation:
    """What training subtracts and divides by (0..1 units): one value per channel, or one for a vector Input."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    label: str  # "the CIFAR-10 mean/std"

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 C×H×W (or a vector) → float32, with feed.Preprocess's arithmetic: (x - mean·255) · 1/(std·255)."""
        view = (-1, 1, 1) if pixels.ndim == 3 else (-1,)
        mean = np.asarray(self.mean, dtype=np.float32).reshape(view) * np.float32(255)
        scale = np.float32(1) / (np.asarray(self.std, dtype=np.float32).reshape(view) * np.float32(255))
        return ((pixels.astype(np.float32) - mean) * scale).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": list(self.mean), "std": list(self.std), "label": self.label}


@dataclass
class Prepared:
    """An image ready for the network: x in the Input's shape (float32), the pixels it came from as the network
    sees them before normalisation (uint8 C×H×W; for a vector Input the image before flattening), and a sentence."""

    x: np.ndarray
    pixels: np.ndarray
    description: str


# Reading ---------------------------------------------------------------------------------------------------------


def open_image(path: str | os.PathLike):
    """The image in the file, fully read (a PIL Image); anything else is one sentence (TrainError): not a regular
    file (a named pipe would wait forever), not an image, or more than data_loading.PIXEL_LIMIT pixels."""
    from PIL import Image  # start-up time: Pillow only when an image is read

    path = Path(path)
    if not path.exists():
        raise TrainError(f"There is no file {path}; give the path of an image (PNG, JPEG, …).")
    if path.is_dir():
        raise TrainError(f"{path} is a folder, not an image; give the path of an image file (PNG, JPEG, …).")
    if not path.is_file():
        raise TrainError(
            f"{path} is not a regular file (a named pipe, a device or a socket); give the path of an image file."
        )
    try:
        with Image.open(path) as src:
            if src.width * src.height > data_loading.PIXEL_LIMIT:
                raise TrainError(too_large(path.name, src.width, src.height))
            src.load()
            im = src.copy()  # the file is closed, whatever happens
    except Image.UnidentifiedImageError:
        raise TrainError(f"{path.name} is not an image that can be read (PNG, JPEG, BMP, GIF, TIFF, WebP).") from None
    except Image.DecompressionBombError:
        raise TrainError(f"{path.name} is too large an image to open safely; scale it down first.") from None
    except (OSError, ValueError, SyntaxError) as e:
        why = "it is cut short (truncated)" if "truncat" in str(e).lower() else f"{type(e).__name__}: {e}"
        raise TrainError(f"{path.name} cannot be read as an image ({why}); save it again or choose another.") from None
    if im.width < 2 or im.height < 2:
        raise TrainError(
            f"{path.name} is only {im.width}×{im.height} pixels; an image needs at least 2×2 to show anything."
        )
    return im


def too_large(name: str, width: int, height: int) -> str:
    """The sentence for an image above data_loading.PIXEL_LIMIT."""
    return (
        f"{name} is {width:,}×{height:,} pixels ({width * height / 1e6:.0f} megapixels); images up to "
        f"{data_loading.PIXEL_LIMIT / 1e6:.0f} megapixels are read: scale it down first."
    )


def is_grey(im) -> bool:
    return im.mode in _GREY_MODES


def image_pixels(im) -> np.ndarray:
    """A PIL image as uint8 C×H×W: one channel for grey modes, three (alpha dropped) for the rest."""
    grey = is_grey(im)
    arr = np.asarray(im.convert("L" if grey else "RGB"), dtype=np.uint8)
    return arr.reshape(im.height, im.width, 1 if grey else 3).transpose(2, 0, 1).copy()


# Normalisation ---------------------------------------------------------------------------------------------------


def normalisation(config: TrainConfig, input_shape: tuple[int, ...]) -> Normalisation:
    """The mean and std a run with this config and Input normalises with: ImageNet's for an image folder, else the
    statistics of the training split as feed.prepare computes them (kept in the cache after the first time)."""
    info = datasets.info(config.dataset)
    if config.dataset.startswith(datasets.FOLDER):
        c = input_shape[0] if len(input_shape) == 3 else 0
        if c not in (1, 3):
            raise TrainError(
                f"An image folder needs an Input of grey or colour images (1×H×W or 3×H×W); the network's "
                f"Input is {fmt_shape(input_shape)}."
            )
        return Normalisation(_FOLDER_MEAN[c], _FOLDER_STD[c], "ImageNet's mean/std (as training on image folders)")
    label = f"the {info.title} mean/std"
    convert = config.resize or info.adapts
    key = json.dumps(
        [info.key, list(input_shape), convert, config.seed, config.limit, config.val_split]
        + [config.classes, config.per_class],
        separators=(",", ":"),
    )
    cache = datasets.cache_dir() / _STATS_FILE
    known = _read_cache(cache)
    if key in known:
        return Normalisation(tuple(known[key]["mean"]), tuple(known[key]["std"]), label)
    root = datasets.data_dir(config.data_dir)
    try:
        data = data_loading.load(config.dataset, root)
    except TrainError as e:
        raise TrainError(f"The image cannot be normalised as training did: {e}") from None
    from netbuilder.train import feed  # start-up time: torch, only for a conversion or new statistics

    data = data_loading.select(data, config.class_ids)
    assert isinstance(data, data_loading.ArrayData)
    x = feed.fit(data.train_x, tuple(input_shape), convert, info.title)
    train_i, _ = feed.holdout(data.train_y, config)
    mean, std = feed.stats(x[train_i])
    out = Normalisation(tuple(mean.flatten().tolist()), tuple(std.flatten().tolist()), label)
    known[key] = {"mean": list(out.mean), "std": list(out.std)}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(cache, json.dumps(known, indent=1) + "\n")
    except OSError:
        pass  # only an optimisation
    return out


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# Preparing -------------------------------------------------------------------------------------------------------


def _size(shape: tuple[int, ...]) -> str:
    return f"{shape[-1]}×{shape[-2]}"  # W×H, as image sizes are said


def _colour(c: int) -> str:
    return "grey" if c == 1 else "colour" if c == 3 else f"{c}-channel"


def _image_shape(input_shape: tuple[int, ...], config: TrainConfig) -> tuple[int, int, int]:
    """The C×H×W image the network's Input takes: itself, or for a vector Input the dataset's images it flattens."""
    if len(input_shape) == 3:
        if input_shape[0] not in (1, 3):
            raise TrainError(
                f"The network's Input has {input_shape[0]} channels; an image file gives 1 (grey) or 3 (colour), "
                f"so it cannot feed this network."
            )
        return input_shape  # type: ignore[return-value]
    info = datasets.info(config.dataset)
    if len(input_shape) == 1 and info.shape is not None and prod(info.shape) == input_shape[0]:
        return info.shape  # type: ignore[return-value]
    raise TrainError(
        f"The network's Input is {fmt_shape(input_shape)}, not an image (C×H×W), and {info.title} images do not "
        f"flatten to it; an image file cannot feed this network."
    )


def prepare_file(
    path: str | os.PathLike, input_shape: tuple[int, ...], config: TrainConfig, norm: Normalisation | None = None
) -> Prepared:
    """An image file prepared as config's training prepares its dataset for a network with this Input."""
    im = open_image(path)
    shape = _image_shape(tuple(input_shape), config)
    norm = norm or normalisation(config, tuple(input_shape))
    if config.dataset.startswith(datasets.FOLDER):
        c, h, w = shape
        steps = []
        if is_grey(im) != (c == 1):
            steps.append(f"converted {_colour(1 if is_grey(im) else 3)} → {_colour(c)}")
        if (im.width, im.height) != (w, h):
            steps.insert(0, f"resized {im.width}×{im.height} → {w}×{h}")
        from PIL import Image  # start-up time: Pillow only when an image is read

        # exactly feed._Images: convert from the file's own mode, then a bilinear resize
        arr = np.asarray(im.convert("L" if c == 1 else "RGB").resize((w, h), Image.Resampling.BILINEAR))
        pixels = arr.reshape(h, w, c).transpose(2, 0, 1).copy()
        return _finish(pixels, tuple(input_shape), norm, steps)
    return prepare_pixels(image_pixels(im), input_shape, config, norm)


def prepare_pretrained(path: str | os.PathLike, input_shape: tuple[int, ...], preprocess: Preprocess) -> Prepared:
    """An image file prepared as pretrained weights' images were (torchvision's weights.transforms()): converted to
    colour, the shorter side resized to preprocess.resize, the centre crop cut out, normalised with their mean/std."""
    from PIL import Image  # start-up time: Pillow only when an image is read

    if tuple(input_shape) != (3, preprocess.crop, preprocess.crop):
        raise TrainError(
            f"The network's Input is {fmt_shape(input_shape)}, but its weights' images are 3×{preprocess.crop}×"
            f"{preprocess.crop}; set the Input to that size."
        )
    im = open_image(path)
    size, crop = preprocess.resize, preprocess.crop
    w, h = (
        (size, int(size * im.height / im.width)) if im.width <= im.height else (int(size * im.width / im.height), size)
    )
    resample = getattr(Image.Resampling, preprocess.interpolation.upper())
    left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))  # torchvision's center_crop
    rgb = im.convert("RGB").resize((w, h), resample).crop((left, top, left + crop, top + crop))
    pixels = np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy()
    steps = [f"resized {im.width}×{im.height} → {w}×{h}", f"the centre {crop}×{crop} cut out"]
    if is_grey(im):
        steps.append("converted grey → colour")
    norm = Normalisation(preprocess.mean, preprocess.std, "the weights' own mean/std")
    return _finish(pixels, tuple(input_shape), norm, steps)


def prepare_pixels(
    pixels: np.ndarray, input_shape: tuple[int, ...], config: TrainConfig, norm: Normalisation | None = None
) -> Prepared:
    """uint8 pixels (C×H×W, such as a dataset's sample) prepared as an in-memory dataset's images are: feed.fit to
    the Input's shape (always converting, as an image must be), then the training normalisation."""
    input_shape = tuple(input_shape)
    shape = _image_shape(input_shape, config)
    norm = norm or normalisation(config, input_shape)
    pixels = np.asarray(pixels, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[None]
    have = tuple(pixels.shape)
    steps = []
    if have[1:] != shape[1:]:
        steps.append(f"resized {_size(have)} → {_size(shape)}")
    if have[0] != shape[0]:
        steps.append(f"converted {_colour(have[0])} → {_colour(shape[0])}")
    if have != shape:
        if have[0] not in (1, 3):
            raise TrainError(f"The image has {have[0]} channels; only grey (1) and colour (3) images convert.")
        from netbuilder.train import feed  # start-up time: torch, only for a conversion or new statistics

        pixels = feed.fit(pixels[None].copy(), shape, True, "The image")[0].numpy()
    return _finish(pixels, input_shape, norm, steps)


def _finish(pixels: np.ndarray, input_shape: tuple[int, ...], norm: Normalisation, steps: list[str]) -> Prepared:
    if not steps:
        steps.append(f"already {_size(pixels.shape)} {_colour(pixels.shape[0])}")
    if len(input_shape) == 1:
        steps.append(f"flattened to {input_shape[0]} values")
    flat = pixels.reshape(input_shape)
    x = norm.apply(flat)
    return Prepared(x, pixels, ", ".join(steps) + f", normalised with {norm.label}")
