"""Per-layer training health: the rules, their thresholds and their sentences, in one table (plain Python, so the
window can judge a run's records without torch).

A record (records.events.Health) maps each block to its numbers: grad_norm, params, update_ratio, mean, std for
blocks with weights; dead (ReLU family) or saturated (sigmoid, tanh) for Activation blocks. judge() turns the
latest record into a state per block, ok, watch or problem, each tripped rule with a sentence that says what to do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OK, WATCH, PROBLEM = "ok", "watch", "problem"
STATES = (OK, WATCH, PROBLEM)  # in rising order of concern

# Which activations' units can die or saturate is their block's family (BlockType.family).
SATURATION_MARGIN = 0.01  # an output within this of a bound counts as saturated (its slope is below ~0.01)


@dataclass(frozen=True)
class Rule:
    """One check: trips at watch, and at problem, when the metric is above them (above=True) or below them."""

    name: str
    metric: str  # a number of the record, or one that derive() adds
    above: bool
    watch: float
    problem: float
    sentence: str  # formatted with block, value (as the rule shows it), window, reference
    active_lr: float = 0.0  # judged only while the learning rate is at least this share of its peak
    settle: int = 0  # judged only from this step on
    weights_only: bool = False  # judged only on blocks with weights (an Activation's own rules speak for it)


# The rules. Each threshold's source is in its comment.
RULES: tuple[Rule, ...] = (
    # Any NaN or infinite number: the step before was already broken (the loop's divergence check catches the
    # loss a few steps later; this names the block).
    Rule(
        "not finite",
        "not_finite",
        True,
        0.5,
        0.5,
        "{block}: its gradient or output is not finite (NaN or infinite) — lower the learning rate, "
        "or train in fp32 or bf16 instead of fp16",
    ),
    # Dying ReLU: units that output 0 for every input get no gradient and never recover. CS231n (Karpathy,
    # "Neural Networks Part 1"): "as much as 40% of your network can be dead" with too high a learning rate;
    # Lu et al. 2019, "Dying ReLU and Initialization". A window of health_every steps, channels never positive.
    Rule(
        "dying ReLU",
        "dead",
        True,
        0.25,
        0.5,
        "{block}: {value} of its ReLU outputs have been zero for the last {window} steps (dying ReLU) — lower the "
        "learning rate or try LeakyReLU",
    ),
    # Saturated sigmoid/tanh: the slope there is ~0, so gradients vanish through it. Glorot & Bengio 2010,
    # "Understanding the difficulty of training deep feedforward neural networks" (saturated top sigmoid layer).
    Rule(
        "saturation",
        "saturated",
        True,
        0.2,
        0.5,
        "{block}: {value} of its outputs are saturated, where its slope is about zero (vanishing gradient) — "
        "add BatchNorm before it, lower the learning rate, or use ReLU",
    ),
    # Update-to-weight ratio ‖Δw‖/‖w‖ per step: about 1e-3 is healthy, much above means the learning rate is too
    # high. Karpathy, CS231n "Neural Networks Part 3" ("ratio of the updates to the values ... around 1e-3").
    # Adam-family optimizers run several times higher on healthy runs (watch at 30×), and their first steps move
    # each weight by about the learning rate whatever its gradient (Kingma & Ba 2015): judged from step 50.
    Rule(
        "updates too large",
        "update_ratio",
        True,
        3e-2,
        1e-1,
        "{block}: updates are {value} of the weights per step (healthy is about 0.1%) — lower the learning rate",
        settle=50,
    ),
    # ... and much below means the block barely moves (judged only near the peak learning rate, as a schedule's
    # low end shrinks every update on purpose). Same source.
    Rule(
        "updates too small",
        "update_ratio",
        False,
        1e-5,
        1e-7,
        "{block}: updates are {value} of the weights per step (healthy is about 0.1%) — it barely learns; raise "
        "the learning rate",
        active_lr=0.5,
        settle=50,
    ),
    # No gradient at all: every path back from the loss is cut, most often by a ReLU after it whose units all
    # died (see dying ReLU); its weights no longer change except by weight decay.
    Rule(
        "no gradient",
        "no_gradient",
        True,
        0.5,
        0.5,
        "{block}: it gets no gradient at all, so it has stopped learning — a block after it passes none back (a "
        "dead ReLU?); lower the learning rate",
    ),
    # Vanishing gradient: a block's gradient per weight many orders below that of a block after it. Glorot &
    # Bengio 2010 (back-propagated gradients shrink towards the input); Schneider et al. 2021, "Cockpit" (per-layer
    # gradient norms as the first instrument to read).
    Rule(
        "vanishing gradient",
        "grad_relative",
        False,
        1e-3,
        1e-5,
        "{block}'s gradient per weight is {value} {reference}'s — vanishing gradient; add BatchNorm or skip "
        "connections",
    ),
    # Outputs fading or blowing up through the network: a variance-preserving initialisation keeps them near 1.
    # Glorot & Bengio 2010; He et al. 2015, "Delving deep into rectifiers".
    Rule(
        "fading signal",
        "std",
        False,
        1e-4,
        1e-6,
        "{block}: its outputs barely vary (std {value}) — the signal is fading; add BatchNorm or check the "
        "initialisation",
        weights_only=True,
    ),
    Rule(
        "exploding activations",
        "std",
        True,
        1e3,
        1e5,
        "{block}: its outputs have grown very large (std {value}) — lower the learning rate or add BatchNorm",
        weights_only=True,
    ),
)


@dataclass(frozen=True)
class Finding:
    block: str
    rule: str
    state: str  # watch or problem
    value: float
    sentence: str


def derive(blocks: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, Any]]:
    """The record's numbers with the ones rules compare added: not_finite, no_gradient (a gradient of exactly 0),
    and grad_relative (a block's gradient per weight over the largest of the blocks after it, with reference naming
    that block)."""
    out = {name: dict(numbers) for name, numbers in blocks.items()}
    for numbers in out.values():
        numbers["not_finite"] = float(any(isinstance(v, float) and not math.isfinite(v) for v in numbers.values()))
    weighted = [
        (name, n["grad_norm"] / math.sqrt(max(1.0, n.get("params", 1.0))))
        for name, n in out.items()
        if "grad_norm" in n and math.isfinite(n["grad_norm"])
    ]
    best: tuple[str, float] | None = None  # the largest gradient per weight after the block, walking backwards
    for name, rms in reversed(weighted):
        if rms == 0:
            out[name]["no_gradient"] = 1.0
        elif best is not None and best[1] > 0:
            out[name]["grad_relative"] = rms / best[1]
            out[name]["reference"] = best[0]
        if best is None or rms > best[1]:
            best = (name, rms)
    return out


def judge(
    blocks: Mapping[str, Mapping[str, float]], window: int, lr: float = 1.0, peak_lr: float = 1.0, step: int = 0
) -> list[Finding]:
    """The rules a record (of global step, over window steps) trips, block by block in the network's order, each
    with its sentence."""
    found = []
    for name, numbers in derive(blocks).items():
        for rule in RULES:
            value = numbers.get(rule.metric)
            if value is None or step < rule.settle or (rule.active_lr and lr < rule.active_lr * peak_lr):
                continue
            if rule.weights_only and "params" not in numbers:
                continue
            if rule.metric != "not_finite" and not math.isfinite(value):
                continue
            state = _state(rule, value)
            if state != OK:
                text = rule.sentence.format(
                    block=name, value=show(rule.metric, value), window=window, reference=numbers.get("reference", "")
                )
                found.append(Finding(name, rule.name, state, value, text))
    return found


def states(findings: list[Finding]) -> dict[str, str]:
    """The worst state of each block that tripped a rule."""
    out: dict[str, str] = {}
    for f in findings:
        if STATES.index(f.state) > STATES.index(out.get(f.block, OK)):
            out[f.block] = f.state
    return out


def _state(rule: Rule, value: float) -> str:
    def past(limit: float) -> bool:
        return value >= limit if rule.above else value <= limit

    return PROBLEM if past(rule.problem) else WATCH if past(rule.watch) else OK


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def show(metric: str, value: float) -> str:
    """A number as a rule's sentence shows it: shares as percentages, gradient ratios as powers of ten."""
    if metric in ("dead", "saturated"):
        return f"{value:.0%}"
    if metric == "update_ratio":
        return f"{value:.1%}" if value >= 1e-3 else f"{value:.0e}"
    if metric == "grad_relative":
        return "10" + str(round(math.log10(value))).translate(_SUPERSCRIPT) + " times"
    return f"{value:.3g}"
