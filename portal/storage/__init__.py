"""File storage: one interface (`Storage`), a local-disk and an S3 backend, chosen by the `STORAGE_BACKEND` setting.

Each file row records the backend name it was saved with, so `backend_named` can still read old rows after the
setting changes.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from portal.storage.base import PresignedUpload, Storage, StoredObject
from portal.storage.content_disposition import content_disposition
from portal.storage.local import LocalStorage
from portal.storage.s3 import S3Storage
from portal.storage.sniff import ALLOWED_TYPES, extension_for, sniff_content_type

__all__ = [
    "ALLOWED_TYPES",
    "LocalStorage",
    "PresignedUpload",
    "S3Storage",
    "Storage",
    "StoredObject",
    "backend_named",
    "build_storage",
    "content_disposition",
    "extension_for",
    "get_storage",
    "init_storage",
    "sniff_content_type",
]

BACKENDS = ("local", "s3")


def build_storage(name: str, config: Mapping[str, Any], instance_path: str) -> Storage:
    """A new backend called `name` built from the settings; ValueError for an unknown name."""
    if name == "local":
        root = config.get("LOCAL_STORAGE_DIR") or os.path.join(instance_path, "files")
        return LocalStorage(root)
    if name == "s3":
        return S3Storage(
            bucket=config["S3_BUCKET"],
            region=config["S3_REGION"],
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
            create_bucket=bool(config.get("S3_CREATE_BUCKET", False)),
        )
    raise ValueError(f"unknown storage backend {name!r}; expected one of {', '.join(BACKENDS)}")


def init_storage(app: Flask) -> Storage:
    """Build the backend named by `STORAGE_BACKEND` and keep it in `app.extensions["storage"]`."""
    storage = build_storage(app.config.get("STORAGE_BACKEND", "local"), app.config, app.instance_path)
    app.extensions["storage"] = storage
    return storage


def get_storage(app: Flask | None = None) -> Storage:
    """The configured backend of `app` (default: the current app)."""
    target = app if app is not None else current_app
    return target.extensions["storage"]


def backend_named(name: str, app: Flask | None = None) -> Storage:
    """The backend a file row was saved with: the configured one, or the other one built (once) from the settings."""
    target = app if app is not None else current_app
    configured = get_storage(target)
    if configured.name == name:
        return configured
    cache_key = f"storage.{name}"
    storage = target.extensions.get(cache_key)
    if storage is None:
        storage = build_storage(name, target.config, target.instance_path)
        target.extensions[cache_key] = storage
    return storage
