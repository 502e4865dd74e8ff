"""Per-layer health while training: every `every` steps (and at the first steps, EARLY_STEPS, where a learning
rate far too high diverges), each block's gradient norm, update-to-weight ratio and output mean and std, and for
Activation blocks the share of dead (ReLU family) or saturated (sigmoid, tanh) units.

Everything stays on the device between records: the only host read-back is one list per record. Between records,
ReLU-family blocks OR together which channels fired: one reduction of their output on every stride-th step (about
SAMPLES steps a window), which is what keeps the hooks' cost small where an activation is as large as the work of
the layer before it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from netbuilder.core.blocks import REGISTRY, Family
from netbuilder.core.check.health import RULES, SATURATION_MARGIN, derive, show
from netbuilder.core.graph import Graph
from netbuilder.pytorch.build import GraphModule

SAMPLES = 20  # steps of a window on which ReLU-family blocks note which channels fired
# Steps recorded before the first of every `every` steps: SGD at a learning rate of 0.5 or more diverges within
# them.
EARLY_STEPS = (1, 2, 5, 10, 20, 50)
# The rules whose numbers run away when training diverges, judged at their watch limit whatever the step.
RUNAWAY = tuple(rule for rule in RULES if rule.name in ("not finite", "updates too large", "exploding activations"))
Pending = tuple[list[torch.Tensor], list[torch.Tensor]]  # per-parameter gradient norms, weights before the step


class HealthRecorder:
    """Hooks on a GraphModule's blocks. Per step: begin(global step), forward, backward, and on a record's step
    before_step(), the optimizer's step, then after_step() for its numbers by node id."""

    def __init__(self, net: GraphModule, graph: Graph, every: int, hooks: bool = True) -> None:
        self.every = every
        self.stride = max(1, every // SAMPLES)
        self.recording = self.sampling = False
        self.blocks: list[tuple[str, list[nn.Parameter]]] = []  # blocks with weights, in the network's order
        self.order: list[str] = []
        self.fired: dict[str, torch.Tensor] = {}  # per ReLU-family block: which channels were positive
        self.stats: dict[str, torch.Tensor] = {}  # per hooked block on a record's step: mean, std (, saturated)
        self.handles: list[Any] = []
        for nid, _ in net.plan.layers():
            module = net.layers[net.names[nid]]
            params = [p for p in module.parameters() if p.requires_grad]
            node = graph.nodes[nid]
            block = REGISTRY.get(node.type)
            family = block.family(node.params) if block else None
            if not params and family is None:
                continue
            self.order.append(nid)
            if params:
                self.blocks.append((nid, params))
            if hooks:
                self.handles.append(module.register_forward_hook(self._hook(nid, family)))

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()

    def begin(self, global_step: int) -> bool:
        """Before a step's forward: whether it is a record's step (the hooks then take their outputs' mean and
        std too)."""
        early = global_step in EARLY_STEPS and global_step < self.every
        self.recording = self.every > 0 and (global_step % self.every == 0 or early)
        self.sampling = self.recording or global_step % self.stride == 0
        return self.recording

    def _hook(self, nid: str, family: Family | None) -> Callable[[nn.Module, Any, torch.Tensor], None]:
        def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            if not module.training or not isinstance(output, torch.Tensor):
                return
            with torch.no_grad():
                y = output.detach()
                if family is not None and family.dies and self.sampling:
                    # a channel fired when some output is positive: for outputs never negative, when their sum
                    # is (a sum reduces several times faster than a max on a CPU)
                    dims = [d for d in range(y.dim()) if d != 1]
                    peak = y if y.dim() < 2 else y.sum(dim=dims) if family.nonnegative else y.amax(dim=dims)
                    fired = peak > 0
                    seen = self.fired.get(nid)
                    self.fired[nid] = fired if seen is None or seen.shape != fired.shape else seen | fired
                if self.recording:
                    f = y.float()
                    parts = [f.mean(), f.std()]
                    if family is not None and family.bounds is not None:
                        low, high = family.bounds
                        parts.append(((f - low < SATURATION_MARGIN) | (high - f < SATURATION_MARGIN)).float().mean())
                    self.stats[nid] = torch.stack(parts)

        return hook

    def before_step(self, scale: float = 1.0) -> Pending:
        """After backward, before the optimizer's step: the gradients' norms (unscaled) and the weights."""
        grads, weights = [], []
        for _, params in self.blocks:
            for p in params:
                grads.append(
                    p.grad.detach().float().norm() / scale
                    if p.grad is not None
                    else p.new_zeros((), dtype=torch.float32)
                )
                weights.append(p.detach().clone())
        return grads, weights

    def after_step(self, pending: Pending) -> dict[str, dict[str, float]]:
        """After the optimizer's step: every block's numbers, read back from the device at once."""
        grads, before = pending
        rows: list[tuple[str, str, torch.Tensor]] = []
        i = 0
        for nid, params in self.blocks:
            n = len(params)
            g = torch.stack(grads[i : i + n]).norm()
            w = torch.stack([b.float().norm() for b in before[i : i + n]]).norm()
            d = torch.stack([(p.detach().float() - b.float()).norm() for p, b in zip(params, before[i : i + n])])
            rows += [(nid, "grad_norm", g), (nid, "update_ratio", d.norm() / w.clamp_min(1e-12))]
            i += n
        for nid, stat in self.stats.items():
            rows += [(nid, "mean", stat[0]), (nid, "std", stat[1])]
            if len(stat) > 2:
                rows.append((nid, "saturated", stat[2]))
        for nid, fired in self.fired.items():
            rows.append((nid, "dead", 1.0 - fired.float().mean()))
        values = torch.stack([t.float().reshape(()) for _, _, t in rows]).tolist() if rows else []
        out: dict[str, dict[str, float]] = {nid: {} for nid in self.order}
        for nid, params in self.blocks:
            out[nid]["params"] = float(sum(p.numel() for p in params))
        for (nid, name, _), value in zip(rows, values):
            out[nid][name] = value
        self.stats.clear()
        self.fired.clear()
        self.recording = self.sampling = False
        return {nid: numbers for nid, numbers in out.items() if numbers}


def runaway(blocks: dict[str, dict[str, float]]) -> str:
    """What a record shows running away, for the sentence of a diverged run: "conv1 (updates 350% of its weights
    per step), fc1 (…)": the blocks past the watch limit of a runaway rule, worst first (three at most); else the
    block whose updates were the largest; "" for a record without a block with weights."""
    numbers = derive(blocks)
    found: list[tuple[float, str, str]] = []
    for name, values in numbers.items():
        for rule in RUNAWAY:
            value = values.get(rule.metric)
            if rule.weights_only and "params" not in values:
                continue
            if value is not None and (not math.isfinite(value) or value >= rule.watch):
                worst = rule.metric == "not_finite" or not math.isfinite(value)
                found.append((math.inf if worst else value / rule.watch, name, _said(rule.metric, value)))
                break
    if not found:
        ratios = [(v["update_ratio"], name) for name, v in numbers.items() if math.isfinite(v.get("update_ratio", 0.0))]
        if ratios:
            ratio, name = max(ratios)
            found.append((0.0, name, _said("update_ratio", ratio)))
    return ", ".join(f"{name} ({what})" for _, name, what in sorted(found, key=lambda f: -f[0])[:3])


def _said(metric: str, value: float) -> str:
    if metric == "not_finite" or not math.isfinite(value):
        return "its numbers not finite"
    if metric == "update_ratio":
        return f"updates {show(metric, value)} of its weights per step"
    return f"output std {show(metric, value)}"
