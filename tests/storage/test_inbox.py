"""The update inbox's contract: stored once, one owner at a time, replayable until done.

Against the real embedded store, with a clock the test moves (leases need no real waiting).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from storage import Cipher, Repository

from .conftest import FakeClock

LEASE = timedelta(seconds=30)
UPDATE = {"update_id": 7, "message": {"message_id": 1, "text": "바다에 갔어", "chat": {"id": 5}}}


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def inbox(mongo_uri: str, database_name: str, clock: FakeClock) -> AsyncIterator[Repository]:
    repo = await Repository.connect(mongo_uri, database_name, clock=clock)
    await repo.migrate()
    try:
        yield repo
    finally:
        await repo.database.client.drop_database(database_name)
        await repo.close()


async def test_an_update_is_stored_once(inbox: Repository) -> None:
    results = await asyncio.gather(
        *(inbox.inbox_receive(7, 5, UPDATE, owner=f"p{i}", lease=LEASE) for i in range(10))
    )
    assert results.count(True) == 1
    record = await inbox.inbox_record(7)
    assert record is not None
    assert (record.state, record.user_id, record.tries, record.update) == ("received", 5, 0, UPDATE)


async def test_only_one_owner_runs_an_update_until_its_lease_runs_out(
    inbox: Repository, clock: FakeClock
) -> None:
    await inbox.inbox_receive(7, 5, UPDATE, owner="a", lease=LEASE)
    assert await inbox.inbox_begin(7, owner="b", lease=LEASE) is None  # a's lease is alive
    began = await inbox.inbox_begin(7, owner="a", lease=LEASE)
    assert began is not None and (began.state, began.tries) == ("working", 1)
    clock.advance(timedelta(seconds=20))
    assert await inbox.inbox_renew("a", LEASE) == 1
    clock.advance(timedelta(seconds=20))
    assert await inbox.inbox_begin(7, owner="b", lease=LEASE) is None  # renewed: still a's
    assert await inbox.inbox_unfinished() == []
    clock.advance(timedelta(seconds=11))  # a died: its lease ran out
    assert [r.update_id for r in await inbox.inbox_unfinished()] == [7]
    contenders = await asyncio.gather(
        *(inbox.inbox_begin(7, owner=f"r{i}", lease=LEASE) for i in range(8))
    )
    winners = [c for c in contenders if c is not None]
    assert len(winners) == 1 and winners[0].tries == 2
    assert not await inbox.inbox_finish(7, owner="a")  # the dead owner cannot finish it now
    assert await inbox.inbox_finish(7, owner=winners[0].owner or "")
    assert await inbox.inbox_begin(7, owner="c", lease=LEASE) is None  # done: never again
    done = await inbox.inbox_record(7)
    assert done is not None and done.state == "done" and done.update is None


async def test_sent_answers_and_adoption_survive_a_change_of_owner(
    inbox: Repository, clock: FakeClock
) -> None:
    await inbox.inbox_receive(8, 5, UPDATE, owner="a", lease=LEASE)
    await inbox.inbox_begin(8, owner="a", lease=LEASE)
    await inbox.inbox_mark_sent(8, "confirmation")
    await inbox.inbox_mark_sent(8, "confirmation")
    assert not await inbox.inbox_adopt(8, owner="b", lease=LEASE)  # alive: not adoptable
    assert await inbox.inbox_adopt(8, owner="b", lease=LEASE, any_lease=True)  # sole poller
    record = await inbox.inbox_begin(8, owner="b", lease=LEASE)
    assert record is not None and record.sent == frozenset({"confirmation"})
    assert record.tries == 2


async def test_release_hands_unstarted_updates_over_at_once(inbox: Repository) -> None:
    for update_id in (1, 2, 3, 4):
        await inbox.inbox_receive(update_id, 5, UPDATE, owner="a", lease=LEASE)
    await inbox.inbox_finish(2, owner="a")
    await inbox.inbox_begin(4, owner="a", lease=LEASE)  # still running: keeps its lease
    assert await inbox.inbox_release("a") == 2
    assert [r.update_id for r in await inbox.inbox_unfinished()] == [1, 3]


async def test_parked_and_done_updates_are_pruned_after_their_windows(
    inbox: Repository, clock: FakeClock
) -> None:
    for update_id in (1, 2, 3):
        await inbox.inbox_receive(update_id, 5, UPDATE, owner="a", lease=LEASE)
    await inbox.inbox_finish(1, owner="a")
    await inbox.inbox_finish(2, owner="a", parked="crashed 3 times")
    clock.advance(timedelta(days=3))
    removed = await inbox.inbox_prune(done_for=timedelta(days=2), parked_for=timedelta(days=30))
    assert removed == 1
    assert await inbox.inbox_record(1) is None
    parked = await inbox.inbox_record(2)
    assert parked is not None and parked.error == "crashed 3 times" and parked.update == UPDATE
    assert await inbox.inbox_record(3) is not None  # unfinished: kept whatever its age
    clock.advance(timedelta(days=30))
    assert await inbox.inbox_prune(done_for=timedelta(days=2), parked_for=timedelta(days=30)) == 1
    assert await inbox.inbox_counts() == {"received": 1}


async def test_delete_user_erases_their_updates(inbox: Repository) -> None:
    await inbox.inbox_receive(1, 5, UPDATE, owner="a", lease=LEASE)
    await inbox.inbox_receive(2, 6, UPDATE, owner="a", lease=LEASE)
    await inbox.delete_user(5)
    assert await inbox.inbox_record(1) is None
    assert await inbox.inbox_record(2) is not None


async def test_with_a_key_the_stored_update_is_sealed_and_rotated(
    mongo_uri: str, database_name: str
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    name = database_name + "_sealed"
    sealed = await Repository.connect(mongo_uri, name, cipher=Cipher([old]))
    try:
        await sealed.migrate()
        await sealed.inbox_receive(7, 5, UPDATE, owner="a", lease=LEASE)
        raw = await sealed.database["inbox"].find_one({"update_id": 7})
        assert raw is not None and isinstance(raw["update"], bytes)
        assert "바다".encode() not in raw["update"]
        record = await sealed.inbox_record(7)
        assert record is not None and record.update == UPDATE
        rotating = await Repository.connect(mongo_uri, name, cipher=Cipher([new, old]))
        report = await rotating.reencrypt_all()
        await rotating.close()
        assert report.updates == 1
        only_new = await Repository.connect(mongo_uri, name, cipher=Cipher([new]))
        record = await only_new.inbox_record(7)
        await only_new.close()
        assert record is not None and record.update == UPDATE  # the old key is no longer needed
    finally:
        await sealed.database.client.drop_database(name)
        await sealed.close()
