"""Small builders for test graphs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from netbuilder.core.graph import Edge, Graph, Node


def chain(*blocks: tuple[str, str, dict[str, Any]]) -> Graph:
    """A straight chain of (id, type, params), each fed by the one before."""
    g = Graph()
    prev = None
    for nid, kind, params in blocks:
        g.add_node(Node(nid, kind, dict(params)))
        if prev is not None:
            g.add_edge(Edge(prev, nid))
        prev = nid
    return g


def image(c: int = 3, h: int = 32, w: int = 32) -> tuple[str, str, dict[str, Any]]:
    return ("input", "Input", {"shape": [c, h, w]})


def load_module(path: str | Path, name: str = "") -> ModuleType:
    """A Python file (an exported model.py, say) run as a module of its own."""
    name = name or Path(path).stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # while it runs, as an import would
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def small_file(batchnorm: bool = False) -> dict[str, Any]:
    """A small network file's data: input 3×32×32 → conv1 (8 filters 3×3) [→ bn1] → relu1 → global pool → fc (10)."""
    ids = ["input", "conv1", *(["bn1"] if batchnorm else []), "relu1", "pool1", "fc"]
    blocks = {
        "input": {"type": "Input", "params": {"shape": [3, 32, 32]}},
        "conv1": {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
        "bn1": {"type": "BatchNorm"},
        "relu1": {"type": "Activation"},
        "pool1": {"type": "AdaptivePool2d", "params": {"output_size": 1}},
        "fc": {"type": "Linear", "params": {"out_features": 10}},
    }
    return {
        "format": "netbuilder",
        "version": 1,
        "name": "small",
        "nodes": [{"id": nid, **blocks[nid]} for nid in ids],
        "edges": [{"from": a, "to": b} for a, b in zip(ids, ids[1:])],
    }
