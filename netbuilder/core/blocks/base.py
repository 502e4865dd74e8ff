"""What every block definition is made of: the BlockType record, how a block computes (as data), the
conv/pool arithmetic, and fixes.

Shapes are per sample, without the batch: (C, H, W) for volumes, (F,) for vectors.
Costs are (parameters, multiply-adds); multiply-adds count Conv2d and Linear only, as
torchvision's published operation counts do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.check.problems import ErrorKind, Problem
from netbuilder.core.fields import Field, Pair, to_json
from netbuilder.core.text import fmt_int

Shape = tuple[int, ...]
Params = dict[str, Any]


def fmt_shape(shape: Shape) -> str:
    """64×32×32 for a volume, 512 for a vector."""
    try:
        return "×".join(map(str, shape))
    except ValueError:  # more digits than Python writes out
        return "×".join(fmt_int(v, grouped=False) for v in shape)


def fmt_pair(pair: Pair) -> str:
    return f"{pair[0]}×{pair[1]}"


def fmt_side(pair: Pair) -> str:
    """3 for a square pair, 3×5 otherwise."""
    return str(pair[0]) if pair[0] == pair[1] else fmt_pair(pair)


def fmt_param(pair: Pair) -> str:
    """A pair as a person types it in a file: 1, or [1, 2]."""
    return str(pair[0]) if pair[0] == pair[1] else f"[{pair[0]}, {pair[1]}]"


def window_out(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """The conv/pool arithmetic: floor((n + 2p − d·(k−1) − 1)/s) + 1, with torch's ceil_mode rule."""
    span = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= n + p:  # the last window must start inside the input or its left padding
            out -= 1
        return out
    return span // s + 1


# How a block computes, as plain data that pytorch/ turns into torch calls and model.py source ----------


@dataclass(frozen=True)
class Layer:
    """<home>.<cls>(*args, **kwargs): what build() constructs and model.py prints as it stands, args by position
    and kwargs by name; a block leaves out the kwargs equal to the layer's defaults (`changed`). flatten: a
    volume is flattened before it. home is "nn" for torch.nn, or "netbuilder" for NetBuilder's own layers
    (netbuilder.pytorch.layers, whose source model.py carries, so that it needs only torch)."""

    cls: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    flatten: bool = False
    home: str = "nn"


def changed(values: Params, /, **defaults: Any) -> Params:
    """Each value named in defaults that is not that default (defaults: the layer's own, by its argument names),
    in defaults' order: a Layer's keyword arguments, so that model.py says only what differs."""
    return {name: values[name] for name, default in defaults.items() if values[name] != default}


@dataclass(frozen=True)
class Infix:
    """An operator between the inputs, in port order: a + b + c."""

    op: str


@dataclass(frozen=True)
class Call:
    """torch.<fn>([inputs in port order], **kwargs)."""

    fn: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """The network's input batch."""


Compute = Layer | Infix | Call | Source


# Fixes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fix:
    """A change that repairs or improves a block. kind: params (merge `params`), remove, or insert
    (put a block of `block_type` in front of input `port`)."""

    label: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    block_type: str = ""
    port: int = 0


@dataclass(frozen=True)
class Situation:
    """What a block's explanation and fixes may read: its values, the shapes reaching each input port
    (None where nothing arrives), its output shape, and its problem (None when it is valid)."""

    values: Params
    inputs: list[Shape | None]
    output: Shape | None
    problem: Problem | None

    def has(self, *kinds: ErrorKind) -> bool:
        return self.problem is not None and self.problem.kind in kinds

    @property
    def volume(self) -> Shape | None:
        """The C×H×W volume reaching a single-input block, also when the block itself failed."""
        if len(self.inputs) != 1 or self.inputs[0] is None or len(self.inputs[0]) != 3:
            return None
        return self.inputs[0]


def _nothing(s: Situation) -> list[Any]:
    return []


# Importing -----------------------------------------------------------------------------------------------


class ImportRefused(Exception):
    """A torch layer or operation in a variant the block does not compute exactly; the message describes the
    variant after its name ("with padding_mode 'reflect'")."""


# How a torch layer becomes the block's params: rule(layer, input shapes, output shape), the shapes as torch
# traced them (batch first). The layer is read by its attributes, so core never imports torch; for an
# operation (add, cat) it is the operation's arguments as keywords. Raises ImportRefused.
ImportRule = Callable[[Any, list[Shape], Shape], Params]


