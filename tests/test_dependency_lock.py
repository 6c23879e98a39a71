"""The lock files in requirements/ pin every dependency pyproject.toml asks for, within its bounds, with hashes:
`make run` and `make test` install exactly these (a fresh machine gets what CI tested)."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    found = {canonicalize_name(m.group(1)): m.group(2) for m in map(PIN.match, text.splitlines()) if m}
    entries = [block for block in re.split(r"\n(?=\S)", text) if PIN.match(block)]
    assert all("--hash=sha256:" in block for block in entries), f"{lock}: a pin without its hashes"
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(("lock", "extras"), [("run.txt", []), ("test.txt", ["test"])])
def test_every_dependency_is_pinned_within_its_bounds(lock, extras):
    locked = pins(lock)
    wanted = [Requirement(r) for r in project()["dependencies"]]
    wanted += [Requirement(r) for extra in extras for r in project()["optional-dependencies"][extra]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={locked[name]}, outside {requirement.specifier}: run `make lock`")


def test_run_and_test_locks_agree():
    run, test = pins("run.txt"), pins("test.txt")
    assert {name: version for name, version in run.items() if test.get(name) != version} == {}


def test_the_model_carriers_are_pinned():
    locked = pins("models.txt")
    for line in (ROOT / "requirements" / "models.in").read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            assert requirement.specifier.contains(locked[canonicalize_name(requirement.name)])


@pytest.mark.skipif(Path(sys.prefix).name == ".venv-latest", reason="make test-latest installs the newest versions")
def test_the_suite_runs_on_the_locked_versions():
    """`make test` installed from the lock: what this interpreter has is what the lock says."""
    differ = {}
    for name, version in pins("test.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            differ[name] = (version, None)
            continue
        if installed != version:
            differ[name] = (version, installed)
    assert differ == {}, "installed versions differ from requirements/test.txt (run make setup-test)"
