"""The embedded MongoDB-wire server: nx-27017 as a child process that Facelog owns.

Without a configured MongoDB URL, Facelog keeps its data in SQLite files through nx-27017, so a
fresh install needs no database setup. This module makes that child process behave like a
service rather than a script:

* it listens on 127.0.0.1 only, on a free port chosen once and kept across restarts (clients
  hold the URI, so a restarted server must come back at the same address);
* its data, pid file and log live under ``DATA/mongo``; an exclusive lock on that folder stops a
  second Facelog from starting a second server on the same SQLite files;
* a pid file left by a crash no longer blocks the start (nx-27017 refuses to start while its
  pid file names a live process): a dead pid is removed, and a live nx-27017 serving *our* folder
  is an orphan of a Facelog that was killed (we hold the lock, so nobody else owns it) and is
  stopped first;
* ``start`` returns only once the server answers ``ping`` and reports the pid we started (so a
  stranger that grabbed the port is never mistaken for it);
* a watchdog restarts the server if it dies, with exponential backoff;
* ``stop`` sends SIGTERM and kills after a timeout.

Linux and macOS only (``fcntl``); Facelog runs on Linux and in Docker.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

#: Runs nx-27017's own CLI in this interpreter: no dependence on PATH or on the venv's bin/.
_LAUNCH = "import sys; from nx_27017 import main; sys.exit(main())"
_MARKER = "nx_27017"


class EmbeddedMongoError(RuntimeError):
    """The embedded server could not be started (the message says why and where its log is)."""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (exited, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): trust kill(0)
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _cmdline(pid: int) -> str | None:
    """The process's command line on Linux; None where /proc is not available."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode(errors="replace").strip()


