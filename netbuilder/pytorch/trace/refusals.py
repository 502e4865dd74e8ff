"""Refusals: the errors an import raises, and the one sentence that lists the operations with no exact block."""

from __future__ import annotations

from netbuilder.core.text import clean

LISTED_CHARS = 240  # a refusal lists operations up to about this many characters, then counts the rest


class ModelImportError(Exception):
    """A model that cannot be imported; the message is one sentence saying why (and what to do)."""


class MissingPackage(ModelImportError):
    """A source whose package, an optional extra, is not installed (timm:NAME without timm)."""


class Unsupported(Exception):
    """One operation without an exact block; the message names it (the same for every place it occurs)."""


def refusal(label: str, refused: dict[str, list[str]]) -> str:
    """One short sentence: the operations with no block, the most frequent first, each with its count and first
    place; past LISTED_CHARS the rest are counted, never listed."""
    parts = [
        f"{op} ×{len(places)} (first at {clean(places[0], 30)})"
        if len(places) > 1
        else f"{op} (at {clean(places[0], 30)})"
        for op, places in sorted(refused.items(), key=lambda item: -len(item[1]))
    ]
    shown = 1 + sum(1 for i in range(2, len(parts) + 1) if len(", ".join(parts[:i])) <= LISTED_CHARS)
    listed = ", ".join(parts[:shown]) + (f" and {len(parts) - shown} more" if shown < len(parts) else "")
    n = len(parts)
    return (
        f"{clean(label)} uses {n} operation{'s' if n > 1 else ''} NetBuilder has no block for: {listed}; the "
        f"import was refused rather than give a different network."
    )
