import os

import pytest

from netbuilder.core.document import Document
from netbuilder.core.presets import load_preset
from netbuilder.train.config import TrainConfig


@pytest.fixture(scope="session", autouse=True)
def train_cache(tmp_path_factory):
    """Datasets (shapes10 is generated once per session) go to a temporary cache, never the user's."""
    path = tmp_path_factory.mktemp("netbuilder-cache")
    old = os.environ.get("NETBUILDER_CACHE_DIR")
    os.environ["NETBUILDER_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        del os.environ["NETBUILDER_CACHE_DIR"]
    else:
        os.environ["NETBUILDER_CACHE_DIR"] = old


@pytest.fixture
def seed_cnn() -> Document:
    return load_preset("seed_cnn")


@pytest.fixture
def quick() -> TrainConfig:
    """A run of a second or two: 1,000 shapes10 images, batches of 64."""
    return TrainConfig(limit=1000, epochs=1, batch_size=64, log_every=5)
