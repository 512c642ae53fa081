"""``facelog backup`` / ``facelog restore`` from outside, on the embedded store of a data dir.

The "bot" is this test holding the data directory through ``open_storage`` (the lock and the
embedded server, as ``facelog run`` does) while the commands run as separate processes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest

from storage import Repository, open_storage

ROOT = Path(__file__).resolve().parents[2]
PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(200_000)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="the command-line checks use the embedded store"
)


async def facelog(cwd: Path, data_dir: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACELOG_", "MONGODB_"))}
    env |= {"PYTHONPATH": str(ROOT), "FACELOG_DATA_DIR": str(data_dir)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "facelog.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def post(repo: Repository, user_id: int, n: int) -> str:
    entry = await repo.create_entry(
        user_id,
        day=date(2024, 6, 1 + n % 28),
        emotion="happy",
        probabilities={"happy": 1.0},
        faces=1,
        text=f"entry {n}",
        photo=PHOTO + bytes([n % 256]),
    )
    return entry.id


async def test_backup_while_running_then_restore_after_the_data_dir_is_gone(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    out = tmp_path / "off-site" / "b.tar"
    async with open_storage(data) as repo:
        ids = [await post(repo, 1 + n % 3, n) for n in range(9)]
        stop = asyncio.Event()
        later: list[str] = []

        async def keep_posting() -> None:
            n = 100
            while not stop.is_set():
                later.append(await post(repo, 5, n))
                n += 1

        poster = asyncio.create_task(keep_posting())
        code, stdout, stderr = await facelog(tmp_path, data, "backup", "--out", str(out))
        stop.set()
        await poster
        assert code == 0, stderr
        assert stdout.strip().splitlines()[-1] == str(out)  # the path is the last line
        assert later  # posts were accepted while the backup ran
        # While the bot runs, a restore is refused with one line and touches nothing.
        code, _, stderr = await facelog(tmp_path, data, "restore", str(out), "--force")
        assert code != 0 and "running" in stderr and len(stderr.strip().splitlines()) == 1
        assert await repo.database["entries"].count_documents({}) == 9 + len(later)

    # A damaged archive is refused before anything is touched.
    damaged = tmp_path / "damaged.tar"
    raw = out.read_bytes()
    at = raw.index(PHOTO[1000:1040])
    damaged.write_bytes(raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :])
    code, _, stderr = await facelog(tmp_path, data, "restore", str(damaged), "--force")
    assert code != 0 and "checksum" in stderr and len(stderr.strip().splitlines()) == 1

    # Existing data without --force: refused.
    code, _, stderr = await facelog(tmp_path, data, "restore", str(out))
    assert code != 0 and "--force" in stderr

    # The disk is lost: restore into a fresh data directory.
    shutil.rmtree(data)
    code, stdout, stderr = await facelog(tmp_path, data, "restore", str(out))
    assert code == 0, stderr
    async with open_storage(data) as repo:
        for n, entry_id in enumerate(ids):
            entry = await repo.get_entry(1 + n % 3, entry_id)
            assert entry is not None and entry.text == f"entry {n}"
            assert await repo.get_photo(1 + n % 3, entry_id) == PHOTO + bytes([n % 256])
        # ... and takes new posts.
        new_id = await post(repo, 1, 50)
        assert await repo.get_photo(1, new_id) == PHOTO + bytes([50])

    # --list shows it; with counts.
    code, stdout, _ = await facelog(tmp_path, data, "backup")
    assert code == 0
    code, stdout, _ = await facelog(tmp_path, data, "backup", "--list")
    assert code == 0 and "entries" in stdout and "photos" in stdout
