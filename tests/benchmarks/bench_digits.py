"""Benchmark: the digits recipe (issue 22 §1). `netbuilder train presets/digits_cnn.json` (the seed CNN on 1×8×8
with 64 filters, the recipe recommend() gives digits) must reach ≥ 98.5% test accuracy in ≤ 60 s on a 2-core CPU,
the whole command timed (start-up and data included). scikit-learn's MLPClassifier on the same split is printed for
comparison. With several seeds, the median accuracy and the slowest run are judged; the absolute time gets 2×
slack with --quick (targets.py).

    python tests/benchmarks/bench_digits.py [--seeds 0,1,2] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier
from targets import Target, finish  # tests/benchmarks is on sys.path when this file runs

from netbuilder.records import datasets
from netbuilder.records.runs import Run

ROOT = Path(__file__).resolve().parents[2]
PRESET = ROOT / "presets" / "digits_cnn.json"


def train(seed: int, folder: Path) -> dict:
    """One run of the preset through the command line: its test accuracy and the command's seconds."""
    out = folder / f"seed{seed}"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "netbuilder", "train", str(PRESET), "--seed", str(seed), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    summary = Run.open(out).summary
    confusion = summary["test"]["confusion"]
    wrong = sum(map(sum, confusion)) - sum(row[i] for i, row in enumerate(confusion))  # of the test images
    return {"seed": seed, "test_accuracy": summary["test_accuracy"], "wrong": wrong, "seconds": round(seconds, 1)}


def mlp(seed: int) -> dict:
    """scikit-learn's MLPClassifier (one hidden layer of 100, its defaults) on the same training and test images."""
    from netbuilder.train import data_loading  # the split digits trains on

    data = data_loading.load("digits", datasets.data_dir(None))
    x, test_x = (a.reshape(len(a), -1) / 255 for a in (data.train_x, data.test_x))
    start = time.perf_counter()
    model = MLPClassifier(max_iter=1000, random_state=seed).fit(x, data.train_y)
    accuracy = float(np.mean(model.predict(test_x) == data.test_y))
    return {"seed": seed, "test_accuracy": round(accuracy, 4), "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="comma-separated run seeds (default 0)")
    parser.add_argument("--quick", action="store_true", help="absolute times get 2× slack (a shared machine)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        runs = [train(seed, Path(folder)) for seed in seeds]
    mlps = [mlp(seed) for seed in seeds]
    result = {
        "cpus": os.cpu_count(),
        "split": {"train": datasets.DIGITS_TRAIN, "test": datasets.DIGITS_TEST},
        "digits_cnn": runs,
        "test_accuracy": statistics.median(r["test_accuracy"] for r in runs),
        "worst_test_accuracy": min(r["test_accuracy"] for r in runs),  # printed, not judged
        "seconds": max(r["seconds"] for r in runs),
        "mlp_classifier": mlps,
        "mlp_test_accuracy": statistics.median(r["test_accuracy"] for r in mlps),
    }
    finish(result, [Target("test_accuracy", 0.985, most=False), Target("seconds", 60, time=True)], args.quick)


if __name__ == "__main__":
    main()
