"""`netbuilder features`: one block's feature maps for an image, written as a PNG grid. Torch is imported only
when the command runs."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from netbuilder.core.atomic import write_atomic
from netbuilder.core.document import DocumentError, load
from netbuilder.core.text import safe
from netbuilder.records import process
from netbuilder.records.config import TrainConfig
from netbuilder.records.features import grid_image
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train.cli.cli_args import number


def register(sub: argparse._SubParsersAction) -> None:
    """Add the features subcommand to the CLI's subparsers."""
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
    from PIL import Image  # start-up time: Pillow is read only when the command runs

    process.prepare()
    from netbuilder.train.feature_maps import compute, load_network  # start-up time: torch

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
