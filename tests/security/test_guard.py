"""The allowlist and the rate limits, through the real bot and the fake Telegram server.

Time is a clock the tests move (the test's clock plus an offset), so a window "passes" without
waiting; entries stored by the repository keep the test clock's timestamps, which is what a
restart sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot import callbacks
from bot.guard import Limits
from facelog.i18n import t
from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.bot.test_diary_flows import onboard
from tests.clock import current as current_clock

from .conftest import AppRig, run_bot


class MovableClock:
    """The test's clock (tests/clock.py) plus an offset the test advances."""

    def __init__(self) -> None:
        self.base = current_clock()
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


async def running(
    fake: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    limits: Limits,
    clock: MovableClock,
) -> AsyncIterator[AppRig]:
    async for rig in run_bot(fake, repo, pipeline, limits=limits, clock=clock):
        yield rig


async def test_only_allowlisted_people_are_served_and_strangers_are_told_once(
    fake_telegram: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    clock: MovableClock,
    face_photos: dict[str, bytes],
) -> None:
    friend = TelegramUser(fake_telegram, language_code="ko")
    stranger = TelegramUser(fake_telegram, language_code="en", first_name="Eve")
    limits = Limits(allowed_users=frozenset({friend.id}))
    async for rig in running(fake_telegram, repo, pipeline, limits, clock):
        await onboard(friend, "친구")
        assert await repo.get_account(friend.id) is not None

        await stranger.send_command("/start")
        await rig.idle()
        await stranger.send_text("let me in")
        await stranger.send_photo(face_photos["astronaut"], caption="my diary")
        await stranger.send_command("/export")
        await stranger.send_group_text("hi bot")
        await rig.idle()
        press = await stranger.send_callback(callbacks.DELETE_YES, on=friend.last_reply())
        await rig.idle()
        said = [c.text for c in stranger.calls(since=0) if c.method == "sendMessage"]
        assert said == [t("en", "not_allowed")]
        assert await repo.get_account(stranger.id) is None
        assert await repo.recent_entries(stranger.id, 5) == []
        assert await repo.get_session(stranger.id) == {}
        assert str(press["callback_query"]["id"]) not in rig.fake.callback_answers

        await friend.send_photo(face_photos["astronaut"], caption="오늘도 좋은 날")
        [post] = await friend.wait_for_reply()
        assert "오늘의 감정" in (post.text or "")


async def test_a_flood_of_messages_is_answered_once_then_served_again_a_minute_later(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, clock: MovableClock
) -> None:
    limits = Limits(messages_per_minute=5)
    async for rig in running(fake_telegram, repo, pipeline, limits, clock):
        user = rig.user(language_code="en", first_name="Mia")
        await onboard(user, "Mia")
        clock.advance(timedelta(minutes=2))  # onboarding's updates leave the window
        since = user.mark()
        for n in range(30):
            await user.send_text(f"message number {n}")
        await rig.idle()
        answers = texts_since(user, since)
        assert answers.count(t("en", "slow_down")) == 1  # told once, not 25 times
        assert len(answers) == 5 + 1  # five answered by Anna, one "slow down", the rest dropped
        turns = [turn.text for turn in await repo.chat_history(user.id) if turn.role == "user"]
        assert turns == [f"message number {n}" for n in range(5)]

        for _ in range(5):  # still inside the minute: silently dropped
            await user.send_text("are you there?")
        await rig.idle()
        assert len(texts_since(user, since)) == 6

        clock.advance(timedelta(seconds=61))
        since = user.mark()
        await user.send_text("back after a break")
        await rig.idle()
        [answer] = texts_since(user, since)
        assert answer != t("en", "slow_down")


def texts_since(user: TelegramUser, since: int) -> list[str]:
    return [c.text or "" for c in user.replies(since) if c.method == "sendMessage"]


