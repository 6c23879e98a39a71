"""API fuzzing for longer than the test suite can: tests/test_api_fuzz.py's harness (the real server and schemathesis
inside a private network namespace, every operation as each role) kept going in rounds with new seeds for a number
of minutes; prints operations, requests and failures per role, then each failure with the request that caused it.
Run it as `.venv/bin/python bench/fuzz_api.py [--minutes 7]`; see README.md."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.vms_under_test import bench_database, set_environment  # noqa: E402

DATABASE = "vms_fuzzbench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=7, help="how long to fuzz: a quarter of it per role")
    parser.add_argument("--examples", type=int, default=10, help="examples per operation and role in each round")
    parser.add_argument("--seed", type=int, help="of the first round (each round adds one); random by default")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "test-artifacts" / "api-fuzz-bench")
    parser.add_argument("--coverage-phase", action="store_true",
                        help="as the Admin, first the boundary values of every parameter: thousands of requests, "
                             "give it 30 minutes or more")
    parser.add_argument("--negative-data-rejection", action="store_true",
                        help="also fail a 2xx to data the schema says is invalid (schemathesis 3 also calls some "
                             "valid query values invalid, so read these failures one by one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vms-fuzz-") as workdir:
        # One box without Redis, as the test runs it: the server inside the namespace could not reach Redis.
        set_environment(DATABASE, Path(workdir) / "media", "")
        with bench_database(DATABASE):
            from tests.api_fuzzing import describe, fuzz_api, seed_api_data

            summary = fuzz_api(seed_api_data(), args.report_dir, examples=args.examples, minutes=args.minutes,
                               seed=args.seed, coverage_phase=args.coverage_phase,
                               negative_data_rejection=args.negative_data_rejection)
    print(describe(summary))
    print(f"\nJUnit report: {args.report_dir / 'junit.xml'}; server log: {args.report_dir / 'daphne.log'}")
    failed = any(tally["failures"] or tally["errors"] for tally in summary["roles"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
