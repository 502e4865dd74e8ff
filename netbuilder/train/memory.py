"""A rough estimate of the memory a run needs, from the live check's shapes (no torch)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from math import prod

from netbuilder.core.shapes import Check


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes on the training device."""

    weights: int
    gradients: int
    optimizer: int
    activations: int
    data: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations + self.data


def estimate(
    result: Check, batch_size: int, optimizer: str, momentum: float, half: bool, data_bytes: int
) -> MemoryEstimate:
    """Weights, gradients and optimizer state in fp32; every block's output kept for the backward pass
    (2 bytes a value under bf16/fp16 autocast) plus room for the largest one's gradient; the data held there."""
    weights = 4 * result.total_params
    states = 2 if optimizer in ("adam", "adamw") else int(momentum > 0)
    sizes = [prod(n.output_shape) for n in result.nodes.values() if n.output_shape is not None]
    per_sample = (sum(sizes) + 2 * max(sizes, default=0)) * (2 if half else 4)
    return MemoryEstimate(weights, weights, states * weights, per_sample * batch_size, data_bytes)


def available_ram() -> int | None:
    """Bytes of RAM a new allocation can take (Linux's MemAvailable, else the free pages); None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def refusal(need: MemoryEstimate, batch_size: int, free: int | None, where: str, anyway: str) -> str | None:
    """The sentence that refuses a run needing more than the free memory of where ("computer", "GPU"), with a
    batch size that would fit when one does; None when it fits or the free memory is unknown. anyway says how to
    start regardless ("add --force to start it anyway")."""
    if free is None or need.total <= free:
        return None
    per_sample = need.activations / max(1, batch_size)
    fits = int((free - (need.total - need.activations)) // per_sample) if per_sample else 0
    smaller = f"a batch size of {fits} or less, " if 1 <= fits < batch_size else ""
    return (
        f"This run needs about {fmt_bytes(need.total)} of memory and the {where} has {fmt_bytes(free)} free; "
        f"try {smaller}fewer channels or a smaller network, or {anyway}."
    )


def fmt_bytes(n: float) -> str:
    """1.3 GB, 420 MB, 12 kB."""
    for limit, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= limit:
            return f"{n / limit:.2g} {unit}" if n < 10 * limit else f"{n / limit:.0f} {unit}"
    return f"{int(n)} B"
