"""Bot replicas in webhook mode: the real ``facelog.serve.serve`` against the fake Telegram
server and the shared embedded store, with the session's loaded face pipeline.

Each replica is ``serve()`` itself, running as a task until its stop event is set, so these
tests exercise the same start-up and shutdown code as ``facelog run --webhook``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from facelog.config import Settings
from facelog.serve import Models, Running, serve
from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from inference.pipeline import FacePipeline
from tests.telegram.fixtures import fake_telegram, make_user

__all__ = ["fake_telegram", "make_user"]

SECRET = "s3cret-Token_for-tests"
PUBLIC_URL = "https://facelog.example.test/telegram/hook"


def replica_settings(fake: FakeTelegram, mongo_uri: str, database: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=fake.token,
        MONGODB_URI=mongo_uri,
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        mongodb_database=database,
        data_dir=data_dir,
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        listen_host="127.0.0.1",
        listen_port=0,
        scheduler_enabled=False,  # the scheduler's own tests cover it
    )


@dataclass
class Replica:
    running: Running
    stop: asyncio.Event
    task: asyncio.Task[None]
    errors: list[BaseException] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.running.server is not None
        return self.running.server.url

    @property
    def hook(self) -> str:
        return self.url + "/telegram/hook"

    async def idle(self, timeout: float = 10.0) -> None:
        """Every update this replica accepted has been handled."""
        await asyncio.wait_for(self.running.application.update_queue.join(), timeout)

    def metric(self, name: str, **labels: str) -> float:
        value = self.running.metrics.registry.get_sample_value(name, labels or None)
        return float(value or 0.0)

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 30)


StartReplica = Callable[..., Any]


@pytest.fixture
async def start_replica(
    fake_telegram: FakeTelegram,
    mongo_uri: str,
    database_name: str,
    pipeline: FacePipeline,
    tmp_path: Path,
) -> AsyncIterator[StartReplica]:
    """``await start_replica()`` → a running replica; several share one database."""
    replicas: list[Replica] = []

    async def start(models: Models | None = None, **overrides: Any) -> Replica:
        settings = replica_settings(
            fake_telegram, mongo_uri, database_name, tmp_path / f"r{len(replicas)}"
        )
        if overrides:
            settings = settings.model_copy(update=overrides)
        ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()

        async def started(running: Running) -> None:
            ready.set_result(running)

        stop = asyncio.Event()
        task = asyncio.create_task(
            serve(settings, stop=stop, models=models or Models(pipeline, None), started=started)
        )
        done, _ = await asyncio.wait({ready, task}, timeout=60, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()  # serve() failed to start: show why
        assert ready in done, "the replica did not start within 60 s"
        replica = Replica(ready.result(), stop, task)
        # Collect handler errors like tests.telegram.fixtures.running_application does.
        replica.running.application.add_error_handler(
            lambda update, context: _collect(replica, context.error)
        )
        replicas.append(replica)
        return replica

    yield start
    for replica in replicas:
        if not replica.task.done():
            with contextlib.suppress(Exception):
                await replica.shutdown()
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    await client.drop_database(database_name)
    await client.close()


async def _collect(replica: Replica, error: BaseException | None) -> None:
    if error is not None:
        replica.errors.append(error)


def chat_texts(fake: FakeTelegram, user: TelegramUser) -> list[str]:
    """What the bot wrote in the user's chat, in the order the messages appeared."""
    return [
        str(message.get("text") or message.get("caption") or "")
        for message in fake.chat_history(user.chat_id)
        if message.get("from", {}).get("is_bot")
    ]
