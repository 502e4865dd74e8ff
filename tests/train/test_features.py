"""Feature maps: equal to a plain torch forward with hooks, served by a worker that may die, and written by the CLI."""

import json
import time

import numpy as np
import pytest
import torch
from PIL import Image

from netbuilder.cli import main
from netbuilder.core.document import dumps, save
from netbuilder.core.presets import load_preset
from netbuilder.pytorch.build import build
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.records.inspect_worker import InspectWorker
from netbuilder.records.runs import Run
from netbuilder.train import checkpoints, data_loading, feed
from netbuilder.train.feature_maps import block_outputs, compute, load_network
from netbuilder.train.prepare import prepare_file

CONFIG = TrainConfig(limit=1000, epochs=1)


@pytest.fixture(scope="module")
def shapes():
    return data_loading.load("shapes10", datasets.data_dir(None))


@pytest.fixture
def image(shapes, tmp_path):
    path = tmp_path / "sample.png"
    Image.fromarray(shapes.test_x[11].transpose(1, 2, 0)).save(path)
    return path


@pytest.fixture
def run_dir(tmp_path, seed_cnn):
    """A run folder whose best.pt holds weights unlike any fresh init."""
    run = Run.create(tmp_path / "run", seed_cnn, CONFIG)
    torch.manual_seed(123)
    net = build(seed_cnn.graph)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    checkpoints.save(run, {"model": net.state_dict(), "epoch": 1}, best=True)
    return run.path


def _hooked_forward(document, checkpoint, x: np.ndarray) -> dict[str, torch.Tensor]:
    """A plain torch forward of the checkpoint: the network built afresh, its state loaded, hooks on every layer."""
    net = build(document.graph)
    net.load_state_dict(torch.load(checkpoint, weights_only=True)["model"])
    net.eval()
    seen: dict[str, torch.Tensor] = {}
    ids = {name: nid for nid, name in net.names.items()}
    for name, module in net.layers.items():
        module.register_forward_hook(lambda m, i, o, nid=ids[name]: seen.__setitem__(nid, o.detach().clone()))
    with torch.no_grad():
        net(torch.from_numpy(x)[None])
    return seen


def test_maps_equal_a_plain_forward_with_hooks(run_dir, seed_cnn, image, shapes):
    network = load_network(seed_cnn, {"kind": "run", "run": str(run_dir), "checkpoint": "best"}, CONFIG)
    assert network.weights == "best.pt of run (epoch 1)"
    result = compute(network, {"path": str(image)})
    x = prepare_file(image, (3, 32, 32), Run.open(run_dir).config).x
    # the prepared image is what training feeds the network for this test image
    fed = feed.prepare(shapes, (3, 32, 32), CONFIG, torch.device("cpu"))
    want_x = fed.preprocess(next(fed.test.batches(torch.tensor([11]), 1))[0], train=False)[0].numpy()
    np.testing.assert_allclose(x, want_x, atol=1e-6, rtol=0)
    hooked = _hooked_forward(seed_cnn, run_dir / "best.pt", x)
    assert set(hooked) == {"conv1", "relu1", "pool1", "fc1"}
    raw = block_outputs(network.net, x)
    for nid, out in hooked.items():
        torch.testing.assert_close(raw[nid], out, atol=1e-5, rtol=0)
        maps, v = result.maps[nid], out[0]
        per_channel = v.dim() == 3
        lo = v.amin(dim=(1, 2)) if per_channel else v.min().expand(v.numel())
        hi = v.amax(dim=(1, 2)) if per_channel else v.max().expand(v.numel())
        means = v.mean(dim=(1, 2)) if per_channel else v
        np.testing.assert_allclose(maps.ranges[:, 0], lo.numpy(), atol=1e-5)
        np.testing.assert_allclose(maps.ranges[:, 1], hi.numpy(), atol=1e-5)
        np.testing.assert_allclose(maps.channel_means, means.numpy(), atol=1e-5)
        assert maps.stats["mean"] == pytest.approx(float(v.mean()), abs=1e-5)
        assert maps.stats["std"] == pytest.approx(float(v.std(unbiased=False)), abs=1e-5)
        assert maps.stats["zeros"] == pytest.approx(float((v == 0).double().mean()), abs=1e-9)
    # the tiles are the maps stretched over each channel's range
    conv = hooked["conv1"][0].numpy()
    lo, hi = conv.min(axis=(1, 2), keepdims=True), conv.max(axis=(1, 2), keepdims=True)
    assert np.abs(result.maps["conv1"].tiles.astype(float) - (conv - lo) / (hi - lo) * 255).max() <= 0.5 + 1e-3
    assert result.maps["relu1"].stats["zeros"] > 0.05  # ReLU zeroes a share of its inputs
    assert result.maps["conv1"].shape == (12, 32, 32) and result.maps["fc1"].shape == (10,)
    # the first Conv2d's learned filters as RGB patches
    assert result.filters is not None and result.filters.block == "conv1"
    assert result.filters.patches.shape == (12, 3, 3, 3) and result.filters.patches.dtype == np.uint8


