"""Running the bot: storage, models and Anna brought up once, then long polling until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import build_application
from facelog.anna import Anna, AnnaConfig
from facelog.config import Settings
from facelog.diary import DiaryService
from facelog.voice import Voice
from inference.pipeline import FacePipeline
from storage import open_storage

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


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set); raises ``InvalidToken`` for a bad token."""
    assert settings.telegram_bot_token is not None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    pipeline = FacePipeline.from_settings(settings)
    voice = Voice.from_settings(settings)
    try:
        await voice.warm_up()
        async with (
            open_storage(
                settings.data_dir,
                uri,
                database=settings.mongodb_database,
                chat_limit=settings.chat_history_limit,
            ) as repo,
            Anna(anna_config(settings)) as anna,
        ):
            diary = DiaryService(repo, pipeline, anna)
            application = build_application(
                settings.telegram_bot_token.get_secret_value(),
                diary,
                base_url=settings.telegram_base_url,
                base_file_url=settings.telegram_base_file_url,
                voice=voice,
            )
            async with application:
                await application.start()
                assert application.updater is not None
                await application.updater.start_polling()
                log.info("Facelog is running (polling)")
                await stop.wait()
                await application.updater.stop()
                await application.stop()
    finally:
        await voice.aclose()
        await pipeline.aclose()
