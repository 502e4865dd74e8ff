"""A network's initial weights, as its file names them (the "init" key): a weights file or a run's checkpoint,
its SHA-256 when it was named, and, for weights from torchvision, their classes and the preprocessing they were
trained with. Plain Python: the window reads and shows it without torch; train/ and pytorch/ load the tensors."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netbuilder.core.text import clean, quote

SHA256_HEX = 64
MAX_CLASSES = 100_000
MAX_PATH = 4096
INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
_KEYS = {"path", "sha256", "classes", "preprocess"}
_PREPROCESS_KEYS = {"resize", "crop", "mean", "std", "interpolation"}


class InitError(Exception):
    """Initial weights that cannot be used as named (a file missing or changed since); one sentence."""


@dataclass(frozen=True)
class Preprocess:
    """How the weights' images were prepared (torchvision's weights.transforms()): the shorter side resized to
    resize pixels, the centre crop×crop cut out, then normalised with mean and std (0..1 units, per channel)."""

    resize: int
    crop: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str = "bilinear"

    def to_json(self) -> dict[str, Any]:
        return {
            "resize": self.resize,
            "crop": self.crop,
            "mean": list(self.mean),
            "std": list(self.std),
            "interpolation": self.interpolation,
        }


@dataclass(frozen=True)
class InitWeights:
    """The file a network's weights start from, with its SHA-256 when it was named; classes and preprocess are
    the weights' own (torchvision's), empty and None otherwise."""

    path: str
    sha256: str
    classes: tuple[str, ...] = ()
    preprocess: Preprocess | None = None

    @classmethod
    def of_file(cls, path: str | os.PathLike, **extra: Any) -> InitWeights:
        """The file as it is now (its absolute path and hash); a missing file is InitError."""
        file = Path(path).absolute()
        return cls(str(file), file_sha256(file), **extra)

    def located(self, folder: Path) -> InitWeights:
        """The same, its relative path read from folder (the network file's)."""
        path = Path(self.path)
        return (
            self if path.is_absolute() else InitWeights(str(folder / path), self.sha256, self.classes, self.preprocess)
        )

    def verified(self) -> Path:
        """The file, as it was when named; missing or changed since is InitError."""
        path = Path(self.path)
        if file_sha256(path) != self.sha256:
            raise InitError(
                f"The initial weights {clean(str(path), 300)} changed since the network named them (their SHA-256 "
                f"differs); name them again (netbuilder train FILE --init {clean(path.name, 80)}, or File → New "
                f"from run…) if the new content is meant."
            )
        return path

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256}
        if self.classes:
            out["classes"] = list(self.classes)
        if self.preprocess is not None:
            out["preprocess"] = self.preprocess.to_json()
        return out


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's content (hex); a file that cannot be read is InitError."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as e:
        raise InitError(
            f"The initial weights {clean(str(path), 300)} cannot be read ({e.strerror or type(e).__name__}); "
            f"put the file back, or name other weights."
        ) from None
    return digest.hexdigest()


def _text(raw: Any, what: str, limit: int) -> str:
    if not isinstance(raw, str) or not raw or len(raw) > limit:
        raise ValueError(f"{what} must be text of 1 to {limit:,} characters")
    return raw


def _positive_int(raw: Any, what: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 65_536:
        raise ValueError(f"{what} must be a whole number from 1 to 65536")
    return raw


def _channels(raw: Any, what: str) -> tuple[float, ...]:
    ok = isinstance(raw, list) and 1 <= len(raw) <= 4
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in raw)
    if not ok:
        raise ValueError(f"{what} must be a list of 1 to 4 numbers, one per channel")
    return tuple(float(v) for v in raw)


def _keys(raw: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} must be an object")
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ValueError(f"unknown field {clean(extra[0], 60)} (allowed here: {', '.join(sorted(allowed))})")
    return raw


def preprocess_from_json(raw: Any) -> Preprocess:
    data = _keys(raw, _PREPROCESS_KEYS, "preprocess")
    mean, std = _channels(data.get("mean"), "preprocess.mean"), _channels(data.get("std"), "preprocess.std")
    if len(mean) != len(std) or min(std) <= 0:
        raise ValueError("preprocess.std must be positive, one value per mean")
    interpolation = data.get("interpolation", "bilinear")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"preprocess.interpolation must be one of {', '.join(INTERPOLATIONS)}")
    crop = _positive_int(data.get("crop"), "preprocess.crop")
    resize = _positive_int(data.get("resize"), "preprocess.resize")
    if resize < crop:
        raise ValueError("preprocess.resize must be at least preprocess.crop")
    return Preprocess(resize, crop, mean, std, interpolation)


def init_from_json(raw: Any) -> InitWeights:
    """The "init" object of a network file, read strictly; anything malformed raises ValueError saying what."""
    data = _keys(raw, _KEYS, "init")
    path = _text(data.get("path"), "init.path", MAX_PATH)
    sha = data.get("sha256")
    if not isinstance(sha, str) or len(sha) != SHA256_HEX or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError("init.sha256 must be the file's SHA-256: 64 lowercase hexadecimal digits")
    classes = data.get("classes", [])
    if not isinstance(classes, list) or len(classes) > MAX_CLASSES:
        raise ValueError(f"init.classes must be a list of at most {MAX_CLASSES:,} class names")
    names = tuple(_text(c, f"init.classes[{i}]", 200) for i, c in enumerate(classes))
    preprocess = preprocess_from_json(data["preprocess"]) if "preprocess" in data else None
    return InitWeights(path, sha, names, preprocess)


def mismatch(saved: dict[Any, Any], expected: dict[str, Any]) -> str | None:
    """How saved weights differ from a network's (by name and shape), or None when they fit."""
    missing = [k for k in expected if k not in saved]
    unknown = [k for k in saved if k not in expected]
    other = [k for k in expected if k in saved and tuple(saved[k].shape) != tuple(expected[k].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing weights, first {quote(missing[0])}")
    if unknown:
        parts.append(f"{len(unknown)} unknown weights, first {quote(unknown[0])}")
    if other:
        k = other[0]
        parts.append(
            f"{len(other)} of another shape, first {quote(k)} ({list(saved[k].shape)} instead of "
            f"{list(expected[k].shape)})"
        )
    return ", ".join(parts) or None
