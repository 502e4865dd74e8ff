"""Which device and which precision a run uses."""

from __future__ import annotations

import torch

from netbuilder.train.errors import TrainError

PRECISION_NAMES = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """auto means CUDA (this process's GPU under torchrun), then MPS, then the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainError("PyTorch sees no CUDA GPU here; use --device cpu, or auto to take what there is.")
        device = torch.device(name if ":" in name else f"cuda:{local_rank}")
        if device.index >= torch.cuda.device_count():
            raise TrainError(
                f"There is no GPU {device.index}: PyTorch sees {torch.cuda.device_count()}; use --device cuda:0."
            )
        return device
    if name == "mps" and not torch.backends.mps.is_available():
        raise TrainError("PyTorch sees no Apple GPU (MPS) here; use --device cpu, or auto to take what there is.")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast type, or None for plain fp32. auto: bf16 on CUDA where supported, else fp16; fp32 elsewhere."""
    if name == "auto":
        if device.type != "cuda":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]
