"""The built model costs what a hand-written one does: its train step runs exactly the same torch operations as
the benchmark's hand-written VGG-CIFAR (bench_train.py times the two: ratio ≥ 0.98)."""

import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.profiler import profile

from netbuilder.core.presets import load_preset
from netbuilder.pytorch.build import build

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from bench_train import HandVGG  # noqa: E402


def step_ops(model: torch.nn.Module) -> Counter:
    x, y = torch.randn(2, 3, 32, 32), torch.tensor([1, 2])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # the momentum buffers exist from the second step on
    with profile() as prof:
        step()
    return Counter({event.key: event.count for event in prof.key_averages()})


@pytest.mark.slow
def test_a_built_vgg_train_step_runs_the_ops_of_a_hand_written_one():
    torch.manual_seed(0)
    built, hand = build(load_preset("vgg_cifar").graph), HandVGG()
    assert [p.shape for p in built.parameters()] == [p.shape for p in hand.parameters()]
    ours, theirs = step_ops(built), step_ops(hand)
    assert ours == theirs, {k: (ours[k], theirs[k]) for k in ours.keys() | theirs.keys() if ours[k] != theirs[k]}
