"""An image file prepared for a network equals what training feeds it for the same image."""

import numpy as np
import pytest
import torch
from PIL import Image

from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.records.train_error import TrainError
from netbuilder.train import data_loading, feed
from netbuilder.train.prepare import normalisation, prepare_file, prepare_pixels


@pytest.fixture(scope="module")
def shapes():
    return data_loading.load("shapes10", datasets.data_dir(None))


def _training_input(data, config: TrainConfig, shape: tuple[int, ...], index: int) -> torch.Tensor:
    """What training's pipeline gives the network for test image index (no augmentation: evaluation)."""
    fed = feed.prepare(data, shape, config, torch.device("cpu"))
    x, _ = next(fed.test.batches(torch.tensor([index]), 1))
    return fed.preprocess(x, train=False)[0]


def _save(pixels: np.ndarray, path) -> None:
    Image.fromarray(pixels.transpose(1, 2, 0).squeeze()).save(path)


@pytest.mark.parametrize(
    ("shape", "resize"),
    [((3, 32, 32), False), ((1, 32, 32), True), ((3, 20, 20), True), ((1, 24, 24), True), ((3072,), False)],
)
def test_a_saved_sample_is_prepared_as_training_feeds_it(shapes, tmp_path, shape, resize):
    config = TrainConfig(limit=2000, resize=resize)
    path = tmp_path / "sample.png"
    _save(shapes.test_x[7], path)
    got = prepare_file(path, shape, config)
    want = _training_input(shapes, config, shape, 7).numpy()
    assert got.x.shape == tuple(shape)
    np.testing.assert_allclose(got.x, want, atol=1e-6, rtol=0)
    assert "normalised with the shapes10 mean/std" in got.description
    # a dataset's sample given as pixels is the same
    np.testing.assert_allclose(prepare_pixels(shapes.test_x[7], shape, config).x, want, atol=1e-6, rtol=0)


def test_the_statistics_are_the_training_splits_and_are_cached(shapes, train_cache):
    config = TrainConfig(limit=1500, seed=3)
    norm = normalisation(config, (3, 32, 32))
    fed = feed.prepare(shapes, (3, 32, 32), config, torch.device("cpu"))
    np.testing.assert_allclose(norm.mean, (fed.preprocess.mean / 255).flatten().numpy(), rtol=1e-6)
    assert (train_cache / "normalisation-v1.json").is_file()
    assert normalisation(config, (3, 32, 32)) == norm


def test_the_sentence_says_what_was_done(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("L", (64, 48), 128).save(path)
    got = prepare_file(path, (3, 32, 32), TrainConfig(limit=500))
    assert got.description == "resized 64×48 → 32×32, converted grey → colour, normalised with the shapes10 mean/std"
    assert got.pixels.shape == (3, 32, 32) and got.pixels.dtype == np.uint8


def test_an_image_folder_is_read_as_its_training_reads_it(tmp_path):
    for label in ("a", "b"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(5):
            rgb = np.random.default_rng(i).integers(0, 255, (40, 30, 3), dtype=np.uint8)
            Image.fromarray(rgb).save(tmp_path / "data" / label / f"{i}.png")
    config = TrainConfig(dataset=f"folder:{tmp_path / 'data'}")
    data = data_loading.load(config.dataset, tmp_path)
    fed = feed.prepare(data, (3, 16, 16), config, torch.device("cpu"))
    path, _ = data.test[0]
    x, _ = next(fed.test.batches(torch.tensor([0]), 1))
    want = fed.preprocess(x, train=False)[0].numpy()
    got = prepare_file(path, (3, 16, 16), config)
    np.testing.assert_allclose(got.x, want, atol=1e-6, rtol=0)
    assert (
        got.description == "resized 30×40 → 16×16, normalised with ImageNet's mean/std (as training on image folders)"
    )


def _truncated(path):
    Image.new("RGB", (64, 64), "red").save(path.with_suffix(".full.png"))
    data = path.with_suffix(".full.png").read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_text("hello"), "is not an image"),
        (lambda p: p.write_bytes(b""), "is not an image"),
        (_truncated, "cannot be read as an image"),
        (lambda p: Image.new("RGB", (1, 1)).save(p, format="PNG"), "only 1×1 pixels"),
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: None, "There is no file"),
    ],
)
def test_a_bad_image_is_one_sentence(tmp_path, make, words):
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(TrainError) as e:
        prepare_file(path, (3, 32, 32), TrainConfig(limit=500))
    message = str(e.value)
    assert words in message and "\n" not in message and message.endswith(".")


def test_an_input_that_is_no_image_is_one_sentence(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(path)
    with pytest.raises(TrainError, match="cannot feed this network"):
        prepare_file(path, (5, 8, 8), TrainConfig(limit=500))
    with pytest.raises(TrainError, match="not an image"):
        prepare_file(path, (17,), TrainConfig(limit=500))