def torch_pair(value: Any) -> Any:
    """A torch int-or-pair argument as a file writes the pair: 3, or [3, 5]."""
    return to_json(tuple(value) if isinstance(value, (tuple, list)) else (value, value))


# How a block is shown and watched ------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """An activation family, as training health watches its units: a ReLU-family unit dies when it is never
    positive (nonnegative: its outputs are never below 0, so a sum tells whether it fired); a saturating one sticks
    within a margin of its bounds (low, high)."""

    dies: bool = False
    nonnegative: bool = False
    bounds: tuple[float, float] | None = None


# The block type ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockType:
    """One kind of block, all in one place: schema, shape rule, cost, how it computes, its explanation
    and fixes, and how an imported torch layer becomes one (imports: by torch.nn class name, or operation)."""

    name: str
    category: str
    help: str
    params: tuple[Field, ...]
    output_shape: Callable[[list[Shape], Params], Shape]
    cost: Callable[[list[Shape], Shape, Params], tuple[int, int]]
    summary: Callable[[Params, list[Shape]], str]
    compute: Callable[[Params, list[Shape]], Compute]
    inputs: Callable[[Params], int] = lambda p: 1
    # True where the block turns logits into class probabilities: at the end of a network it is left
    # to predict(), so that training can use cross-entropy on forward()'s logits.
    probabilities: Callable[[Params], bool] = lambda p: False
    formula: Callable[[Situation], list[str]] = _nothing  # its arithmetic with its numbers
    warnings: Callable[[Situation], list[str]] = _nothing  # valid but probably unintended
    fixes: Callable[[Situation], list[Fix]] = _nothing  # one-click changes for its problem or warnings
    id_base: Callable[[Params], str] | None = None  # how new blocks are named (default: the lowercase type)
    imports: dict[str, ImportRule] = field(default_factory=dict)
    # The idea behind the block with these values, and where it was introduced: (idea, paper's URL).
    idea: Callable[[Params], tuple[str, str] | None] = lambda p: None
    # Its short name in small print, with params that may be incomplete (a folded group's contents: 2 conv · 2 BN ·
    # 2 relu): default the lowercase type; and its caption on the volumes picture, with its checked values
    # (conv 3×3 /2, drop 0.5): default the short name.
    short: Callable[[Params], str] | None = None
    caption: Callable[[Params], str] | None = None
    # What usually follows it, likeliest first: (block type, the params that tell it apart), as quick-add ranks
    # the blocks a wire dropped from it may feed.
    follows: tuple[tuple[str, Params], ...] = ()
    kernel: Callable[[Params], Pair] | None = None  # the window it slides (drawn on its input's cuboid)
    family: Callable[[Params], Family | None] = lambda p: None  # the activation family health watches
    filters: bool = False  # its weight is out×in×kH×kW filters over its input, shown as image patches

    def spec(self, name: str) -> Field:
        return next(s for s in self.params if s.name == name)

    @property
    def takes_no_input(self) -> bool:
        """True for the block where data enters the network (it has no input port)."""
        return self.inputs({s.name: s.default for s in self.params}) == 0

    def new_id_base(self, params: Params) -> str:
        return self.id_base(params) if self.id_base is not None else self.name.lower()

    def short_of(self, params: Params) -> str:
        return self.short(params) if self.short is not None else self.name.lower()

    def caption_of(self, values: Params) -> str:
        return self.caption(values) if self.caption is not None else self.short_of(values)


def no_cost(inputs: list[Shape], out: Shape, p: Params) -> tuple[int, int]:
    return 0, 0


def same_shape(inputs: list[Shape], p: Params) -> Shape:
    return inputs[0]


NEEDS_VOLUME = ErrorKind(
    "needs_volume",
    lambda what, features, fix: f"its {what} needs a C×H×W volume but receives a vector of {features} features. {fix}",
)


def volume(inputs: list[Shape], what: str, fix: str) -> tuple[int, int, int]:
    """The C×H×W volume a spatial block receives, or NEEDS_VOLUME."""
    shape = inputs[0]
    if len(shape) != 3:
        raise NEEDS_VOLUME(what=what, features=shape[0], fix=fix)
    return shape  # type: ignore[return-value]


def remove_if_vector(s: Situation) -> list[Fix]:
    return [Fix("Remove this block", "remove")] if s.has(NEEDS_VOLUME) else []
