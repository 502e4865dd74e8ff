"""shapes10: ten classes of coloured shapes on 32×32 images, generated from a seed (numpy only, vectorised).

Each image holds one shape (its class) of random colour, size, position and rotation on a random
background of contrasting colour, with small distracting dots and Gaussian noise. The same seed always
gives the same images, on every machine.
"""

from __future__ import annotations

import numpy as np

from netbuilder.records.datasets import SHAPES10_CLASSES as CLASSES

SIZE = 32
_CHUNK = 2048
_CLUTTER = 3


def _masks(kind: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where shape `kind` covers the plane, in its own rotated coordinates (units of its radius)."""
    rho2 = u * u + v * v
    box = np.maximum(np.abs(u), np.abs(v))
    if kind == 0:
        return rho2 <= 0.8**2
    if kind == 1:
        return (rho2 >= 0.5**2) & (rho2 <= 0.9**2)
    if kind == 2:
        return box <= 0.65
    if kind == 3:
        return (box >= 0.38) & (box <= 0.7)
    if kind == 4:
        angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
        return np.all([u * np.cos(a) + v * np.sin(a) <= 0.4 for a in angles], axis=0)
    if kind == 5:
        return ((np.abs(u) <= 0.22) & (np.abs(v) <= 0.85)) | ((np.abs(v) <= 0.22) & (np.abs(u) <= 0.85))
    if kind == 6:
        return np.sqrt(rho2) <= 0.5 + 0.35 * np.cos(5 * np.arctan2(v, u))
    if kind == 7:
        return (rho2 <= 0.85**2) & (v >= 0)
    if kind == 8:
        return (np.abs(u) <= 0.9) & (np.abs(v) <= 0.2)
    return ((u - 0.45) ** 2 + v * v <= 0.3**2) | ((u + 0.45) ** 2 + v * v <= 0.3**2)


def _render(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(labels)
    radius = rng.uniform(8.0, 13.0, n)
    cx = SIZE / 2 + rng.uniform(-4.0, 4.0, n)
    cy = SIZE / 2 + rng.uniform(-4.0, 4.0, n)
    theta = rng.uniform(0.0, 2 * np.pi, n)
    bg = rng.uniform(0, 110, (n, 3))
    fg = bg + rng.uniform(80, 145, (n, 3))  # a lighter shape: every channel at least 80 above the background
    clutter_xy = rng.uniform(0, SIZE, (n, _CLUTTER, 2))
    clutter_r = rng.uniform(1.0, 2.5, (n, _CLUTTER))
    clutter_rgb = rng.uniform(0, 255, (n, _CLUTTER, 3))
    noise = rng.normal(0.0, 12.0, (n, 3, SIZE, SIZE)).astype(np.float32)

    grid = np.arange(SIZE, dtype=np.float32) + 0.5
    dx = (grid[None, None, :] - cx[:, None, None]) / radius[:, None, None]
    dy = (grid[None, :, None] - cy[:, None, None]) / radius[:, None, None]
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    u, v = dx * cos + dy * sin, dy * cos - dx * sin
    mask = np.zeros((n, SIZE, SIZE), dtype=bool)
    for kind in range(len(CLASSES)):
        rows = np.flatnonzero(labels == kind)
        mask[rows] = _masks(kind, u[rows], v[rows])

    img = np.where(mask[:, None], fg[:, :, None, None], bg[:, :, None, None]).astype(np.float32)
    for k in range(_CLUTTER):
        d2 = (grid[None, None, :] - clutter_xy[:, k, 0, None, None]) ** 2 + (
            grid[None, :, None] - clutter_xy[:, k, 1, None, None]
        ) ** 2
        dot = d2 <= clutter_r[:, k, None, None] ** 2
        img = np.where(dot[:, None], clutter_rgb[:, k, :, None, None].astype(np.float32), img)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n×3×32×32 uint8) and their labels (int64), balanced over the ten classes."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES)).astype(np.int64)
    images = np.empty((n, 3, SIZE, SIZE), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        images[start : start + _CHUNK] = _render(labels[start : start + _CHUNK], rng)
    return images, labels
