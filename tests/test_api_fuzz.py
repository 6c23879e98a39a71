"""Schemathesis against the real server, every operation as each role (and anonymous), inside a private network
namespace: no 5xx, every response as the schema documents it (status, content type, body), invalid input
refused with a 4xx, anonymous refused everywhere but the login, and no role let through where the permission
matrix refuses it. The JUnit report is saved in test-artifacts/api-fuzz/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.api_fuzzing import describe, fuzz_api, seed_api_data

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPORT_DIR = Path(__file__).resolve().parent.parent / "test-artifacts" / "api-fuzz"
# Examples per operation and role (anonymous: 3): bench/fuzz_api.py runs many more, and the boundary values.
EXAMPLES = 5


@pytest.fixture
def report_dir() -> Path:
    shutil.rmtree(REPORT_DIR, ignore_errors=True)
    return REPORT_DIR


def test_every_operation_as_each_role(transactional_db, report_dir):
    summary = fuzz_api(seed_api_data(), report_dir, examples=EXAMPLES)
    report = describe(summary)
    print(report)
    roles = summary["roles"]
    assert set(roles) == {"anonymous", "Admin", "Operator", "Investigator"}
    operations = {tally["operations"] for tally in roles.values()}
    assert len(operations) == 1 and operations.pop() > 60, report
    for tally in roles.values():
        assert tally["requests"] >= tally["operations"] * EXAMPLES // 2, report
        assert not tally["failures"] and not tally["errors"], report
    assert (report_dir / "junit.xml").read_text().count("<testcase") == 4 * summary["roles"]["Admin"]["operations"]
