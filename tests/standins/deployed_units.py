"""The VMS on a host of a namespaced test cluster, started as deploy/README.md's multi-node guide starts it: each
process is the ExecStart of a unit in deploy/systemd, with the unit's working directory and nothing in its
environment but what its EnvironmentFile says (as systemd runs it), that file being deploy/vms.env.example filled in.

Each host keeps its files under a folder of its own, where the guide's /etc/vms, /var/lib/vms and /srv/vms-media
are; the guide's install folder, /opt/vms, is this checkout. (The units' `User=vms` is not taken: tests run as root.)
"""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
from pathlib import Path

from tests.standins.cluster_hosts import Hosts

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
INSTALL = "/opt/vms"
HOST_FOLDERS = ("/etc/vms", "/var/lib/vms", "/srv/vms-media")
# What systemd gives a service before its EnvironmentFile.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SETTING = re.compile(r"^#?\s*(VMS_[A-Z0-9_]+)=")


class HostFiles:
    """One host's folders (its /etc/vms, /var/lib/vms, /srv/vms-media) under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in HOST_FOLDERS:
            self.path(folder).mkdir(parents=True, exist_ok=True)

    def path(self, guide_path: str) -> Path:
        return Path(self.relocate(guide_path))

    def relocate(self, text: str) -> str:
        """The guide's paths in `text` as they are for this host."""
        for folder in HOST_FOLDERS:
            text = text.replace(folder, f"{self.root}{folder}")
        return text.replace(INSTALL, str(ROOT))

    def write_environment(self, settings: dict[str, str]) -> Path:
        """/etc/vms/vms.env: deploy/vms.env.example with `settings` filled in (commented ones turned on)."""
        unknown = set(settings)
        lines = []
        for line in (DEPLOY / "vms.env.example").read_text().splitlines():
            found = SETTING.match(line)
            if found and found[1] in settings:
                line = f"{found[1]}={settings[found[1]]}"
                unknown.discard(found[1])
            lines.append(line)
        if unknown:
            raise ValueError(f"deploy/vms.env.example does not document {sorted(unknown)}")
        path = self.path("/etc/vms/vms.env")
        path.write_text(self.relocate("\n".join(lines) + "\n"))
        return path

    def environment(self) -> dict[str, str]:
        """What systemd's EnvironmentFile= makes of /etc/vms/vms.env."""
        env = {"PATH": SYSTEMD_PATH}
        for line in self.path("/etc/vms/vms.env").read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip()
        return env


def unit_service(unit: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys as written (ExecStart, not execstart)
    parser.read(DEPLOY / "systemd" / unit)
    return parser["Service"]


def start_unit(hosts: Hosts, host: str, files: HostFiles, unit: str, log: Path) -> subprocess.Popen:
    """Run `unit`'s ExecStart on `host`, as systemd would there; its output goes to `log`."""
    service = unit_service(unit)
    if files.relocate(service["EnvironmentFile"]) != str(files.path("/etc/vms/vms.env")):
        raise ValueError(f"{unit} reads {service['EnvironmentFile']}, not the guide's /etc/vms/vms.env")
    with open(log, "ab") as output:
        return hosts.start(host, shlex.split(files.relocate(service["ExecStart"])),
                           cwd=files.relocate(service["WorkingDirectory"]), env=files.environment(),
                           stdout=output, stderr=subprocess.STDOUT)


def manage(hosts: Hosts, host: str, files: HostFiles, *command: str) -> str:
    """`/opt/vms/.venv/bin/python manage.py COMMAND` on `host` with its environment file, as the guide's one-off
    steps (migrate, bootstrap) run; returns what it printed."""
    python = files.relocate(f"{INSTALL}/.venv/bin/python")
    done = subprocess.run([*hosts.run_in(host), python, "manage.py", *command], cwd=files.relocate(INSTALL),
                          env=files.environment(), capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(command)} on {host} failed: {done.stderr[-3000:]}")
    return done.stdout
