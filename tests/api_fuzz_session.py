"""One API fuzzing session inside a private network namespace: the real server (daphne) on 127.0.0.1 and
schemathesis against it as each role; writes a JUnit report per role and a JSON summary.

tests/api_fuzzing.py starts it under `unshare -n`. It refuses to run on a network with anything but loopback:
probe, ONVIF and webhooks would otherwise connect to whatever hosts the fuzzer invents.

The server is the one-box server (no Redis: in-process channel layer, Celery jobs queued in a folder), with the
recorder and analytics out of the web process so that cameras the fuzzer creates are not opened. PostgreSQL is
reached over its unix socket, which a network namespace does not cut off."""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import hypothesis
import schemathesis
from junit_xml import TestSuite, to_xml_report_file
from schemathesis import DataGenerationMethod, GenerationConfig, experimental
from schemathesis.checks import not_a_server_error
from schemathesis.cli.context import ExecutionContext
from schemathesis.cli.junitxml import JunitXMLHandler
from schemathesis.internal.checks import CheckConfig
from schemathesis.models import Status
from schemathesis.runner import events
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

ROOT = Path(__file__).resolve().parent.parent
PORT = 8000  # the namespace is ours alone: any port is free
BASE = f"http://127.0.0.1:{PORT}"
POSTGRES_SOCKET_FOLDER = "/var/run/postgresql"
ANONYMOUS = "anonymous"
# The Admin after the other roles: it deletes and changes what they would have read. Anonymous last: its tries
# of the login endpoints use up the login rate, which the roles need when they log in again.
ROLES = ("Operator", "Investigator", "Admin", ANONYMOUS)
ANONYMOUS_EXAMPLES = 3
# Refusing invalid input may also be a 429 (the login rate is checked before the body) or a 405.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "422", "429"]


def no_undocumented_server_error(ctx, response, case) -> bool | None:
    """not_a_server_error, except a 5xx the operation documents: health's 503 when something is down, a camera's
    502 when it cannot be reached (the fuzzer's cameras never can)."""
    if str(response.status_code) in case.operation.definition.raw.get("responses", {}):
        return None
    return not_a_server_error(ctx, response, case)


# unsupported_method: a method the operation's path lacks (TRACE, or PUT on a list) must be a 405.
# negative_data_rejection (a 2xx to invalid data) is optional: schemathesis 3 also counts some valid query values
# as invalid (a date-time in the year 991). tests/test_api_input.py holds the invalid values it found.
STANDARD_CHECKS = (no_undocumented_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance, unsupported_method)


def only_loopback() -> bool:
    return [name for _index, name in socket.if_nameindex()] == ["lo"]


