"""Pytest fixtures and helpers to run a real python-telegram-bot Application against FakeTelegram.

Import what you need in a conftest.py::

    from tests.telegram.fixtures import fake_telegram, make_user  # noqa: F401

and in a test::

    async def test_start(fake_telegram, make_user):
        app = build_application(fake_telegram.token, fake_telegram)
        app.add_handler(CommandHandler("start", start))
        user = make_user(first_name="Minji")
        async with running_application(app, fake_telegram):
            await user.send_command("/start")
            [reply] = await user.wait_for_reply()
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from tests.clock import TestClock

__all__ = [
    "build_application",
    "fake_telegram",
    "make_user",
    "running_application",
    "telegram_user",
    "wait_idle",
]

#: getUpdates long-poll timeout the test Application asks for (seconds).
POLL_TIMEOUT = 1.0


@pytest_asyncio.fixture
async def fake_telegram(facelog_clock: TestClock) -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server per test (starting one takes a few milliseconds), dating
    messages by the test's clock (the one the bot's diary reads; tests/clock.py).

    Fails the test at teardown if the fake itself crashed while answering a call.
    """
    async with FakeTelegram(clock=facelog_clock.timestamp) as fake:
        yield fake
    assert not fake.server_errors, f"FakeTelegram failed inside: {fake.server_errors!r}"


@pytest.fixture
def make_user(fake_telegram: FakeTelegram) -> Callable[..., TelegramUser]:
    """Factory: ``make_user(first_name="Minji", language_code="ko")`` → TelegramUser."""

    def factory(**kwargs: Any) -> TelegramUser:
        return TelegramUser(fake_telegram, **kwargs)

    return factory


def build_application(
    token: str | None,
    fake: FakeTelegram,
    *,
    configure: Callable[[ApplicationBuilder], ApplicationBuilder] | None = None,  # type: ignore[type-arg]
) -> Application:  # type: ignore[type-arg]
    """A PTB Application whose Bot talks to ``fake`` (token defaults to the fake's own).

    ``configure`` may adjust the builder (persistence, context types, concurrent_updates ...).
    """
    builder = (
        Application.builder()
        .token(token or fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .connect_timeout(5.0)
        .read_timeout(10.0)
        .write_timeout(10.0)
        .pool_timeout(5.0)
        .get_updates_read_timeout(POLL_TIMEOUT + 5.0)
    )
    if configure is not None:
        builder = configure(builder)
    return builder.build()


@contextlib.asynccontextmanager
async def running_application(
    app: Application,  # type: ignore[type-arg]
    fake: FakeTelegram | None = None,
    *,
    poll_timeout: float = POLL_TIMEOUT,
    allowed_updates: list[str] | None = None,
    drop_pending_updates: bool = False,
    raise_errors: bool = True,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run ``app`` with polling, in the order ``Application.run_polling`` uses:
    initialize → post_init → start_polling → start … updater.stop → stop → post_stop →
    shutdown → post_shutdown.

    Errors raised in handlers are collected in ``fake.app_errors`` (when ``fake`` is given)
    and, with ``raise_errors``, fail the test when the block exits.
    """
    errors: list[BaseException] = []
    if fake is not None:
        fake.app_errors = errors

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(collect)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None, "build the Application with an Updater"
        await app.updater.start_polling(
            poll_interval=0.0,
            timeout=dt.timedelta(seconds=poll_timeout),
            allowed_updates=allowed_updates or Update.ALL_TYPES,
            drop_pending_updates=drop_pending_updates,
        )
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
                if app.post_stop:
                    await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        app.remove_error_handler(collect)
    if raise_errors and errors:
        raise AssertionError(f"the Application raised in its handlers: {errors!r}") from errors[0]


async def wait_idle(
    app: Application,  # type: ignore[type-arg]
    fake: FakeTelegram,
    timeout: float = 10.0,
) -> None:
    """Wait until the bot has fetched every queued update and finished handling it, and no
    Bot API call is in flight: the point where "the bot did not answer" can be asserted.

    (Tasks a handler starts in the background with ``create_task`` are not tracked.)
    """
    if not await fake.wait_until(lambda: not fake.pending_updates, timeout):
        raise AssertionError(f"the bot did not fetch updates {fake.pending_updates!r}")
    await asyncio.wait_for(app.update_queue.join(), timeout)
    if not await fake.wait_until(lambda: all(call.done for call in fake.calls), timeout):
        raise AssertionError("Bot API calls still in flight")


@pytest.fixture
def telegram_user(make_user: Callable[..., TelegramUser]) -> TelegramUser:
    """One ready user (Korean client), for tests that need just one."""
    return make_user()
