"""Feature maps as the Look inside panel and `netbuilder features` show them: one block's output for an image as
small uint8 tiles, one per channel, each stretched over its own value range (kept for the legend), with the block's
statistics (mean, std, share of exact zeros, min, max) and every channel's mean; the first Conv2d's learned filters as
RGB patches. The numbers are computed by train/feature_maps.py (torch); this module needs none, so the window can
draw what the worker sends and the CLI starts fast.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.core.atomic import write_atomic
from netbuilder.core.text import safe
from netbuilder.train.commands import number
from netbuilder.train.errors import TrainError

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


# The command -------------------------------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "features",
        help="write a block's feature maps for an image as a PNG grid",
        description="Prepare IMAGE as the network's training prepared its images, run it through the network "
        "(a run's checkpoint, or a network file's random init) and write one block's output channels as a grid.",
    )
    p.add_argument("source", metavar="FILE|RUN_DIR", help="a network file (random init) or a run folder")
    p.add_argument("image", metavar="IMAGE", help="an image file")
    p.add_argument("--block", required=True, metavar="ID", help="the block whose output to show")
    p.add_argument("-o", "--out", required=True, metavar="OUT.png", help="where to write the grid")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="a run's weights (default: best)")
    p.add_argument(
        "--seed", type=number(int, min=0, max=2**31 - 1), default=0, help="a network file's random init (default: 0)"
    )
    p.add_argument("--dataset", help="a network file: whose preparation to use (default: shapes10)")
    p.add_argument("--sort", action="store_true", help="channels by mean activation, highest first")
    p.add_argument("--json", action="store_true", help="print the block's statistics and per-channel stats as JSON")
    p.set_defaults(run=run_command)


def run_command(args: argparse.Namespace) -> int:
    from PIL import Image

    from netbuilder.core.document import DocumentError, load
    from netbuilder.train import process
    from netbuilder.train.config import TrainConfig
    from netbuilder.train.runs import Run

    process.prepare()
    from netbuilder.train.feature_maps import compute, load_network

    source = Path(args.source)
    try:
        if source.is_dir():
            run = Run.open(source)
            network = load_network(
                run.document, {"kind": "run", "run": str(source), "checkpoint": args.checkpoint}, run.config
            )
        else:
            try:
                document = load(source)
            except DocumentError as e:
                raise TrainError(str(e)) from None
            config = TrainConfig(dataset=args.dataset) if args.dataset else TrainConfig()
            network = load_network(document, {"kind": "random", "seed": args.seed}, config)
        if args.block not in network.order:
            raise TrainError(f"The network has no block {args.block!r}; its blocks are {', '.join(network.order)}.")
        result = compute(network, {"path": args.image})
        maps = result.maps[args.block]
        order = sorted(range(len(maps.tiles)), key=lambda i: -maps.channel_means[i]) if args.sort else None
        try:
            picture = io.BytesIO()
            kind = Image.registered_extensions().get(Path(args.out).suffix.lower())
            Image.fromarray(grid_image(maps, order)).save(picture, format=kind)
            write_atomic(args.out, lambda f: f.write(picture.getvalue()))
        except (OSError, ValueError) as e:
            raise TrainError(f"Cannot write {args.out} ({e}); choose a .png in a folder you can write to.") from None
    except TrainError as e:
        print(f"error: {safe(str(e))}", file=sys.stderr)
        return 1
    if args.json:
        print(
            json.dumps({"image": args.image, "prepared": result.prepared, "weights": result.weights, **maps.to_dict()})
        )
    else:
        print(
            f"{safe(args.out)}: {maps.channels} channels of {safe(args.block)} ({maps.type}, "
            f"{'×'.join(map(str, maps.shape))}); {safe(result.prepared)}; weights: {safe(result.weights)}"
        )
    return 0
