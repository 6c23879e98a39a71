"""Hosts of a test cluster on this one machine: one Linux network namespace per host, each with a veth onto one
bridge (kept in a "switch" namespace of its own), in a 10.x.y.0/24 picked for the run. The test's own process, the
operator's workstation, gets a veth onto the bridge too (address .1), so it reaches the hosts; services of the root
namespace listen on 127.0.0.1 only, so the hosts do not reach them.

Names carry the pid of the run that made them (`vmsc-<pid>-<host>`): a later run removes what a killed one left.
Root only (`ip netns`).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections.abc import Sequence

from tests.standins.started import Started

PREFIX = "vmsc"
SWITCH = "switch"


def ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def namespaces() -> list[str]:
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]


def kill_everything_in(namespace: str) -> None:
    """kill -9 every process of a namespace (as a host's power cut would), and wait until they are gone."""
    for _ in range(50):
        pids = [int(pid) for pid in ip("netns", "pids", namespace).split()]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"processes of {namespace} outlived kill -9")


def remove_leftovers() -> None:
    """Namespaces of earlier runs whose process is gone (killed before it could clean up), with their processes."""
    for namespace in namespaces():
        found = re.fullmatch(rf"{PREFIX}-(\d+)-.+", namespace)
        if found and not os.path.exists(f"/proc/{found[1]}"):
            kill_everything_in(namespace)
            ip("netns", "delete", namespace)


class Hosts(Started):
    """The hosts named `names`, each a namespace with its address on the bridge; a context manager that removes
    them all (their processes killed) on exit, failed or not."""

    def __init__(self, names: Sequence[str]) -> None:
        self.run_id = os.getpid()
        subnet = f"10.{random.randint(200, 249)}.{random.randint(0, 255)}"
        self.addresses = {name: f"{subnet}.{10 + index}" for index, name in enumerate(names)}
        self.workstation_address = f"{subnet}.1"
        # Interface names are at most 15 characters: "vmsc" and the pid leave room for a one-letter suffix.
        self.workstation_link = f"{PREFIX}{self.run_id}"

    def namespace(self, host: str) -> str:
        return f"{PREFIX}-{self.run_id}-{host}"

    def run_in(self, host: str) -> list[str]:
        """The prefix that runs a command on `host`."""
        return ["ip", "netns", "exec", self.namespace(host)]

    def start(self, host: str, argv: Sequence[str], **popen: object) -> subprocess.Popen:
        return subprocess.Popen([*self.run_in(host), *argv], **popen)

    def kill_processes(self, host: str) -> None:
        kill_everything_in(self.namespace(host))

    def cut(self, host: str) -> None:
        """The host's network cable pulled: its link goes down (its processes live on, unreachable)."""
        ip("-n", self.namespace(host), "link", "set", "eth0", "down")

    def mend(self, host: str) -> None:
        ip("-n", self.namespace(host), "link", "set", "eth0", "up")

    def set_up(self) -> None:
        remove_leftovers()
        switch = self.namespace(SWITCH)
        ip("netns", "add", switch)
        ip("-n", switch, "link", "add", "br0", "type", "bridge")
        ip("-n", switch, "link", "set", "br0", "up")
        for index, (host, address) in enumerate(self.addresses.items()):
            namespace, port = self.namespace(host), f"port{index}"
            ip("netns", "add", namespace)
            ip("-n", namespace, "link", "set", "lo", "up")
            ip("link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", port, "netns", switch)
            ip("-n", switch, "link", "set", port, "master", "br0", "up")
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", namespace, "link", "set", "eth0", "up")
        ip("link", "add", self.workstation_link, "type", "veth", "peer", "name", "workstation", "netns", switch)
        ip("-n", switch, "link", "set", "workstation", "master", "br0", "up")
        ip("addr", "add", f"{self.workstation_address}/24", "dev", self.workstation_link)
        ip("link", "set", self.workstation_link, "up")

    def close(self) -> None:
        ours = [n for n in namespaces() if n.startswith(f"{PREFIX}-{self.run_id}-")]
        for namespace in ours:
            kill_everything_in(namespace)
        for namespace in ours:
            ip("netns", "delete", namespace)  # its veths go with it, the workstation's too (its peer is the switch's)
