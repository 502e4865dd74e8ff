import numpy as np
import pytest
from train_fakes import accept_fake_checksums, write_fake_cifar10, write_fake_mnist, write_image_folder

from netbuilder.records import datasets
from netbuilder.records.train_error import TrainError
from netbuilder.train import data_loading, shapes10
from netbuilder.train.data_loading import ArrayData, FolderData


def test_shapes10_is_deterministic_and_balanced():
    x, y = shapes10.generate(2000, seed=3)  # bench_train.py times it: <= 2 s
    assert x.shape == (2000, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [200] * 10
    again, _ = shapes10.generate(2000, seed=3)
    other, _ = shapes10.generate(2000, seed=4)
    assert np.array_equal(x, again) and not np.array_equal(x, other)
    assert 40 < x.mean() < 200 and x.std() > 20  # neither blank nor saturated


def test_shapes10_is_generated_once_then_read_from_the_cache(monkeypatch):
    root = datasets.data_dir(None)  # the session's cache (conftest)
    data = data_loading.load("shapes10", root)
    assert isinstance(data, ArrayData)
    assert data.train_x.shape == (20_000, 3, 32, 32) and data.test_x.shape == (4_000, 3, 32, 32)
    assert (root / "shapes10" / "shapes10-v1.npz").is_file()

    def fail(*args):
        raise AssertionError("generated again")

    monkeypatch.setattr(shapes10, "generate", fail)
    cached = data_loading.load("shapes10", root)
    assert np.array_equal(cached.train_x, data.train_x) and np.array_equal(cached.test_y, data.test_y)


def test_a_damaged_cache_is_generated_again(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SHAPES10_TRAIN", 100)
    monkeypatch.setattr(datasets, "SHAPES10_TEST", 20)
    path = tmp_path / "shapes10" / "shapes10-v1.npz"
    path.parent.mkdir()
    path.write_bytes(b"not a zip file")
    assert data_loading.load("shapes10", tmp_path).train_x.shape[0] == 100
    assert data_loading.load("shapes10", tmp_path).test_x.shape[0] == 20


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NETBUILDER_CACHE_DIR", str(tmp_path / "c"))
    assert datasets.cache_dir() == tmp_path / "c"
    assert datasets.data_dir(None) == tmp_path / "c" / "data"
    assert datasets.data_dir(str(tmp_path / "d")) == tmp_path / "d"
    monkeypatch.delenv("NETBUILDER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "xdg" / "netbuilder"


def test_the_registry_lists_the_builtin_sets():
    keys = [d.key for d in datasets.list_datasets()]
    assert keys == ["shapes10", "digits", "cifar10", "mnist", "fashion_mnist"]
    assert datasets.info("cifar10").shape == (3, 32, 32) and len(datasets.info("mnist").classes) == 10
    assert datasets.info("folder:/some/where").shape is None


def test_a_missing_cifar10_says_where_it_looked_and_how_to_get_it(tmp_path):
    assert not datasets.is_available("cifar10", tmp_path)
    with pytest.raises(TrainError) as e:
        data_loading.load("cifar10", tmp_path)
    message = str(e.value)
    assert str(tmp_path / "cifar-10-batches-py") in message and "--download" in message and "--data-dir" in message


def test_cifar10_is_read_from_torchvisions_format(tmp_path, monkeypatch):
    accept_fake_checksums(monkeypatch, write_fake_cifar10(tmp_path))
    data = data_loading.load("cifar10", tmp_path)
    assert data.train_x.shape == (250, 3, 32, 32) and data.test_x.shape == (50, 3, 32, 32)
    assert data.train_x.dtype == np.uint8 and data.train_y.dtype == np.int64 and data.classes[0] == "airplane"


def test_a_damaged_cifar10_folder_says_so(tmp_path):
    write_fake_cifar10(tmp_path)  # checksums do not match the real files
    with pytest.raises(TrainError, match="incomplete or damaged"):
        data_loading.load("cifar10", tmp_path)


@pytest.mark.parametrize("key, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_style_sets_are_read_from_torchvisions_format(tmp_path, key, folder):
    write_fake_mnist(tmp_path, folder)
    assert datasets.is_available(key, tmp_path)
    data = data_loading.load(key, tmp_path)
    assert data.train_x.shape == (60, 1, 28, 28) and data.test_y.tolist() == [i % 10 for i in range(20)]


def test_an_image_folder_is_split_into_train_and_test(tmp_path):
    write_image_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("not an image")
    data = data_loading.load(f"folder:{tmp_path}", tmp_path)
    assert isinstance(data, FolderData) and data.classes == ("cats", "dogs")
    assert len(data.train) == 16 and len(data.test) == 4
    assert not {p for p, _ in data.train} & {p for p, _ in data.test}


def test_an_image_folder_with_train_and_test_folders_keeps_them(tmp_path):
    write_image_folder(tmp_path / "train", per_class=4)
    write_image_folder(tmp_path / "test", per_class=2)
    data = data_loading.load(f"folder:{tmp_path}", tmp_path)
    assert (len(data.train), len(data.test)) == (8, 4)


def test_image_folder_mistakes_are_sentences(tmp_path):
    with pytest.raises(TrainError, match="does not exist"):
        data_loading.load(f"folder:{tmp_path / 'nowhere'}", tmp_path)
    write_image_folder(tmp_path / "one", classes=("only",))
    with pytest.raises(TrainError, match="at least two subfolders"):
        data_loading.load(f"folder:{tmp_path / 'one'}", tmp_path)


def test_a_failed_download_says_so(tmp_path, monkeypatch):
    from urllib.error import URLError

    from torchvision.datasets import cifar

    def offline(*args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(cifar, "download_and_extract_archive", offline)
    with pytest.raises(TrainError) as e:
        data_loading.load("cifar10", tmp_path, download=True)
    assert str(e.value) == (
        f"Could not download CIFAR-10 into {tmp_path} (Name or service not known); check the "
        f"internet connection, or copy the files there by hand."
    )


def test_input_problem_without_torch():
    from netbuilder.records.datasets import input_problem

    assert input_problem((3, 32, 32), (3, 32, 32), False, "CIFAR-10") is None
    assert input_problem((1, 28, 28), (784,), False, "MNIST") is None
    assert input_problem((1, 28, 28), (3, 32, 32), True, "MNIST") is None
    assert "set the Input block to [1, 28, 28]" in input_problem((1, 28, 28), (3, 32, 32), False, "MNIST")
    assert "only grey and colour convert" in input_problem((1, 28, 28), (4, 28, 28), True, "MNIST")
    assert "vector of 100" in input_problem((1, 28, 28), (100,), True, "MNIST")
