"""Storage benchmark: how fast finished segments go into an S3 store through storage.s3.S3Store.put (upload, then
read back and hash), beside boto3's plain upload_file of the same files (what `aws s3 cp` does) and a copy of them
on this disk, in the same run. Run it as `python -m bench.storage`; see README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig

from storage.s3 import MULTIPART_BYTES, S3Store
from tests.standins.object_store import ACCESS_KEY, SECRET_KEY, CephObjectGateway

# A 10 s segment of a 1080p camera at 4 Mbit/s.
SEGMENT_BYTES = 5 * 1024 * 1024
CAMERA_BYTES_PER_SECOND = 4_000_000 / 8


def make_segments(folder: Path, count: int, size: int) -> list[tuple[Path, str]]:
    """Files of random bytes (nothing compresses them on the way) and their SHA-256, as the recorder knows it."""
    files = []
    for index in range(count):
        data = os.urandom(size)
        path = folder / f"{index:04d}.mp4"
        path.write_bytes(data)
        files.append((path, hashlib.sha256(data).hexdigest()))
    return files


def plain_upload(client, bucket: str, prefix: str) -> Callable[[str, Path, str], None]:
    """boto3's upload_file into `bucket` under `prefix`, in one thread, in parts as big as S3Store's: what `aws s3 cp`
    does, with no reading back."""
    config = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES,
                            use_threads=False)
    return lambda key, path, _sha256: client.upload_file(str(path), bucket, f"{prefix}/{key}", Config=config)


def timed(upload: Callable[[str, Path, str], None], files: list[tuple[Path, str]], round_: int) -> float:
    """Seconds to put every file, one after the other, as Store.put takes them: (key, file, its SHA-256)."""
    started = time.perf_counter()
    for path, sha256 in files:
        upload(f"round-{round_}/{path.name}", path, sha256)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=20, help="segments per round (default 20)")
    parser.add_argument("--segment-mib", type=float, default=SEGMENT_BYTES / 2**20, help="size of each (5 MiB)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each way, taken in turns (default 3)")
    options = parser.parse_args()
    size = int(options.segment_mib * 2**20)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vms-bench-storage-")))
        print("starting a single-node Ceph and its RADOS Gateway ...", file=sys.stderr, flush=True)
        gateway = stack.enter_context(CephObjectGateway())
        client = boto3.client("s3", endpoint_url=gateway.endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        client.create_bucket(Bucket="bench")
        store = S3Store(bucket="bench", prefix="vms", endpoint=gateway.endpoint, region="us-east-1",
                        access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        files = make_segments(folder, options.segments, size)
        copies = folder / "copies"
        copies.mkdir()
        ways: dict[str, Callable[[str, Path, str], None]] = {
            "disk copy (baseline)": lambda key, path, _sha: shutil.copyfile(path, copies / key.replace("/", "-")),
            "boto3 upload_file (baseline)": plain_upload(client, "bench", "plain"),
            "S3Store.put (upload + read back)": store.put,
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        for round_ in range(options.rounds):
            for name, upload in ways.items():
                seconds[name].append(timed(upload, files, round_))
                print(f"round {round_ + 1}: {name}: {seconds[name][-1]:.2f} s", file=sys.stderr, flush=True)
            store.delete_under("")  # the OSD keeps objects in memory: one round at a time
            for key in [item["Key"] for item in client.list_objects_v2(Bucket="bench").get("Contents", [])]:
                client.delete_object(Bucket="bench", Key=key)
            shutil.rmtree(copies)
            copies.mkdir()
        total = options.segments * size
        print(f"\n{options.segments} segments of {size / 2**20:.1f} MiB a round, {options.rounds} rounds, "
              f"to {gateway.endpoint} (Ceph RADOS Gateway, memstore OSD, same machine)")
        print(f"{'way':36} {'best MiB/s':>10} {'median MiB/s':>13} {'segments/s':>11} {'4 Mbit/s cameras':>17}")
        for name, taken in seconds.items():
            best, median = min(taken), sorted(taken)[len(taken) // 2]
            rate = total / median
            print(f"{name:36} {total / best / 2**20:10.1f} {rate / 2**20:13.1f} "
                  f"{options.segments / median:11.1f} {rate / CAMERA_BYTES_PER_SECOND:17.0f}")
        ours, plain = (sorted(seconds[name])[options.rounds // 2]
                       for name in ("S3Store.put (upload + read back)", "boto3 upload_file (baseline)"))
        print(f"\nS3Store.put takes {ours / plain:.2f}x the time of a plain upload (median rounds)")


if __name__ == "__main__":
    main()
