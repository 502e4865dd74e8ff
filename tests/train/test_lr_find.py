import copy
import math

import pytest
import torch
from torch import nn
from train_fakes import write_fake_mnist

from netbuilder.core.document import Document
from netbuilder.core.graph import Edge
from netbuilder.records.events import Failed
from netbuilder.records.lr_results import LRFound, LRProgress
from netbuilder.train.loop import Trainer, make_optimizer
from netbuilder.train.lr_find import (
    MIN_STEPS,
    STOPPED,
    batches,
    execute,
    find,
    smooth,
    step_count,
    suggestions,
    sweep,
)


@pytest.fixture
def sweep_config(quick):
    """seed_cnn's recipe (AdamW) on 4,050 shapes10 training images: one pass is 63 steps of 64."""
    return quick.replace(limit=4500, precision="fp32")


def test_the_sweep_rises_exponentially_and_its_length_follows_the_data():
    rates = sweep(1e-7, 10.0, 100)
    assert rates[0] == 1e-7 and math.isclose(rates[-1], 10.0)
    assert all(math.isclose(b / a, rates[1] / rates[0]) for a, b in zip(rates, rates[1:]))
    assert step_count(500) == 100 and step_count(60) == 60 and step_count(3) == MIN_STEPS


def test_smoothing_and_suggestions():
    assert smooth([2.0, 4.0, 4.0]) == [2.0, 2.1, 0.05 * 4 + 0.95 * 2.1]
    lrs = sweep(1e-4, 1.0, 41)
    # a loss that falls fastest at lr 1e-2 (index 20) and is lowest at lr 1e-1 (index 30)
    losses = [2.0 - math.tanh((i - 20) / 3) - 0.001 * i if i <= 30 else 1.0 + 0.1 * (i - 30) for i in range(41)]
    steepest, tenth = suggestions(lrs, losses)
    assert math.isclose(steepest, 1e-2) and math.isclose(tenth, lrs[30] / 10)


@pytest.mark.slow
def test_the_suggestion_agrees_with_torch_lr_finder_and_the_weights_are_restored(seed_cnn, sweep_config):
    """The same model, batches and sweep through torch_lr_finder.LRFinder, an independent implementation: its
    steepest-gradient suggestion and ours lie within a factor 3."""
    from torch_lr_finder import LRFinder

    trainer = Trainer(seed_cnn, sweep_config)
    trainer.setup()
    before = copy.deepcopy(trainer.net.state_dict())
    steps = step_count(trainer.steps_per_epoch)
    prepared = list(batches(trainer, steps))
    net = copy.deepcopy(trainer.net)
    seen = []
    found = find(trainer, listener=seen.append)
    assert isinstance(found, LRFound) and found.suggested == found.steepest
    assert all(torch.equal(before[k], v) for k, v in trainer.net.state_dict().items())
    assert not trainer.optimizer.state  # AdamW's moments from the sweep are gone
    assert len(found.lrs) == len(found.losses) <= steps == 63
    assert found.losses[-1] > 4 * min(found.losses) and found.diverged
    assert [e.step for e in seen] == list(range(5, len(found.lrs) + 1, 5))
    assert all(isinstance(e, LRProgress) for e in seen)

    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.cat([x for x, _ in prepared]), torch.cat([y for _, y in prepared])),
        batch_size=sweep_config.batch_size,
    )
    finder = LRFinder(net, make_optimizer(net, sweep_config), nn.CrossEntropyLoss(), device="cpu")
    torch.manual_seed(sweep_config.seed)
    finder.range_test(loader, start_lr=1e-7, end_lr=10.0, num_iter=steps, diverge_th=4)
    theirs = _plot_suggestion(finder)  # the steepest gradient, 10 points skipped at the start and 5 at the end
    assert 1 / 3 <= found.suggested / theirs <= 3, (found.suggested, theirs)
    assert found.min_tenth < found.lrs[-1]


def _plot_suggestion(finder):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    ax, lr = finder.plot(suggest_lr=True, show_lr=None)
    plt.close(ax.figure)
    return lr


def test_errors_are_one_sentence(seed_cnn, quick, tmp_path):
    broken = Document(seed_cnn.graph.copy(), "broken")
    broken.graph.edges.append(Edge("fc1", "conv1"))
    failed = execute(broken, quick)
    assert isinstance(failed, Failed) and "\n" not in failed.message and "Traceback" not in failed.message
    missing = execute(seed_cnn, quick.replace(dataset="cifar10", data_dir="/nonexistent"))
    assert isinstance(missing, Failed) and "cifar" in missing.message.lower() and "\n" not in missing.message
    write_fake_mnist(tmp_path / "data", n=200, n_test=50)  # small: no shapes10 to generate
    mnist = quick.replace(dataset="mnist", data_dir=str(tmp_path / "data"), resize=True)
    stopped = execute(seed_cnn, mnist, should_stop=lambda: True)
    assert isinstance(stopped, Failed) and stopped.message == STOPPED
