"""The real bot under faults and bad input: the fake Telegram server, the embedded store, the
face pipeline, and Anna either offline or on the fake OpenAI-compatible server.

``running_bot`` builds the same Application ``facelog run`` does, with a follow-up policy whose
waits are fractions of a second, so "Anna answers later" plays out within a test.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from telegram.ext import Application

from bot.resilience import ResilientRateLimiter
from facelog.anna import AnnaConfig
from facelog.diary import DiaryService
from facelog.followups import CommentFollowups, FollowupPolicy
from facelog.voice import Voice
from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.anna.conftest import fake_llm
from tests.anna.fake_llm import FakeLLM, fast_config
from tests.bot.conftest import serve_bot, voice
from tests.telegram.fixtures import fake_telegram

__all__ = ["fake_llm", "fake_telegram", "voice"]

#: Anna gets one second before a post is answered without her; retries follow within a second.
FAST = FollowupPolicy(
    first_answer_s=1.0,
    retries=2,
    retry_base_s=0.05,
    retry_max_s=0.2,
    resume_window=timedelta(hours=24),
)


@dataclass
class Bot:
    fake: FakeTelegram
    diary: DiaryService
    repo: Repository
    followups: CommentFollowups
    app: Application  # type: ignore[type-arg]
    llm: FakeLLM | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, **kwargs: Any) -> TelegramUser:
        return TelegramUser(self.fake, **kwargs)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    *,
    config: AnnaConfig | None = None,
    llm: FakeLLM | None = None,
    voice: Voice | None = None,
    policy: FollowupPolicy = FAST,
    raise_errors: bool = True,
) -> AsyncIterator[Bot]:
    """The bot as ``facelog run`` assembles it; ``raise_errors`` fails the test on any
    exception a handler raised (turn it off where a fault is expected to reach the handler)."""
    async with serve_bot(
        fake,
        repo,
        pipeline,
        config=config,
        followup_policy=policy,
        raise_errors=raise_errors,
        voice=voice,
        rate_limiter=ResilientRateLimiter(backoff_base_s=0.05, backoff_max_s=0.2),
    ) as served:
        assert served.followups is not None
        yield Bot(fake, served.diary, repo, served.followups, served.app, llm)


@pytest.fixture
async def bot(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline
) -> AsyncIterator[Bot]:
    """The bot with the offline Anna."""
    async with running_bot(fake_telegram, repo, pipeline) as running:
        yield running


@pytest.fixture
async def llm_bot(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, fake_llm: FakeLLM
) -> AsyncIterator[Bot]:
    """The bot with Anna on the fake LLM server (2 s per request, 2 retries)."""
    config = fast_config(fake_llm.base_url, timeout_s=4.0)
    async with running_bot(fake_telegram, repo, pipeline, config=config, llm=fake_llm) as running:
        yield running


def broken_formatting(fake: FakeTelegram) -> list[BotCall]:
    """Calls Telegram refused because the bot's own HTML or Markdown did not parse."""
    return [c for c in fake.calls if c.error and "can't parse entities" in (c.description or "")]


def sent_texts(user: TelegramUser) -> list[str]:
    """Everything the bot showed this user, whole conversation, as they read it."""
    return [c.text for c in user.replies(since=0) if c.text]


async def wait_for(
    user: TelegramUser, predicate: Callable[[BotCall], bool], timeout: float = 10.0
) -> BotCall:
    """The bot's first reply since the user's last action that matches ``predicate``."""
    replies = await user.wait_for_reply(predicate, timeout=timeout)
    return next(c for c in replies if predicate(c))


def is_late_comment(call: BotCall) -> bool:
    """A follow-up: Anna's comment sent on its own, after the post was answered."""
    return "💬 Anna\n" in (call.text or "") and "reply_parameters" in call.params
