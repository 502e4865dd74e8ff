"""Conv2d: out_channels learned filters slid over the volume."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks import window
from netbuilder.core.blocks.base import (
    BlockType,
    Fix,
    ImportRefused,
    Layer,
    Params,
    Shape,
    Situation,
    changed,
    fmt_pair,
    fmt_param,
    fmt_side,
    remove_if_vector,
    torch_pair,
    volume,
    window_out,
)
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.fields import Field, Pair, to_json
from netbuilder.core.text import quote

GROUPS_DIVIDE = ErrorKind(
    "conv_groups",
    lambda groups, in_channels, out_channels: (
        f"groups {groups} must divide both its {in_channels} input channels and its {out_channels} out_channels. "
        f"Set groups to a common divisor such as 1."
    ),
)
SAME_NEEDS_STRIDE_1 = ErrorKind(
    "conv_same_stride",
    lambda stride: (
        f"padding 'same' only works with stride 1 (stride is {fmt_side(stride)}). "
        f"Set stride to 1, or give padding as a number."
    ),
)
KERNEL_TOO_LARGE = ErrorKind(
    "conv_kernel_too_large",
    lambda kernel_size, dilation, height, width, padding: (
        f"its {fmt_pair(kernel_size)} kernel (dilation {fmt_side(dilation)}) is larger than the {height}×{width} "
        f"input padded by {fmt_side(padding)}. Lower kernel_size or raise padding."
    ),
)


def _shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = volume(inputs, "kernel", "Move it before the Flatten or Linear blocks, or use Linear instead.")
    k, s, d, g, o = p["kernel_size"], p["stride"], p["dilation"], p["groups"], p["out_channels"]
    if c % g or o % g:
        raise GROUPS_DIVIDE(groups=g, in_channels=c, out_channels=o)
    if p["padding"] == "same":
        if s != (1, 1):
            raise SAME_NEEDS_STRIDE_1(stride=s)
        return (o, h, w)
    pad = p["padding"]
    if h + 2 * pad[0] < d[0] * (k[0] - 1) + 1 or w + 2 * pad[1] < d[1] * (k[1] - 1) + 1:
        raise KERNEL_TOO_LARGE(kernel_size=k, dilation=d, height=h, width=w, padding=pad)
    return (o, window_out(h, k[0], s[0], pad[0], d[0]), window_out(w, k[1], s[1], pad[1], d[1]))


def _cost(inputs: list[Shape], out: Shape, p: Params) -> tuple[int, int]:
    k, g = p["kernel_size"], p["groups"]
    c_in, c_out = inputs[0][0], p["out_channels"]
    weights = c_out * (c_in // g) * k[0] * k[1]
    return weights + (c_out if p["bias"] else 0), weights * out[1] * out[2]


def _summary(p: Params, inputs: list[Shape]) -> str:
    pad = "same" if p["padding"] == "same" else fmt_side(p["padding"])
    parts = [str(p["out_channels"]), fmt_pair(p["kernel_size"]), f"s{fmt_side(p['stride'])}", f"p{pad}"]
    if p["dilation"] != (1, 1):
        parts.append(f"d{fmt_side(p['dilation'])}")
    if p["groups"] != 1:
        parts.append(f"g{p['groups']}")
    return " · ".join(parts)


def _caption(p: Params) -> str:
    """conv 3×3, conv 3×3 /2, conv 1×7 /1×2."""
    stride = p["stride"]
    step = "" if stride == (1, 1) else f" /{fmt_side(stride)}"
    return f"conv {fmt_pair(p['kernel_size'])}{step}"


def _window(p: Params) -> window.Window:
    return p["kernel_size"], p["stride"], p["padding"], p["dilation"], False


def _keep_size_padding(p: Params) -> Pair | None:
    """The padding that keeps height and width at stride 1, if there is one."""
    k, s, d = p["kernel_size"], p["stride"], p["dilation"]
    if s != (1, 1) or any((d[i] * (k[i] - 1)) % 2 for i in (0, 1)):
        return None
    return (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)


def _fixes(s: Situation) -> list[Fix]:
    p, shape = s.values, s.volume
    found: list[Fix] = []
    if s.has(GROUPS_DIVIDE):
        found.append(Fix("Set groups to 1", "params", {"groups": 1}))
    if s.has(SAME_NEEDS_STRIDE_1):
        found.append(Fix("Set stride to 1", "params", {"stride": 1}))
    keep = _keep_size_padding(p)
    shrinks = s.output is not None and shape is not None and s.output[1:] != shape[1:]
    if keep is not None and p["padding"] != keep and (shrinks or s.has(KERNEL_TOO_LARGE)):
        size = f" (keeps {shape[1]}×{shape[2]})" if shape else ""
        found.append(Fix(f"Set padding to {fmt_param(keep)}{size}", "params", {"padding": to_json(keep)}))
    if s.has(KERNEL_TOO_LARGE) and shape and p["dilation"] == (1, 1):
        pad = p["padding"]
        keeps = (2 * pad[0] + 1, 2 * pad[1] + 1)
        if p["stride"] == (1, 1) and keeps != (1, 1):
            found.append(
                Fix(
                    f"Set kernel_size to {fmt_param(keeps)} (keeps {shape[1]}×{shape[2]})",
                    "params",
                    {"kernel_size": to_json(keeps)},
                )
            )
        largest = (shape[1] + 2 * pad[0], shape[2] + 2 * pad[1])
        found.append(
            Fix(
                f"Set kernel_size to {fmt_param(largest)} (the largest that fits)",
                "params",
                {"kernel_size": to_json(largest)},
            )
        )
    return found + remove_if_vector(s)


def _import(m: Any, shapes: list[Shape], out: Shape) -> Params:
    """torch.nn.Conv2d, zero padding only."""
    if m.padding_mode != "zeros":
        raise ImportRefused(f"with padding_mode {quote(m.padding_mode)}")
    padding = 0 if m.padding == "valid" else m.padding
    return {
        "out_channels": m.out_channels,
        "kernel_size": torch_pair(m.kernel_size),
        "stride": torch_pair(m.stride),
        "padding": padding if padding == "same" else torch_pair(padding),
        "dilation": torch_pair(m.dilation),
        "groups": m.groups,
        "bias": m.bias is not None,
    }


CONV2D = BlockType(
    name="Conv2d",
    category="layer",
    help="Slides out_channels learned filters over the volume; each gives one output channel.",
    params=(
        Field("out_channels", "int", 64, "number of filters, the depth of the output", min=1, max=65536),
        Field("kernel_size", "pair", 3, "height and width of each filter", min=1, max=1024),
        Field("stride", "pair", 1, "step between filter positions", min=1, max=1024),
        Field("padding", "padding", 0, "zeros added on each side, or 'same'", min=0, max=1024),
        Field("dilation", "pair", 1, "spacing between filter taps", min=1, max=1024),
        Field("groups", "int", 1, "split channels into independent groups", min=1, max=65536),
        Field("bias", "bool", True, "add a learned bias per output channel"),
    ),
    output_shape=_shape,
    cost=_cost,
    summary=_summary,
    compute=lambda p, i: Layer(
        "Conv2d",
        (i[0][0], p["out_channels"]),
        {
            "kernel_size": p["kernel_size"],
            **changed(p, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True),
        },
    ),
    formula=lambda s: window.formula(s, _window(s.values)),
    warnings=lambda s: window.warnings(s, _window(s.values)),
    fixes=_fixes,
    id_base=lambda p: "conv",
    imports={"Conv2d": _import},
    short=lambda p: "conv",
    caption=_caption,
    follows=(("BatchNorm", {}), ("Activation", {"function": "relu"}), ("Pool2d", {"mode": "max"}), ("Conv2d", {})),
    kernel=lambda p: p["kernel_size"],
    filters=True,
    idea=lambda p: (
        (
            "grouped convolution; with groups = in_channels, the depthwise half of a depthwise separable convolution "
            "(MobileNets)",
            "https://arxiv.org/abs/1704.04861",
        )
        if p.get("groups", 1) > 1
        else None
    ),
)