def test_a_random_init_is_the_one_training_starts_from(seed_cnn):
    a = load_network(seed_cnn, {"kind": "random", "seed": 5}, CONFIG).net.state_dict()
    torch.manual_seed(5)
    b = build(seed_cnn.graph).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def _request(document, image: dict, weights=None) -> dict:
    return {
        "op": "maps",
        "document": dumps(document),
        "weights": weights or {"kind": "random", "seed": 0},
        "config": CONFIG.to_dict(),
        "image": image,
    }


def test_the_worker_answers_and_a_dead_worker_is_a_sentence_then_a_new_worker(seed_cnn, image):
    worker = InspectWorker()
    try:
        worker.request(_request(seed_cnn, {"path": str(image)}))
        (reply,) = worker.wait(timeout=120)
        assert reply.ok, reply.error
        assert set(reply.result.maps) == {"input", "conv1", "relu1", "pool1", "fc1"}
        first = worker.pid
        worker.request({"op": "wait", "seconds": 30})  # mid-request …
        time.sleep(0.3)
        worker.kill()  # … the worker dies
        (reply,) = worker.wait(timeout=10)
        assert not reply.ok and "worker was killed by signal 9" in reply.error and "\n" not in reply.error
        worker.request(_request(seed_cnn, {"sample": 2}))
        (reply,) = worker.wait(timeout=120)
        assert reply.ok, reply.error
        assert worker.pid != first and worker.starts == 2
        assert reply.result.prepared.startswith("test image 2 of shapes10")
        # a bad image is a sentence, and the worker stays
        bad = image.with_name("bad.png")
        bad.write_text("not an image")
        worker.request(_request(seed_cnn, {"path": str(bad)}))
        (reply,) = worker.wait(timeout=60)
        assert not reply.ok and "is not an image" in reply.error and worker.alive
    finally:
        worker.close()


def test_vgg_cifar_gives_every_blocks_maps_for_a_photo_once_the_worker_has_started(tmp_path, shapes):
    """A photo gives every block's maps from the started worker (bench_train.py times it: target ≤ 1 s on CPU)."""
    vgg = load_preset("vgg_cifar")
    worker = InspectWorker()
    try:
        worker.request(_request(vgg, {"sample": 0}))  # starts the worker and builds the network
        (reply,) = worker.wait(timeout=180)
        assert reply.ok, reply.error
        path = tmp_path / "photo.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(path)
        worker.request(_request(vgg, {"path": str(path)}))
        (reply,) = worker.wait(timeout=60)
        assert reply.ok, reply.error
        assert reply.result.prepared.startswith("resized 640×480 → 32×32")
        assert len(reply.result.maps) == len(reply.result.order) == len(vgg.graph.nodes)
        assert worker.starts == 1  # the second request was answered by the running worker
    finally:
        worker.close()


def test_the_cli_writes_the_grid_and_the_json(run_dir, image, tmp_path, capsys, seed_cnn):
    out = tmp_path / "grid.png"
    assert main(["features", str(run_dir), str(image), "--block", "conv1", "-o", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["block"] == "conv1" and data["shape"] == [12, 32, 32] and len(data["channels"]) == 12
    assert data["prepared"] == "already 32×32 colour, normalised with the shapes10 mean/std"
    assert data["weights"] == "best.pt of run (epoch 1)"
    assert {"mean", "std", "zeros", "min", "max"} <= set(data)
    with Image.open(out) as im:
        assert im.mode == "RGB" and (im.width, im.height) == (4 * 66 + 2, 3 * 66 + 2)  # 12 tiles of 64, 4 by 3
    # a network file: a random init
    path = tmp_path / "net.json"
    save(seed_cnn, path)
    assert main(["features", str(path), str(image), "--block", "pool1", "-o", str(out)]) == 0
    assert "12 channels of pool1" in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"hello", b""])
def test_the_cli_says_one_sentence_for_a_bad_image_or_block(run_dir, tmp_path, capsys, content, image):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(content)
    assert main(["features", str(run_dir), str(bad), "--block", "conv1", "-o", str(tmp_path / "o.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: bad.jpg is not an image") and err.count("\n") == 1
    assert main(["features", str(run_dir), str(image), "--block", "nope", "-o", str(tmp_path / "o.png")]) == 1
    assert "has no block 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
