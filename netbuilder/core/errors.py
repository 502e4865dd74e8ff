"""Error helpers shared by the floors above core (no torch: trace, export and training all use them)."""

from __future__ import annotations


def error_summary(e: BaseException) -> str:
    """An exception of foreign code in a few words: its class and the start of its first line."""
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0][:200]}" if lines else type(e).__name__
