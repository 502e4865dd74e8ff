"""Pool2d (max or average of each window) and AdaptivePool2d (pool to a fixed size)."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks import window
from netbuilder.core.blocks.base import (
    BlockType,
    Fix,
    ImportRefused,
    ImportRule,
    Layer,
    Params,
    Shape,
    Situation,
    changed,
    fmt_pair,
    fmt_param,
    fmt_side,
    no_cost,
    remove_if_vector,
    torch_pair,
    volume,
    window_out,
)
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.fields import Field, to_json

PADDING_OVER_HALF = ErrorKind(
    "pool_padding",
    lambda padding, kernel_size: (
        f"its padding {fmt_side(padding)} is more than half its {fmt_pair(kernel_size)} window; PyTorch allows at "
        f"most {fmt_side((kernel_size[0] // 2, kernel_size[1] // 2))}. Lower padding or enlarge kernel_size."
    ),
)
WINDOW_TOO_LARGE = ErrorKind(
    "pool_window_too_large",
    lambda kernel_size, channels, height, width: (
        f"its {fmt_pair(kernel_size)} window does not fit the {height}×{width} volume that reaches it "
        f"({channels}×{height}×{width}). Remove this pooling layer, or one of the pooling layers above it."
    ),
)


def _shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = volume(inputs, "window", "Move it before the Flatten or Linear blocks, or remove it.")
    k, pad, ceil = p["kernel_size"], p["padding"], p["ceil_mode"]
    s = p["stride"] or k
    if pad[0] > k[0] // 2 or pad[1] > k[1] // 2:
        raise PADDING_OVER_HALF(padding=pad, kernel_size=k)
    out = (window_out(h, k[0], s[0], pad[0], 1, ceil), window_out(w, k[1], s[1], pad[1], 1, ceil))
    if out[0] < 1 or out[1] < 1:
        raise WINDOW_TOO_LARGE(kernel_size=k, channels=c, height=h, width=w)
    return (c, *out)


def _summary(p: Params, inputs: list[Shape]) -> str:
    s = p["stride"] or p["kernel_size"]
    parts = [p["mode"], fmt_pair(p["kernel_size"]), f"s{fmt_side(s)}"]
    if p["padding"] != (0, 0):
        parts.append(f"p{fmt_side(p['padding'])}")
    if p["ceil_mode"]:
        parts.append("ceil")
    if p["mode"] == "avg" and not p["count_include_pad"]:
        parts.append("excl. pad")
    return " · ".join(parts)


def _window(p: Params) -> window.Window:
    return p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"], (1, 1), p["ceil_mode"]


def _fixes(s: Situation) -> list[Fix]:
    p = s.values
    found: list[Fix] = []
    if s.has(PADDING_OVER_HALF):
        half = (p["kernel_size"][0] // 2, p["kernel_size"][1] // 2)
        found.append(Fix(f"Set padding to {fmt_param(half)}", "params", {"padding": to_json(half)}))
    if s.has(WINDOW_TOO_LARGE):
        found.append(Fix("Remove this pooling layer", "remove"))
    if s.output is not None and window.warnings(s, _window(p)) and not p["ceil_mode"]:
        found.append(Fix("Turn on ceil_mode (keeps the edge pixels)", "params", {"ceil_mode": True}))
    return found + remove_if_vector(s)


def _import(mode: str) -> ImportRule:
    """torch.nn.MaxPool2d (without dilation or indices) or AvgPool2d (without a divisor)."""

    def rule(m: Any, shapes: list[Shape], out: Shape) -> Params:
        if mode == "max" and (m.return_indices or torch_pair(m.dilation) != 1):
            raise ImportRefused("with dilation or return_indices")
        if mode == "avg" and m.divisor_override is not None:
            raise ImportRefused("with divisor_override")
        found = {
            "mode": mode,
            "kernel_size": torch_pair(m.kernel_size),
            "stride": torch_pair(m.stride or m.kernel_size),
            "padding": torch_pair(m.padding),
            "ceil_mode": m.ceil_mode,
        }
        return found | {"count_include_pad": m.count_include_pad} if mode == "avg" else found

    return rule


def _import_adaptive(mode: str) -> ImportRule:
    """torch.nn.AdaptiveAvgPool2d or AdaptiveMaxPool2d, at the size it traced to (exact at every input size, so
    the imported network can be resized)."""
    return lambda m, shapes, out: {"mode": mode, "output_size": torch_pair(tuple(out[2:]))}


def _layer(p: Params, inputs: list[Shape]) -> Layer:
    k = p["kernel_size"]
    values = p | {"stride": p["stride"] or k}  # torch's default stride is the window
    kwargs = {"kernel_size": k, **changed(values, stride=k, padding=(0, 0), ceil_mode=False)}
    if p["mode"] == "max":
        return Layer("MaxPool2d", kwargs=kwargs)
    return Layer("AvgPool2d", kwargs=kwargs | changed(values, count_include_pad=True))


POOL2D = BlockType(
    name="Pool2d",
    category="pooling",
    help="Keeps the maximum (or average) of each window, shrinking height and width.",
    params=(
        Field("mode", "choice", "max", "max or average of each window", choices=("max", "avg")),
        Field("kernel_size", "pair", 2, "height and width of each window", min=1, max=1024),
        Field("stride", "pair", None, "step between windows (empty: kernel_size)", min=1, max=1024, nullable=True),
        Field("padding", "pair", 0, "padding on each side, at most half the window", min=0, max=512),
        Field("ceil_mode", "bool", False, "round the output size up instead of down"),
        Field(
            "count_include_pad",
            "bool",
            True,
            "the padding's zeros count in each window's average",
            used_when=("mode", ("avg",)),
        ),
    ),
    output_shape=_shape,
    cost=no_cost,
    summary=_summary,
    compute=_layer,
    formula=lambda s: window.formula(s, _window(s.values)),
    warnings=lambda s: window.warnings(s, _window(s.values)),
    fixes=_fixes,
    id_base=lambda p: "pool",
    imports={"MaxPool2d": _import("max"), "AvgPool2d": _import("avg")},
    short=lambda p: "pool",
    caption=lambda p: f"{p['mode']} pool {fmt_pair(p['kernel_size'])}",
    follows=(("Conv2d", {}), ("Flatten", {}), ("Dropout", {}), ("BatchNorm", {})),
    kernel=lambda p: p["kernel_size"],
)


def _adaptive_shape(inputs: list[Shape], p: Params) -> Shape:
    c, _, _ = volume(inputs, "pooling", "Move it before the Flatten or Linear blocks, or remove it.")
    return (c, *p["output_size"])


ADAPTIVE_POOL2D = BlockType(
    name="AdaptivePool2d",
    category="pooling",
    help="Pools each channel down to output_size whatever its size (1×1: global average pooling).",
    params=(
        Field("mode", "choice", "avg", "average or max of each region", choices=("avg", "max")),
        Field("output_size", "pair", 1, "height and width of the output", min=1, max=1024),
    ),
    output_shape=_adaptive_shape,
    cost=no_cost,
    summary=lambda p, i: f"{p['mode']} · → {fmt_pair(p['output_size'])}",
    compute=lambda p, i: Layer(
        "AdaptiveMaxPool2d" if p["mode"] == "max" else "AdaptiveAvgPool2d", kwargs={"output_size": p["output_size"]}
    ),
    fixes=remove_if_vector,
    imports={"AdaptiveAvgPool2d": _import_adaptive("avg"), "AdaptiveMaxPool2d": _import_adaptive("max")},
    short=lambda p: "pool",
    caption=lambda p: f"{p['mode']} pool → {fmt_pair(p['output_size'])}",
    follows=(("Flatten", {}), ("Linear", {})),
)
