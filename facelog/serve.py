"""Running the bot: storage, models and Anna brought up once, then updates (long polling, or
webhooks behind a load balancer: ``facelog.webhook``) until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from telegram.ext import Application

from bot.app import build_application
from bot.guard import Guard, Limits
from bot.notifier import TelegramNotifier
from bot.scale import StorageUserLease
from facelog.anna import Anna, AnnaConfig
from facelog.config import Settings
from facelog.diary import DiaryService
from facelog.followups import CommentFollowups, FollowupPolicy
from facelog.http import HttpServer
from facelog.learning import Learning
from facelog.metrics import Metrics, time_storage
from facelog.observe import MeteredAnalyzer, MeteredAnna, MeteredVoice
from facelog.summary import SummaryService
from facelog.voice import Voice
from facelog.webhook import Health, updates_from_telegram, webhook_problem
from inference.pipeline import FacePipeline
from inference.service import InferenceClient
from scheduler.backups import BackupSchedule
from scheduler.jobs import Jobs, executor_renderer
from scheduler.service import Scheduler
from storage import Cipher, Repository, open_storage

log = logging.getLogger(__name__)


def anna_config(settings: Settings) -> AnnaConfig | None:
    if not settings.llm_base_url:
        return None
    return AnnaConfig(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        deadline_s=settings.llm_deadline_s,
    )


@contextlib.asynccontextmanager
async def scheduled_jobs(
    settings: Settings,
    repo: Repository,
    anna: Anna,
    application: Application,  # type: ignore[type-arg]
    voice: Voice | None,
    metrics: Metrics | None = None,
    learning: Learning | None = None,
) -> AsyncIterator[Scheduler | None]:
    """Reminders and monthly summaries for as long as the bot runs (SPEC section 6).

    Every instance runs this; the lease in storage makes one of them the leader. Charts are
    drawn in a small process pool ("spawn": the parent holds TensorFlow and threads, which a
    forked child must not inherit).
    """
    if not settings.scheduler_enabled:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=settings.chart_workers, mp_context=multiprocessing.get_context("spawn")
    )
    jobs = Jobs(
        repo,
        SummaryService(repo, anna),
        TelegramNotifier(application.bot, voice),
        render=executor_renderer(pool),
        on_outcome=_count_outcome(metrics) if metrics is not None else None,
    )
    scheduler = Scheduler(
        repo,
        jobs,
        interval=timedelta(seconds=settings.scheduler_interval_s),
        backups=backup_schedule(settings, repo, metrics),
        nightly=learning.recompute_community if learning and learning.community_prior else None,
    )
    scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
        pool.shutdown(wait=False, cancel_futures=True)


def backup_schedule(
    settings: Settings, repo: Repository, metrics: Metrics | None
) -> BackupSchedule | None:
    """The leader's scheduled backups (docs/deploy.md); None with FACELOG_BACKUP_EVERY=0."""
    if settings.backup_every <= timedelta(0):
        return None
    from importlib.metadata import PackageNotFoundError, version

    from storage import MIGRATIONS

    try:
        app_version = version("facelog")
    except PackageNotFoundError:
        app_version = "unknown"
    return BackupSchedule(
        repo.database,
        directory=settings.backups_path,
        every=settings.backup_every,
        keep=settings.backup_keep,
        cipher=cipher(settings) if settings.encryption_keys is not None else None,
        app_version=app_version,
        source="mongodb" if settings.mongodb_uri else "embedded",
        latest_schema=MIGRATIONS[-1][0],
        on_outcome=(lambda outcome: metrics.scheduler_run("backup", outcome))
        if metrics is not None
        else None,
    )


def _count_outcome(metrics: Metrics) -> Callable[[str, str], None]:
    """Each user's job outcome as a scheduler run; a sent one also as a message out."""

    def count(kind: str, outcome: str) -> None:
        metrics.scheduler_run(kind, outcome)
        if outcome == "sent":
            metrics.scheduler_sent(kind)

    return count


