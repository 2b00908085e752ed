"""Tests for portal/storage/local.py and the backend selection in portal/storage/__init__.py."""
from __future__ import annotations

import hashlib
import io
import os

import pytest
from flask import Flask

from portal.storage import LocalStorage, StoredObject, backend_named, get_storage, init_storage
from portal.storage.local import CHUNK_SIZE


class RecordingStream(io.RawIOBase):
    """A non-seekable source of `total` pseudo-random bytes that records every read size."""

    def __init__(self, total: int) -> None:
        self._left = total
        self._block = hashlib.sha256(b"seed").digest() * 4096  # 128 KiB, repeated
        self.read_sizes: list[int] = []
        self.produced = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.read_sizes.append(size)
        assert size > 0, "the whole stream was requested at once"
        size = min(size, self._left)
        data = (self._block * (size // len(self._block) + 1))[:size]
        self._left -= size
        self.produced.update(data)
        return data


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(str(tmp_path / "files"))


def test_round_trip(storage: LocalStorage) -> None:
    data = "Описание практики\n".encode() * 1000
    stored = storage.save("entries/12/3f9a0c", io.BytesIO(data))

    assert stored == StoredObject(key="entries/12/3f9a0c", size=len(data), sha256=hashlib.sha256(data).hexdigest())
    assert storage.exists("entries/12/3f9a0c") is True
    assert storage.size("entries/12/3f9a0c") == len(data)
    with storage.open("entries/12/3f9a0c") as fh:
        assert fh.read() == data
    assert os.path.isfile(os.path.join(storage.root, "entries", "12", "3f9a0c"))

    storage.delete("entries/12/3f9a0c")
    assert storage.exists("entries/12/3f9a0c") is False
    storage.delete("entries/12/3f9a0c")  # deleting again is not an error


def test_overwrite_replaces_content(storage: LocalStorage) -> None:
    storage.save("a/b", io.BytesIO(b"first version"))
    stored = storage.save("a/b", io.BytesIO(b"v2"))
    assert stored.size == 2
    assert storage.size("a/b") == 2


def test_empty_file(storage: LocalStorage) -> None:
    stored = storage.save("empty", io.BytesIO(b""))
    assert stored == StoredObject(key="empty", size=0, sha256=hashlib.sha256(b"").hexdigest())
    assert storage.size("empty") == 0


def test_missing_object(storage: LocalStorage) -> None:
    with pytest.raises(FileNotFoundError):
        storage.open("entries/1/nothing")
    with pytest.raises(FileNotFoundError):
        storage.size("entries/1/nothing")
    assert storage.exists("entries/1/nothing") is False


def test_folder_is_not_an_object(storage: LocalStorage) -> None:
    storage.save("entries/1/x", io.BytesIO(b"x"))
    assert storage.exists("entries/1") is False
    with pytest.raises(FileNotFoundError):
        storage.open("entries/1")


def test_iter_keys(storage: LocalStorage) -> None:
    assert list(storage.iter_keys()) == []  # root not created yet
    for key in ["entries/2/b", "entries/10/a", "entries/2/a", "library/x", "top"]:
        storage.save(key, io.BytesIO(key.encode()))
    # An interrupted save leaves a temp file behind; it is not a key.
    open(os.path.join(storage.root, "entries", "2", ".partial-abc123"), "wb").close()

    assert sorted(storage.iter_keys()) == ["entries/10/a", "entries/2/a", "entries/2/b", "library/x", "top"]
    assert sorted(storage.iter_keys("entries/2/")) == ["entries/2/a", "entries/2/b"]
    assert list(storage.iter_keys("nothing/")) == []


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../etc/passwd",
        "entries/../../x",
        "entries/..",
        "a..b",
        "/etc/passwd",
        "entries\\12\\x",
        "entries//x",
        "entries/./x",
        "entries/x/",
        "entries/.partial-x",
        "a\x00b",
    ],
)
def test_bad_keys_are_rejected(storage: LocalStorage, key: str) -> None:
    for call in (
        lambda: storage.save(key, io.BytesIO(b"x")),
        lambda: storage.open(key),
        lambda: storage.size(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
    ):
        with pytest.raises(ValueError):
            call()
    assert not os.path.exists(storage.root) or list(storage.iter_keys()) == []


def test_large_stream_is_copied_in_chunks(storage: LocalStorage) -> None:
    total = 20 * 1024 * 1024
    source = RecordingStream(total)
    stored = storage.save("entries/5/big", source)

    assert stored.size == total
    assert stored.sha256 == source.produced.hexdigest()
    assert set(source.read_sizes) == {CHUNK_SIZE}
    assert len(source.read_sizes) == 21  # 20 full chunks and the empty read that ends the loop
    assert storage.size("entries/5/big") == total
    digest = hashlib.sha256()
    with storage.open("entries/5/big") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
    assert digest.hexdigest() == stored.sha256
    assert os.listdir(os.path.join(storage.root, "entries", "5")) == ["big"]  # no temp file left


def test_failed_save_leaves_nothing(storage: LocalStorage) -> None:
    class Broken(io.RawIOBase):
        calls = 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection reset")
            return b"x" * size

    storage.save("entries/1/f", io.BytesIO(b"old content"))
    with pytest.raises(OSError, match="connection reset"):
        storage.save("entries/1/f", Broken())
    assert os.listdir(os.path.join(storage.root, "entries", "1")) == ["f"]
    with storage.open("entries/1/f") as fh:
        assert fh.read() == b"old content"  # the previous version is untouched


def test_no_direct_urls(storage: LocalStorage) -> None:
    assert storage.url_for_download("k", filename="a.pdf", content_type="application/pdf", expires_in=60) is None
    assert storage.presigned_upload("k", max_size=100, expires_in=60) is None


def test_check_creates_root(storage: LocalStorage) -> None:
    assert not os.path.exists(storage.root)
    storage.check()
    assert os.path.isdir(storage.root)
    assert os.listdir(storage.root) == []


def test_check_fails_when_root_is_a_file(tmp_path) -> None:
    (tmp_path / "taken").write_bytes(b"")
    with pytest.raises(OSError):
        LocalStorage(str(tmp_path / "taken")).check()


def make_app(tmp_path, **config: object) -> Flask:
    app = Flask("storage_test", instance_path=str(tmp_path / "instance"))
    app.config.update(config)
    return app


def test_init_storage_defaults_to_instance_folder(tmp_path) -> None:
    app = make_app(tmp_path, STORAGE_BACKEND="local", LOCAL_STORAGE_DIR=None)
    storage = init_storage(app)
    assert isinstance(storage, LocalStorage)
    assert storage.root == str(tmp_path / "instance" / "files")
    assert app.extensions["storage"] is storage
    assert get_storage(app) is storage
    with app.app_context():
        assert get_storage() is storage
        assert backend_named("local") is storage


def test_init_storage_uses_configured_dir(tmp_path) -> None:
    app = make_app(tmp_path, STORAGE_BACKEND="local", LOCAL_STORAGE_DIR=str(tmp_path / "elsewhere"))
    assert init_storage(app).root == str(tmp_path / "elsewhere")


def test_unknown_backend(tmp_path) -> None:
    app = make_app(tmp_path, STORAGE_BACKEND="ftp")
    with pytest.raises(ValueError, match="unknown storage backend 'ftp'"):
        init_storage(app)
    app = make_app(tmp_path, STORAGE_BACKEND="local")
    init_storage(app)
    with pytest.raises(ValueError):
        backend_named("ftp", app)
