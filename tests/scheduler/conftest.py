"""The scheduler against real parts: the embedded store, the fake Telegram Bot API server and
python-telegram-bot's rate-limited bot — with a clock the test moves (no real waiting)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from telegram.ext import ExtBot

from bot.notifier import TelegramNotifier
from bot.resilience import ResilientRateLimiter
from facelog.anna import Anna
from facelog.domain import Account, Language, ReminderSettings, User
from facelog.summary import SummaryService
from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall, FakeTelegram
from inference.labels import Emotion
from scheduler.jobs import Jobs
from scheduler.service import Scheduler
from storage import Repository
from tests.telegram.fixtures import fake_telegram

__all__ = ["fake_telegram"]

#: Bytes that stand in for a selfie: the scheduler never looks at photos.
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@dataclass
class Clock:
    """ "Now" for the scheduler and the repository's leases; tests set and advance it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 6, 1, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def open_store(mongo_uri: str, database: str, clock: Clock) -> Repository:
    repo = await Repository.connect(mongo_uri, database, clock=clock)
    await repo.migrate()
    return repo


@pytest.fixture
async def store(mongo_uri: str, database_name: str, clock: Clock) -> AsyncIterator[Repository]:
    repo = await open_store(mongo_uri, database_name, clock)
    try:
        yield repo
    finally:
        await repo.database.client.drop_database(database_name)
        await repo.close()


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[ExtBot[None]]:
    """The bot as the Application builds it: every call through the production rate limiter
    (429 → wait; 5xx and refused connections → backoff), with short backoffs for the tests."""
    extbot: ExtBot[None] = ExtBot(
        fake_telegram.token,
        base_url=fake_telegram.base_url,
        rate_limiter=ResilientRateLimiter(backoff_base_s=0.01, backoff_max_s=0.05),
    )
    async with extbot:
        yield extbot


@pytest.fixture
async def anna() -> AsyncIterator[Anna]:
    async with Anna(None) as offline:
        yield offline


@dataclass
class World:
    """Users known to both Telegram and the store, and the scheduler's parts around them."""

    fake: FakeTelegram
    repo: Repository
    bot: ExtBot[None]
    anna: Anna
    clock: Clock
    people: dict[int, TelegramUser] = field(default_factory=dict)

    async def person(
        self,
        name: str,
        *,
        zone: str = "Asia/Seoul",
        hour: int = 21,
        minute: int = 0,
        language: Language = "ko",
        enabled: bool = True,
    ) -> Account:
        person = TelegramUser(self.fake, first_name=name, language_code=language)
        self.people[person.id] = person
        user = User(
            id=person.id,
            name=name,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            language=language,
            time_zone=zone,
        )
        await self.repo.save_user(user)
        await self.repo.set_reminder_settings(
            person.id, ReminderSettings(enabled, hour, minute, zone)
        )
        account = await self.repo.get_account(person.id)
        assert account is not None
        return account

    async def write(self, user_id: int, day: date, emotion: Emotion, text: str = "오늘") -> None:
        await self.repo.create_entry(
            user_id,
            day=day,
            emotion=emotion,
            probabilities={emotion.value: 0.9},
            faces=1,
            text=text,
            photo=PHOTO,
        )

    def jobs(self, repo: Repository | None = None) -> Jobs:
        repo = repo or self.repo
        return Jobs(repo, SummaryService(repo, self.anna), TelegramNotifier(self.bot))

    def scheduler(self, repo: Repository | None = None, holder: str | None = None) -> Scheduler:
        repo = repo or self.repo
        return Scheduler(repo, self.jobs(repo), clock=self.clock, holder=holder)

    def received(self, user_id: int) -> list[BotCall]:
        """Successful messages the bot sent to this user, in order."""
        return [
            call
            for call in self.fake.calls
            if call.ok
            and call.method in {"sendMessage", "sendPhoto", "sendVoice"}
            and str(call.params.get("chat_id")) == str(user_id)
        ]


@pytest.fixture
def world(
    fake_telegram: FakeTelegram, store: Repository, bot: ExtBot[None], anna: Anna, clock: Clock
) -> Iterator[World]:
    yield World(fake_telegram, store, bot, anna, clock)
