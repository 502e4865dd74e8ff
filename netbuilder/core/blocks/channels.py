"""ChannelShuffle and Narrow: blocks that rearrange or select channels."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks.base import (
    BlockType,
    Fix,
    ImportRefused,
    Layer,
    Params,
    Shape,
    Situation,
    no_cost,
    remove_if_vector,
    volume,
)
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.fields import Field

SHUFFLE_GROUPS = ErrorKind(
    "shuffle_groups",
    lambda groups, channels: (
        f"its {groups} groups do not divide the {channels} channels that reach it. Set groups to a divisor of "
        f"{channels}, such as the groups of the grouped Conv2d before it."
    ),
)
NARROW_OUTSIDE = ErrorKind(
    "narrow_outside",
    lambda start, length, channels: (
        f"it takes channels {start} to {start + length - 1}, but only {channels} channels (0 to {channels - 1}) "
        f"reach it. Lower start or length."
    ),
)


def _shuffle_shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = volume(inputs, "shuffle", "Move it before the Flatten or Linear blocks, or remove it.")
    if c % p["groups"]:
        raise SHUFFLE_GROUPS(groups=p["groups"], channels=c)
    return (c, h, w)


def _shuffle_formula(s: Situation) -> list[str]:
    if s.output is None:
        return []
    c, g = s.output[0], s.values["groups"]
    return [f"{g} groups of {c // g} channels, interleaved: channel i of group k moves to i·{g} + k"]


def _narrow_shape(inputs: list[Shape], p: Params) -> Shape:
    channels = inputs[0][0]
    if p["start"] + p["length"] > channels:
        raise NARROW_OUTSIDE(start=p["start"], length=p["length"], channels=channels)
    return (p["length"], *inputs[0][1:])


def _narrow_fixes(s: Situation) -> list[Fix]:
    if not s.has(NARROW_OUTSIDE) or not s.inputs or s.inputs[0] is None:
        return []
    channels = s.inputs[0][0]
    start = min(s.values["start"], channels - 1)
    return [Fix(f"Take channels {start} to {channels - 1}", "params", {"start": start, "length": channels - start})]


def _import_shuffle(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """ShuffleNet's channel shuffle of a N×C×H×W batch (args: groups)."""
    if len(shapes[0]) != 4 or shapes[0][1] % args["groups"]:
        raise ImportRefused(f"in {args['groups']} groups of a tensor of {len(shapes[0])} dimensions")
    return {"groups": args["groups"]}


def _import_narrow(args: dict[str, Any], shapes: list[Shape], out: Shape) -> Params:
    """A slice of the channels: torch.narrow, a chunk or a split (args: dim, start, length)."""
    if args["dim"] % len(shapes[0]) != 1:
        raise ImportRefused(f"along dimension {args['dim']}")
    return {"start": args["start"], "length": args["length"]}


CHANNEL_SHUFFLE = BlockType(
    name="ChannelShuffle",
    category="shape",
    help="Interleaves the channels of its groups, so the next grouped convolution mixes information across groups.",
    params=(Field("groups", "int", 2, "number of channel groups to interleave", min=1, max=65536),),
    output_shape=_shuffle_shape,
    cost=no_cost,
    summary=lambda p, i: f"{p['groups']} groups",
    compute=lambda p, i: Layer("ChannelShuffle", kwargs={"groups": p["groups"]}, home="netbuilder"),
    formula=_shuffle_formula,
    fixes=remove_if_vector,
    id_base=lambda p: "shuffle",
    short=lambda p: "shuffle",
    imports={"channel_shuffle": _import_shuffle},
    idea=lambda p: ("channel shuffle for grouped convolutions (ShuffleNet)", "https://arxiv.org/abs/1707.01083"),
)

NARROW = BlockType(
    name="Narrow",
    category="shape",
    help="Keeps length channels (or features) from start on; two Narrows split a volume in two.",
    params=(
        Field("start", "int", 0, "the first channel kept (counted from 0)", min=0, max=65535),
        Field("length", "int", 16, "how many channels are kept", min=1, max=65536),
    ),
    output_shape=_narrow_shape,
    cost=no_cost,
    summary=lambda p, i: f"{p['start']}…{p['start'] + p['length'] - 1}",
    compute=lambda p, i: Layer("Narrow", kwargs={"start": p["start"], "length": p["length"]}, home="netbuilder"),
    fixes=_narrow_fixes,
    id_base=lambda p: "narrow",
    imports={"narrow": _import_narrow},
    idea=lambda p: ("a channel split, as in ShuffleNet V2's units", "https://arxiv.org/abs/1807.11164"),
)
