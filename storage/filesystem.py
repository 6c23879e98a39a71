"""A store that is a folder: the recordings folder itself on one box, or another one (a second disk, a mount)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage import ChecksumMismatch, StoreUnavailable, file_sha256
from video.segments import fsync_directory


class FilesystemStore:
    """Files under `root`, each at root/key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def path(self, key: str) -> Path:
        if not key or ".." in Path(key).parts or Path(key).is_absolute():
            raise ValueError(f"not a key of this store: {key!r}")
        return self.root / key

    def put(self, key: str, local: Path, sha256: str) -> None:
        """A file already at its place is left alone (a recorder writing into the store's own folder). Otherwise
        it is hard-linked in when the folder is on the same filesystem (the very bytes that were hashed, no copy),
        else copied, made durable and hashed back; either way it appears under its key only when whole."""
        target = self.path(key)
        if local.resolve() == target.resolve():
            return
        partial = target.with_name(target.name + ".incoming")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            try:
                os.link(local, partial)
            except OSError:
                self._copy_checked(local, partial, sha256)
            os.replace(partial, target)
            fsync_directory(target.parent)
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {key} into {self.root}: {exc.strerror or exc}") from exc
        finally:
            partial.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        partial = target.with_name(target.name + ".incoming")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as file:
                file.write(data)
                os.fsync(file.fileno())
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StoreUnavailable(f"cannot write {key} into {self.root}: {exc.strerror or exc}") from exc

    @staticmethod
    def _copy_checked(local: Path, partial: Path, sha256: str) -> None:
        with open(local, "rb") as source, open(partial, "xb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
            copy.flush()
            os.fsync(copy.fileno())
        with open(partial, "rb") as copy:
            if file_sha256(copy) != sha256:
                raise ChecksumMismatch(f"the copy of {local.name} in {partial.parent} is not the recorded file")

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")  # noqa: SIM115  (the caller closes it)

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        with open(self.path(key), "rb") as file:
            file.seek(start)
            return file.read() if length is None else file.read(length)

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_under(self, prefix: str) -> None:
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in (self.path(prefix) if prefix else self.root).rglob("*"):
            if path.is_file():
                yield str(path.relative_to(self.root))

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def free_bytes(self) -> int | None:
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).free

    def total_bytes(self) -> int | None:
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).total

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot use {self.root}: {exc.strerror or exc}") from exc

