"""Upsample: enlarges height and width by a scale (or to a size), nearest or bilinear."""

from __future__ import annotations

from math import floor
from typing import Any

from netbuilder.core.blocks.base import (
    BlockType,
    ImportRefused,
    Layer,
    Params,
    Shape,
    Situation,
    fmt_pair,
    no_cost,
    remove_if_vector,
    torch_pair,
    volume,
)
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.fields import Field
from netbuilder.core.text import quote

DOCS = "https://pytorch.org/docs/stable/generated/torch.nn.Upsample.html"
UPSAMPLE_TOO_SMALL = ErrorKind(
    "upsample_too_small",
    lambda scale, height, width: (
        f"scaling its {height}×{width} input by {scale:g} leaves no pixel. Raise scale_factor or give a size."
    ),
)


def _shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = volume(inputs, "upsampling", "Move it before the Flatten or Linear blocks, or remove it.")
    if p["size"] is not None:
        return (c, *p["size"])
    out = (floor(h * p["scale_factor"]), floor(w * p["scale_factor"]))
    if min(out) < 1:
        raise UPSAMPLE_TOO_SMALL(scale=p["scale_factor"], height=h, width=w)
    return (c, *out)


def _formula(s: Situation) -> list[str]:
    if s.volume is None or s.output is None:
        return []
    _, h, w = s.volume
    if s.values["size"] is not None:
        return [f"{h}×{w} → {fmt_pair(s.output[1:])} (its size)"]
    scale = s.values["scale_factor"]
    return [f"out = ⌊in × {scale:g}⌋: {h}×{w} → {fmt_pair(s.output[1:])}"]


def _import(m: Any, shapes: list[Shape], out: Shape) -> Params:
    """torch.nn.Upsample (or F.interpolate) of a N×C×H×W batch, nearest or bilinear, by one scale for height and
    width; by a size (or a scale recomputed as one), at the size it traced to."""
    if m.mode not in ("nearest", "bilinear"):
        raise ImportRefused(f"with mode {quote(m.mode)}")
    if len(shapes[0]) != 4:
        raise ImportRefused(f"of a {len(shapes[0])}-dimensional tensor")
    found = {"mode": m.mode, "align_corners": bool(m.align_corners)}
    if m.size is not None or m.recompute_scale_factor:
        return found | {"size": torch_pair(tuple(out[2:]))}
    scales = tuple(m.scale_factor) if isinstance(m.scale_factor, (tuple, list)) else (m.scale_factor,) * 2
    if scales[0] != scales[1]:
        raise ImportRefused("with different scales for height and width")
    return found | {"scale_factor": float(scales[0])}


def _scale(p: Params) -> str:
    """×2, or → 64×64 for a size."""
    return f"→ {fmt_pair(p['size'])}" if p["size"] is not None else f"×{p['scale_factor']:g}"


def _layer(p: Params, inputs: list[Shape]) -> Layer:
    kwargs: dict[str, Any] = {"size": p["size"]} if p["size"] is not None else {"scale_factor": p["scale_factor"]}
    if p["mode"] == "bilinear":
        kwargs |= {"mode": "bilinear"} | ({"align_corners": True} if p["align_corners"] else {})
    return Layer("Upsample", kwargs=kwargs)


UPSAMPLE = BlockType(
    name="Upsample",
    category="resampling",
    help="Enlarges height and width by scale_factor (or to size), repeating pixels (nearest) or blending them "
    "(bilinear); no weights.",
    params=(
        Field(
            "mode", "choice", "nearest", "nearest: repeat pixels; bilinear: blend them", choices=("nearest", "bilinear")
        ),
        Field(
            "scale_factor",
            "float",
            2.0,
            "how many times larger",
            min=0.01,
            max=64.0,
            step=0.5,
            decimals=3,
            used_when=("size", (None,)),
        ),
        Field(
            "size", "pair", None, "height and width of the output (empty: scale_factor)", min=1, max=8192, nullable=True
        ),
        Field(
            "align_corners",
            "bool",
            False,
            "bilinear: the corner pixels of input and output align",
            used_when=("mode", ("bilinear",)),
        ),
    ),  # fmt: skip
    output_shape=_shape,
    cost=no_cost,
    summary=lambda p, i: f"{p['mode']} · {_scale(p)}",
    compute=_layer,
    formula=_formula,
    fixes=remove_if_vector,
    id_base=lambda p: "up",
    imports={"Upsample": _import},
    short=lambda p: "upsample",
    caption=lambda p: f"{p['mode']} {_scale(p)}",
    idea=lambda p: ("upsampling, as torch.nn.Upsample computes it", DOCS),
    follows=(("Conv2d", {}), ("Add", {}), ("Concat", {})),
)
