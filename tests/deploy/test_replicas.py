"""Two bot replicas behind one webhook URL, sharing one store: what a person must not notice."""

from __future__ import annotations

import asyncio

from facelog.i18n import t
from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram

from .conftest import StartReplica, chat_texts


async def test_an_update_delivered_to_both_replicas_is_handled_once(
    start_replica: StartReplica, fake_telegram: FakeTelegram, make_user
) -> None:
    a, b = await start_replica(), await start_replica()
    user: TelegramUser = make_user(language_code="en")
    await user.send_command("/start")
    update = user.updates[-1]

    # Telegram retried after a timeout and the load balancer picked the other replica.
    statuses = await asyncio.gather(
        fake_telegram.post_webhook(update, url=a.hook),
        fake_telegram.post_webhook(update, url=b.hook),
    )
    assert statuses == [200, 200]
    await a.idle()
    await b.idle()

    assert chat_texts(fake_telegram, user) == [t("en", "welcome"), t("en", "ask_name")]
    # The second delivery is refused at the door (already in the inbox), never queued.
    handled = [r.metric("facelog_updates_total", kind="command") for r in (a, b)]
    skipped = [r.metric("facelog_updates_duplicate_total") for r in (a, b)]
    assert sorted(handled) == [0.0, 1.0] and sum(skipped) == 1.0
    assert not a.errors and not b.errors


async def test_one_persons_updates_stay_in_order_across_replicas(
    start_replica: StartReplica, fake_telegram: FakeTelegram, make_user
) -> None:
    """/start lands on replica A, which is slow to answer; the name typed right after lands on
    B. B must wait for A: the person sees the welcome and the name question before the next
    step, never the next step first."""
    a, b = await start_replica(), await start_replica()
    user: TelegramUser = make_user(language_code="en")
    fake_telegram.delay_next("sendMessage", 0.5)
    mark = user.mark()
    await user.send_command("/start")
    assert await fake_telegram.post_webhook(user.updates[-1], url=a.hook) == 200
    assert await fake_telegram.wait_until(
        lambda: any(c.method == "sendMessage" for c in fake_telegram.calls[mark:])
    )  # A is inside the handler now

    await user.send_text("Minji")
    assert await fake_telegram.post_webhook(user.updates[-1], url=b.hook) == 200
    await a.idle()
    await b.idle()

    texts = chat_texts(fake_telegram, user)
    assert texts[:2] == [t("en", "welcome"), t("en", "ask_name")]
    assert len(texts) == 3 and texts[2] not in texts[:2]  # B's answer to the name came last
    assert b.metric("facelog_user_lease_wait_seconds_count") >= 1
    account = await a.running.repo.get_account(user.id)
    assert account is not None and account.user.name == "Minji"
