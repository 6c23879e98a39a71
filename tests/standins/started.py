"""Stand-ins made of several processes (a Ceph cluster, a database host, the hosts of a test cluster) as context
managers: started on entering, and closed on leaving or when starting failed halfway, so nothing is left running."""

from __future__ import annotations

import abc
import subprocess
from collections.abc import Iterable
from types import TracebackType
from typing import Self


def stop_processes(processes: Iterable[subprocess.Popen], timeout: float = 30) -> None:
    """SIGTERM to each, then wait for each; SIGKILL to any still there after `timeout` seconds."""
    processes = list(processes)
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Started(abc.ABC):
    @abc.abstractmethod
    def set_up(self) -> None:
        """Start everything; `close()` must undo any part of it."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop and remove whatever was started (any part of it)."""

    def __enter__(self) -> Self:
        try:
            self.set_up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
