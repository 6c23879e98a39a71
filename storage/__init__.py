"""Where recordings and exports are kept: one small interface (Store) over the local filesystem and S3-compatible
object stores. No Django here: storage.configured picks the store the settings name."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

READ_CHUNK = 1024 * 1024


class StoreUnavailable(Exception):
    """The store cannot be reached or refuses the request; str() says so in words, without credentials."""


class ChecksumMismatch(StoreUnavailable):
    """What the store holds after an upload is not the file that was uploaded (the upload is not kept)."""


class Store(Protocol):
    """Files under keys such as "3/2026-12-05/081500.000000.mp4". A missing key raises FileNotFoundError."""

    location: str  # for logs and the health page: a folder or s3://bucket/prefix, never a credential

    def put(self, key: str, local: Path, sha256: str) -> None:
        """Make the store hold the finished file `local` under `key`, checked whole against `sha256`; `local` is
        left where it is (it may be the store's own file already). StoreUnavailable when it could not."""

    def put_bytes(self, key: str, data: bytes) -> None:
        """Make the store hold `data` (a small piece, such as what a recorder wrote of the segment it is writing)
        under `key`, whole or not at all. StoreUnavailable when it could not."""

    def open(self, key: str) -> BinaryIO:
        """The file for reading, seekable; bytes are fetched as they are read."""

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        """`length` bytes from `start` (to the end when None)."""

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Delete the file; one already gone is no error."""

    def delete_under(self, prefix: str) -> None:
        """Delete every file whose key starts with `prefix` (a folder, ending in "/")."""

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys under `prefix`, in no promised order."""

    def local_path(self, key: str) -> Path | None:
        """Where the file is on this machine's disk, when the store is a folder; None otherwise."""

    def free_bytes(self) -> int | None:
        """Free space left where the store writes, when it has such a limit (a disk); None otherwise."""

    def total_bytes(self) -> int | None:
        """The size of the disk the store writes to, when it has one; None otherwise."""

    def check(self) -> None:
        """Raise StoreUnavailable unless the store answers."""


def file_sha256(file: BinaryIO) -> str:
    """The SHA-256 of what is left to read in `file`, read a chunk at a time."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(READ_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()
