"""Benchmark: the live shape check against a torch meta-device forward of the same network.

Prints one JSON object. Targets (issue 2): 1,000 blocks re-checked in <= 3 ms median, >= 50x faster
than the meta-device forward. Targets (issue 10): `netbuilder check` of any file up to 16 MB in <= 2 s and
<= 500 MB, timed on hostile files (a 16,000-block cycle, 8,000 self-loops, 25,000 small cycles, a
100,000-block chain, 100,000 outputs, wide fan-in, a 2,000-block knot of 400,000 connections).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netbuilder.core.check.shapes import check
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.presets import load_preset

sys.path.insert(0, str(Path(__file__).parent))
from targets import Target, finish  # noqa: E402


def generated(blocks: int = 1000) -> Graph:
    """A residual-style network of `blocks` blocks: conv, batchnorm, relu, add, with a pool every so often."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [16, 64, 64]}))
    tip, i = "input", 0
    while len(g.nodes) < blocks - 5:
        skip = tip
        for kind, params in (
            ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
            ("BatchNorm", {}),
            ("Activation", {"function": "relu"}),
        ):
            nid = f"{kind.lower()}{i}"
            g.add_node(Node(nid, kind, params))
            g.add_edge(Edge(tip, nid))
            tip, i = nid, i + 1
        add = f"add{i}"
        g.add_node(Node(add, "Add", {"inputs": 2}))
        g.add_edge(Edge(tip, add, 0))
        g.add_edge(Edge(skip, add, 1))
        tip, i = add, i + 1
    for kind, params in (("Pool2d", {"kernel_size": 2}), ("Linear", {"out_features": 10})):
        nid = f"{kind.lower()}{i}"
        g.add_node(Node(nid, kind, params))
        g.add_edge(Edge(tip, nid))
        tip, i = nid, i + 1
    return g


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def meta_forward_ms(graph: Graph, repeats: int) -> float:
    import torch

    from netbuilder.pytorch.build import build

    with torch.device("meta"):
        model = build(graph)
        x = torch.empty(1, *model.input_shape)
    with torch.no_grad():
        return median_ms(lambda: model.forward_all(x), repeats)


def _file(
    blocks: int, edges: list[tuple[int, int]] | None = None, fed_by_input: bool = False, last: str = "Activation"
) -> str:
    """A network file: an Input and blocks b0… (the last of type `last`), with edges between block numbers."""
    nodes = [{"id": "input", "type": "Input", "params": {"shape": [3, 32, 32]}}]
    nodes += [{"id": f"b{i}", "type": "Activation"} for i in range(blocks - 1)]
    nodes.append({"id": f"b{blocks - 1}", "type": last, "params": {"inputs": 16} if last == "Concat" else {}})
    links = [{"from": f"b{a}", "to": f"b{b}"} for a, b in edges or []]
    if fed_by_input:
        links += [{"from": "input", "to": f"b{i}"} for i in range(blocks)]
    return json.dumps({"format": "netbuilder", "version": 1, "nodes": nodes, "edges": links}, separators=(",", ":"))


def hostile_files() -> dict[str, str]:
    """Files whose check must stay linear in their size."""
    rng = random.Random(0)
    knot = sorted({(rng.randrange(2000), rng.randrange(2000)) for _ in range(420_000)})[:400_000]
    fan_in = json.loads(_file(99_000, fed_by_input=True, last="Concat"))
    fan_in["edges"] += [{"from": f"b{i}", "to": "b98999", "port": i % 64} for i in range(98_999)]
    return {
        "cycle_16000": _file(16_000, [(i, (i + 1) % 16_000) for i in range(16_000)]),
        "self_loops_8000": _file(8_000, [(i, i) for i in range(8_000)]),
        "small_cycles_25000": _file(50_000, [(i, i ^ 1) for i in range(50_000)]),
        "chain_100000": _file(99_999, [(i, i + 1) for i in range(99_998)]),
        "outputs_100000": _file(99_999, fed_by_input=True),
        "fan_in_99000": json.dumps(fan_in, separators=(",", ":")),
        "knot_2000x400000": _file(2_000, knot),
    }


_MEASURED = """import atexit, runpy, sys
def peak():
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")]
    print(int(hwm[0].split()[1]) if hwm else -1, file=sys.stderr)
atexit.register(peak)
sys.argv = ["netbuilder", "check", sys.argv[1]]
runpy.run_module("netbuilder", run_name="__main__")
"""


def cli_check(path: Path) -> tuple[float, float]:
    """Seconds and peak MB (VmHWM, which exec resets) of `netbuilder check path` in a child process."""
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    assert child.returncode in (0, 1), f"{path.name}: exit status {child.returncode}: {child.stderr[-500:]}"
    return seconds, int(child.stderr.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and the two largest cycle files only; "
        "exit 1 when a figure misses its target (an absolute time: by more than 2×)",
    )
    quick = parser.parse_args().quick
    result: dict = {}
    for name, graph in (("vgg_cifar", load_preset("vgg_cifar").graph), ("generated_1000", generated(1000))):
        assert check(graph).valid
        ours = median_ms(lambda g=graph: check(g), 50 if quick else 200)
        meta = meta_forward_ms(graph, 5 if quick else 20)
        result[name] = {
            "blocks": len(graph.nodes),
            "check_median_ms": round(ours, 3),
            "meta_forward_median_ms": round(meta, 3),
            "speedup": round(meta / ours, 1),
        }
    files = hostile_files()
    if quick:
        files = {k: files[k] for k in ("cycle_16000", "self_loops_8000")}
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            path = Path(folder) / f"{name}.json"
            path.write_text(text)
            seconds, mb = cli_check(path)
            result[name] = {"file_mb": round(len(text) / 2**20, 1), "check_s": round(seconds, 2), "peak_mb": round(mb)}
    targets = [
        Target("generated_1000.check_median_ms", 3.0, time=True),
        Target("generated_1000.speedup", 50, most=False),
    ]
    targets += [
        t for name in files for t in (Target(f"{name}.check_s", 2.0, time=True), Target(f"{name}.peak_mb", 500))
    ]
    finish(result, targets, quick)


if __name__ == "__main__":
    main()
