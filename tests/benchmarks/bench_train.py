"""Benchmark: the training engine against a typical notebook loop, and the built model against a hand-written one.

Prints one JSON object. Targets (issue 4):
(a) images/s of our loop ≥ 1.2× a torchvision DataLoader loop with PIL transforms on CPU (≥ 3× on GPU), VGG-CIFAR;
(b) the built model's train step against a hand-written nn.Module of the same architecture: ratio ≥ 0.98;
(c) seconds per shapes10 epoch on CPU for seed_cnn (≤ 15 s: the 4 epochs of the acceptance run in a minute) and
VGG-CIFAR.
Also VGG-CIFAR images/s with bf16 + channels_last against fp32 (auto precision picks bf16 on a CPU with native bf16);
(d) per-layer health's overhead: ≤ 5% of the step time at the default health_every, VGG-CIFAR;
(e) 2,000 shapes10 images generated in ≤ 2 s; Runner.close returns in ≤ 0.2 s; Look inside's worker gives every
VGG-CIFAR block's maps for a photo in ≤ 1 s;
with a GPU, (a), (b), (d) and the precision comparison run there too.
Ratios and percentages are judged at their target; absolute times (e) get 2× slack with --quick (targets.py).

    python tests/benchmarks/bench_train.py [--steps 8] [--full-vgg-epoch] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netbuilder.records import process

process.prepare()  # as `netbuilder train` and the app's runner do, before torch is imported

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402
from targets import Target, finish  # noqa: E402  (tests/benchmarks is on sys.path when this file runs)
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from torchvision import transforms  # noqa: E402

from netbuilder.core.document import dumps  # noqa: E402
from netbuilder.core.presets import load_preset  # noqa: E402
from netbuilder.pytorch.build import build  # noqa: E402
from netbuilder.records import datasets  # noqa: E402
from netbuilder.records.config import TrainConfig, recommend  # noqa: E402
from netbuilder.records.events import EpochMetrics  # noqa: E402
from netbuilder.records.inspect_worker import InspectWorker  # noqa: E402
from netbuilder.records.runner import Runner  # noqa: E402
from netbuilder.train import data_loading, feed, shapes10  # noqa: E402
from netbuilder.train.health_recorder import HealthRecorder  # noqa: E402
from netbuilder.train.loop import Trainer  # noqa: E402


class HandVGG(nn.Module):
    """VGG-CIFAR as one would write it by hand (the vgg_cifar preset)."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(512, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class HandSeedCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)
        self.fc = nn.Linear(12 * 16 * 16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(F.max_pool2d(F.relu(self.conv(x)), 2).flatten(1))


HAND = {"vgg_cifar": HandVGG, "seed_cnn": HandSeedCNN}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# (a) and (c): a whole epoch of our loop ----------------------------------------------------------------------


def our_epoch(preset: str, config: TrainConfig) -> tuple[int, float]:
    """(training images, seconds) of one epoch of the engine's loop, validation included when there is one."""
    document = load_preset(preset)
    trainer = Trainer(document, config)
    trainer.setup()
    for event in trainer.events():
        if isinstance(event, EpochMetrics):
            return trainer.steps_per_epoch * config.batch_size, event.seconds
    raise RuntimeError("the epoch did not finish")


# (a): the notebook loop --------------------------------------------------------------------------------------


class PILImages(Dataset):
    """shapes10 images handed out as PIL images, as torchvision's CIFAR10 does."""

    def __init__(self, x: np.ndarray, y: np.ndarray, transform: transforms.Compose) -> None:
        self.x, self.y, self.transform = x.transpose(0, 2, 3, 1), y, transform

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.x[i])), int(self.y[i])


