"""Benchmark: the live shape check against a torch meta-device forward of the same network.

Prints one JSON object. Targets (issue 2): 1,000 blocks re-checked in <= 3 ms median, >= 50x faster
than the meta-device forward.
"""

from __future__ import annotations

import json
import statistics
import time

from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.presets import load_preset
from netbuilder.core.shapes import check


def generated(blocks: int = 1000) -> Graph:
    """A residual-style network of `blocks` blocks: conv, batchnorm, relu, add, with a pool every so often."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [16, 64, 64]}))
    tip, i = "input", 0
    while len(g.nodes) < blocks - 5:
        skip = tip
        for kind, params in (("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
                             ("BatchNorm", {}), ("Activation", {"function": "relu"})):
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


def main() -> None:
    result = {}
    for name, graph in (("vgg_cifar", load_preset("vgg_cifar").graph), ("generated_1000", generated(1000))):
        assert check(graph).valid
        ours = median_ms(lambda: check(graph), 200)
        meta = meta_forward_ms(graph, 20)
        result[name] = {
            "blocks": len(graph.nodes),
            "check_median_ms": round(ours, 3),
            "meta_forward_median_ms": round(meta, 3),
            "speedup": round(meta / ours, 1),
        }
    result["targets"] = {"generated_1000_check_ms_max": 3.0, "speedup_min": 50}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
