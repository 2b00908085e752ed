"""Rendered library fragments (a practice's body, a search's results and facets) remembered per process.

What these fragments show depends only on the index and the items, and every publish, edit or unpublish changes the
index (`SearchIndex.version()`), in any process: the whole cache is dropped when the version moves. While the index is
marked stale (a write failed, so the index may be behind the database) nothing is served from the cache. A key must
name everything else a fragment depends on (the locale, the request's arguments, the item's `updated_at`).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable

from flask import Flask
from markupsafe import Markup

from portal.services import search_sync

EXTENSION = "library_fragments"


def cached_fragment(app: Flask, key: Hashable, render: Callable[[], str]) -> Markup:
    """The fragment for `key`, rendered by `render()` when it is not cached for the index's current version."""
    if not app.config["LIBRARY_FRAGMENT_CACHE"] or search_sync.stale_marker(app).exists():
        return Markup(render())
    version = search_sync.index_for(app).version()
    if version is None:
        return Markup(render())
    held = app.extensions.get(EXTENSION)
    if held is None or held[0] != version:
        held = app.extensions[EXTENSION] = (version, OrderedDict())
    cache: OrderedDict = held[1]
    html = cache.get(key)
    if html is None:
        html = cache[key] = Markup(render())
        if len(cache) > app.config["LIBRARY_FRAGMENT_CACHE_SIZE"]:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return html
