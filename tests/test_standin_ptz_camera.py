"""The PTZ stand-in leaves nothing behind on this host: its network namespace and veth pair go when it stops, when
the test using it fails, and when the test process itself is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.recording_checks import wait_for
from tests.standins.ptz_camera import ROOT, PtzCamera, link_exists

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the PTZ stand-in needs root for its veth pair")

# A test process that starts the camera, says which link it made, and waits to be killed.
_HOLDER = """
import sys, time
from pathlib import Path
from tests.standins.ptz_camera import PtzCamera
camera = PtzCamera(Path(sys.argv[1]))
camera.start()
print(camera.link, camera.process.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int | str) -> bool:
    """Whether the process runs (a zombie nobody reaped yet does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_failing_test_leaves_no_namespace_or_link(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), PtzCamera(tmp_path) as camera:
        link, pid = camera.link, camera.process.pid
        assert link_exists(link) and camera.state()["pan"] == 0.0
        raise RuntimeError("the test failed")
    assert not link_exists(link)
    assert not alive(pid)


def test_a_killed_test_process_takes_the_camera_and_its_link_with_it(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        link, pid = holder.stdout.readline().split()
        assert link_exists(link)
        holder.send_signal(signal.SIGKILL)  # no finaliser runs
        holder.wait(timeout=10)
        wait_for(lambda: not link_exists(link) and not alive(pid), 20,
                 "the namespace and its veth pair to go")
    finally:
        holder.kill()
