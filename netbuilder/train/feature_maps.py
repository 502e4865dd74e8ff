"""Every block's output for one image (the numbers behind records/features.py), computed with torch.

A network (a document with weights: a fresh random init from a seed, as training starts, or a run's best or last
checkpoint) takes an image prepared as its training prepared images (train/prepare.py); its forward_all gives every
block's output, which features.Maps encodes. Only the worker process and the CLI command import this module.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import torch

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.document import Document, DocumentError, parse
from netbuilder.pytorch.build import BuildError, GraphModule, checked
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.records.features import MAX_CHANNELS, Filters, Maps, Result
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints, data_loading, prepare


@dataclass
class Network:
    """A built network with its weights, the settings its images are prepared with, and what the weights are."""

    net: GraphModule
    document: Document
    config: TrainConfig
    order: list[str]  # the blocks in the network's order (the live check's)
    types: dict[str, str]
    weights: str  # "a random init (seed 0)", "best.pt of runs/x (epoch 7)"
    norm: prepare.Normalisation | None = None


def load_network(document: Document, weights: dict[str, Any], config: TrainConfig) -> Network:
    """Build the document's network with weights {"kind": "random", "seed": N} or {"kind": "run", "run": DIR,
    "checkpoint": "best"|"last"}; a run's own settings then prepare the images. Problems are one sentence."""
    try:
        result = checked(document.graph)
    except BuildError as e:
        raise TrainError(str(e)) from None
    kind = weights.get("kind", "random")
    if kind == "random":
        seed = int(weights.get("seed", config.seed))
        torch.manual_seed(seed)  # as Trainer.setup does: the net a run of this seed starts from
        net = GraphModule(document.graph, result)
        said = f"a random init (seed {seed})"
    elif kind == "run":
        path = Path(weights["run"])
        if not path.is_dir():
            raise TrainError(f"The run folder {path} does not exist; choose another run.")
        run = Run.open(path)
        which = weights.get("checkpoint", "best")
        if which == "best" and not run.checkpoint_path("best").is_file():
            which = "last"
        checkpoint = checkpoints.load(run, which)
        net = GraphModule(document.graph, result)
        checkpoints.restore(checkpoint, net)
        config = run.config
        said = f"{which}.pt of {path.name} (epoch {checkpoint['epoch']})"
    else:
        raise TrainError(f"Unknown weights {kind!r}: use a random init or a run's checkpoint.")
    net.eval()
    order = [n for n in result.order if n in result.nodes]
    types = {nid: document.graph.nodes[nid].type for nid in order}
    return Network(net, document, config, order, types, said)


def image_input(network: Network, image: dict[str, Any]) -> prepare.Prepared:
    """The prepared image of a request: {"path": FILE} or {"sample": INDEX} (of the settings' test set)."""
    shape = tuple(network.net.input_shape)
    if network.norm is None:
        network.norm = prepare.normalisation(network.config, shape)
    if "path" in image:
        return prepare.prepare_file(image["path"], shape, network.config, network.norm)
    index = int(image["sample"])
    data = sample_source(network.config)
    count = len(data.test_x) if isinstance(data, data_loading.ArrayData) else len(data.test)
    if not 0 <= index < count:
        raise TrainError(f"{data.info.title} has {count:,} test images; choose one from 0 to {count - 1}.")
    if isinstance(data, data_loading.ArrayData):
        got = prepare.prepare_pixels(data.test_x[index], shape, network.config, network.norm)
        label = data.classes[int(data.test_y[index])]
    else:
        path, label_i = data.test[index]
        got = prepare.prepare_file(path, shape, network.config, network.norm)
        label = data.classes[label_i]
    got.description = f"test image {index} of {data.info.title} ({label}): {got.description}"
    return got


_SOURCES: dict[tuple[str, str], data_loading.Data] = {}


def sample_source(config: TrainConfig) -> data_loading.Data:
    key = (config.dataset, str(datasets.data_dir(config.data_dir)))
    if key not in _SOURCES:
        _SOURCES[key] = data_loading.load(config.dataset, datasets.data_dir(config.data_dir))
    return _SOURCES[key]


@torch.no_grad()
def block_outputs(net: GraphModule, x: np.ndarray) -> dict[str, torch.Tensor]:
    """Every block's output for one prepared image (C×H×W or a vector), keyed by block id."""
    return net.forward_all(torch.from_numpy(np.ascontiguousarray(x))[None].float())


