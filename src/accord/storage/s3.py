"""The S3-compatible blob store (AWS S3, MinIO, Ceph RGW, Garage…), through boto3.

URL form (decision 0201): ``s3://<bucket>[/<prefix>]?endpoint=<url>&region=<name>``. Credentials
come from the standard AWS chain (environment, shared config, instance role), never the URL.
Blobs live at ``<prefix>sha256/ab/cd/<digest>``; bytes being written go to ``<prefix>tmp/<random>``
(multipart upload in parts of ``PART_SIZE``, so memory stays bounded) and are copied under their
digest on commit, after which the temporary object is deleted.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from accord.errors import InvalidInput
from accord.storage.blobs import DEFAULT_CHUNK, BlobInfo, blob_key, blob_missing, is_sha256

PART_SIZE = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Client(Protocol):
    """The part of a boto3 S3 client this store uses (answers are boto3's plain dicts)."""

    def head_bucket(self, **kwargs: Any) -> dict[str, Any]: ...
    def head_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]: ...
    def upload_part(self, **kwargs: Any) -> dict[str, Any]: ...
    def complete_multipart_upload(self, **kwargs: Any) -> dict[str, Any]: ...
    def abort_multipart_upload(self, **kwargs: Any) -> dict[str, Any]: ...
    def upload_file(self, Filename: str, Bucket: str, Key: str) -> None: ...
    def copy(self, CopySource: dict[str, str], Bucket: str, Key: str) -> None: ...
    def get_paginator(self, operation_name: str) -> Any: ...


@dataclass(frozen=True)
class S3Location:
    """Where blobs live: bucket, key prefix (``""`` or ending in ``/``), endpoint and region."""

    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None


def parse_s3_url(url: str) -> S3Location:
    """``s3://bucket[/prefix]?endpoint=…&region=…`` → ``S3Location``; refuses anything else."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"endpoint", "region"}
    if parts.scheme != "s3" or not parts.netloc or unknown or parts.fragment:
        raise InvalidInput(
            f"the storage URL {url!r} is not of the form s3://bucket[/prefix]?endpoint=&region=",
            code="storage.bad-url",
            hint="see docs/decisions/0201-s3-storage-url.md",
        )
    prefix = parts.path.strip("/")
    return S3Location(
        bucket=parts.netloc,
        prefix=f"{prefix}/" if prefix else "",
        endpoint=query.get("endpoint"),
        region=query.get("region"),
    )


class S3BlobStore:
    def __init__(self, client: S3Client, location: S3Location) -> None:
        self.client = client
        self.location = location

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        location = parse_s3_url(url)
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=location.endpoint,
            region_name=location.region or "us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )
        return cls(client, location)

    def key_of(self, sha256: str) -> str:
        if not is_sha256(sha256):
            raise blob_missing(sha256)
        return self.location.prefix + blob_key(sha256)

    def exists(self, sha256: str) -> bool:
        return is_sha256(sha256) and self._head(self.key_of(sha256)) is not None

    def check_ready(self) -> None:
        self.client.head_bucket(Bucket=self.location.bucket)

    def stat(self, sha256: str) -> BlobInfo:
        size = self._head(self.key_of(sha256))
        if size is None:
            raise blob_missing(sha256)
        return BlobInfo(sha256, size)

    def read_range(
        self,
        sha256: str,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> Iterator[bytes]:
        if end is not None and end < start:
            return iter(())
        byte_range = f"bytes={start}-{'' if end is None else end}"
        try:
            answer = self.client.get_object(
                Bucket=self.location.bucket, Key=self.key_of(sha256), Range=byte_range
            )
        except ClientError as error:
            if _is_missing(error):
                raise blob_missing(sha256) from None
            if _code(error) == "InvalidRange":
                return iter(())
            raise
        return _stream_body(answer["Body"], chunk_size)

    def delete(self, sha256: str) -> bool:
        key = self.key_of(sha256)
        if self._head(key) is None:
            return False
        self.client.delete_object(Bucket=self.location.bucket, Key=key)
        return True

    def import_file(self, path: Path, sha256: str) -> bool:
        target = self.key_of(sha256)
        if self._head(target) is None:
            self.client.upload_file(str(path), self.location.bucket, target)
            created = True
        else:
            created = False
        path.unlink()
        return created

    def iter_blobs(self) -> Iterator[str]:
        prefix = self.location.prefix + "sha256/"
        pages = self.client.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.location.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = str(item["Key"]).rsplit("/", 1)[-1]
                if is_sha256(name):
                    yield name

    def open_writer(self) -> S3BlobWriter:
        return S3BlobWriter(self, f"{self.location.prefix}tmp/{secrets.token_hex(16)}")

    def _head(self, key: str) -> int | None:
        try:
            answer = self.client.head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        return int(answer["ContentLength"])


def _stream_body(body: Any, chunk_size: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_missing(error: ClientError) -> bool:
    return _code(error) in _MISSING


class S3BlobWriter:
    """Parts of ``PART_SIZE`` go up as they fill (multipart upload); small blobs are one PUT."""

    def __init__(self, store: S3BlobStore, key: str) -> None:
        self.store = store
        self.client = store.client
        self.bucket = store.location.bucket
        self.key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._stored = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= PART_SIZE:
            part = bytes(self._buffer[:PART_SIZE])
            del self._buffer[:PART_SIZE]
            self._upload_part(part)

    def commit(self, sha256: str) -> bool:
        self._finish_temporary()
        target = self.store.key_of(sha256)
        try:
            if self.store._head(target) is not None:
                return False
            self.client.copy(
                CopySource={"Bucket": self.bucket, "Key": self.key}, Bucket=self.bucket, Key=target
            )
            return True
        finally:
            self.client.delete_object(Bucket=self.bucket, Key=self.key)

    def abort(self) -> None:
        self._buffer.clear()
        if self._upload_id is not None:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )
            self._upload_id = None
        if self._stored:
            self.client.delete_object(Bucket=self.bucket, Key=self.key)

    def _upload_part(self, part: bytes) -> None:
        if self._upload_id is None:
            answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key)
            self._upload_id = str(answer["UploadId"])
        number = len(self._parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=part
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def _finish_temporary(self) -> None:
        self._stored = True
        if self._upload_id is None:
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer))
        else:
            if self._buffer:
                self._upload_part(bytes(self._buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
            self._upload_id = None
        self._buffer.clear()
