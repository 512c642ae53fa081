"""Assembling the python-telegram-bot ``Application``: handlers, commands, ordering, errors."""

from __future__ import annotations

import functools

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.guard import Guard
from bot.handlers import Handlers
from bot.inbox import InboxBot, InboxPolicy, UpdateInbox
from bot.ordering import PerUserUpdateProcessor, UserLease
from bot.reminders import ScheduleHandlers
from bot.resilience import ResilientRateLimiter
from facelog.diary import DiaryService
from facelog.domain import LANGUAGES
from facelog.followups import CommentFollowups
from facelog.i18n import t
from facelog.metrics import Metrics
from facelog.summary import SummaryService
from facelog.voice import Voice

COMMANDS = (
    "start",
    "calendar",
    "stats",
    "summary",
    "reminders",
    "settings",
    "profile",
    "export",
    "delete_me",
    "help",
    "import",
)


def build_application(
    token: str,
    diary: DiaryService,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    voice: Voice | None = None,
    followups: CommentFollowups | None = None,
    rate_limiter: ResilientRateLimiter | None = None,
    metrics: Metrics | None = None,
    user_lease: UserLease | None = None,
    guard: Guard | None = None,
    inbox_policy: InboxPolicy | None = None,
    sole_poller: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The bot; ``followups`` (late comments, crash recovery) defaults to the standard policy.

    ``metrics`` counts updates, duplicates and errors; ``user_lease`` keeps each user's updates
    in order across replicas (webhook mode behind a load balancer, see ``bot.scale``). Every
    update goes through the durable inbox (``bot.inbox``); ``sole_poller`` (long polling: one
    process per token) lets a start replay every unfinished update at once, where replicas
    (webhooks) wait for the dead owner's lease to run out.
    """
    inbox = UpdateInbox(diary.repo, inbox_policy)
    bot = InboxBot(
        token,
        base_url=base_url or "https://api.telegram.org/bot",
        base_file_url=base_file_url or "https://api.telegram.org/file/bot",
        # The pool sizes ApplicationBuilder would choose: many sends at once, one poll.
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        # 429: wait retry_after; 5xx and network errors: backoff (tests pass a faster one).
        rate_limiter=rate_limiter or ResilientRateLimiter(),
        inbox=inbox,
    )
    processor = PerUserUpdateProcessor(lease=user_lease, metrics=metrics, inbox=inbox)
    builder = ApplicationBuilder().bot(bot).concurrent_updates(processor)
    followups = followups or CommentFollowups(diary)

    async def started(app: Application) -> None:  # type: ignore[type-arg]
        await _register_commands(app)
        # Before polling starts: replayed updates queue ahead of anything new, in order.
        replayed = await inbox.replay(take_over=sole_poller)
        # Finish what the last run left undone; the replay confirms its own entries.
        followups.start(replaying=await inbox.entries_replayed(replayed))
        inbox.start()

    async def stopping(app: Application) -> None:  # type: ignore[type-arg]
        await diary.learning.drain()  # refits already begun write their result
        await followups.aclose()
        await inbox.close()

    application = builder.post_init(started).post_stop(stopping).build()
    inbox.attach(application)
    schedule = ScheduleHandlers(diary, SummaryService(diary.repo, diary.anna), voice)
    handlers = Handlers(diary, voice, schedule=schedule, followups=followups)
    followups.deliver = functools.partial(handlers.deliver_followup, application.bot)
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE

    # The allowlist and rate limits (bot/guard.py; default: everyone, 20 posts/hour, 60
    # messages/minute) come first, in a group of their own: a refused update stops there. Its
    # rate windows count entries the repository dated, so it reads the diary's clock.
    guard = guard or Guard(diary.repo, clock=diary.clock)
    application.add_handler(TypeHandler(Update, guard), group=-2)
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
        "summary": handlers.summary,
        "reminders": handlers.reminders,
        "export": handlers.export,
        "delete_me": handlers.delete_me,
        "help": handlers.help,
        "import": handlers.import_help,
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
    zip_document = filters.Document.ZIP | filters.Document.FileExtension("zip")
    application.add_handler(MessageHandler(private & new & zip_document, handlers.import_zip))
    application.add_handler(MessageHandler(private & new, handlers.unsupported))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(
        ChatMemberHandler(handlers.membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(handlers.on_error)
    if metrics is not None:

        async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            metrics.error(type(context.error).__name__)

        application.add_error_handler(count_error)
    return application


async def _register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands for each catalogue language, and the default (English) list."""
    for language in LANGUAGES:
        commands = [BotCommand(name, t(language, f"cmd_{name}")) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
    await application.bot.set_my_commands([BotCommand(n, t("en", f"cmd_{n}")) for n in COMMANDS])
