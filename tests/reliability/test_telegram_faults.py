"""Telegram failing the bot: 429 is waited out, 5xx and dropped connections are retried, a user
who blocked the bot is marked inactive — and none of it loses or doubles an entry."""

from __future__ import annotations

from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.bot.test_diary_flows import onboard

from .conftest import Bot, running_bot, wait_for


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


def attempts(bot: Bot, chat_id: int, method: str = "sendMessage") -> list[BotCall]:
    return [c for c in bot.fake.calls_to(chat_id, methods={method}, ok=None)]


async def test_flood_limit_waits_retry_after_then_sends(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    mark = len(bot.fake.calls)
    bot.fake.flood_next("sendMessage", retry_after=1)
    await user.send_photo(face_photos["astronaut"], caption="rate limited day")
    await wait_for(user, is_post)
    refused, sent = [c for c in attempts(bot, user.chat_id)[-2:]]
    assert refused.seq > mark and refused.error_code == 429 and sent.ok
    assert sent.started - refused.started >= 1.0  # waited what Telegram asked for
    assert len(await bot.repo.recent_entries(user.id, 5)) == 1


async def test_server_errors_and_dropped_connections_are_retried(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    bot.fake.fail_next("sendMessage", 502, times=1)
    bot.fake.fail_next("sendMessage", mode="disconnect", times=1)
    await user.send_photo(face_photos["astronaut"], caption="flaky network")
    await wait_for(user, is_post)
    tries = attempts(bot, user.chat_id)[-3:]
    assert [c.error_code for c in tries] == [502, 0, None]
    assert len(await bot.repo.recent_entries(user.id, 5)) == 1

    # A send whose answer is lost took effect: the retry may show the post twice (delivery is
    # at least once), but the diary holds the entry once.
    bot.fake.fail_next("sendMessage", mode="lose_response", times=1)
    await user.send_photo(face_photos["grace_hopper"], caption="lost answer")
    await wait_for(user, lambda c: is_post(c) and "lost answer" in (c.text or ""))
    texts = [e.text for e in await bot.repo.recent_entries(user.id, 5)]
    assert sorted(texts) == ["flaky network", "lost answer"]


async def test_telegram_down_longer_than_the_retries_confirms_the_post_later(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    bot.fake.fail_next("sendMessage", 500, times=4)  # the first send and its three retries
    await user.send_photo(face_photos["astronaut"], caption="outage day")
    post = await wait_for(user, is_post, timeout=20)
    assert "outage day" in post.text and "💬 Anna" in post.text
    [entry] = await bot.repo.recent_entries(user.id, 5)
    assert entry.anna_comment and entry.anna_comment in post.text
    failed = [c for c in attempts(bot, user.chat_id) if c.error_code == 500]
    assert len(failed) == 4 and post.seq > failed[-1].seq  # the send gave up; a later one won
    assert len([c for c in user.replies(since=0) if is_post(c)]) == 1
    # Nobody was told "nothing was saved" about an entry that was saved.
    assert not any("send it again" in (c.text or "") for c in user.replies(since=0))


async def test_a_user_who_blocked_the_bot_is_inactive_until_they_write_again(
    fake_telegram: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
) -> None:
    async with running_bot(fake_telegram, repo, pipeline, raise_errors=False) as bot:
        await _block_and_come_back(bot, face_photos)
    # The 403 reached the error handler (which marked the user) and nothing else went wrong.
    assert [type(e).__name__ for e in fake_telegram.app_errors] == ["Forbidden"]


async def _block_and_come_back(bot: Bot, face_photos: dict[str, bytes]) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.block_bot()  # Telegram's my_chat_member update
    assert await bot.fake.wait_until(lambda: not bot.fake.pending_updates)
    await _wait_active(bot, user.id, False)
    await user.unblock_bot()
    await _wait_active(bot, user.id, True)

    # Blocked without the bot hearing of it: the first send answers 403.
    bot.fake.block(user.id)
    await user.send_photo(face_photos["astronaut"], caption="sent, then blocked")
    refused = await bot.fake.wait_for_call(
        lambda c: c.method == "sendMessage" and c.error_code == 403
    )
    assert refused.chat_id == user.chat_id
    await _wait_active(bot, user.id, False)
    assert len(await bot.repo.recent_entries(user.id, 5)) == 1  # the entry itself is kept
    forbidden = [c for c in attempts(bot, user.chat_id) if c.error_code == 403]
    assert len(forbidden) == 1  # 403 is final: no retries, no "try again" into the void

    bot.fake.unblock(user.id)
    await user.send_text("I'm back")
    await user.wait_for_reply()
    await _wait_active(bot, user.id, True)


async def _wait_active(bot: Bot, user_id: int, active: bool) -> None:
    async def check() -> bool:
        stored = await bot.repo.get_user(user_id)
        return stored is not None and stored.active is active

    for _ in range(100):
        if await check():
            return
        await bot.fake.wait_until(lambda: False, 0.05)
    raise AssertionError(f"user {user_id} never became active={active}")
