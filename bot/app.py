"""Assembling the python-telegram-bot ``Application``: handlers, commands, ordering, errors."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import Handlers
from bot.ordering import PerUserUpdateProcessor
from facelog.diary import DiaryService
from facelog.domain import LANGUAGES
from facelog.i18n import t
from facelog.voice import Voice

COMMANDS = ("start", "calendar", "stats", "settings", "profile", "export", "delete_me", "help")


def build_application(
    token: str,
    diary: DiaryService,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    voice: Voice | None = None,
) -> Application:  # type: ignore[type-arg]
    builder = ApplicationBuilder().token(token).concurrent_updates(PerUserUpdateProcessor())
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    application = builder.post_init(_register_commands).build()
    handlers = Handlers(diary, voice)
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE

    application.add_handler(TypeHandler(Update, handlers.dedupe), group=-1)
    application.add_handler(
        MessageHandler(
            ~private & (filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS),
            handlers.not_private,
        )
    )
    commands = {
        "start": handlers.start,
        "profile": handlers.profile,
        "settings": handlers.settings,
        "calendar": handlers.calendar,
        "stats": handlers.stats,
        "export": handlers.export,
        "delete_me": handlers.delete_me,
        "help": handlers.help,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private & new))
    application.add_handler(
        MessageHandler(private & new & filters.COMMAND, handlers.unknown_command)
    )
    image_document = filters.Document.IMAGE
    application.add_handler(
        MessageHandler(private & new & (filters.PHOTO | image_document), handlers.photo)
    )
    application.add_handler(MessageHandler(private & new & filters.TEXT, handlers.text))
    application.add_handler(
        MessageHandler(private & new & (filters.VOICE | filters.AUDIO), handlers.voice_note)
    )
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, handlers.edited)
    )
    application.add_handler(MessageHandler(private & new, handlers.unsupported))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_error_handler(handlers.on_error)
    return application


async def _register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands for each catalogue language, and the default (English) list."""
    for language in LANGUAGES:
        commands = [BotCommand(name, t(language, f"cmd_{name}")) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
    await application.bot.set_my_commands([BotCommand(n, t("en", f"cmd_{n}")) for n in COMMANDS])
