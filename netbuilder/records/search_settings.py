"""What a search may vary and how it runs, without Optuna or torch: the sampler and pruner names, where studies
are stored, the checks of a search space against the training settings and the blocks, and the first range a
setting gets when it is marked "search". The window, `netbuilder check` and the search engine share them."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document
from netbuilder.core.search_space import Choice, Dim, Range, SearchSpace
from netbuilder.records.config import Setting, TrainConfig, settings
from netbuilder.records.train_error import TrainError

SAMPLERS = ("tpe", "random")  # here rather than in train.search, which imports Optuna
PRUNERS = ("median", "hyperband")
STORAGE_FILE = "studies.db"  # the SQLite file in the runs folder that holds studies by default


def check_training(space: SearchSpace, base: TrainConfig | None = None) -> None:
    """Raise TrainError when a searched training setting does not exist or a value it can take is not allowed."""
    known = {s.name: s for s in settings()}
    for name, dim in space.training.items():
        setting = known.get(name)
        if setting is None:
            raise TrainError(f"The search names a training setting {name!r} that does not exist.")
        if isinstance(dim, Range) and setting.kind not in (int, float):
            raise TrainError(f"The setting {name} takes a list of choices to search, not a range.")
        if (
            isinstance(dim, Range)
            and setting.kind is int
            and not all(float(v).is_integer() for v in (dim.low, dim.high))
        ):
            raise TrainError(f"The setting {name} is a whole number; its search range needs whole-number ends.")
        for value in dim.values if isinstance(dim, Choice) else (_as(setting, dim.low), _as(setting, dim.high)):
            setting.check(value)
    if base is not None:
        base.replace(**{name: _as(known[name], _first(dim)) for name, dim in space.training.items()})


def check_blocks(document: Document) -> None:
    """Raise TrainError with the block's own sentence when the network has a block of a type this version does
    not know (a file from a newer NetBuilder): no trial of it could be built."""
    unknown = next((nid for nid, node in document.graph.nodes.items() if node.type not in REGISTRY), None)
    if unknown is not None:
        raise TrainError(check(document.graph).nodes[unknown].error or "The network is not valid.")


def searchable(setting: Setting) -> bool:
    """Whether a training setting can be searched: a number, or one of its choices."""
    return setting.kind in (int, float) or bool(setting.rules.get("choices"))


def first_setting_guess(setting: Setting, value: Any) -> Dim | None:
    """The range or list a setting gets when it is first marked "search": around its value, within its rules
    (None when nothing simple fits)."""
    candidates: list[Dim] = []
    choices = setting.rules.get("choices")
    if choices:
        candidates.append(Choice((value, *[c for c in choices if c != value][:1])))
    elif setting.kind is int and isinstance(value, int):
        candidates += [Choice(tuple(dict.fromkeys((max(1, value // 2), value, value * 2)))), Choice((value, value + 1))]
    elif setting.kind is float and isinstance(value, (int, float)) and value > 0:
        candidates += [
            Range(float(f"{value / 10:.3g}"), float(f"{value * 10:.3g}"), log=True),
            Range(float(f"{value / 2:.3g}"), float(f"{value * 1.5:.3g}")),
        ]
    for dim in candidates:
        if isinstance(dim, Choice) and len(dim.values) < 2:
            continue
        try:
            check_training(SearchSpace(training={setting.name: dim}))
        except TrainError:
            continue
        return dim
    return None


def _as(setting: Setting, value: Any) -> Any:
    return int(value) if setting.kind is int else float(value) if setting.kind is float else value


def _first(dim: Dim) -> Any:
    return dim.values[0] if isinstance(dim, Choice) else dim.low