def notebook_epoch(preset: str, config: TrainConfig, images: int, device: torch.device) -> tuple[int, float]:
    """(training images, seconds) of a typical notebook loop over the same images: a DataLoader with two workers,
    PIL crop and flip, ToTensor and Normalize, and loss.item() every step."""
    data = data_loading.load("shapes10", datasets.data_dir(None))
    x, y = data.train_x[:images], data.train_y[:images]
    mean, std = feed.stats(torch.from_numpy(x))
    transform = transforms.Compose(
        [
            transforms.RandomCrop(32, padding=config.crop_padding),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(mean.flatten().tolist(), std.flatten().tolist()),
        ]
    )
    loader = DataLoader(
        PILImages(x, y, transform),
        batch_size=config.batch_size,
        shuffle=True,
        num_workers=2,
        drop_last=True,
        pin_memory=device.type == "cuda",
    )
    torch.manual_seed(0)
    model = build(load_preset(preset).graph).to(device)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )
    model.train()
    running, seen = 0.0, 0
    start = time.perf_counter()
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = F.cross_entropy(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
        seen += len(labels)
    return seen, time.perf_counter() - start


def loop_comparison(preset: str, steps: int, device: torch.device, rounds: int = 2) -> dict:
    """Our loop with the recipe's settings (SGD, crop and flip, channels-last, automatic precision), and again in
    plain fp32 NCHW as the notebook runs, against the notebook loop: each loop's best of `rounds` rounds, in
    turn and in reverse, so that a change in the machine's load touches all three alike."""
    base = recommend(load_preset("vgg_cifar").graph)  # the same optimizer and augmentation for all three
    config = base.replace(epochs=1, val_split=0.0, limit=steps * base.batch_size, device=str(device), log_every=steps)
    loops = {
        "ours": lambda: our_epoch(preset, config),
        "plain": lambda: our_epoch(preset, config.replace(channels_last=False, precision="fp32")),
        "theirs": lambda: notebook_epoch(preset, config, steps * config.batch_size, device),
    }
    best = dict.fromkeys(loops, 0.0)
    for r in range(rounds):
        for name in list(loops) if r % 2 == 0 else reversed(loops):
            images, seconds = loops[name]()
            best[name] = max(best[name], images / seconds)
    ours_ips, plain_ips, theirs_ips = best["ours"], best["plain"], best["theirs"]
    return {
        "model": preset,
        "device": str(device),
        "batch_size": config.batch_size,
        "steps": steps,
        "rounds": rounds,
        "ours_images_per_s": round(ours_ips, 1),
        "ours_fp32_nchw_images_per_s": round(plain_ips, 1),
        "notebook_images_per_s": round(theirs_ips, 1),
        "speedup": round(ours_ips / theirs_ips, 2),
        "speedup_fp32_nchw": round(plain_ips / theirs_ips, 2),
    }


# (b): the built model against the hand-written one ----------------------------------------------------------


def step_time(model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizer: torch.optim.Optimizer) -> float:
    """One training step's wall time on a GPU; on the CPU its CPU time (all threads), which other processes'
    load changes less."""
    clock = time.perf_counter if x.device.type == "cuda" else time.process_time
    sync(x.device)
    start = clock()
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    sync(x.device)
    return clock() - start


@contextlib.contextmanager
def one_cpu_thread(device: torch.device) -> Iterator[None]:
    """On the CPU, torch on one thread while timing with CPU time: CPU time summed over several threads counts the
    time they spend waiting on each other (on whichever thread another process holds up), which says more about
    the machine's load than about what is measured."""
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def model_comparison(preset: str, batch: int, repeats: int, device: torch.device) -> dict:
    """The two models' train steps, A B B A in each of `repeats` rounds, on one CPU thread (one_cpu_thread)."""
    with one_cpu_thread(device):
        return _model_comparison(preset, batch, repeats, device)


def _model_comparison(preset: str, batch: int, repeats: int, device: torch.device) -> dict:
    torch.manual_seed(0)
    models = {"ours": build(load_preset(preset).graph).to(device), "hand": HAND[preset]().to(device)}
    assert sum(p.numel() for p in models["ours"].parameters()) == sum(p.numel() for p in models["hand"].parameters())
    optimizers = {k: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) for k, m in models.items()}
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    times: dict[str, list[float]] = {"ours": [], "hand": []}
    for i in range(repeats + 2):  # interleaved A B B A, so drifts in machine load touch both alike; 2 warm-ups
        for k in ("ours", "hand", "hand", "ours") if i % 2 else ("hand", "ours", "ours", "hand"):
            t = step_time(models[k], x, y, optimizers[k])
            if i >= 2:
                times[k].append(t)
    ours, hand = statistics.median(times["ours"]), statistics.median(times["hand"])
    # The ratio of the fastest steps: another process's load only ever adds time (to either side, at random), so
    # each side's fastest of its 2 × repeats steps is its own cost; medians still swing by ±5% on a loaded machine.
    ratio = min(times["hand"]) / min(times["ours"])
    return {
        "model": preset,
        "device": str(device),
        "batch_size": batch,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "ours_step_ms": round(ours * 1000, 2),
        "hand_step_ms": round(hand * 1000, 2),
        "ratio_hand_over_ours": round(ratio, 3),
    }


