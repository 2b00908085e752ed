"""Files on a local disk under one root folder: the embedded default."""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from portal.storage.base import PresignedUpload, StoredObject

CHUNK_SIZE = 1024 * 1024
_TEMP_PREFIX = ".partial-"  # temp files live beside their target until os.replace; iter_keys skips them


def validate_key(key: str) -> None:
    """Raise ValueError unless `key` is a relative, "/"-separated path that stays inside the root."""
    if not key or ".." in key or "\\" in key or "\x00" in key or key.startswith("/") or os.path.isabs(key):
        raise ValueError(f"invalid storage key: {key!r}")
    for part in key.split("/"):
        if part in ("", ".") or part.startswith(_TEMP_PREFIX):
            raise ValueError(f"invalid storage key: {key!r}")


class LocalStorage:
    """Objects as files under `root`; keys are relative paths such as "entries/12/3f9a..."."""

    name = "local"

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def _path(self, key: str) -> str:
        """The file path of `key`, after rejecting keys that could leave the root."""
        validate_key(key)
        return os.path.join(self.root, *key.split("/"))

    def save(self, key: str, stream: BinaryIO) -> StoredObject:
        """Copy `stream` in 1 MiB chunks to a temp file, then atomically move it to `key`."""
        path = self._path(key)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, temp_path = tempfile.mkstemp(dir=folder, prefix=_TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            os.replace(temp_path, path)
        except BaseException:
            try:
                os.remove(temp_path)
            except FileNotFoundError:
                pass
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        """The file opened for binary reading; FileNotFoundError when missing."""
        path = self._path(key)
        if not os.path.isfile(path):
            raise FileNotFoundError(key)
        return open(path, "rb")

    def delete(self, key: str) -> None:
        """Remove the file; a missing file is not an error."""
        try:
            os.remove(self._path(key))
        except FileNotFoundError:
            pass

    def size(self, key: str) -> int:
        """The file's size in bytes; FileNotFoundError when missing."""
        path = self._path(key)
        if not os.path.isfile(path):
            raise FileNotFoundError(key)
        return os.path.getsize(path)

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return os.path.isfile(self._path(key))

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with `prefix` (folders walked in sorted order), skipping unfinished temp files."""
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            relative = os.path.relpath(dirpath, self.root)
            parts = [] if relative == os.curdir else relative.split(os.sep)
            for filename in sorted(filenames):
                if filename.startswith(_TEMP_PREFIX):
                    continue
                key = "/".join([*parts, filename])
                if key.startswith(prefix):
                    yield key

    def url_for_download(self, key: str, *, filename: str, content_type: str, expires_in: int) -> str | None:
        """None: the app streams local files itself."""
        return None

    def presigned_upload(self, key: str, *, max_size: int, expires_in: int) -> PresignedUpload | None:
        """None: uploads to local storage always go through the app."""
        return None

    def check(self) -> None:
        """Create the root if missing and prove it is writable by writing and removing a temp file."""
        os.makedirs(self.root, exist_ok=True)
        with tempfile.TemporaryFile(dir=self.root, prefix=_TEMP_PREFIX):
            pass
