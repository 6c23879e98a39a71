"""Audio benchmarks: `.venv/bin/python -m bench.audio recording|listeners|talk_back [options]`; see bench/README.md.

Each benchmark is a module of this package with a main(argv); this only picks one by name.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "recording": "CPU per camera of recording with sound (AAC copied, PCMU to AAC) beside ffmpeg's CLI",
    "listeners": "CPU per live listener of a camera with sound beside one without",
    "talk_back": "latency from a talking client to the camera's speaker beside the bare back channel",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        listed = "\n".join(f"  {name:<12} {what}" for name, what in BENCHMARKS.items())
        sys.exit(f"usage: python -m bench.audio BENCHMARK [options]\n\nbenchmarks:\n{listed}")
    importlib.import_module(f"bench.audio.{sys.argv[1]}").main(sys.argv[2:])


if __name__ == "__main__":
    main()