# GPU: bf16 + channels_last against fp32 ---------------------------------------------------------------------


def precision_comparison(steps: int, device: torch.device) -> dict:
    base = recommend(load_preset("vgg_cifar").graph).replace(
        epochs=1, val_split=0.0, limit=steps * 256, device=str(device), log_every=steps
    )
    fast = our_epoch("vgg_cifar", base.replace(precision="bf16", channels_last=True))
    plain = our_epoch("vgg_cifar", base.replace(precision="fp32", channels_last=False))
    fast_ips, plain_ips = fast[0] / fast[1], plain[0] / plain[1]
    return {
        "device": str(device),
        "bf16_channels_last_images_per_s": round(fast_ips, 1),
        "fp32_images_per_s": round(plain_ips, 1),
        "speedup": round(fast_ips / plain_ips, 2),
    }


# (d): per-layer health's overhead -----------------------------------------------------------------------------


def health_step(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    recorder: Any,
    step: int,
    record: bool,
) -> float:
    """One training step as the loop takes it (bf16 autocast on a GPU), with the health recorder's part: its wall
    time on a GPU, its CPU time (all threads) on the CPU, which other processes' load changes less."""
    clock = time.perf_counter if x.device.type == "cuda" else time.process_time
    sync(x.device)
    start = clock()
    if recorder is not None:
        assert recorder.begin(step) == record
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=x.device.type == "cuda"):
        loss = F.cross_entropy(model(x).float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    pending = recorder.before_step() if record else None
    optimizer.step()
    if record:
        recorder.after_step(pending)
    sync(x.device)
    return clock() - start


def health_overhead(preset: str, batch: int, repeats: int, device: torch.device) -> dict:
    """_health_overhead, on one CPU thread (one_cpu_thread)."""
    with one_cpu_thread(device):
        return _health_overhead(preset, batch, repeats, device)


def _health_overhead(preset: str, batch: int, repeats: int, device: torch.device) -> dict:
    """Step time of the built model with its health hooks idle (between samples: each hook returns at once), on a
    sampled step (ReLU-family blocks note which channels fired) and on a record's step, interleaved on one model;
    the overhead at the default health_every weighs the extra time of each kind by how often it comes in a window.
    A model without hooks, timed alongside, gives the idle hooks' own cost (a Python call per block)."""
    every = TrainConfig().health_every
    document = load_preset(preset)
    torch.manual_seed(0)
    models = {k: build(document.graph).to(device, memory_format=torch.channels_last) for k in ("plain", "health")}
    recorder = HealthRecorder(models["health"], document.graph, every)
    optimizers = {k: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) for k, m in models.items()}
    x = torch.randn(batch, 3, 32, 32, device=device).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), device=device)
    stride = recorder.stride
    kinds = {  # model, recorder, global step (past the first window's early records), a record's step
        "plain": ("plain", None, every + 1, False),
        "idle": ("health", recorder, every + 1, False),
        "sampled": ("health", recorder, every + stride, False),
        "record": ("health", recorder, 2 * every, True),
    }
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(repeats + 2):  # interleaved, so drifts in machine load touch all alike; 2 warm-ups
        for kind in kinds if i % 2 else reversed(kinds):
            name, rec, step, record = kinds[kind]
            t = health_step(models[name], x, y, optimizers[name], rec, step, record)
            if i >= 2:
                times[kind].append(t)

    def extra(kind: str, base: str) -> float:
        """The median of kind's differences with base's step of the same round, taken right before or after it:
        drifts in the machine's load cancel out of each difference."""
        return statistics.median(t - b for t, b in zip(times[kind], times[base]))

    idle = statistics.median(times["idle"])
    sampled_steps = every // stride - 1  # besides the record's
    added = (extra("record", "idle") + sampled_steps * extra("sampled", "idle")) / every
    return {
        "model": preset,
        "device": str(device),
        "batch_size": batch,
        "repeats": repeats,
        "health_every": every,
        "threads": torch.get_num_threads(),
        "idle_step_ms": round(idle * 1000, 2),
        "sampled_extra_ms": round(extra("sampled", "idle") * 1000, 2),
        "record_extra_ms": round(extra("record", "idle") * 1000, 2),
        "overhead_percent": round(100 * added / idle, 2),
        "idle_hooks_vs_none_percent": round(100 * extra("idle", "plain") / statistics.median(times["plain"]), 2),
    }