class EmbeddedMongo:
    """nx-27017 as a managed child process; use ``async with EmbeddedMongo(data_dir) as server``.

    ``data_dir`` is Facelog's data directory; the server's files go to ``data_dir / "mongo"``:
    ``db/`` (one SQLite file per database), ``nx-27017.pid`` and ``nx-27017.log`` (appended
    across runs; nx-27017 logs no document contents at its default level).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout_s: float = 30.0,
        stop_timeout_s: float = 10.0,
        restart_delay_s: float = 0.5,
        restart_delay_max_s: float = 30.0,
    ) -> None:
        self.root = Path(data_dir) / "mongo"
        self.db_dir = self.root / "db"
        self.pid_file = self.root / "nx-27017.pid"
        self.log_file = self.root / "nx-27017.log"
        self.lock_file = self.root / "server.lock"
        self.port_file = self.root / "nx-27017.port"
        self.host = host
        self._port = port
        self._start_timeout_s = start_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._restart_delay_s = restart_delay_s
        self._restart_delay_max_s = restart_delay_max_s
        self._proc: asyncio.subprocess.Process | None = None
        self._lock_fd: int | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._stopping = False
        self._ready = asyncio.Event()
        self.restarts = 0

    # -- public API ---------------------------------------------------------------------------

    @property
    def uri(self) -> str:
        """``mongodb://127.0.0.1:PORT`` of the running server."""
        if self._port is None or self._proc is None:
            raise EmbeddedMongoError("the embedded MongoDB server is not started")
        return f"mongodb://{self.host}:{self._port}/?directConnection=true"

    @property
    def port(self) -> int | None:
        """The TCP port, fixed at the first start."""
        return self._port

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        if self._proc is None or self._proc.returncode is not None:
            return None
        return self._proc.pid

    async def start(self) -> None:
        """Start the server and return once it answers; raise ``EmbeddedMongoError`` otherwise."""
        if self._proc is not None:
            raise EmbeddedMongoError("the embedded MongoDB server is already started")
        self._stopping = False
        self.db_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            await self._clear_stale_pid_file()
            attempts = 1 if self._port is not None else 3
            for attempt in range(1, attempts + 1):
                port = self._port if self._port is not None else _free_port(self.host)
                try:
                    await self._launch(port)
                    self._port = port
                    break
                except EmbeddedMongoError:
                    # A chosen free port can be taken between choosing and binding: try another.
                    if attempt == attempts:
                        raise
        except BaseException:
            self._release_lock()
            raise
        self._watchdog = asyncio.get_running_loop().create_task(
            self._watch(), name="embedded-mongo-watchdog"
        )
        # Where the server listens, for commands that run beside the bot (``facelog backup``):
        # they cannot start a second server on the same files, so they talk to this one.
        self.port_file.write_text(f"{self._port}\n")
        log.info("embedded MongoDB server (nx-27017) ready on %s:%s", self.host, self._port)

    async def stop(self) -> None:
        """Stop the watchdog, then the server (SIGTERM, SIGKILL after ``stop_timeout_s``)."""
        self._stopping = True
        self._ready.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        if self._proc is not None:
            await self._terminate(self._proc)
            self._proc = None
        # nx-27017 removes its pid file on a clean exit; after a SIGKILL we do.
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.port_file.unlink()
        self._release_lock()
        log.info("embedded MongoDB server stopped")

    async def wait_ready(self, timeout_s: float | None = None) -> None:
        """Wait until the server answers (again, after a restart by the watchdog)."""
        await asyncio.wait_for(self._ready.wait(), timeout_s)

    async def __aenter__(self) -> EmbeddedMongo:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- process management -------------------------------------------------------------------

    def _acquire_lock(self) -> None:
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise EmbeddedMongoError(
                f"another Facelog process is using {self.root} (its lock is held)"
            ) from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    async def _clear_stale_pid_file(self) -> None:
        """Remove a pid file that would make nx-27017 refuse to start.

        Called with our lock held, so no live Facelog owns a server on this folder: a dead pid
        is a crash's leftover, a live nx-27017 on our folder is an orphan (its parent was
        killed) and is stopped, and any other live process is an unrelated pid reuse.
        """
        try:
            text = self.pid_file.read_text().strip()
        except FileNotFoundError:
            return
        pid = int(text) if text.isdigit() else None
        if pid is not None and _pid_alive(pid):
            cmdline = _cmdline(pid)
            if cmdline is None:
                raise EmbeddedMongoError(
                    f"{self.pid_file} names live process {pid}; stop it or remove the file"
                )
            if _MARKER in cmdline and str(self.db_dir) in cmdline:
                log.warning("stopping orphaned embedded MongoDB server (pid %s)", pid)
                await self._terminate_pid(pid)
        log.info("removing stale pid file %s", self.pid_file)
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    async def _terminate_pid(self, pid: int) -> None:
        """Stop a process that is not our child (no wait() available): poll until it is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout_s
        while _pid_alive(pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if _pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _pid_alive(pid) and time.monotonic() < deadline + 5:
                await asyncio.sleep(0.05)

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), self._stop_timeout_s)
        except TimeoutError:
            log.warning("embedded MongoDB server ignored SIGTERM; killing it")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def _launch(self, port: int) -> None:
        """Spawn the server on ``port`` and wait until it is healthy; clean up if it is not."""
        args = [
            sys.executable,
            "-c",
            _LAUNCH,
            "--data-dir",
            str(self.db_dir),
            "--host",
            self.host,
            "--port",
            str(port),
            "--pid-file",
            str(self.pid_file),
            "--log-file",
            os.devnull,
        ]
        # nx-27017 logs to stderr and to --log-file alike; capturing stderr (appended) keeps one
        # copy, including what never reaches its logger (import errors, fatal tracebacks).
        stderr: IO[Any]
        with self.log_file.open("ab") as stderr:
            # A new session: Ctrl-C in the terminal reaches Facelog, which stops the server in
            # order, instead of killing both at once.
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        self._proc = proc
        try:
            await self._wait_healthy(proc, port)
        except BaseException:
            await self._terminate(proc)
            self._proc = None
            raise
        self._ready.set()

    async def _wait_healthy(self, proc: asyncio.subprocess.Process, port: int) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self.host,
            port,
            directConnection=True,
            serverSelectionTimeoutMS=250,
            connectTimeoutMS=250,
        )
        try:
            while True:
                if proc.returncode is not None:
                    raise EmbeddedMongoError(self._failure(f"exited with code {proc.returncode}"))
                if time.monotonic() > deadline:
                    raise EmbeddedMongoError(
                        self._failure(f"did not answer within {self._start_timeout_s:.0f} s")
                    )
                try:
                    await client.admin.command("ping")
                    status = await client.admin.command("serverStatus")
                except PyMongoError:
                    await asyncio.sleep(0.05)
                    continue
                if status.get("pid", proc.pid) != proc.pid:
                    raise EmbeddedMongoError(
                        self._failure(f"port {port} is answered by another process")
                    )
                return
        finally:
            await client.close()

    def _failure(self, what: str) -> str:
        detail = _tail(self.log_file)
        message = f"embedded MongoDB server (nx-27017) {what}; log: {self.log_file}"
        return f"{message}\n{detail}" if detail else message

    async def _watch(self) -> None:
        """Restart the server whenever it exits while we did not ask it to."""
        while not self._stopping:
            proc = self._proc
            if proc is None:
                return
            code = await proc.wait()
            if self._stopping:
                return
            self._ready.clear()
            self._proc = None
            port = self._port
            if port is None:  # cannot happen: a started server has its port
                return
            log.warning("embedded MongoDB server exited (code %s); restarting it", code)
            delay = self._restart_delay_s
            while not self._stopping:
                try:
                    await self._clear_stale_pid_file()
                    await self._launch(port)
                except (EmbeddedMongoError, OSError) as exc:
                    log.error("restarting the embedded MongoDB server failed: %s", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._restart_delay_max_s)
                    continue
                self.restarts += 1
                log.info("embedded MongoDB server restarted (restart #%d)", self.restarts)
                break


def lock_held(data_dir: Path) -> bool:
    """Whether another process holds the embedded server's lock on ``data_dir`` (a bot runs)."""
    lock_file = Path(data_dir) / "mongo" / "server.lock"
    if not lock_file.exists():
        return False
    fd = os.open(lock_file, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


async def running_server_uri(data_dir: Path, *, timeout_s: float = 5.0) -> str | None:
    """The URI of the embedded server another Facelog runs on ``data_dir``, or None if none runs.

    Raises :class:`EmbeddedMongoError` when the lock is held but the server cannot be found or
    does not answer as the process its pid file names (a stranger on the port is never used).
    """
    if not lock_held(data_dir):
        return None
    root = Path(data_dir) / "mongo"
    try:
        port = int((root / "nx-27017.port").read_text().strip())
        pid = int((root / "nx-27017.pid").read_text().strip())
    except (OSError, ValueError):
        raise EmbeddedMongoError(
            f"a Facelog process holds {root} but its server's port or pid file is missing"
        ) from None
    host = "127.0.0.1"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        host, port, directConnection=True, serverSelectionTimeoutMS=int(timeout_s * 1000)
    )
    try:
        status = await client.admin.command("serverStatus")
    except PyMongoError:
        raise EmbeddedMongoError(
            f"the embedded server of the running Facelog ({host}:{port}) does not answer"
        ) from None
    finally:
        await client.close()
    if status.get("pid", pid) != pid:
        raise EmbeddedMongoError(f"port {port} is answered by another process than {pid}")
    return f"mongodb://{host}:{port}/?directConnection=true"
