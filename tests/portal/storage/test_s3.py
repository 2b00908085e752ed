"""Tests for portal/storage/s3.py: in process with `moto.mock_aws`, and over HTTP against a moto server."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from flask import Flask
from moto import mock_aws
from moto.server import ThreadedMotoServer

from portal.storage import LocalStorage, PresignedUpload, S3Storage, StoredObject, backend_named, init_storage
from portal.storage.content_disposition import content_disposition
from portal.storage.s3 import PART_SIZE

BUCKET = "portal-files"
REGION = "us-east-1"
PDF_NAME = "Презентация практики.pdf"
PDF_DISPOSITION = content_disposition(PDF_NAME)


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials so that boto3 never reads real ones from the environment or ~/.aws."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


class RecordingStream(io.RawIOBase):
    """A non-seekable source of `total` bytes that records every read size."""

    def __init__(self, total: int) -> None:
        self._left = total
        self._block = hashlib.sha256(b"seed").digest() * 4096  # 128 KiB
        self.read_sizes: list[int] = []
        self.produced = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.read_sizes.append(size)
        if size < 0:
            size = self._left
        size = min(size, self._left)
        data = (self._block * (size // len(self._block) + 1))[:size]
        self._left -= size
        self.produced.update(data)
        return data


# --- in process ---------------------------------------------------------------------------------------------------


@pytest.fixture
def mocked() -> Iterator[S3Storage]:
    with mock_aws():
        yield S3Storage(BUCKET, REGION, create_bucket=True)


def test_round_trip(mocked: S3Storage) -> None:
    data = "Описание практики\n".encode() * 1000
    stored = mocked.save("entries/12/3f9a0c", io.BytesIO(data))

    assert stored == StoredObject(key="entries/12/3f9a0c", size=len(data), sha256=hashlib.sha256(data).hexdigest())
    assert mocked.exists("entries/12/3f9a0c") is True
    assert mocked.size("entries/12/3f9a0c") == len(data)
    assert mocked.open("entries/12/3f9a0c").read() == data

    mocked.delete("entries/12/3f9a0c")
    assert mocked.exists("entries/12/3f9a0c") is False
    mocked.delete("entries/12/3f9a0c")  # deleting again is not an error


def test_missing_object(mocked: S3Storage) -> None:
    with pytest.raises(FileNotFoundError):
        mocked.open("entries/1/nothing")
    with pytest.raises(FileNotFoundError):
        mocked.size("entries/1/nothing")
    assert mocked.exists("entries/1/nothing") is False


def test_empty_object(mocked: S3Storage) -> None:
    stored = mocked.save("empty", io.BytesIO(b""))
    assert stored == StoredObject(key="empty", size=0, sha256=hashlib.sha256(b"").hexdigest())
    assert mocked.size("empty") == 0


def test_iter_keys_paginates(mocked: S3Storage) -> None:
    mocked.check()  # creates the bucket
    keys = [f"entries/{n}/file" for n in range(1005)] + ["library/x"]  # more than one 1,000-key page
    for key in keys:
        mocked.client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert sorted(mocked.iter_keys()) == sorted(keys)
    assert sorted(mocked.iter_keys("entries/1/")) == ["entries/1/file"]
    assert list(mocked.iter_keys("library/")) == ["library/x"]
    assert list(mocked.iter_keys("nothing/")) == []


def test_large_stream_goes_up_in_parts(mocked: S3Storage) -> None:
    total = 20 * 1024 * 1024
    source = RecordingStream(total)
    stored = mocked.save("entries/5/big", source)

    assert stored.size == total
    assert stored.sha256 == source.produced.hexdigest()
    assert max(source.read_sizes) == PART_SIZE  # never the whole stream at once
    assert -1 not in source.read_sizes
    head = mocked.client.head_object(Bucket=BUCKET, Key="entries/5/big")
    assert head["ContentLength"] == total
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three 8 MiB parts
    body = mocked.open("entries/5/big")
    digest = hashlib.sha256()
    while chunk := body.read(1024 * 1024):
        digest.update(chunk)
    assert digest.hexdigest() == stored.sha256


def test_presigned_download_url(mocked: S3Storage) -> None:
    url = mocked.url_for_download("entries/1/f", filename=PDF_NAME, content_type="application/pdf", expires_in=120)
    assert url is not None
    parsed = urlparse(url)
    assert parsed.path == f"/{BUCKET}/entries/1/f"  # path-style addressing
    query = parse_qs(parsed.query)
    assert query["response-content-disposition"] == [PDF_DISPOSITION]
    assert query["response-content-type"] == ["application/pdf"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["120"]


def test_presigned_upload_form(mocked: S3Storage) -> None:
    upload = mocked.presigned_upload("entries/1/up", max_size=5000, expires_in=300)
    assert isinstance(upload, PresignedUpload)
    assert (upload.key, upload.max_size, upload.expires_in) == ("entries/1/up", 5000, 300)
    assert upload.url == f"https://s3.amazonaws.com/{BUCKET}"
    assert upload.fields["key"] == "entries/1/up"
    assert upload.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"policy", "x-amz-signature", "x-amz-credential", "x-amz-date"} <= set(upload.fields)


def test_check(mocked: S3Storage) -> None:
    mocked.check()
    assert mocked.client.head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_check_fails_without_bucket() -> None:
    with mock_aws():
        storage = S3Storage("no-such-bucket", REGION)
        with pytest.raises(Exception) as info:
            storage.check()
        assert "404" in str(info.value)


def test_bucket_created_in_other_region() -> None:
    with mock_aws():
        storage = S3Storage("regional", "eu-west-1", create_bucket=True)
        storage.save("k", io.BytesIO(b"abc"))
        location = storage.client.get_bucket_location(Bucket="regional")["LocationConstraint"]
        assert location == "eu-west-1"


def test_backend_named_reads_old_local_rows(tmp_path) -> None:
    app = Flask("storage_test", instance_path=str(tmp_path / "instance"))
    app.config.update(
        STORAGE_BACKEND="s3", S3_BUCKET=BUCKET, S3_REGION=REGION, S3_ENDPOINT_URL=None, S3_ACCESS_KEY_ID=None,
        S3_SECRET_ACCESS_KEY=None, S3_CREATE_BUCKET=True, LOCAL_STORAGE_DIR=str(tmp_path / "files"),
    )
    with mock_aws():
        configured = init_storage(app)
        assert isinstance(configured, S3Storage)
        assert backend_named("s3", app) is configured
        old = backend_named("local", app)
        assert isinstance(old, LocalStorage)
        assert old.root == str(tmp_path / "files")
        assert backend_named("local", app) is old  # built once


# --- over HTTP ----------------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[str]:
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_server.start()
    try:
        host, port = moto_server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        moto_server.stop()


@pytest.fixture
def remote(server: str) -> S3Storage:
    return S3Storage(
        "remote-files", REGION, endpoint_url=server, access_key_id="dummy", secret_access_key="dummy",
        create_bucket=True,
    )


def post_form(upload: PresignedUpload, data: bytes, filename: str = "upload.bin") -> requests.Response:
    # requests sends `data` fields before `files`, as S3 requires (the file must be the last field).
    return requests.post(upload.url, data=upload.fields, files={"file": (filename, data)}, timeout=30)


def test_presigned_post_round_trip(remote: S3Storage, server: str) -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 400
    upload = remote.presigned_upload("entries/7/direct", max_size=1024 * 1024, expires_in=300)
    assert upload is not None
    assert upload.url == f"{server}/remote-files"

    response = post_form(upload, data)
    assert response.status_code == 204
    assert remote.size("entries/7/direct") == len(data)
    assert remote.open("entries/7/direct").read() == data
    assert list(remote.iter_keys("entries/7/")) == ["entries/7/direct"]


def test_presigned_get_over_http(remote: S3Storage) -> None:
    data = "Содержимое файла".encode() * 100
    stored = remote.save("entries/8/doc", io.BytesIO(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()

    url = remote.url_for_download("entries/8/doc", filename=PDF_NAME, content_type="application/pdf", expires_in=60)
    assert url is not None
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Disposition"] == PDF_DISPOSITION
    assert response.headers["Content-Type"] == "application/pdf"


def test_moto_ignores_content_length_range(remote: S3Storage) -> None:
    """Documents moto's behaviour: it does not enforce the policy's size limit, so the app re-checks the size."""
    upload = remote.presigned_upload("entries/9/too-big", max_size=100, expires_in=300)
    assert upload is not None
    response = post_form(upload, b"x" * 5000)
    assert response.status_code == 204
    assert remote.size("entries/9/too-big") == 5000


def test_moto_does_not_check_the_signature(remote: S3Storage) -> None:
    """Documents moto's behaviour: a tampered form (other key, broken signature) is stored too."""
    upload = remote.presigned_upload("entries/9/signed", max_size=100, expires_in=300)
    assert upload is not None
    fields = {**upload.fields, "key": "entries/9/other", "x-amz-signature": "0" * 64}
    response = requests.post(upload.url, data=fields, files={"file": ("f", b"abc")}, timeout=30)
    assert response.status_code == 204
    assert remote.exists("entries/9/other") is True
    assert remote.exists("entries/9/signed") is False
