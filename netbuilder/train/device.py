"""Which device and which precision a run uses."""

from __future__ import annotations

import torch

from netbuilder.records.config import TrainConfig
from netbuilder.records.train_error import TrainError

PRECISION_NAMES = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}
# The CPU instructions that compute in bf16 natively (x86: AVX512-BF16 or AMX; Arm: BF16 or SVE-BF16). Without
# them oneDNN emulates bf16, which is slower than fp32.
CPU_BF16_FEATURES = ("avx512_bf16", "amx_bf16", "bf16", "sve_bf16")


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


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes in bf16 natively, as torch reports it: oneDNN's bf16 kernels are there
    (torch.ops.mkldnn._is_mkldnn_bf16_supported) and the CPU has one of CPU_BF16_FEATURES
    (torch.cpu.get_capabilities)."""
    try:
        capabilities = torch.cpu.get_capabilities()
        kernels = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # an older torch, or one built without oneDNN
        return False
    return kernels and any(capabilities.get(name) is True for name in CPU_BF16_FEATURES)


def resolve_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast type, or None for plain fp32. auto: bf16 on CUDA where supported, else fp16; bf16 on a CPU that
    computes in bf16 natively (cpu_has_native_bf16); fp32 elsewhere."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if device.type == "cpu" and cpu_has_native_bf16():
            return torch.bfloat16
        return None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def resolve(config: TrainConfig) -> TrainConfig:
    """The settings as this machine runs them: auto precision that becomes bf16 on the CPU brings channels-last
    convolutions with it (on a CPU, bf16 convolutions in the NCHW layout are slower than fp32 ones; channels-last
    bf16 ones the fastest: seed_cnn 22,100 img/s against 13,400 in fp32 NCHW and 17,300 in fp32 channels-last)."""
    if config.precision != "auto" or config.channels_last or config.device not in ("auto", "cpu"):
        return config
    device = resolve_device(config.device)
    if resolve_precision("auto", device) is torch.bfloat16 and device.type == "cpu":
        return config.replace(channels_last=True)
    return config