# (e): figures the unit tests used to time ---------------------------------------------------------------------


def shapes10_seconds() -> float:
    """Generating 2,000 shapes10 images (the first use of the dataset generates 24,000)."""
    start = time.perf_counter()
    shapes10.generate(2000, seed=3)
    return round(time.perf_counter() - start, 3)


def close_seconds() -> float:
    """Runner.close on a run still starting: it hands the wait to a thread and returns at once."""
    with tempfile.TemporaryDirectory() as folder:
        config = TrainConfig(limit=1000, epochs=1, batch_size=64, precision="fp32")
        runner = Runner(load_preset("seed_cnn"), config, Path(folder) / "run")
        runner.start()
        start = time.perf_counter()
        thread = runner.close(grace=0.5)
        seconds = time.perf_counter() - start
        thread.join(120)
    return round(seconds, 3)


def photo_to_maps_seconds(repeats: int) -> float:
    """VGG-CIFAR in Look inside's worker, once started: a 640×480 photo chosen → every block's maps (median)."""
    vgg = load_preset("vgg_cifar")
    request = {"op": "maps", "document": dumps(vgg), "weights": {"kind": "random", "seed": 0}}
    request["config"] = TrainConfig(limit=1000, epochs=1).to_dict()
    worker = InspectWorker()
    times = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            worker.request(request | {"image": {"sample": 0}})  # starts the worker and builds the network
            (reply,) = worker.wait(timeout=180)
            assert reply.ok, reply.error
            for i in range(repeats):
                path = Path(folder) / f"photo{i}.png"
                pixels = np.random.default_rng(i).integers(0, 255, (480, 640, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(path)
                start = time.perf_counter()
                worker.request(request | {"image": {"path": str(path)}})
                (reply,) = worker.wait(timeout=60)
                times.append(time.perf_counter() - start)
                assert reply.ok, reply.error
        finally:
            worker.close()
    return round(statistics.median(times), 3)


def unit_figures(repeats: int) -> dict:
    return {
        "shapes10_2000_images_s": shapes10_seconds(),
        "runner_close_s": close_seconds(),
        "vgg_photo_to_all_maps_s": photo_to_maps_seconds(repeats),
    }


UNIT_TARGETS = [
    Target("e_unit_figures.shapes10_2000_images_s", 2.0, time=True),
    Target("e_unit_figures.runner_close_s", 0.2, time=True),
    Target("e_unit_figures.vgg_photo_to_all_maps_s", 1.0, time=True),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="training steps per loop comparison on the CPU")
    parser.add_argument(
        "--full-vgg-epoch",
        action="store_true",
        help="time a whole VGG-CIFAR epoch on the CPU (minutes) instead of extrapolating it from --steps steps",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="seed_cnn only, few steps; exit 1 when a figure misses its target (an absolute time: by more than 2×)",
    )
    args = parser.parse_args()
    os.environ.setdefault("NETBUILDER_CACHE_DIR", os.path.join(tempfile.gettempdir(), "netbuilder-bench-cache"))
    cpu = torch.device("cpu")
    out: dict = {
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
    }
    if args.quick:
        out["a_loop_images_per_s"] = loop_comparison("seed_cnn", 8, cpu)
        out["b_built_vs_hand_written"] = model_comparison("seed_cnn", 256, 40, cpu)
        out["d_health_overhead"] = health_overhead("seed_cnn", 256, 20, cpu)
        out["e_unit_figures"] = unit_figures(3)
        finish(
            out,
            [
                Target("a_loop_images_per_s.speedup", 1.2, most=False),
                Target("b_built_vs_hand_written.ratio_hand_over_ours", 0.98, most=False),
                Target("d_health_overhead.overhead_percent", 5.0),
                *UNIT_TARGETS,
            ],
            quick=True,
        )
        return

    out["a_loop_images_per_s"] = [
        loop_comparison("vgg_cifar", args.steps, cpu),
        loop_comparison("seed_cnn", 4 * args.steps, cpu),
    ]
    out["b_built_vs_hand_written"] = [
        model_comparison("vgg_cifar", 128, 12, cpu),
        model_comparison("seed_cnn", 256, 30, cpu),
    ]
    seed = recommend(load_preset("seed_cnn").graph).replace(epochs=1, device="cpu")
    images, seconds = our_epoch("seed_cnn", seed)
    vgg = recommend(load_preset("vgg_cifar").graph).replace(epochs=1, device="cpu")
    if args.full_vgg_epoch:
        vgg_seconds, how = our_epoch("vgg_cifar", vgg)[1], "measured"
    else:
        vgg_ips = out["a_loop_images_per_s"][0]["ours_images_per_s"]
        vgg_seconds, how = 18_000 / vgg_ips, f"training part only, extrapolated from {args.steps} steps"
    out["c_shapes10_epoch_s_cpu"] = {
        "seed_cnn": round(seconds, 2),
        "seed_cnn_images": images,
        "vgg_cifar": round(vgg_seconds, 1),
        "vgg_cifar_how": how,
    }
    out["vgg_bf16_channels_last_vs_fp32_cpu"] = precision_comparison(args.steps // 2, cpu)
    out["d_health_overhead"] = health_overhead("vgg_cifar", 128, 9, cpu)
    out["e_unit_figures"] = unit_figures(5)
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        out["gpu"] = torch.cuda.get_device_name(gpu)
        out["a_loop_images_per_s_gpu"] = loop_comparison("vgg_cifar", 40, gpu)
        out["b_built_vs_hand_written_gpu"] = model_comparison("vgg_cifar", 256, 30, gpu)
        out["vgg_bf16_channels_last_vs_fp32_gpu"] = precision_comparison(40, gpu)
        out["d_health_overhead_gpu"] = health_overhead("vgg_cifar", 256, 30, gpu)
    finish(
        out,
        [
            Target("a_loop_images_per_s.0.speedup", 1.2, most=False),
            Target("b_built_vs_hand_written.0.ratio_hand_over_ours", 0.98, most=False),
            Target("b_built_vs_hand_written.1.ratio_hand_over_ours", 0.98, most=False),
            Target("c_shapes10_epoch_s_cpu.seed_cnn", 15.0, time=True),  # 4 epochs, the acceptance run, in a minute
            Target("d_health_overhead.overhead_percent", 5.0),
            *UNIT_TARGETS,
            *(
                [
                    Target("a_loop_images_per_s_gpu.speedup", 3.0, most=False),
                    Target("b_built_vs_hand_written_gpu.ratio_hand_over_ours", 0.98, most=False),
                    Target("d_health_overhead_gpu.overhead_percent", 5.0),
                ]
                if torch.cuda.is_available()
                else []
            ),
        ],
        quick=False,
    )


if __name__ == "__main__":
    main()
