"""GPU check: everything that only a CUDA machine can show, as one JSON object (about 3 minutes on one GPU).

- seed_cnn and VGG-CIFAR trained one shapes10 epoch with automatic precision (bf16 autocast) and channels-last;
- with each, the memory estimate against torch.cuda.max_memory_allocated;
- tests/benchmarks/bench_train.py's rows on CUDA: our loop against a plain DataLoader fp32 loop, the built model
  against a hand-written one, bf16 + channels-last against fp32;
- a deliberate CUDA out-of-memory: the refusal before the run, and with force the sentence of the real one;
- the exported train.py (seed_cnn) for one epoch.

It exits 1, with a sentence for each on stderr (and under "failures"), when a part raises, when the
out-of-memory probe does not end in a sentence about memory, when the exported train.py fails or writes no
weights, or when torch's peak is far from the memory estimate (outside ESTIMATE_RANGE times it).
Without CUDA it prints {"cuda": false} and exits 0. Not a pytest test (pytest collects only test_*.py;
tests/test_gpu_check.py runs it with fakes).

    python tests/gpu/check.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from netbuilder.records import process

process.prepare()  # as `netbuilder train` does, before torch is imported

import torch  # noqa: E402

from netbuilder.core.document import Document  # noqa: E402
from netbuilder.core.presets import load_preset  # noqa: E402
from netbuilder.pytorch.export import export  # noqa: E402
from netbuilder.records.config import recommend  # noqa: E402
from netbuilder.records.events import EpochMetrics, Finished  # noqa: E402
from netbuilder.records.memory import fmt_bytes  # noqa: E402
from netbuilder.records.train_error import TrainError  # noqa: E402
from netbuilder.train.loop import Trainer  # noqa: E402

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# torch's peak allocation over the estimate: above 1.5, a run the estimate lets start can run out of memory;
# below 0.25, the estimate refuses runs that fit.
ESTIMATE_RANGE = (0.25, 1.5)


def train_one_epoch(preset: str) -> dict[str, Any]:
    """One shapes10 epoch of a preset on CUDA with its recipe (auto precision, channels-last), and the memory
    estimate against the peak that torch allocated."""
    document = load_preset(preset)
    config = recommend(document.graph).replace(epochs=1, device="cuda", precision="auto", channels_last=True)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    trainer = Trainer(document, config)
    trainer.setup()
    row: dict[str, Any] = {"model": preset, "precision": str(trainer.autocast_dtype), "batch_size": config.batch_size}
    for event in trainer.events():
        if isinstance(event, EpochMetrics):
            images = trainer.steps_per_epoch * config.batch_size
            row |= {
                "epoch_s": round(event.seconds, 2),
                "images_per_s": round(images / event.seconds, 1),
                "train_loss": round(event.train_loss, 4),
            }
        elif isinstance(event, Finished):
            row["test_accuracy"] = event.test_accuracy
    peak = torch.cuda.max_memory_allocated()
    estimate = trainer.estimate.total
    return row | {
        "memory_estimate": fmt_bytes(estimate),
        "max_memory_allocated": fmt_bytes(peak),
        "allocated_over_estimate": round(peak / estimate, 2),
    }


def out_of_memory() -> dict[str, Any]:
    """seed_cnn with 65,536 filters at batch 4,096: its first activation alone is 512 GiB in bf16."""
    document = load_preset("seed_cnn")
    conv = next(n for n in document.graph.nodes.values() if n.type == "Conv2d")
    conv.params["out_channels"] = 65_536
    config = recommend(document.graph).replace(epochs=1, device="cuda", batch_size=4096, val_split=0.0)
    sentences = {}
    for key, force in (("refused", False), ("forced", True)):
        try:
            trainer = Trainer(Document(document.graph, "oom"), config)
            trainer.setup(force=force)
            for _ in trainer.events():
                pass
            sentences[key] = None
        except TrainError as e:
            sentences[key] = str(e)
        finally:
            trainer = None  # type: ignore[assignment]
            torch.cuda.empty_cache()
    return sentences | {"ok": all(s is not None and "memory" in s for s in sentences.values())}


def exported_train_script() -> dict[str, Any]:
    """seed_cnn exported as model.py + train.py, trained one epoch by train.py alone (on FakeData: the script
    knows the torchvision datasets, which are not downloaded here)."""
    with tempfile.TemporaryDirectory() as folder:
        export(load_preset("seed_cnn"), "py", folder)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "train.py", "--fake-data", "--epochs", "1"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        return {
            "returncode": proc.returncode,
            "seconds": round(time.perf_counter() - start, 1),
            "last_line": lines[-1] if lines else "",
            "weights_written": (Path(folder) / "trained.pt").is_file(),
        }


def bench_rows() -> dict[str, Any]:
    """bench_train's CUDA rows, by its own functions."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_train

    gpu = torch.device("cuda")
    return {
        "loop_vs_dataloader_fp32": bench_train.loop_comparison("vgg_cifar", 40, gpu),
        "built_vs_hand_written": bench_train.model_comparison("vgg_cifar", 256, 30, gpu),
        "bf16_channels_last_vs_fp32": bench_train.precision_comparison(40, gpu),
    }


def failures(out: dict[str, Any]) -> list[str]:
    """A sentence for each claim the results contradict."""
    found = [f"The {key} part failed: {v['error']}" for key, v in out.items() if isinstance(v, dict) and "error" in v]
    low, high = ESTIMATE_RANGE
    for row in out.get("runs", []) if isinstance(out.get("runs"), list) else []:
        ratio = row["allocated_over_estimate"]
        if not low <= ratio <= high:
            found.append(
                f"The memory estimate of {row['model']} is far off: {row['max_memory_allocated']} allocated against "
                f"{row['memory_estimate']} estimated ({ratio}×, expected {low}× to {high}×)."
            )
    oom = out.get("out_of_memory", {})
    if "error" not in oom and not oom.get("ok"):
        found.append(
            "The out-of-memory probe did not end in a sentence about memory: "
            f"refused before the run: {oom.get('refused')!r}; forced: {oom.get('forced')!r}."
        )
    script = out.get("train_py", {})
    if "error" not in script and script.get("returncode") != 0:
        found.append(f"The exported train.py exited with status {script.get('returncode')}: {script.get('last_line')}")
    elif "error" not in script and not script.get("weights_written"):
        found.append("The exported train.py finished but wrote no trained.pt.")
    return found


def main() -> int:
    if not torch.cuda.is_available():
        print(json.dumps({"cuda": False}))
        return 0
    os.environ.setdefault("NETBUILDER_CACHE_DIR", os.path.join(tempfile.gettempdir(), "netbuilder-bench-cache"))
    start = time.perf_counter()
    out: dict[str, Any] = {"cuda": True, "gpu": torch.cuda.get_device_name(), "torch": torch.__version__}
    for key, part in (
        ("runs", lambda: [train_one_epoch("seed_cnn"), train_one_epoch("vgg_cifar")]),
        ("bench_train", bench_rows),
        ("out_of_memory", out_of_memory),
        ("train_py", exported_train_script),
    ):
        try:
            out[key] = part()
        except Exception as e:  # one failing part must not hide the others' results
            out[key] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["failures"] = failures(out)
    print(json.dumps(out, indent=2))
    for sentence in out["failures"]:
        print(sentence, file=sys.stderr)
    return 1 if out["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