def encode(block: str, kind: str, value: torch.Tensor) -> Maps:
    """One block's output (batch of one) as per-channel tiles and numbers."""
    v = value[0].detach().float()
    flat = v.double()
    stats = {
        "mean": float(flat.mean()),
        "std": float(flat.std(unbiased=False)),
        "zeros": float((v == 0).double().mean()),
        "min": float(flat.min()),
        "max": float(flat.max()),
    }
    if v.dim() == 3:
        channels = v.shape[0]
        maps = v[:MAX_CHANNELS]
        lo = maps.amin(dim=(1, 2))
        hi = maps.amax(dim=(1, 2))
        means = maps.mean(dim=(1, 2))
    else:
        values = v.reshape(-1)
        channels = values.numel()
        maps = values[:MAX_CHANNELS].reshape(-1, 1, 1)
        lo = torch.full((maps.shape[0],), stats["min"])
        hi = torch.full((maps.shape[0],), stats["max"])
        means = maps.reshape(-1)
    span = (hi - lo).clamp_min(1e-12).view(-1, 1, 1)
    tiles = ((maps - lo.view(-1, 1, 1)) / span * 255).round().clamp(0, 255).to(torch.uint8)
    return Maps(
        block,
        kind,
        tuple(v.shape),
        tiles.numpy(),
        torch.stack([lo, hi], 1).numpy().astype(np.float32),
        means.numpy().astype(np.float32),
        stats,
        channels,
    )


def first_conv(network: Network) -> Filters | None:
    """The filters of the first block whose weight is filters over its input (a Conv2d's), as RGB patches, each
    stretched over its own range."""
    block = next((n for n in network.order if _has_filters(network.types[n])), None)
    if block is None:
        return None
    w = network.net.layers[network.net.names[block]].weight.detach().float()
    out, inputs = w.shape[:2]
    if inputs == 3:
        rgb, note = w, "input channels as red, green, blue"
    elif inputs == 1:
        rgb, note = w.expand(-1, 3, -1, -1), "grey: one input channel"
    else:
        rgb, note = w.mean(1, keepdim=True).expand(-1, 3, -1, -1), f"grey: the mean over {inputs} input channels"
    lo = rgb.amin(dim=(1, 2, 3), keepdim=True)
    hi = rgb.amax(dim=(1, 2, 3), keepdim=True)
    patches = ((rgb - lo) / (hi - lo).clamp_min(1e-12) * 255).round().to(torch.uint8)
    return Filters(block, patches.permute(0, 2, 3, 1).contiguous().numpy(), note)


def _has_filters(block_type: str) -> bool:
    block = REGISTRY.get(block_type)
    return block is not None and block.filters


def compute(network: Network, image: dict[str, Any]) -> Result:
    """Prepare the image and compute every block's maps (and the first Conv2d's filters)."""
    start = time.perf_counter()
    prepared = image_input(network, image)
    outputs = block_outputs(network.net, prepared.x)
    maps = {nid: encode(nid, network.types.get(nid, "?"), outputs[nid]) for nid in network.order if nid in outputs}
    return Result(
        prepared.description,
        prepared.pixels,
        maps,
        first_conv(network),
        network.order,
        network.weights,
        time.perf_counter() - start,
    )


def _weights_key(weights: dict[str, Any]) -> str:
    """The weights as a key that changes when a run's checkpoint files change on disk."""
    stamps = []
    if weights.get("kind") == "run":
        for name in ("best.pt", "last.pt"):
            try:
                stamps.append((Path(weights["run"]) / name).stat().st_mtime_ns)
            except OSError:
                stamps.append(None)
    return json.dumps([weights, stamps], sort_keys=True, default=str)


def serve(requests: Connection, replies: Connection) -> None:
    """The feature-map worker's process (records.inspect_worker's protocol; records.process.run_child starts it):
    answer requests until "stop" or the owner's end closes, keeping the last network it built."""
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    held: tuple[tuple[str, str, str], Any] | None = None
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return  # the owner is gone
        op = request.get("op")
        if op == "stop":
            return
        rid = request.get("id", -1)
        try:
            if op == "wait":
                time.sleep(float(request.get("seconds", 0)))
                reply = {"id": rid, "ok": True, "result": None}
            elif op == "maps":
                key = (request["document"], _weights_key(request["weights"]), json.dumps(request["config"]))
                if held is None or held[0] != key:
                    held = None
                    try:
                        document = parse(request["document"])
                    except DocumentError as e:
                        raise TrainError(str(e)) from None
                    config = TrainConfig.from_dict(request["config"])
                    held = (key, load_network(document, request["weights"], config))
                result = compute(held[1], request["image"])
                reply = {"id": rid, "ok": True, "result": result}
            else:
                reply = {"id": rid, "ok": False, "error": f"The feature-map worker does not know {op!r}."}
        except TrainError as e:
            reply = {"id": rid, "ok": False, "error": str(e)}
        except Exception as e:  # anything else is still one sentence, and the worker stays
            reply = {"id": rid, "ok": False, "error": f"Computing the feature maps failed ({type(e).__name__}: {e})."}
        try:
            replies.send(reply)
        except (OSError, ValueError):
            return
