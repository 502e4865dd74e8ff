"""Typed problems: what is wrong with a block (a kind with its numbers), from which the sentence is rendered.

Fixes are chosen by the kind and read the numbers, never the sentence, so rewording a sentence cannot
silently remove a fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)
class ErrorKind:
    """One kind of problem; render turns its numbers into the sentence a person reads."""

    name: str
    render: Callable[..., str]

    def __call__(self, **data: Any) -> ShapeError:
        """The exception that reports this kind with these numbers."""
        return ShapeError(Problem(self, data))


@dataclass(frozen=True)
class Problem:
    kind: ErrorKind
    data: dict[str, Any]

    @property
    def sentence(self) -> str:
        return self.kind.render(**self.data)


class ShapeError(Exception):
    """A problem with one block that a person can fix; str() is a sentence saying how."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.sentence)
        self.problem = problem
