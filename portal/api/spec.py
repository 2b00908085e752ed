"""The OpenAPI 3 document of this API: `openapi.json` beside this module, merged with the fragments that feature
packages register in `app.extensions["openapi_fragments"]` (so the core never imports them)."""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from flask import Flask, current_app, jsonify

from portal.api import bp

SPEC_PATH = Path(__file__).with_name("openapi.json")


@cache
def _read(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def register_fragment(app: Flask, path: Path) -> None:
    """Add a feature's part of the document: its `paths` and `components`."""
    app.extensions.setdefault("openapi_fragments", []).append(str(path))


def build_spec(app: Flask) -> dict:
    """The whole document: the core's, with every registered fragment's paths and components added."""
    document = copy.deepcopy(_read(str(SPEC_PATH)))
    for path in app.extensions.get("openapi_fragments", []):
        fragment = _read(path)
        document["paths"].update(fragment.get("paths", {}))
        for section, items in fragment.get("components", {}).items():
            document.setdefault("components", {}).setdefault(section, {}).update(items)
    return document


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec(current_app))