async def test_posts_per_hour_are_counted_from_storage_and_survive_a_restart(
    fake_telegram: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    clock: MovableClock,
    face_photos: dict[str, bytes],
    no_face_photos: dict[str, bytes],
) -> None:
    limits = Limits(posts_per_hour=2)
    user = TelegramUser(fake_telegram, language_code="ko")
    async for rig in running(fake_telegram, repo, pipeline, limits, clock):
        await onboard(user, "민지")
        for n in range(2):
            await user.send_photo(face_photos["astronaut"], caption=f"일기 {n}")
            await user.wait_for_reply(lambda c: "오늘의 감정" in (c.text or ""))
        since = user.mark()
        await user.send_photo(face_photos["grace_hopper"], caption="세 번째")
        await user.send_photo(face_photos["grace_hopper"], caption="네 번째")
        await rig.idle()
        [refused] = texts_since(user, since)
        assert refused == t("ko", "too_many_posts", limit=2, minutes=60)
        await user.send_text("사진 말고 글은 괜찮지?")  # only posts are limited
        [chat] = await user.wait_for_reply()
        assert "일기는 한 시간에" not in (chat.text or "")
    assert len(await repo.recent_entries(user.id, 10)) == 2

    async for rig in running(fake_telegram, repo, pipeline, limits, clock):  # a restart
        since = user.mark()
        await user.send_photo(face_photos["grace_hopper"], caption="재시작 후")
        await rig.idle()
        [refused] = texts_since(user, since)
        assert "일기는 한 시간에 2개까지" in refused
        assert len(await repo.recent_entries(user.id, 10)) == 2

        clock.advance(timedelta(minutes=61))
        await user.send_photo(face_photos["grace_hopper"], caption="한 시간 뒤")
        [post] = await user.wait_for_reply()
        assert "오늘의 감정" in (post.text or "")
    assert len(await repo.recent_entries(user.id, 10)) == 3

    # Photos without a face store nothing, but each costs a face analysis: they count too.
    async for rig in running(fake_telegram, repo, pipeline, Limits(posts_per_hour=2), clock):
        stranger_to_faces = rig.user(language_code="en", first_name="Kim")
        await onboard(stranger_to_faces, "Kim")
        since = stranger_to_faces.mark()
        for _ in range(4):
            await stranger_to_faces.send_photo(no_face_photos["coffee"])
        await rig.idle()
        answers = texts_since(stranger_to_faces, since)
        assert answers.count(t("en", "no_face")) == 2
        assert len(answers) == 3 and "2 entries an hour" in answers[2]


async def test_a_flood_of_button_presses_gets_one_alert(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, clock: MovableClock
) -> None:
    async for rig in running(fake_telegram, repo, pipeline, Limits(messages_per_minute=3), clock):
        user = rig.user(language_code="en", first_name="Mia")
        await onboard(user, "Mia")
        clock.advance(timedelta(minutes=2))
        await user.send_command("/calendar")
        [grid] = await user.wait_for_reply()
        presses = [await user.send_callback(callbacks.NOOP, on=grid) for _ in range(10)]
        await rig.idle()
        answers = [rig.fake.callback_answers.get(str(p["callback_query"]["id"])) for p in presses]
        alerts = [a for a in answers if a and a.get("text") == t("en", "slow_down")]
        assert len(alerts) == 1 and alerts[0].get("show_alert")
        assert sum(1 for a in answers if a is not None) == 3  # two served, one alert


def test_limits_refuse_negative_counts() -> None:
    with pytest.raises(ValueError, match="0 \\(off\\) or more"):
        Limits(posts_per_hour=-1)


def test_the_settings_reach_the_guard_and_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    from facelog.config import Settings
    from facelog.serve import cipher, limits

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("FACELOG_ALLOWED_USERS", "101, 202,303")
    monkeypatch.setenv("FACELOG_POSTS_PER_HOUR", "5")
    monkeypatch.setenv("FACELOG_ENCRYPTION_KEYS", key)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert limits(settings) == Limits(frozenset({101, 202, 303}), 5, 60)
    assert cipher(settings).enabled
    monkeypatch.setenv("FACELOG_ALLOWED_USERS", "101,me")
    with pytest.raises(ValueError, match="Telegram user ids"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("FACELOG_ALLOWED_USERS")
    monkeypatch.delenv("FACELOG_ENCRYPTION_KEYS")
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert limits(defaults) == Limits(frozenset(), 5, 60) and not cipher(defaults).enabled
