"""A rough estimate of the memory a run needs, from the live check's shapes (no torch)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from math import prod
from pathlib import Path

from netbuilder.core.check.shapes import Check


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
    """Weights, and gradients and optimizer state of the trainable ones, in fp32; every block's output kept for the
    backward pass (2 bytes a value under bf16/fp16 autocast) plus room for the largest one's gradient; the data held
    there."""
    weights, trained = 4 * result.total_params, 4 * result.trainable_params  # frozen blocks have no gradients
    states = 2 if optimizer in ("adam", "adamw") else int(momentum > 0)
    sizes = [prod(n.output_shape) for n in result.nodes.values() if n.output_shape is not None]
    per_sample = (sum(sizes) + 2 * max(sizes, default=0)) * (2 if half else 4)
    return MemoryEstimate(weights, trained, states * trained, per_sample * batch_size, data_bytes)


def available_ram() -> int | None:
    """Bytes of RAM a new allocation of this process can take: the least of the machine's free memory (Linux's
    MemAvailable, else the free pages), what this process's address-space limit (ulimit -v, RLIMIT_AS) leaves and
    what its cgroup's memory.max leaves; None when none is known."""
    known = [free for free in (_machine_free(), _address_space_left(), _cgroup_left()) if free is not None]
    return max(0, min(known)) if known else None


def _machine_free() -> int | None:
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


def _address_space_left() -> int | None:
    """RLIMIT_AS less the address space this process already holds (VmSize); None without a limit."""
    try:
        import resource  # Unix only: elsewhere the ImportError means no limit

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return None
    if limit == resource.RLIM_INFINITY or limit < 0:
        return None
    return limit - (_status_bytes("VmSize:") or 0)


def _status_bytes(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


# cgroup v2 (a "0::" line, its files under root) and v1 (the memory controller's line, under root/memory)
_CGROUP_FILES = {
    "v2": ("", "memory.max", "memory.current"),
    "v1": ("memory", "memory.limit_in_bytes", "memory.usage_in_bytes"),
}
_NO_LIMIT = 2**60  # cgroup v1 writes "no limit" as a huge number


def _cgroup_left(root: str = "/sys/fs/cgroup", membership: str = "/proc/self/cgroup") -> int | None:
    """What the memory limit of this process's cgroup leaves (its limit less its use), the least over the cgroup
    and those above it, in cgroup v2 (memory.max) or v1 (memory.limit_in_bytes); None when no limit is set or
    nothing can be read."""
    try:
        with open(membership, encoding="utf-8") as f:
            lines = [line.strip().split(":", 2) for line in f if line.count(":") >= 2]
    except OSError:
        return None
    lefts = []
    for _, controllers, path in lines:
        version = "v2" if controllers == "" else "v1" if "memory" in controllers.split(",") else None
        if version is None:
            continue
        sub, limit_file, usage_file = _CGROUP_FILES[version]
        top = Path(root, sub)
        folder = top / path.lstrip("/")
        for group in (folder, *[p for p in folder.parents if p.is_relative_to(top)]):
            try:
                limit = (group / limit_file).read_text(encoding="ascii").strip()
                if limit != "max" and int(limit) < _NO_LIMIT:
                    lefts.append(int(limit) - int((group / usage_file).read_text(encoding="ascii").strip()))
            except (OSError, ValueError):
                continue
    return min(lefts) if lefts else None


def suggested_batch_size(need: MemoryEstimate, batch_size: int, free: float | None) -> int:
    """The batch size to suggest when batch_size needs more than free bytes: the largest that the estimate says
    fits (0 when not even one image does); half of batch_size when the estimate fits or free is unknown (the
    estimate fell short). The refusal before a run and the sentence after running out of memory both say it."""
    per_sample = need.activations / max(1, batch_size)
    if free is None or need.total <= free or not per_sample:
        return max(1, batch_size // 2)
    return max(0, min(batch_size - 1, int((free - (need.total - need.activations)) // per_sample)))


def refusal(need: MemoryEstimate, batch_size: int, free: int | None, where: str, anyway: str) -> str | None:
    """The sentence that refuses a run needing more than the free memory of where ("computer", "GPU"), with a
    batch size that would fit when one does; None when it fits or the free memory is unknown. anyway says how to
    start regardless ("add --force to start it anyway")."""
    if free is None or need.total <= free:
        return None
    fits = suggested_batch_size(need, batch_size, free)
    smaller = f"a batch size of {fits} or less, " if fits >= 1 else ""
    return (
        f"This run needs about {fmt_bytes(need.total)} of memory and the {where} has {fmt_bytes(free)} free; "
        f"try {smaller}fewer channels or a smaller network, or {anyway}."
    )


def at_batch_size(batch_size: int, suggested: int) -> str:
    """How a sentence about running out of memory ends: "at batch size 64; try --batch-size 31 or less"."""
    hint = f"; try --batch-size {suggested} or less" if 1 <= suggested < batch_size else ""
    return f"at batch size {batch_size}{hint}"


def fmt_bytes(n: float) -> str:
    """1.3 GB, 420 MB, 12 kB."""
    for limit, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= limit:
            return f"{n / limit:.2g} {unit}" if n < 10 * limit else f"{n / limit:.0f} {unit}"
    return f"{int(n)} B"
