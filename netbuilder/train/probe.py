"""`python -m netbuilder.train.probe` prints, as JSON, the training devices this machine has.

The app runs it in a process of its own, so its window never waits for torch to import.
"""

from __future__ import annotations

import json
from typing import Any


def devices() -> dict[str, Any]:
    """{"cuda": [{"name", "free", "total"}...], "mps": bool, "precision": str}; free and total in bytes; precision
    is what precision auto becomes on device auto (fp32, bf16 or fp16)."""
    import torch  # start-up time: the window asks for devices without loading torch itself

    from netbuilder.train.device import PRECISION_NAMES, resolve_device, resolve_precision  # start-up time: torch

    cuda = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            cuda.append({"name": torch.cuda.get_device_name(i), "free": free, "total": total})
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    precision = PRECISION_NAMES[resolve_precision("auto", resolve_device("auto"))]
    return {"cuda": cuda, "mps": mps, "precision": precision}


if __name__ == "__main__":
    print(json.dumps(devices()))
