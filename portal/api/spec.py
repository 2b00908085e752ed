"""The OpenAPI 3 document of this API, kept beside the code in `openapi.json`."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import jsonify

from portal.api import bp

SPEC_PATH = Path(__file__).with_name("openapi.json")


@cache
def load_spec() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    return jsonify(load_spec())