def server_environment(database: str, data_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VMS_REDIS_URL"}
    env.update(VMS_DATABASE_URL=f"postgresql://postgres@/{database}?host={POSTGRES_SOCKET_FOLDER}",
               VMS_DATA_ROOT=str(data_root), VMS_MEDIA_ROOT=str(data_root / "media"), VMS_MIN_FREE_DISK_GIB="0",
               VMS_RECORDER_IN_WEB="false", VMS_ANALYTICS_IN_WEB="false", VMS_EVENTS_IN_WEB="false",
               DJANGO_SETTINGS_MODULE="vms.settings")
    return env


@contextmanager
def running_server(env: dict[str, str], log: Path):
    with open(log, "wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(PORT),
                                    "vms.asgi:application"], cwd=ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not answers(BASE + "/api/v1/auth/me/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("daphne did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310  (loopback of our own namespace)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def call(method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json", "Accept": "application/json",
                                              **({"Authorization": f"Token {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (loopback)
        return json.loads(response.read())


class RoleSession:
    """A user's API token, renewed when the fuzzer revoked it (DELETE /auth/tokens/..., revoke-all)."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.token = self.log_in()

    def log_in(self) -> str:
        deadline = time.monotonic() + 120
        while True:
            try:
                credentials = {"username": self.username, "password": self.password}
                return call("POST", "/api/v1/auth/token/", credentials)["token"]
            except urllib.error.HTTPError as exc:
                if exc.code != 429 or time.monotonic() > deadline:
                    raise
                time.sleep(float(exc.headers.get("Retry-After", "5")))

    def renew_if_revoked(self) -> None:
        try:
            call("GET", "/api/v1/auth/me/", token=self.token)
        except urllib.error.HTTPError as exc:
            if exc.code != 401:
                raise
            self.token = self.log_in()


def template(path: str) -> str:
    """A path with its parameters blanked, so the permission matrix's paths and the schema's compare."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def refused_operations(role: str) -> set[tuple[str, str]]:
    """(METHOD, path template) of what tests/test_permissions.py says this role must be refused."""
    from tests.test_permissions import DENIED, MATRIX

    column = {"Admin": 2, "Operator": 3, "Investigator": 4}[role]
    return {(row[0].upper(), template(row[1])) for row in MATRIX if row[column] == DENIED}


def is_public(operation) -> bool:
    security = operation.definition.raw.get("security")
    return not security or {} in security


def routed(url: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(unquote(urlsplit(url).path))
    except Resolver404:
        return False
    return True


def role_check(role: str) -> Callable:
    """The check of what a role may get: anonymous nothing but 401/403 (404 off the routes), outside the public
    operations; a role no 2xx on what the permission matrix refuses it."""
    refused = set() if role == ANONYMOUS else refused_operations(role)

    def refused_by_role(_ctx, response, case) -> None:
        status = response.status_code
        operation = (case.operation.method.upper(), template(case.operation.path))
        if role == ANONYMOUS and not is_public(case.operation):
            allowed = status in (401, 403) or (status == 404 and not routed(response.request.url))
            assert allowed, f"Anonymous got {status} from {operation[0]} {response.request.url}"
        elif operation in refused:
            assert not 200 <= status < 300, f"{role} got {status} from {operation[0]} {response.request.url}"

    return refused_by_role


def hypothesis_settings(examples: int) -> hypothesis.settings:
    # No shrinking: a failure is reported as found, which keeps a session's length bounded.
    return hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                               suppress_health_check=list(hypothesis.HealthCheck),
                               phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])


def decoded_body(response) -> str:
    if response is None or response.body is None:
        return ""
    return base64.b64decode(response.body).decode(errors="replace")[:400]


class Tally:
    """What one role's runs found: operations, requests, and each distinct failure once with an example."""

    def __init__(self) -> None:
        self.operations: dict[str, list[float]] = {}  # "METHOD path": [requests, seconds]
        self.requests = 0
        self.failures: dict[tuple, dict] = {}
        self.errors: list[str] = []
        self.junit = JunitXMLHandler(file_handle=None)

    def add(self, event: events.AfterExecution) -> None:
        result = event.result
        spent = self.operations.setdefault(f"{result.method} {result.path}", [0, 0.0])
        spent[0] += len(result.interactions)
        spent[1] += event.elapsed_time
        self.requests += len(result.interactions)
        for check in result.checks:
            if check.value != Status.failure:
                continue
            status = check.response.status_code if check.response else None
            key = (check.name, result.method, result.path, status)
            self.failures.setdefault(key, {
                "check": check.name, "operation": f"{result.method} {result.path}", "status": status,
                "request": f"{check.example.method} {check.example.url}",
                "body": (check.example.body or "")[:300] if isinstance(check.example.body, str) else "",
                "message": (check.message or "")[:500], "response": decoded_body(check.response)})
        self.errors += [f"{result.method} {result.path}: {e.exception}"[:500] for e in result.errors]

    def summary(self) -> dict:
        slowest = sorted(self.operations.items(), key=lambda item: -item[1][1])[:5]
        return {"operations": len(self.operations), "requests": self.requests,
                "seconds": round(sum(seconds for _requests, seconds in self.operations.values()), 1),
                "slowest": [f"{name}: {requests} requests in {seconds:.1f} s" for name, (requests, seconds) in slowest],
                "failures": list(self.failures.values()), "errors": self.errors}


def fuzz_role(raw_schema: dict, role: str, session: RoleSession | None, examples: int, seed: int, tally: Tally,
              deadline: float | None, checks: tuple, coverage_phase: bool) -> bool:
    """Every operation as `role` (None: anonymous); False when the deadline came first."""
    # The coverage phase (boundary values, empty strings, repeated query parameters, methods a path lacks) as
    # the Admin only: no check keeps its cases from the code behind, and it costs many requests per operation.
    if coverage_phase and role == "Admin":
        experimental.COVERAGE_PHASE.enable()
    else:
        experimental.COVERAGE_PHASE.disable()
    if role == ANONYMOUS:
        # Everything but the login is refused before the input is read: a few tries of each operation suffice.
        examples = min(examples, ANONYMOUS_EXAMPLES)
    # The token comes from the role's session; generated Authorization headers and session cookies would only
    # test the HTTP parser in front of Django (daphne answers a malformed cookie with its own HTML 400).
    schema = schemathesis.from_dict(raw_schema, base_url=BASE, data_generation_methods=DataGenerationMethod.all(),
                                    generation_config=GenerationConfig(with_security_parameters=False))
    if session is not None:
        @schema.auth(refresh_interval=None)
        class Token:
            def get(self, case, context) -> str:
                return session.token

            def set(self, case, token: str, context) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}

    checks_config = CheckConfig()
    checks_config.negative_data_rejection.allowed_statuses = REJECTIONS
    settings = hypothesis_settings(examples)
    runner = schemathesis.runner.from_schema(
        schema, checks=[*checks, role_check(role)], hypothesis_settings=settings, seed=seed,
        request_timeout=30_000, store_interactions=True, no_failfast=True, checks_config=checks_config)
    context = ExecutionContext(hypothesis_settings=settings)
    run = runner.execute()
    for event in run:
        if isinstance(event, events.AfterExecution):
            tally.add(event)
            tally.junit.handle_event(context, event)
            if session is not None:
                session.renew_if_revoked()
        if deadline is not None and time.monotonic() > deadline:
            run.finish()
            return False
    return True


def write_junit(tallies: dict[str, Tally], path: Path) -> None:
    suites = [TestSuite(f"schemathesis as {role}", test_cases=list(tally.junit.test_cases.values()))
              for role, tally in tallies.items()]
    with open(path, "w") as file:
        to_xml_report_file(file_descriptor=file, test_suites=suites, prettyprint=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--report-dir", type=Path, required=True)
    parser.add_argument("--users", type=json.loads, required=True, help='{"Admin": "username", ...}')
    parser.add_argument("--password", required=True)
    parser.add_argument("--examples", type=int, default=10, help="per operation and role in each round")
    parser.add_argument("--minutes", type=float,
                        help="each role fuzzes for its share of them, in rounds; else one round each")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--roles", nargs="+", choices=ROLES, default=ROLES)
    parser.add_argument("--coverage-phase", action="store_true",
                        help="as the Admin, first the boundary values of every parameter (many requests each)")
    parser.add_argument("--negative-data-rejection", action="store_true",
                        help="also fail a 2xx to data the schema says is invalid (schemathesis 3 misjudges some)")
    args = parser.parse_args()
    if not only_loopback():
        raise SystemExit("refusing to fuzz on a network with more than loopback: run me under `unshare -n`")
    args.report_dir.mkdir(parents=True, exist_ok=True)
    data_root = args.report_dir / "server-data"
    env = server_environment(args.database, data_root)
    os.environ.update(env)
    import django

    django.setup()
    # With --minutes each role fuzzes for its share of them, in rounds with a new seed each.
    share = args.minutes * 60 / len(args.roles) if args.minutes else None
    checks = STANDARD_CHECKS + ((negative_data_rejection,) if args.negative_data_rejection else ())
    tallies = {role: Tally() for role in args.roles}
    rounds = dict.fromkeys(args.roles, 0)
    with running_server(env, args.report_dir / "daphne.log"):
        sessions = {role: RoleSession(user, args.password) for role, user in args.users.items()}
        raw_schema = call("GET", "/api/schema/?format=json", token=sessions["Admin"].token)
        for role in args.roles:
            deadline = time.monotonic() + share if share else None
            finished = True
            while finished:
                finished = fuzz_role(raw_schema, role, sessions.get(role), args.examples, args.seed + rounds[role],
                                     tallies[role], deadline, checks, args.coverage_phase)
                rounds[role] += 1
                finished = finished and deadline is not None and time.monotonic() < deadline
    summary = {"seed": args.seed, "rounds": rounds, "examples": args.examples,
               "roles": {role: tally.summary() for role, tally in tallies.items()}}
    write_junit(tallies, args.report_dir / "junit.xml")
    (args.report_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
