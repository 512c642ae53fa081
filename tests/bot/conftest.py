"""The real bot (python-telegram-bot Application + diary service + storage + face pipeline)
running against the fake Telegram Bot API server, driven by scripted users."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from telegram.ext import Application

from bot.app import build_application
from facelog.anna import Anna, AnnaConfig
from facelog.config import Settings
from facelog.diary import DiaryService
from facelog.followups import CommentFollowups, FollowupPolicy
from facelog.voice import Voice
from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.anna.conftest import fake_llm
from tests.anna.fake_llm import FakeLLM, fast_config
from tests.clock import current as current_clock
from tests.telegram.fixtures import fake_telegram, make_user, running_application, wait_idle

__all__ = ["fake_llm", "fake_telegram", "make_user"]


@dataclass
class Rig:
    fake: FakeTelegram
    diary: DiaryService
    repo: Repository
    voice: Voice | None = None
    app: Application | None = None  # type: ignore[type-arg]

    def user(self, **kwargs: object) -> TelegramUser:
        return TelegramUser(self.fake, **kwargs)  # type: ignore[arg-type]

    async def idle(self) -> None:
        """Every update sent so far has been handled and every Bot API call has returned: the
        point where "nothing else was sent" can be asserted (no fixed sleep, no guessing)."""
        assert self.app is not None
        await wait_idle(self.app, self.fake)


@pytest.fixture(scope="session")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Voice]:
    """Offline voice (Piper/espeak-ng) and ears (Whisper base), loaded once per session."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("voice-data"))  # type: ignore[call-arg]
    loaded = Voice.from_settings(settings)
    yield loaded


@dataclass
class Served:
    """What :func:`serve_bot` started: the diary service and the running Application."""

    diary: DiaryService
    app: Application  # type: ignore[type-arg]
    followups: CommentFollowups | None = None


@contextlib.asynccontextmanager
async def serve_bot(
    fake: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    *,
    config: AnnaConfig | None = None,
    followup_policy: FollowupPolicy | None = None,
    raise_errors: bool = True,
    clock: Callable[[], datetime] | None = None,
    **options: Any,
) -> AsyncIterator[Served]:
    """The Application ``facelog run`` assembles (Anna offline unless ``config`` names a
    server), polling ``fake``; ``options`` go to :func:`bot.app.build_application` (voice,
    guard, rate limiter …), and ``followup_policy`` replaces the standard late-comment policy.
    Every suite that drives the real bot starts it here. The diary (and the bot's guard, which
    takes the diary's clock) reads ``clock``, by default the test's (tests/clock.py), which the
    ``repo`` and ``fake_telegram`` fixtures read too: one "now" for the bot, store and Telegram.
    """
    clock = clock or current_clock()
    async with Anna(config) as anna:
        diary = DiaryService(repo, pipeline, anna, clock=clock)
        followups = CommentFollowups(diary, followup_policy) if followup_policy else None
        app = build_application(
            fake.token,
            diary,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            followups=followups,
            **options,
        )
        async with running_application(app, fake, raise_errors=raise_errors):
            yield Served(diary, app, followups)


async def _running(
    fake: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    config: AnnaConfig | None,
    voice: Voice | None = None,
) -> AsyncIterator[Rig]:
    async with serve_bot(fake, repo, pipeline, config=config, voice=voice) as served:
        yield Rig(fake, served.diary, repo, voice, served.app)


@pytest.fixture
async def rig(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline
) -> AsyncIterator[Rig]:
    """The bot with the offline Anna."""
    async for running in _running(fake_telegram, repo, pipeline, None):
        yield running


@pytest.fixture
async def voice_rig(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, voice: Voice
) -> AsyncIterator[Rig]:
    """The bot with the offline Anna, her offline voice and Whisper's ears."""
    async for running in _running(fake_telegram, repo, pipeline, None, voice):
        yield running


@pytest.fixture
async def llm_rig(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, fake_llm: FakeLLM
) -> AsyncIterator[tuple[Rig, FakeLLM]]:
    """The bot with Anna on an OpenAI-compatible server that records every request."""
    async for running in _running(fake_telegram, repo, pipeline, fast_config(fake_llm.base_url)):
        yield running, fake_llm


Onboard = Callable[..., object]
