"""The embedded nx-27017 server behaves like a service: starts, survives crashes, stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from storage import EmbeddedMongo, EmbeddedMongoError, Repository, open_storage
from storage.embedded import _LAUNCH, _free_port, _pid_alive

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="the embedded server is not under test"
)


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_start_stop_and_restart_keep_the_data(data_dir: Path) -> None:
    server = EmbeddedMongo(data_dir)
    async with server:
        assert server.uri.startswith("mongodb://127.0.0.1:")
        pid = server.pid
        assert pid is not None
        assert int(server.pid_file.read_text()) == pid
        assert server.log_file.exists()
        assert server.pid_file.parent == data_dir / "mongo"
        repo = await Repository.connect(server.uri)
        await repo.migrate()
        await repo.claim_job(1, "reminder", "2024-06-02")
        await repo.close()
    # Stopped: process gone, pid file removed, port closed.
    assert not _pid_alive(pid)
    assert not server.pid_file.exists()
    with pytest.raises(EmbeddedMongoError):
        _ = server.uri

    async with EmbeddedMongo(data_dir) as again:
        repo = await Repository.connect(again.uri)
        assert await repo.schema_version() == 3
        assert await repo.job_state(1, "reminder", "2024-06-02") == "claimed"
        await repo.close()


async def test_stale_pid_file_does_not_block_start(data_dir: Path) -> None:
    server = EmbeddedMongo(data_dir)
    server.root.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    server.pid_file.write_text(str(dead.pid))  # what a crash leaves behind
    async with server:
        assert server.pid != dead.pid
        assert int(server.pid_file.read_text()) == server.pid
        await (await Repository.connect(server.uri)).close()


async def test_orphaned_server_from_a_killed_facelog_is_replaced(data_dir: Path) -> None:
    server = EmbeddedMongo(data_dir)
    server.db_dir.mkdir(parents=True)
    # The nx-27017 child of a Facelog that was killed with SIGKILL: still running, pid file live.
    orphan = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _LAUNCH,
            "--data-dir",
            str(server.db_dir),
            "--port",
            str(_free_port("127.0.0.1")),
            "--pid-file",
            str(server.pid_file),
            "--log-file",
            str(server.log_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        await wait_for(server.pid_file.exists)
        async with server:
            assert orphan.poll() is not None  # stopped, so the SQLite files have one owner
            assert server.pid != orphan.pid
            await (await Repository.connect(server.uri)).close()
    finally:
        if orphan.poll() is None:
            orphan.kill()
        orphan.wait()


async def test_watchdog_restarts_a_killed_server(data_dir: Path) -> None:
    async with EmbeddedMongo(data_dir, restart_delay_s=0.1) as server:
        uri, first_pid = server.uri, server.pid
        assert first_pid is not None
        repo = await Repository.connect(uri, timeout_s=10)
        entry = await repo.create_entry(
            1,
            day=date(2024, 6, 2),
            emotion="happy",
            probabilities={"happy": 1.0},
            faces=1,
            text="before the crash",
            photo=b"photo",
        )
        os.kill(first_pid, signal.SIGKILL)
        await wait_for(lambda: server.restarts == 1)
        await server.wait_ready(20)
        assert server.pid not in (None, first_pid)
        assert server.uri == uri  # same address: existing clients reconnect by themselves
        # The acknowledged write survived, and the old client works again.
        assert await repo.get_photo(1, entry.id) == b"photo"
        await repo.close()


async def test_second_server_on_the_same_data_is_refused(data_dir: Path) -> None:
    async with EmbeddedMongo(data_dir):
        with pytest.raises(EmbeddedMongoError, match="another Facelog"):
            await EmbeddedMongo(data_dir).start()


async def test_open_storage_starts_and_stops_the_embedded_server(data_dir: Path) -> None:
    async with open_storage(data_dir) as repo:
        assert await repo.schema_version() == 3
        pid = int((data_dir / "mongo" / "nx-27017.pid").read_text())
        assert _pid_alive(pid)
    assert not _pid_alive(pid)
    assert not (data_dir / "mongo" / "nx-27017.pid").exists()


async def test_open_storage_uses_a_given_uri(mongo_uri: str, tmp_path: Path) -> None:
    database = "facelog_test_open_storage"
    async with open_storage(tmp_path / "unused", mongo_uri, database=database) as repo:
        assert await repo.schema_version() == 3
        await repo.database.client.drop_database(database)
    assert not (tmp_path / "unused" / "mongo").exists()


async def test_a_server_that_cannot_start_is_reported_with_its_log(data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = EmbeddedMongo(data_dir, port=busy.getsockname()[1], start_timeout_s=20)
        with pytest.raises(EmbeddedMongoError, match="exited with code") as failure:
            await server.start()
    assert str(server.log_file) in str(failure.value)
    assert server.pid is None
    # The lock was released: a later start on a free port works.
    async with EmbeddedMongo(data_dir) as retry:
        assert retry.pid is not None