@dataclass
class Models:
    """What takes seconds to load: face analysis (in-process or remote workers) and the voice.

    ``serve`` loads them from the settings unless given some (tests share one loaded pipeline).
    """

    analyzer: FacePipeline | InferenceClient
    voice: Voice | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Models:
        analyzer: FacePipeline | InferenceClient
        if settings.inference_url:
            analyzer = InferenceClient.from_settings(settings)
        else:
            analyzer = FacePipeline.from_settings(settings)
        return cls(analyzer, Voice.from_settings(settings))

    async def ready(self) -> bool:
        """A loaded pipeline is ready by construction; remote workers must answer."""
        if isinstance(self.analyzer, InferenceClient):
            return await self.analyzer.ready()
        return True

    async def aclose(self) -> None:
        if self.voice is not None:
            await self.voice.aclose()
        await self.analyzer.aclose()


@dataclass
class Running:
    """A started bot, for whoever wants to look at it (tests; ``started`` in :func:`serve`)."""

    application: Application  # type: ignore[type-arg]
    repo: Repository
    metrics: Metrics
    server: HttpServer | None  # webhook server, or polling mode's health/metrics server


def cipher(settings: Settings) -> Cipher:
    """Encryption at rest with ``FACELOG_ENCRYPTION_KEYS`` (plain storage without them)."""
    keys = settings.encryption_keys
    return Cipher.from_setting(keys.get_secret_value() if keys else None)


def limits(settings: Settings) -> Limits:
    return Limits(
        allowed_users=settings.allowed_users,
        posts_per_hour=settings.posts_per_hour,
        messages_per_minute=settings.messages_per_minute,
    )


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    models: Models | None = None,
    started: Callable[[Running], Awaitable[None]] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set); raises ``InvalidToken`` for a bad token.

    Webhook mode when ``settings.webhook_url`` is set, long polling otherwise. On the way out:
    stop receiving, finish the updates in progress, stop the scheduler, close.
    """
    assert settings.telegram_bot_token is not None
    if settings.webhook_url and (problem := webhook_problem(settings)):
        raise ValueError(problem)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    metrics = Metrics()
    time_storage(metrics)  # before the storage client exists: PyMongo reads listeners then
    owned = models is None
    models = models or Models.from_settings(settings)
    try:
        voice = MeteredVoice.wrap(models.voice, metrics) if models.voice is not None else None
        if voice is not None:
            await voice.warm_up()
        async with (
            open_storage(
                settings.data_dir,
                uri,
                database=settings.mongodb_database,
                chat_limit=settings.chat_history_limit,
                cipher=cipher(settings),
            ) as repo,
            MeteredAnna(anna_config(settings), metrics) as anna,
        ):
            learning = Learning(repo, community_prior=settings.community_prior == "on")
            diary = DiaryService(
                repo, MeteredAnalyzer(models.analyzer, metrics), anna, learning=learning
            )
            # Several webhook replicas may get one person's updates: order them across replicas.
            lease = StorageUserLease(repo, metrics=metrics) if settings.webhook_url else None
            application = build_application(
                settings.telegram_bot_token.get_secret_value(),
                diary,
                base_url=settings.telegram_base_url,
                base_file_url=settings.telegram_base_file_url,
                voice=voice,
                followups=CommentFollowups(diary, FollowupPolicy.from_settings(settings)),
                metrics=metrics,
                user_lease=lease,
                guard=Guard(repo, limits(settings)),
                sole_poller=not settings.webhook_url,
            )
            processor = application.update_processor
            metrics.watch_update_queue(
                lambda: application.update_queue.qsize() + processor.current_concurrent_updates
            )
            health = Health(repo, models.ready, metrics)
            async with application:
                if application.post_init is not None:  # PTB calls it only inside run_polling
                    await application.post_init(application)  # commands, unfinished comments
                await application.start()
                async with updates_from_telegram(settings, application, health) as server:
                    if started is not None:
                        await started(Running(application, repo, metrics, server))
                    async with scheduled_jobs(
                        settings, repo, anna, application, voice, metrics, learning
                    ):
                        await stop.wait()
                await application.stop()  # finishes the updates already received
                if application.post_stop is not None:
                    await application.post_stop(application)
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if owned:
            await models.aclose()
