"""torchrun support: this process's place in the job, the process group, and sums across processes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> World:
        """What torchrun says (RANK, WORLD_SIZE, LOCAL_RANK); one process alone without it."""
        env = os.environ
        return cls(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))

    @property
    def main(self) -> bool:
        """The process that writes the run folder and reports."""
        return self.rank == 0


def init(world: World, device: torch.device) -> None:
    """Join the job's process group (NCCL on CUDA, gloo elsewhere), once."""
    if world.size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(
            backend, rank=world.rank, world_size=world.size, device_id=device if device.type == "cuda" else None
        )


def all_sum(t: torch.Tensor) -> torch.Tensor:
    """t summed over the processes of the job, in place (unchanged alone)."""
    if dist.is_initialized():
        dist.all_reduce(t)
    return t


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


CLOSE_WAIT = timedelta(seconds=30)


def close() -> None:
    """Leave the process group once every process has got here: destroying it while another process still
    talks aborts that one (gloo). A process that never comes (it died) is waited for CLOSE_WAIT at most."""
    if not dist.is_initialized():
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=CLOSE_WAIT)
        else:
            dist.barrier()
    except RuntimeError:
        pass  # a peer is gone: leave anyway
    dist.destroy_process_group()
