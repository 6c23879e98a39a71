"""Serve a directory of clips over RTSP on 127.0.0.1 with aio-rtsp-toolkit; run by `FileRtspServer`.

It prints `READY rtsp://127.0.0.1:PORT/` once it listens and logs only warnings and errors, to stderr.
"""

import argparse
import asyncio
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

import aio_rtsp_toolkit.server as rtsp_server
import aio_rtsp_toolkit.server_streaming as server_streaming
import aio_sockets


class StderrLogger:
    """The toolkit's logger interface, keeping only warnings and errors (it logs every request at info)."""

    def log(self, level: str, message: str) -> None:
        print(level, message, file=sys.stderr, flush=True)

    def debug(self, message: str) -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.log("WARNING", message)

    def error(self, message: str) -> None:
        self.log("ERROR", message)

    def critical(self, message: str) -> None:
        self.log("CRITICAL", message)


async def serve(directory: str, port: int, workers: int) -> None:
    """Serve `directory` on 127.0.0.1:`port` until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    # Each playing session reads its file in a thread of the default executor, whose default size
    # (cores + 4) would cap the server at about 6 sessions on 2 cores.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=workers))
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = rtsp_server.RtspServer(directory, host="127.0.0.1", port=port)
    await server.start()
    print(f"READY rtsp://127.0.0.1:{port}/", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="directory whose .mp4/.mkv files are served")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=64, help="sessions that can play at once")
    args = parser.parse_args()
    rtsp_server.logger = StderrLogger()
    aio_sockets.aio_sockets.logger = StderrLogger()
    # A session's file reader retries a put into its full queue after this many seconds, and a put that
    # completes just as it retries queues the frame twice: at the default 0.05 s, six sessions on 2 cores
    # got frames repeated with the same timestamp, some twenty times over. The queue is drained once a
    # frame, so a put never waits 1 s.
    server_streaming.QUEUE_PUT_POLL_INTERVAL = 1.0
    asyncio.run(serve(args.dir, args.port, args.workers))


if __name__ == "__main__":
    main()
