"""Safe text for sentences: strings from files quoted with control characters escaped and cut short,
and integers of any size written without overflow."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

QUOTE_LIMIT = 80
_DIGITS_LIMIT = 30  # past this many digits a number is written as "a 4,301-digit number"
_BOUND = 10**_DIGITS_LIMIT


def _escape(ch: str) -> str:
    if ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Zl", "Zp"):
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(value: object, limit: int = QUOTE_LIMIT) -> str:
    """str(value) with control and format characters escaped (ANSI escapes become \\x1b[...), cut so the
    result, escapes included, holds at most limit characters before its "…"."""
    text = value if isinstance(value, str) else repr(value)
    if text.isprintable():  # nothing to escape (isprintable is false for control and format characters)
        return text if len(text) <= limit else text[:limit] + "…"
    out: list[str] = []
    size = 0
    for ch in text:
        piece = _escape(ch)
        size += len(piece)
        if size > limit:
            return "".join(out) + "…"
        out.append(piece)
    return "".join(out)


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A string from an untrusted file, safe for a terminal or a sentence: 'conv\\x1b[2J…'."""
    return f"'{clean(value, limit)}'"


def fmt_int(n: int, grouped: bool = True) -> str:
    """An int with thousands separators (or none); absurdly long ones by their length (never
    OverflowError/ValueError)."""
    n = int(n)
    if -_BOUND < n < _BOUND:
        return f"{n:,}" if grouped else str(n)
    digits = n.bit_length() * 0.30103  # log10(2): no str() of a huge int, which Python refuses past 4,300 digits
    return f"a {'negative ' if n < 0 else ''}{int(digits) + 1:,}-digit number"


def at_most(items: list[str], limit: int = 10, show: Callable[[str], str] = str) -> list[str]:
    """The first `limit` items (each through show), then "and N more", so a listing stays short however many
    there are, and only what is listed is written out."""
    kept = [show(item) for item in items[:limit]]
    return [*kept, f"and {fmt_int(len(items) - limit)} more"] if len(items) > limit else kept


def safe(text: str) -> str:
    """A whole sentence or line for a terminal, nothing cut: control and format characters (an escape sequence,
    a carriage return, a bell) from file names, folder names or class names escaped as in clean."""
    return clean(text, 10 * len(text) + 1)
