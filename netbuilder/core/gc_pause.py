"""Pause Python's cyclic garbage collector while a burst of small objects is made.

Reading, checking or tabling a 100,000-block file makes hundreds of thousands of small objects at once; the
collector would scan them all again and again as they are made (a third of the time). Nothing made there
forms a reference cycle that must be freed at once, so it runs after, at its own pace.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
