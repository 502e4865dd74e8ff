import numpy as np
import pytest
import torch

from netbuilder.records.config import TrainConfig
from netbuilder.records.train_error import TrainError
from netbuilder.train import feed


def batch(n=16, c=3, h=8, w=8):
    return torch.randint(1, 256, (n, c, h, w), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def windows(x, padding):
    """Every crop of each padded image, and its mirror: {(dy, dx, mirrored): image}."""
    padded = torch.nn.functional.pad(x, (padding,) * 4)
    h, w = x.shape[-2:]
    return [
        {
            (dy, dx, m): (lambda v: v.flip(-1) if m else v)(p[:, dy : dy + h, dx : dx + w])
            for dy in range(2 * padding + 1)
            for dx in range(2 * padding + 1)
            for m in (False, True)
        }
        for p in padded
    ]


def which(out, x, padding):
    return [next(k for k, v in options.items() if v.equal(o)) for o, options in zip(out, windows(x, padding))]


def test_augment_crops_each_image_at_its_own_offset():
    x = batch()
    assert feed.augment(x, 0, False, None).equal(x)
    found = which(feed.augment(x, 2, False, torch.Generator().manual_seed(1)), x, 2)
    assert not any(m for _, _, m in found)
    assert len({(dy, dx) for dy, dx, _ in found}) > 3  # the offsets differ from image to image


def test_augment_mirrors_about_half_of_the_images():
    x = batch(n=200)
    found = which(feed.augment(x, 0, True, torch.Generator().manual_seed(0)), x, 0)
    assert 60 < sum(m for _, _, m in found) < 140
    found = which(feed.augment(x[:20], 1, True, torch.Generator().manual_seed(0)), x[:20], 1)
    assert {m for _, _, m in found} == {False, True}


def test_preprocess_normalises_and_augments_only_in_training():
    x = batch(n=64)
    mean, std = feed.stats(x)
    prep = feed.Preprocess(mean, std, TrainConfig(crop_padding=2, flip=True), flip_ok=True)
    out = prep(x, train=False)
    assert out.dtype == torch.float32
    assert out.mean((0, 2, 3)).abs().max() < 1e-4 and (out.std((0, 2, 3)) - 1).abs().max() < 1e-2
    assert not prep(x, train=True, generator=torch.Generator().manual_seed(0)).equal(out)


def test_stats_are_per_channel_in_unit_range():
    x = torch.zeros(10, 2, 4, 4, dtype=torch.uint8)
    x[:, 1] = 255
    x[::2, 0] = 51
    mean, std = feed.stats(x)
    assert mean.shape == (2, 1, 1)
    assert mean.flatten().tolist() == pytest.approx([0.1, 1.0]) and std.flatten().tolist() == pytest.approx(
        [0.1, 0.0], abs=1e-5
    )


def test_fit_passes_flattens_converts_or_explains():
    x = np.random.default_rng(0).integers(0, 256, (5, 1, 28, 28), dtype=np.uint8)
    assert feed.fit(x, (1, 28, 28), False, "MNIST").shape == (5, 1, 28, 28)
    assert feed.fit(x, (784,), False, "MNIST").shape == (5, 784)
    with pytest.raises(TrainError) as e:
        feed.fit(x, (3, 32, 32), False, "MNIST")
    assert "1×28×28" in str(e.value) and "3×32×32" in str(e.value) and "--resize" in str(e.value)
    colour = feed.fit(x, (3, 32, 32), True, "MNIST")
    assert colour.shape == (5, 3, 32, 32) and colour.dtype == torch.uint8
    assert colour[:, 0].equal(colour[:, 1])  # grey made colour: three equal channels
    with pytest.raises(TrainError, match="vector of 100"):
        feed.fit(x, (100,), True, "MNIST")
    with pytest.raises(TrainError, match="only grey and colour convert"):
        feed.fit(x, (4, 28, 28), True, "MNIST")


def test_colour_to_grey_uses_luminance():
    x = np.full((1, 3, 4, 4), 200, dtype=np.uint8)
    assert feed.fit(x, (1, 4, 4), True, "t").unique().tolist() == [200]


def test_holdout_is_seeded_disjoint_and_limited():
    labels = np.zeros(1000, dtype=np.int64)
    train, val = feed.holdout(labels, TrainConfig(val_split=0.1))
    assert (len(train), len(val)) == (900, 100) and not set(train) & set(val)
    again, _ = feed.holdout(labels, TrainConfig(val_split=0.1))
    assert np.array_equal(train, again)
    train, val = feed.holdout(labels, TrainConfig(val_split=0.2, limit=50))
    assert (len(train), len(val)) == (40, 10)
    assert len(feed.holdout(labels[:10], TrainConfig(val_split=0.0))[1]) == 0


def test_epoch_orders_shard_one_shuffle_between_processes():
    cpu = torch.device("cpu")
    parts = [feed.epoch_order(10, 1, 0, rank, 3, cpu) for rank in range(3)]
    assert all(len(p) == 3 for p in parts)
    assert len(set(torch.cat(parts).tolist())) == 9
    assert feed.epoch_order(10, 1, 0, 0, 1, cpu).equal(feed.epoch_order(10, 1, 0, 0, 1, cpu))
    assert not feed.epoch_order(10, 1, 0, 0, 1, cpu).equal(feed.epoch_order(10, 2, 0, 0, 1, cpu))
    shards = [feed.shard(10, rank, 3, cpu) for rank in range(3)]
    assert torch.cat(shards).tolist() == list(range(10))


def test_tensor_splits_batch_by_index_slices():
    split = feed.TensorSplit(torch.arange(10).view(10, 1), torch.arange(10))
    batches = list(split.batches(torch.tensor([9, 8, 7, 6, 5]), 2))
    assert [y.tolist() for _, y in batches] == [[9, 8], [7, 6], [5]]
