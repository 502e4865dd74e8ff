"""What a search may vary and how it runs, without Optuna or torch: the sampler and pruner names, where studies
are stored, the checks of a search space against the training settings and the blocks. The window,
`netbuilder check` and the search engine share them."""

from __future__ import annotations

from typing import Any

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document
from netbuilder.core.search_space import Choice, Dim, SearchSpace, SpaceError, check_dim
from netbuilder.records.config import TrainConfig, settings
from netbuilder.records.train_error import TrainError

SAMPLERS = ("tpe", "random")  # here rather than in train.search, which imports Optuna
PRUNERS = ("median", "hyperband")
STORAGE_FILE = "studies.db"  # the SQLite file in the runs folder that holds studies by default


def check_training(space: SearchSpace, base: TrainConfig | None = None) -> None:
    """Raise TrainError when a searched training setting does not exist or a value it can take is not allowed."""
    known = {s.name: s for s in settings()}
    firsts = {}
    for name, dim in space.training.items():
        setting = known.get(name)
        if setting is None:
            raise TrainError(f"The search names a training setting {name!r} that does not exist.")
        try:
            firsts[name] = _first(check_dim(setting, dim))  # a whole-number range's ends as ints
        except SpaceError as e:
            raise TrainError(f"The setting {e}") from None
    if base is not None:
        base.replace(**firsts)


def check_blocks(document: Document) -> None:
    """Raise TrainError with the block's own sentence when the network has a block of a type this version does
    not know (a file from a newer NetBuilder): no trial of it could be built."""
    unknown = next((nid for nid, node in document.graph.nodes.items() if node.type not in REGISTRY), None)
    if unknown is not None:
        raise TrainError(check(document.graph).nodes[unknown].error or "The network is not valid.")


def _first(dim: Dim) -> Any:
    return dim.values[0] if isinstance(dim, Choice) else dim.low
