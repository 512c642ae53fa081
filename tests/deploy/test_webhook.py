"""Webhook mode end to end: Telegram (the fake) POSTs updates to ``serve()``'s own server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from facelog.cli import main
from facelog.config import Settings
from facelog.i18n import t
from facelog.logs import CAPPED, configure_logging
from facelog.metrics import Metrics
from facelog.serve import Models
from facelog.webhook import Health, webhook_problem
from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from inference.service import InferenceClient
from storage import EmbeddedMongo, Repository

from .conftest import PUBLIC_URL, SECRET, StartReplica, chat_texts


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_start_registers_the_webhook_and_answers_through_it(
    start_replica: StartReplica, fake_telegram: FakeTelegram, make_user
) -> None:
    replica = await start_replica()
    hook = fake_telegram.webhook
    assert hook is not None and hook["url"] == PUBLIC_URL
    assert hook["secret_token"] == SECRET
    assert not hook.get("drop_pending_updates")  # updates that waited for us are still handled
    fake_telegram.webhook_proxy = replica.url  # the TLS proxy in front of the replica

    user: TelegramUser = make_user(language_code="en")
    await user.send_command("/start")
    welcome, ask_name = await user.wait_for_reply(count=2)
    assert "/delete_me" in welcome.text and "name" in ask_name.text.lower()
    [(update_id, status)] = fake_telegram.webhook_deliveries
    assert (update_id, status) == (user.updates[-1]["update_id"], 200)
    assert not fake_telegram.polls, "webhook mode must not poll"


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """The operator's most verbose setting (library loggers capped as in production)."""
    names = ["", *CAPPED]
    levels = {name: logging.getLogger(name).level for name in names}
    configure_logging("DEBUG")
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_requests_without_the_secret_are_refused(
    start_replica: StartReplica,
    fake_telegram: FakeTelegram,
    make_user,
    debug_logging: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    replica = await start_replica()
    user: TelegramUser = make_user(language_code="en")
    await user.send_command("/start")  # queued in the fake; delivered by hand below
    update = user.updates[-1]

    assert await fake_telegram.post_webhook(update, url=replica.hook, secret_token=None) == 403
    wrong = SECRET[:-1] + "X"
    assert await fake_telegram.post_webhook(update, url=replica.hook, secret_token=wrong) == 403
    await replica.idle()
    assert user.replies() == []
    assert replica.metric("facelog_webhook_rejected_total", reason="secret") == 2
    assert replica.metric("facelog_updates_total", kind="command") == 0

    assert await fake_telegram.post_webhook(update, url=replica.hook) == 200
    await user.wait_for_reply(count=2)
    assert SECRET not in caplog.text and wrong not in caplog.text


async def test_health_readiness_and_metrics(
    start_replica: StartReplica, fake_telegram: FakeTelegram, make_user
) -> None:
    replica = await start_replica()
    fake_telegram.webhook_proxy = replica.url
    assert await get(replica.url + "/healthz") == (200, '{"status": "ok"}')
    status, body = await get(replica.url + "/readyz")
    assert status == 200 and '"storage": "ok"' in body and '"model": "ok"' in body

    user: TelegramUser = make_user(language_code="ko")
    await user.send_command("/start")
    await user.wait_for_reply(count=2)
    await replica.idle()
    status, text = await get(replica.url + "/metrics")
    assert status == 200
    assert 'facelog_updates_total{kind="command"} 1.0' in text
    assert 'facelog_stage_seconds_count{stage="storage"}' in text
    assert replica.metric("facelog_stage_seconds_count", stage="storage") > 0
    assert "facelog_scheduler_runs_total" in text  # declared for the scheduler
    assert str(user.id) not in text and user.user["first_name"] not in text


async def test_readyz_says_which_part_is_down(mongo_uri: str) -> None:
    """A replica whose storage or inference workers are gone is taken out of the rotation."""
    dead = AsyncMongoClient("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300")
    broken = Repository(dead, "facelog")
    workers_down = InferenceClient(["http://127.0.0.1:9"])
    health = Health(broken, Models(workers_down, None).ready, Metrics(process=False))
    try:
        response = await health.readyz(None)  # type: ignore[arg-type]
        assert response.status == 503
        assert response.text is not None
        assert '"storage": "down"' in response.text and '"model": "down"' in response.text
    finally:
        await workers_down.aclose()
        await dead.close()


async def test_shutdown_finishes_updates_in_flight(
    start_replica: StartReplica, fake_telegram: FakeTelegram, make_user
) -> None:
    replica = await start_replica()
    fake_telegram.webhook_proxy = replica.url
    fake_telegram.delay_next("sendMessage", 0.5)  # the welcome is slow to go out
    user: TelegramUser = make_user(language_code="en")
    mark = user.mark()
    await user.send_command("/start")
    assert await fake_telegram.wait_until(
        lambda: any(c.method == "sendMessage" for c in fake_telegram.calls[mark:])
    )
    await replica.shutdown()  # SIGTERM while the update is half handled

    texts = chat_texts(fake_telegram, user)
    assert len(texts) == 2 and "name" in texts[1].lower()  # both replies still went out
    fake_telegram.webhook_proxy = None
    assert await fake_telegram.post_webhook(user.updates[-1], url=replica.hook) == 0  # closed


async def test_storage_down_means_no_200_and_the_update_is_handled_once_it_comes_again(
    start_replica: StartReplica, fake_telegram: FakeTelegram, make_user, tmp_path: Path
) -> None:
    async with EmbeddedMongo(tmp_path / "own-store", restart_delay_s=0.1) as server:
        replica = await start_replica(mongodb_uri=SecretStr(server.uri))
        user: TelegramUser = make_user(language_code="en")
        await user.send_command("/start")
        update = user.updates[-1]

        await server.stop()
        # Not stored, so not acknowledged: Telegram keeps the update and delivers it again.
        assert await fake_telegram.post_webhook(update, url=replica.hook) == 503
        assert chat_texts(fake_telegram, user) == [t("en", "storage_waiting")]

        await server.start()  # same address: the replica's client reconnects on its own
        assert await fake_telegram.post_webhook(update, url=replica.hook) == 200
        await replica.idle()
        assert await fake_telegram.post_webhook(update, url=replica.hook) == 200  # once more
        await replica.idle()
        assert await fake_telegram.wait_until(lambda: all(c.done for c in fake_telegram.calls))
        assert chat_texts(fake_telegram, user) == [
            t("en", "storage_waiting"),
            t("en", "welcome"),
            t("en", "ask_name"),
        ]
        assert replica.metric("facelog_updates_duplicate_total") == 1.0
        await replica.shutdown()


def test_webhook_mode_needs_a_secret() -> None:
    settings = Settings(_env_file=None, webhook_url=PUBLIC_URL)  # type: ignore[call-arg]
    assert "FACELOG_WEBHOOK_SECRET" in (webhook_problem(settings) or "")
    with pytest.raises(ValueError, match="webhook_url"):
        Settings(_env_file=None, webhook_url="http://plain.example.test/")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="webhook_secret"):
        Settings(_env_file=None, webhook_secret="has spaces")  # type: ignore[call-arg]


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_webhook_path_cannot_shadow_the_health_endpoints(path: str) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, webhook_url=f"https://x.example.test{path}", webhook_secret=SECRET
    )
    assert "must not be" in (webhook_problem(settings) or "")


async def test_wrong_body_is_a_bad_request(start_replica: StartReplica) -> None:
    replica = await start_replica()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(replica.hook, data="not json", headers=headers) as response,
    ):
        assert response.status == 400
    await asyncio.sleep(0)
    assert replica.metric("facelog_webhook_rejected_total", reason="body") == 1


def test_run_webhook_without_a_url_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:" + "A" * 35)
    for name in ("FACELOG_WEBHOOK_URL", "FACELOG_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--webhook"]) == 2
    assert "FACELOG_WEBHOOK_URL" in capsys.readouterr().err
