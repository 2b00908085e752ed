"""reviewers/engine/batching.py: the collector is paused during bulk work and restored as it was."""
from __future__ import annotations

import gc

import pytest

from reviewers.engine.batching import without_gc


@without_gc
def observe(fail: bool = False) -> bool:
    if fail:
        raise RuntimeError("boom")
    return gc.isenabled()


def test_the_collector_is_paused_inside_and_restored_after():
    assert gc.isenabled()
    assert observe() is False
    assert gc.isenabled()


def test_it_is_restored_on_error_too():
    with pytest.raises(RuntimeError, match="boom"):
        observe(fail=True)
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off():
    gc.disable()
    try:
        observe()
        assert not gc.isenabled()
    finally:
        gc.enable()
