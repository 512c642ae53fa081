"""Reminders and monthly summaries end to end: store → scheduler → rate-limited bot → fake
Telegram, with a clock the test moves. Each test states what a user would notice."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from inference.labels import Emotion
from scheduler.service import LEASE_NAME
from tests.scheduler.conftest import World, open_store


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_reminders_arrive_at_each_users_local_time(world: World) -> None:
    seoul = await world.person("민지", zone="Asia/Seoul", hour=21)
    new_york = await world.person("Sam", zone="America/New_York", hour=21, language="en")
    london = await world.person("Ada", zone="Europe/London", hour=8, minute=30, language="en")
    scheduler = world.scheduler()

    world.clock.now = utc(2026, 6, 2, 12, 0)  # 21:00 in Seoul, 08:00 in New York
    tick = await scheduler.tick()
    assert tick.leader
    [reminder] = world.received(seoul.user.id)
    assert "민지" in reminder.params["text"] and "/reminders" in reminder.params["text"]
    assert world.received(new_york.user.id) == []
    # London's 08:30 was 4½ hours ago: past the 2-hour grace, so no stale nudge.
    assert world.received(london.user.id) == []

    world.clock.now = utc(2026, 6, 3, 1, 0)  # 21:00 in New York
    await scheduler.tick()
    [evening] = world.received(new_york.user.id)
    assert "Sam" in evening.params["text"]
    world.clock.now = utc(2026, 6, 3, 7, 30)  # 08:30 in London
    await scheduler.tick()
    assert len(world.received(london.user.id)) == 1
    assert len(world.received(seoul.user.id)) == 1


async def test_reminders_follow_a_dst_change(world: World) -> None:
    sam = await world.person("Sam", zone="America/New_York", hour=21, language="en")
    scheduler = world.scheduler()
    world.clock.now = utc(2026, 10, 31, 1, 0)  # Fri 30 Oct 21:00 EDT
    await scheduler.tick()
    world.clock.now = utc(2026, 11, 2, 1, 0)  # Sun 1 Nov 20:00 EST: not yet
    await scheduler.tick()
    assert len(world.received(sam.user.id)) == 1
    world.clock.now = utc(2026, 11, 2, 2, 0)  # Sun 1 Nov 21:00 EST
    await scheduler.tick()
    assert len(world.received(sam.user.id)) == 2


async def test_nobody_is_reminded_on_a_day_they_already_wrote(world: World) -> None:
    wrote = await world.person("민지")
    forgot = await world.person("서준")
    await world.write(wrote.user.id, date(2026, 6, 2), Emotion.HAPPY)
    world.clock.now = utc(2026, 6, 2, 12, 0)
    tick = await world.scheduler().tick()
    assert world.received(wrote.user.id) == []
    assert len(world.received(forgot.user.id)) == 1
    assert tick.reports[0].count("skipped") == 1 and tick.reports[0].count("sent") == 1
    assert await world.repo.job_state(wrote.user.id, "reminder", "2026-06-02") == "skipped"


async def test_switched_off_reminders_stay_silent(world: World) -> None:
    quiet = await world.person("민지", enabled=False)
    world.clock.now = utc(2026, 6, 2, 12, 0)
    await world.scheduler().tick()
    assert world.received(quiet.user.id) == []


async def test_a_restart_never_sends_the_same_reminder_twice(
    world: World, mongo_uri: str, database_name: str
) -> None:
    user = await world.person("민지")
    world.clock.now = utc(2026, 6, 2, 12, 0)
    await world.scheduler().tick()
    # The process restarts five minutes later: new connection, new scheduler, same store.
    world.clock.now += timedelta(minutes=5)
    restarted = await open_store(mongo_uri, database_name, world.clock)
    try:
        scheduler = world.scheduler(restarted)
        await scheduler.tick()
        world.clock.now += timedelta(minutes=50)
        await scheduler.tick()
    finally:
        await restarted.close()
    assert len(world.received(user.user.id)) == 1


async def test_two_instances_send_each_reminder_once(
    world: World, mongo_uri: str, database_name: str
) -> None:
    users = [await world.person(f"사용자{i}") for i in range(6)]
    second_store = await open_store(mongo_uri, database_name, world.clock)
    try:
        first = world.scheduler(holder="replica-a")
        second = world.scheduler(second_store, holder="replica-b")
        world.clock.now = utc(2026, 6, 2, 12, 0)
        ticks = await asyncio.gather(first.tick(), second.tick())
        assert sorted(t.leader for t in ticks) == [False, True]
        # Even if both believed they led (a paused leader waking up after a takeover), the
        # sent-log lets only one of them send each message.
        world.clock.now = utc(2026, 6, 3, 12, 0)
        await asyncio.gather(
            world.jobs().reminders(world.clock()),
            world.jobs(second_store).reminders(world.clock()),
        )
    finally:
        await second_store.close()
    for user in users:
        assert len(world.received(user.user.id)) == 2


async def test_another_instance_takes_over_when_the_leader_dies(
    world: World, mongo_uri: str, database_name: str
) -> None:
    user = await world.person("민지")
    standby_store = await open_store(mongo_uri, database_name, world.clock)
    try:
        leader = world.scheduler(holder="replica-a")
        standby = world.scheduler(standby_store, holder="replica-b")
        world.clock.now = utc(2026, 6, 2, 11, 0)
        assert (await leader.tick()).leader
        assert not (await standby.tick()).leader
        # replica-a dies without handing the lease back; its lease runs out.
        world.clock.now = utc(2026, 6, 2, 12, 0)
        assert (await standby.tick()).leader
        assert await world.repo.lease_holder(LEASE_NAME) == "replica-b"
    finally:
        await standby_store.close()
    assert len(world.received(user.user.id)) == 1


async def test_missed_reminders_catch_up_within_two_hours_only(world: World) -> None:
    in_grace = await world.person("민지", hour=21)  # 12:00 UTC
    too_late = await world.person("서준", hour=19)  # 10:00 UTC
    # The bot was down from 11:50 until 13:50 UTC.
    world.clock.now = utc(2026, 6, 2, 13, 50)
    await world.scheduler().tick()
    assert len(world.received(in_grace.user.id)) == 1
    assert world.received(too_late.user.id) == []
    assert await world.repo.job_state(too_late.user.id, "reminder", "2026-06-02") is None


async def test_a_crash_after_the_claim_loses_the_send_rather_than_doubling_it(
    world: World,
) -> None:
    user = await world.person("민지")
    # A previous process claimed today's reminder and died before sending it.
    assert await world.repo.claim_job(user.user.id, "reminder", "2026-06-02")
    world.clock.now = utc(2026, 6, 2, 12, 1)
    tick = await world.scheduler().tick()
    assert world.received(user.user.id) == []
    assert tick.reports[0].outcomes == {}  # the claim filters it out before any send


async def test_a_user_who_blocked_the_bot_is_marked_inactive_and_skipped(world: World) -> None:
    blocked = await world.person("민지")
    world.fake.block(blocked.user.id)
    world.clock.now = utc(2026, 6, 2, 12, 0)
    tick = await world.scheduler().tick()
    assert tick.reports[0].count("gone") == 1
    account = await world.repo.get_account(blocked.user.id)
    assert account is not None and not account.user.active
    attempts = len(world.fake.calls)
    world.clock.now = utc(2026, 6, 3, 12, 0)
    await world.scheduler().tick()
    assert len(world.fake.calls) == attempts  # not even tried


async def test_telegram_flood_control_is_waited_out_and_delivers_once(world: World) -> None:
    user = await world.person("민지")
    world.fake.flood_next("sendMessage", retry_after=1)
    world.clock.now = utc(2026, 6, 2, 12, 0)
    await world.scheduler().tick()
    sends = [c for c in world.fake.calls if c.method == "sendMessage"]
    assert [c.error_code for c in sends] == [429, None]
    assert len(world.received(user.user.id)) == 1


async def test_a_telegram_hiccup_is_retried_at_once(world: World) -> None:
    user = await world.person("민지")
    world.fake.fail_next("sendMessage", 502, "Bad Gateway")
    world.clock.now = utc(2026, 6, 2, 12, 0)
    await world.scheduler().tick()
    sends = [c for c in world.fake.calls if c.method == "sendMessage"]
    assert [c.error_code for c in sends] == [502, None]
    assert len(world.received(user.user.id)) == 1


async def test_a_telegram_outage_is_retried_on_the_next_tick(world: World) -> None:
    user = await world.person("민지")
    world.fake.fail_next("sendMessage", 502, "Bad Gateway", times=4)  # outlasts the backoff
    world.clock.now = utc(2026, 6, 2, 12, 0)
    scheduler = world.scheduler()
    first = await scheduler.tick()
    assert first.reports[0].count("retry") == 1 and world.received(user.user.id) == []
    world.clock.now += timedelta(minutes=1)
    await scheduler.tick()
    assert len(world.received(user.user.id)) == 1


async def test_a_lost_answer_from_telegram_is_never_resent(world: World) -> None:
    user = await world.person("민지")
    # Telegram delivers the reminder but the connection drops before the bot hears back.
    world.fake.fail_next("sendMessage", mode="lose_response")
    world.clock.now = utc(2026, 6, 2, 12, 0)
    scheduler = world.scheduler()
    await scheduler.tick()
    world.clock.now += timedelta(minutes=1)
    await scheduler.tick()
    delivered = [c for c in world.fake.calls if c.method == "sendMessage" and c.done]
    assert len(delivered) == 1
    assert delivered[0].params["chat_id"] in (user.user.id, str(user.user.id))


async def test_monthly_summary_numbers_match_the_diary(world: World) -> None:
    minji = await world.person("민지")
    empty = await world.person("서준")
    october = [Emotion.HAPPY] * 3 + [Emotion.SADNESS] * 2 + [Emotion.ANGER]
    for day, emotion in enumerate(october, start=3):
        await world.write(minji.user.id, date(2026, 10, day), emotion)
    await world.write(minji.user.id, date(2026, 9, 20), Emotion.HAPPY)
    await world.write(minji.user.id, date(2026, 11, 1), Emotion.PANIC)  # next month: not counted

    world.clock.now = utc(2026, 11, 1, 0, 5)  # 09:05 in Seoul on the 1st
    await world.scheduler().tick()
    [summary] = world.received(minji.user.id)
    assert summary.method == "sendPhoto"
    caption = summary.params["caption"]
    assert "2026년 10월" in caption
    assert "일기 6개" in caption and "+5" in caption  # 6 entries, 1 in September
    assert "기쁨: 3 (+2)" in caption and "슬픔: 2 (+2)" in caption and "분노: 1 (+1)" in caption
    assert "당황: 0 (±0)" in caption
    assert "가장 많이 느낀 감정: 😊 기쁨" in caption
    assert "Anna" in caption  # her letter, in the caption when it fits
    png = summary.file
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as chart:
        assert chart.format == "PNG" and chart.size[0] >= 600
    # Nothing to summarise for someone who wrote nothing in October: no message.
    assert world.received(empty.user.id) == []
    assert await world.repo.job_state(empty.user.id, "summary", "2026-10") == "skipped"


async def test_summary_goes_out_at_local_morning_and_catches_up_for_three_days(
    world: World,
) -> None:
    sam = await world.person("Sam", zone="America/New_York", language="en")
    late = await world.person("Ada", zone="Europe/London", language="en")
    for person in (sam, late):
        await world.write(person.user.id, date(2026, 10, 10), Emotion.HAPPY, "a good day")
    scheduler = world.scheduler()
    # 1 November 2026 is also New York's DST change: 09:00 EST is 14:00 UTC.
    world.clock.now = utc(2026, 11, 1, 13, 59)
    await scheduler.tick()
    assert world.received(sam.user.id) == []
    world.clock.now = utc(2026, 11, 1, 14, 0)
    await scheduler.tick()
    [summary] = world.received(sam.user.id)
    assert "October 2026" in summary.params["caption"]
    assert "Entries: 1" in summary.params["caption"]
    # London's was due at 09:00 GMT; the bot's first tick came at 13:59: five hours late, sent.
    assert len(world.received(late.user.id)) == 1
    other = await world.person("Kim", zone="Europe/London", language="en")
    await world.write(other.user.id, date(2026, 10, 11), Emotion.SADNESS)
    world.clock.now = utc(2026, 11, 4, 9, 0)  # exactly three days: dropped
    await scheduler.tick()
    assert world.received(other.user.id) == []


async def test_the_scheduler_runs_by_itself_and_hands_back_its_lease(world: World) -> None:
    user = await world.person("민지")
    world.clock.now = utc(2026, 6, 2, 12, 0)
    scheduler = world.scheduler()
    scheduler.start()  # APScheduler: the first tick runs at once (catch-up after a start)
    try:
        assert await world.fake.wait_until(lambda: len(world.received(user.user.id)) == 1)
    finally:
        await scheduler.stop()
    assert await world.repo.lease_holder(LEASE_NAME) is None
