import pytest

from netbuilder.core.document import Document
from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig


@pytest.fixture
def seed_cnn() -> Document:
    return load_preset("seed_cnn")


@pytest.fixture
def quick() -> TrainConfig:
    """A run of a second or two: 1,000 shapes10 images, batches of 64, in fp32 (auto would be bf16 on a CPU with
    native bf16, so the figures the tests check would depend on the machine)."""
    return TrainConfig(limit=1000, epochs=1, batch_size=64, log_every=5, precision="fp32")
