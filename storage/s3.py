"""A store that is a bucket (and a prefix in it) of an S3-compatible object store: AWS S3, Ceph's RADOS Gateway,
MinIO and the like, through boto3."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage import ChecksumMismatch, StoreUnavailable, file_sha256

MISSING = {"404", "NoSuchKey", "NotFound"}
# Bigger files go up in parts (an export can pass S3's 5 GiB limit of one PUT); a segment goes up in one.
MULTIPART_BYTES = 64 * 1024 * 1024
# What a reader fetches at a time: a few requests for a segment, and few enough for a long export.
READ_AHEAD = 1024 * 1024


class S3Store:
    """Files as objects `prefix/key` of one bucket."""

    def __init__(self, *, bucket: str, prefix: str, endpoint: str | None, region: str, access_key: str,
                 secret_key: str) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.location = f"s3://{bucket}/{self.prefix}" + (f" at {endpoint}" if endpoint else "")
        config = Config(
            connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3},
            # Checksums only where S3 requires them: CRC32 on every request (boto3's default since 1.36) is refused
            # by S3-compatible stores that predate it; uploads are checked by their SHA-256 instead (put()).
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
            # A store of one's own is reached by its address, where bucket names make no host names.
            s3={"addressing_style": "path" if endpoint else "auto"},
        )
        # A session of its own: boto3's default session is not safe to share between threads, a client is.
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key, config=config)
        self.transfer = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES,
                                       use_threads=False)

    def object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextmanager
    def _answers(self, key: str):
        """S3's errors as the store's: a missing object is FileNotFoundError, anything else StoreUnavailable."""
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING:
                raise FileNotFoundError(f"{self.location}: no {key}") from None
            raise StoreUnavailable(f"{self.location} refused {key or 'the request'}: "
                                   f"{exc.response.get('Error', {}).get('Message') or code}") from None
        except BotoCoreError as exc:
            raise StoreUnavailable(f"{self.location} cannot be reached: {exc}") from None

    def put(self, key: str, local: Path, sha256: str) -> None:
        """Upload, then read the object back and hash it: the object is known whole only once its SHA-256 is the
        file's. (S3's own SHA-256 checksums would save the read, but Ceph's gateway before Reef ignores them.)
        An object that does not match is deleted."""
        with self._answers(key):
            self.client.upload_file(str(local), self.bucket, self.object_key(key), Config=self.transfer)
            with self.open(key) as stored:
                if file_sha256(stored) == sha256:
                    return
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        raise ChecksumMismatch(f"{self.location} holds {key} altered after its upload; it will be uploaded again")

    def put_bytes(self, key: str, data: bytes) -> None:
        """One PUT whose Content-MD5 the store checks: it keeps the object whole or refuses it."""
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        with self._answers(key):
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentMD5=md5)

    def open(self, key: str) -> BinaryIO:
        return io.BufferedReader(_ObjectReader(self, key, self.size(key)), READ_AHEAD)

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        if length == 0:
            return b""
        end = "" if length is None else str(start + length - 1)
        with self._answers(key):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key),
                                                Range=f"bytes={start}-{end}")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # from at or past the end
                    return b""
                raise
            return answer["Body"].read()

    def size(self, key: str) -> int:
        with self._answers(key):
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))["ContentLength"]

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        with self._answers(key):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def delete_under(self, prefix: str) -> None:
        batch: list[dict] = []
        for key in self.keys(prefix):
            batch.append({"Key": self.object_key(key)})
            if len(batch) == 1000:  # the most one request deletes
                self._delete_objects(batch)
                batch = []
        if batch:
            self._delete_objects(batch)

    def _delete_objects(self, batch: list[dict]) -> None:
        with self._answers(""):
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def keys(self, prefix: str = "") -> Iterator[str]:
        skip = len(self.object_key(""))
        with self._answers(prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self.object_key(prefix)):
                for item in page.get("Contents", []):
                    yield item["Key"][skip:]

    def local_path(self, key: str) -> Path | None:
        return None

    def free_bytes(self) -> int | None:
        return None

    def total_bytes(self) -> int | None:
        return None

    def check(self) -> None:
        with self._answers(""):
            self.client.head_bucket(Bucket=self.bucket)


class _ObjectReader(io.RawIOBase):
    """An object read by ranges as it is read: PyAV and Django's FileResponse take it as a file."""

    def __init__(self, store: S3Store, key: str, size: int) -> None:
        self.store, self.key, self.length = store, key, size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self.length - self.position)
        if wanted <= 0:
            return 0
        data = self.store.read(self.key, self.position, wanted)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
