"""Feature maps as the Look inside panel and `netbuilder features` show them: one block's output for an image as
small uint8 tiles, one per channel, each stretched over its own value range (kept for the legend), with the block's
statistics (mean, std, share of exact zeros, min, max) and every channel's mean; the first Conv2d's learned filters as
RGB patches. The numbers are computed by train/feature_maps.py (torch); this module needs none, so the window can
draw what the worker sends; `netbuilder features` is train/cli/feature_commands.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_CHANNELS = 1024  # tiles sent per block; a vector output is one 1×1 tile per value, up to this many


@dataclass
class Maps:
    """One block's output for the image, as tiles and numbers."""

    block: str
    type: str
    shape: tuple[int, ...]  # C×H×W, or (F,) for a vector
    tiles: np.ndarray  # uint8 N×H×W (a vector: N×1×1)
    ranges: np.ndarray  # float32 N×2: each tile's min and max (a vector: the block's, for every tile)
    channel_means: np.ndarray  # float32 N
    stats: dict[str, float]  # mean, std, zeros (share of exact zeros), min, max
    channels: int  # all of them; tiles may hold fewer (MAX_CHANNELS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "type": self.type,
            "shape": list(self.shape),
            **self.stats,
            "channels": [
                {"channel": i, "mean": float(m), "min": float(r[0]), "max": float(r[1])}
                for i, (m, r) in enumerate(zip(self.channel_means, self.ranges))
            ],
        }


@dataclass
class Filters:
    """The first Conv2d's weights as patches: uint8 out×kH×kW×3."""

    block: str
    patches: np.ndarray
    note: str  # how the input channels became colours


@dataclass
class Result:
    prepared: str  # the sentence of what preparation did
    pixels: np.ndarray  # uint8 C×H×W as the network sees it before normalisation
    maps: dict[str, Maps]
    filters: Filters | None
    order: list[str]
    weights: str
    seconds: float  # preparing and computing
    extra: dict[str, Any] = field(default_factory=dict)


# The grid as a picture ---------------------------------------------------------------------------------------------


def colour_map() -> np.ndarray:
    """256×3 uint8: a viridis-like ramp (dark blue → green → yellow), the panel's and the PNG's."""
    stops = np.array(
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)],
        dtype=np.float64,
    )
    t = np.linspace(0, len(stops) - 1, 256)
    i = np.minimum(t.astype(int), len(stops) - 2)
    f = (t - i)[:, None]
    return np.round(stops[i] * (1 - f) + stops[i + 1] * f).astype(np.uint8)


def grid_image(maps: Maps, order: list[int] | None = None, scale: int = 0, gap: int = 2) -> np.ndarray:
    """The tiles as one H×W×3 uint8 picture: a near-square grid, each tile coloured and enlarged to ~64 pixels."""
    tiles = maps.tiles if order is None else maps.tiles[order]
    n, h, w = tiles.shape
    scale = scale or max(1, 64 // max(h, w))
    cols = max(1, int(np.ceil(np.sqrt(n))))
    rows = int(np.ceil(n / cols))
    th, tw = h * scale, w * scale
    out = np.full((rows * (th + gap) + gap, cols * (tw + gap) + gap, 3), 255, dtype=np.uint8)
    lut = colour_map()
    for k in range(n):
        r, c = divmod(k, cols)
        tile = lut[np.kron(tiles[k], np.ones((scale, scale), dtype=np.uint8))]
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        out[y : y + th, x : x + tw] = tile
    return out
