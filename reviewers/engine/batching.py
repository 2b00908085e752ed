"""Bulk work without the cyclic garbage collector in the way.

The engine's entry points build hundreds of thousands of small tuples and dicts and no reference cycles. CPython
starts a collection every few hundred allocations and, every so often, walks every live object of the process
(the round's entries, the existing pairs …): measured here, up to a third of the time of an assignment at
100,000 entries. Reference counting still frees everything at once; the collector is paused, never left off.
"""
from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with the cyclic collector paused (restored afterwards, also on error, if it was on)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper
