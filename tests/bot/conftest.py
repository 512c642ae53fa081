"""The real bot (python-telegram-bot Application + diary service + storage + face pipeline)
running against the fake Telegram Bot API server, driven by scripted users."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from bot.app import build_application
from facelog.anna import Anna, AnnaConfig
from facelog.diary import DiaryService
from inference.pipeline import FacePipeline
from storage import Repository
from tests.anna.conftest import fake_llm
from tests.anna.fake_llm import FakeLLM, fast_config
from tests.telegram.driver import TelegramUser
from tests.telegram.fake_server import FakeTelegram
from tests.telegram.fixtures import fake_telegram, make_user, running_application

__all__ = ["fake_llm", "fake_telegram", "make_user"]


@dataclass
class Rig:
    fake: FakeTelegram
    diary: DiaryService
    repo: Repository

    def user(self, **kwargs: object) -> TelegramUser:
        return TelegramUser(self.fake, **kwargs)  # type: ignore[arg-type]


async def _running(
    fake: FakeTelegram, repo: Repository, pipeline: FacePipeline, config: AnnaConfig | None
) -> AsyncIterator[Rig]:
    async with Anna(config) as anna:
        diary = DiaryService(repo, pipeline, anna)
        app = build_application(
            fake.token, diary, base_url=fake.base_url, base_file_url=fake.base_file_url
        )
        async with running_application(app, fake):
            yield Rig(fake, diary, repo)


@pytest.fixture
async def rig(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline
) -> AsyncIterator[Rig]:
    """The bot with the offline Anna."""
    async for running in _running(fake_telegram, repo, pipeline, None):
        yield running


@pytest.fixture
async def llm_rig(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, fake_llm: FakeLLM
) -> AsyncIterator[tuple[Rig, FakeLLM]]:
    """The bot with Anna on an OpenAI-compatible server that records every request."""
    async for running in _running(fake_telegram, repo, pipeline, fast_config(fake_llm.base_url)):
        yield running, fake_llm


Onboard = Callable[..., object]
