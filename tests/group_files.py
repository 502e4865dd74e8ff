"""Generated network files with many or deeply nested groups, or a group whose blocks are not contiguous; and
counting the lines of Python some work runs, to assert its cost grows linearly without a clock."""

from __future__ import annotations

import json
import sys
from typing import Any

HEAD = {"format": "netbuilder", "version": 1, "name": "groups"}


def flat_groups(n: int) -> str:
    """A chain of n ReLUs, each in a group of its own."""
    nodes = [{"id": "input", "type": "Input", "params": {"shape": [8]}}]
    nodes += [{"id": f"r{i}", "type": "Activation", "params": {"function": "relu"}} for i in range(n)]
    ids = [node["id"] for node in nodes]
    edges = [{"from": a, "to": b} for a, b in zip(ids, ids[1:])]
    groups = [{"id": f"g{i}", "name": f"g {i}", "members": [f"r{i}"], "folded": False} for i in range(n)]
    return json.dumps({**HEAD, "nodes": nodes, "edges": edges, "groups": groups})


def nested_groups(d: int) -> str:
    """A CNN whose d ReLUs sit in d groups, each inside the one before: g0 ⊃ g1 ⊃ … ⊃ g{d-1}."""
    nodes = [{"id": "input", "type": "Input", "params": {"shape": [3, 8, 8]}}]
    nodes += [{"id": f"c{i}", "type": "Activation", "params": {"function": "relu"}} for i in range(d)]
    nodes += [{"id": "flat", "type": "Flatten"}, {"id": "fc", "type": "Linear", "params": {"out_features": 10}}]
    ids = [node["id"] for node in nodes]
    edges = [{"from": a, "to": b} for a, b in zip(ids, ids[1:])]
    groups = [
        {"id": f"g{i}", "name": f"level {i}", "members": [f"c{i}", *([f"g{i + 1}"] if i + 1 < d else [])]}
        for i in reversed(range(d))
    ]
    for group in groups:
        group["folded"] = False
    return json.dumps({**HEAD, "nodes": nodes, "edges": edges, "groups": groups})


def split_group(folded: bool) -> str:
    """conv1 and conv2 grouped, relu1 between them outside the group; a ReLU right after the group too."""
    nodes = [
        {"id": "input", "type": "Input", "params": {"shape": [3, 16, 16]}},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"id": "relu1", "type": "Activation", "params": {"function": "relu"}},
        {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"id": "relu2", "type": "Activation", "params": {"function": "relu"}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
    ]
    ids = [node["id"] for node in nodes]
    edges = [{"from": a, "to": b} for a, b in zip(ids, ids[1:])]
    groups = [{"id": "g", "name": "split", "members": ["conv1", "conv2"], "folded": folded}]
    return json.dumps({**HEAD, "nodes": nodes, "edges": edges, "groups": groups})


def lines_run(work: Any) -> int:
    """How many lines of Python work() executes (in every function it calls): a cost no clock stretches."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def grows_linearly(cost: Any, n: int) -> None:
    """cost(2n) is at most 2.5 × cost(n): linear plus a constant, where O(n²) would give 4 ×."""
    small, large = cost(n), cost(2 * n)
    assert large <= 2.5 * small, (small, large)
