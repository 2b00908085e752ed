"""Objects in any S3-compatible bucket (AWS, Yandex Object Storage, VK Cloud, MinIO) through boto3."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from portal.storage.base import PresignedUpload, StoredObject
from portal.storage.content_disposition import content_disposition

PART_SIZE = 8 * 1024 * 1024
# One part in flight and no threads: memory stays at a few parts whatever the file size.
TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=1, use_threads=False
)
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_MISSING_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})


def _error_code(error: ClientError) -> str:
    """The S3 error code of a failed call ("NoSuchKey", "404", ...)."""
    return str(error.response.get("Error", {}).get("Code", ""))


class HashingReader:
    """A read-only, non-seekable view of a stream that hashes and counts the bytes as they are read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """Read from the wrapped stream, feeding what was read to the hash."""
        data = self._stream.read(size)
        self._digest.update(data)
        self.size += len(data)
        return data

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of everything read so far."""
        return self._digest.hexdigest()


class S3Storage:
    """Objects in one bucket; signature v4 and path-style addressing so any S3-compatible endpoint works."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        create_bucket: bool = False,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.create_bucket = create_bucket
        self._bucket_ready = not create_bucket
        self.client: Any = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def _ensure_bucket(self) -> None:
        """With `create_bucket`, create the bucket on first use if it is missing (development and tests)."""
        if self._bucket_ready:
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if _error_code(error) not in _MISSING_BUCKET_CODES:
                raise
            self._create_bucket()
        self._bucket_ready = True

    def _create_bucket(self) -> None:
        """Create the bucket in the configured region; losing a creation race is fine."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as error:
            if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def save(self, key: str, stream: BinaryIO) -> StoredObject:
        """Stream to the bucket in 8 MiB parts, hashing and counting the bytes as boto3 reads them."""
        self._ensure_bucket()
        reader = HashingReader(stream)
        self.client.upload_fileobj(reader, self.bucket, key, Config=TRANSFER_CONFIG)
        return StoredObject(key=key, size=reader.size, sha256=reader.sha256)

    def open(self, key: str) -> BinaryIO:
        """The object's body as a stream (botocore's StreamingBody); FileNotFoundError when missing."""
        self._ensure_bucket()
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _error_code(error) in _MISSING_CODES:
                raise FileNotFoundError(key) from error
            raise
        return response["Body"]

    def delete(self, key: str) -> None:
        """Delete the object; S3 treats a missing key as success."""
        self._ensure_bucket()
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def _head(self, key: str) -> dict[str, Any] | None:
        """The object's metadata, or None when it is missing."""
        self._ensure_bucket()
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _error_code(error) in _MISSING_CODES:
                return None
            raise

    def size(self, key: str) -> int:
        """The object's size in bytes; FileNotFoundError when missing."""
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        """Whether the object exists."""
        return self._head(key) is not None

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under `prefix`, page by page."""
        self._ensure_bucket()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def url_for_download(self, key: str, *, filename: str, content_type: str, expires_in: int) -> str | None:
        """A presigned GET that makes the bucket answer with our Content-Disposition and Content-Type."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )

    def presigned_upload(self, key: str, *, max_size: int, expires_in: int) -> PresignedUpload | None:
        """A presigned POST form for exactly `key`, with a policy limiting the body to 1..`max_size` bytes."""
        self._ensure_bucket()
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Conditions=[["content-length-range", 1, max_size]],
            ExpiresIn=expires_in,
        )
        return PresignedUpload(
            url=post["url"],
            fields={name: str(value) for name, value in post["fields"].items()},
            key=key,
            max_size=max_size,
            expires_in=expires_in,
        )

    def check(self) -> None:
        """Raise unless the bucket answers a HEAD request."""
        self._ensure_bucket()
        self.client.head_bucket(Bucket=self.bucket)
