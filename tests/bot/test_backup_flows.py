"""Backups from outside (issue #26): the real bot on the fake Telegram server and an embedded
store in a data directory, ``facelog backup`` and ``facelog restore`` as separate processes.

While the bot runs: a backup is taken as people post, and a restore is refused. Then the data
directory is lost; the restore brings every entry and photo of every person back as of the
backup, and the restarted bot answers for them and takes new posts.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from inference.pipeline import FacePipeline
from storage import open_storage
from tests.storage.test_backup_cli import facelog

from .conftest import serve_bot
from .test_diary_flows import onboard

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="a data directory's embedded store"
)


async def test_backup_while_the_bot_runs_and_restore_after_the_disk_is_lost(
    fake_telegram: FakeTelegram,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
    tmp_path: Path,
) -> None:
    data, out = tmp_path / "data", tmp_path / "elsewhere" / "facelog.tar"
    photos = list(face_photos.values())
    people = [fake_telegram_user(fake_telegram, n) for n in range(3)]
    async with open_storage(data) as repo, serve_bot(fake_telegram, repo, pipeline):
        for n, person in enumerate(people):
            await onboard(person, f"Person {n}")
            await person.send_photo(photos[n % len(photos)], caption=f"before the backup {n}")
            await person.wait_for_reply(lambda c: "before the backup" in (c.text or ""))
        confirmed = {p.id: await repo.recent_entries(p.id, 10) for p in people}
        # People keep posting while the backup runs.
        backup = asyncio.create_task(facelog(tmp_path, data, "backup", "--out", str(out)))
        during = 0
        while not backup.done():
            person = people[during % len(people)]
            await person.send_photo(photos[0], caption=f"during {during}")
            await person.wait_for_reply(lambda c: "during" in (c.text or ""))
            during += 1
        code, stdout, stderr = await backup
        assert code == 0, stderr
        assert during > 0  # posts were answered while the backup ran
        assert stdout.strip().splitlines()[-1] == str(out)
        code, _, stderr = await facelog(tmp_path, data, "restore", str(out))
        assert code == 2 and "running" in stderr

    shutil.rmtree(data)  # the disk is gone
    code, _, stderr = await facelog(tmp_path, data, "restore", str(out))
    assert code == 0, stderr
    async with open_storage(data) as repo, serve_bot(fake_telegram, repo, pipeline):
        for n, person in enumerate(people):
            entries = await repo.recent_entries(person.id, 50)
            by_id = {e.id: e for e in entries}
            for entry in confirmed[person.id]:
                assert by_id[entry.id].text == entry.text
                assert await repo.get_photo(person.id, entry.id) == photos[n % len(photos)]
            person.mark()
            await person.send_photo(photos[1], caption="after the restore")
            replies = await person.wait_for_reply(lambda c: "after the restore" in (c.text or ""))
            assert all("before the backup" not in (c.text or "") for c in replies)  # no replays
        assert len(await repo.recent_entries(people[0].id, 50)) >= 2


def fake_telegram_user(fake: FakeTelegram, n: int) -> TelegramUser:
    return TelegramUser(fake, language_code="en", first_name=f"P{n}")
