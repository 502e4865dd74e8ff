"""DistributedDataParallel on the CPU: two processes, the gloo backend, shards of one shuffle."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Finished
from netbuilder.train import distributed, feed
from netbuilder.train.distributed import World
from netbuilder.train.loop import Trainer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, port: int, folder: str, cache: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), NETBUILDER_CACHE_DIR=cache)
    torch.set_num_threads(1)
    # 40 images: 36 to train, 18 a process, one batch of 16 each: exactly one step.
    config = TrainConfig(limit=40, val_split=0.1, epochs=1, batch_size=16, optimizer="sgd", lr=0.1)
    trainer = Trainer(load_preset("seed_cnn"), config, World(rank=rank, size=2, local_rank=rank))
    trainer.setup()
    before = {k: v.clone() for k, v in trainer.net.state_dict().items()}
    events = list(trainer.events())
    assert isinstance(events[-1], Finished) and trainer.steps_per_epoch == 1
    shard = feed.epoch_order(len(trainer.feed.train), 1, config.seed, rank, 2, torch.device("cpu"))
    torch.save({"before": before, "after": trainer.net.state_dict(), "shard": shard}, f"{folder}/rank{rank}.pt")
    distributed.close()


@pytest.mark.slow
def test_two_gloo_processes_hold_the_same_weights_after_a_step(tmp_path, train_cache):
    mp.spawn(_rank, args=(_free_port(), str(tmp_path), str(train_cache)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert not set(r0["shard"].tolist()) & set(r1["shard"].tolist())  # each process trained on its own images
    for name, weight in r0["after"].items():
        assert torch.equal(weight, r1["after"][name]), name
        assert torch.equal(r0["before"][name], r1["before"][name])
    assert any(not torch.equal(r0["before"][n], r0["after"][n]) for n in r0["after"])  # and they did learn
