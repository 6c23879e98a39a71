"""A store that is a folder: a segment written in place stays, one on the same filesystem is linked in, one from
another filesystem is copied and checked; an altered copy is refused and not kept."""

from __future__ import annotations

import hashlib

import pytest

from storage import ChecksumMismatch
from storage.filesystem import FilesystemStore

KEY = "3/2026-12-05/081500.000000.mp4"


@pytest.fixture
def segment(tmp_path):
    path = tmp_path / "recorder" / "segment.mp4"
    path.parent.mkdir()
    path.write_bytes(b"ftyp recorded bytes")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_already_in_its_place_is_left_alone(tmp_path, segment):
    store = FilesystemStore(tmp_path / "store")
    in_place = store.local_path(KEY)
    in_place.parent.mkdir(parents=True)
    segment[0].rename(in_place)
    store.put(KEY, in_place, segment[1])
    assert store.read(KEY, 5) == b"recorded bytes" and store.size(KEY) == 19


def test_on_the_same_filesystem_the_very_file_is_linked_in(tmp_path, segment):
    store = FilesystemStore(tmp_path / "store")
    store.put(KEY, *segment)
    assert store.local_path(KEY).stat().st_ino == segment[0].stat().st_ino
    assert segment[0].exists(), "the recorder's file is the caller's to remove"
    assert list(store.keys()) == [KEY]


def test_from_another_filesystem_it_is_copied_and_checked(small_disk, segment):
    store = FilesystemStore(small_disk / "store")
    with pytest.raises(ChecksumMismatch):
        store.put(KEY, segment[0], hashlib.sha256(b"what the recorder wrote").hexdigest())
    assert list(store.keys()) == [], "an altered copy was kept"
    store.put(KEY, *segment)
    assert store.local_path(KEY).read_bytes() == segment[0].read_bytes()
    assert store.local_path(KEY).stat().st_ino != segment[0].stat().st_ino
    store.delete_under("3/")
    assert not store.exists(KEY)


def test_a_piece_of_a_segment_being_written_is_kept_whole(tmp_path):
    store = FilesystemStore(tmp_path / "store")
    store.put_bytes("3/open/2026-12-05/081500.000000.mp4/000000000000", b"ftyp first fragment")
    assert store.read("3/open/2026-12-05/081500.000000.mp4/000000000000") == b"ftyp first fragment"
    assert list(store.keys("3/open/")) == ["3/open/2026-12-05/081500.000000.mp4/000000000000"]
