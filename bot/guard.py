"""Who may use the bot, and how fast: the allowlist and the per-user rate limits.

Runs before every other handler (group -2, ahead of the redelivery check in group -1: within one
group python-telegram-bot runs only the first matching handler, so the guard needs a group of its
own). An update it refuses stops there with ``ApplicationHandlerStop``: a stranger or a flood
costs no database write and no face analysis.

* **Allowlist** (``FACELOG_ALLOWED_USERS``): when set, anyone else is told once (per process)
  that this Facelog is invite-only and then ignored; in groups, strangers are ignored silently.
* **Messages per minute** (``FACELOG_MESSAGES_PER_MINUTE``, default 60): every update a person
  causes (messages, button presses, edits) counts, in memory, over a sliding minute. Kept in the
  process: a restart forgetting a minute of history is harmless.
* **Posts per hour** (``FACELOG_POSTS_PER_HOUR``, default 20): a photo starts a post. The count is
  the larger of the entries stored in the last hour (from storage, so a restart does not reset
  it) and the photos accepted in the last hour by this process (so a flood of photos without a
  face, which store nothing but cost the CPU a face analysis each, is limited too).

A refused person hears one polite answer per window, in their language, never one per dropped
message: a flood must not make the bot flood back. ``0`` turns a limit off.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from facelog.domain import Language
from facelog.i18n import language_of, t
from storage import Repository, StorageError

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
#: Per-user state is dropped once idle this long; the dict is pruned when it grows past this.
_IDLE = HOUR
_PRUNE_ABOVE = 10_000
#: Strangers already told they are not on the allowlist (cleared when it grows past this).
_WARNED_MAX = 10_000

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Limits:
    """The guard's configuration (``facelog.config.Settings`` fields of the same names)."""

    allowed_users: frozenset[int] = frozenset()
    posts_per_hour: int = 20
    messages_per_minute: int = 60

    def __post_init__(self) -> None:
        if self.posts_per_hour < 0 or self.messages_per_minute < 0:
            raise ValueError("rate limits are counts per window: 0 (off) or more")


@dataclass
class _Window:
    """One person's recent activity: update and accepted-photo times, and when they were last
    told to slow down (so they are told once per window)."""

    messages: deque[datetime] = field(default_factory=deque)
    photos: deque[datetime] = field(default_factory=deque)
    quiet_messages_until: datetime | None = None
    quiet_posts_until: datetime | None = None
    last_seen: datetime | None = None


def _trim(times: deque[datetime], since: datetime) -> None:
    while times and times[0] <= since:
        times.popleft()


def _is_post(update: Update) -> bool:
    message = update.message
    if message is None:
        return False
    document = message.document
    is_image = document is not None and (document.mime_type or "").startswith("image/")
    return bool(message.photo) or is_image


class Guard:
    """The ``TypeHandler`` callback that admits or refuses each update (see the module doc)."""

    def __init__(
        self, repo: Repository, limits: Limits | None = None, *, clock: Clock = _utc_now
    ) -> None:
        self.repo = repo
        self.limits = limits or Limits()
        self._clock = clock
        self._windows: dict[int, _Window] = {}
        self._warned_strangers: set[int] = set()

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        user = update.effective_user
        if user is None:
            if self.limits.allowed_users:  # channel posts and the like: nobody to admit
                raise ApplicationHandlerStop
            return
        if self.limits.allowed_users and user.id not in self.limits.allowed_users:
            await self._refuse_stranger(update, context)
            raise ApplicationHandlerStop
        now = self._clock()
        window = self._window(user.id, now)
        if not self._admit_message(window, now):
            await self._slow_down(update, context, window, now)
            raise ApplicationHandlerStop
        if _is_post(update) and not await self._admit_post(user.id, window, now):
            await self._too_many_posts(update, context, window, now)
            raise ApplicationHandlerStop

    # -- counting -----------------------------------------------------------------------------

    def _window(self, user_id: int, now: datetime) -> _Window:
        if len(self._windows) > _PRUNE_ABOVE:
            idle = now - _IDLE
            for key in [k for k, w in self._windows.items() if (w.last_seen or now) < idle]:
                del self._windows[key]
        window = self._windows.setdefault(user_id, _Window())
        window.last_seen = now
        return window

    def _admit_message(self, window: _Window, now: datetime) -> bool:
        limit = self.limits.messages_per_minute
        if not limit:
            return True
        _trim(window.messages, now - MINUTE)
        if len(window.messages) >= limit:
            return False
        window.messages.append(now)
        return True

    async def _admit_post(self, user_id: int, window: _Window, now: datetime) -> bool:
        limit = self.limits.posts_per_hour
        if not limit:
            return True
        _trim(window.photos, now - HOUR)
        try:
            stored = len(await self.repo.entry_times_since(user_id, now - HOUR, limit))
        except StorageError:
            stored = 0  # cannot tell: let the post through, its handler answers "try again"
        if max(stored, len(window.photos)) >= limit:
            return False
        window.photos.append(now)
        return True

    async def _free_at(self, user_id: int, window: _Window, now: datetime) -> datetime:
        """When a post will be admitted again: the oldest counted post leaves the hour."""
        limit = self.limits.posts_per_hour
        oldest = [window.photos[-limit]] if len(window.photos) >= limit else []
        with contextlib.suppress(StorageError):
            times = await self.repo.entry_times_since(user_id, now - HOUR)
            if len(times) >= limit:
                oldest.append(times[-limit])
        return (max(oldest) if oldest else now) + HOUR

    # -- answering (once per window) ----------------------------------------------------------

    async def _refuse_stranger(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None
        user_id = update.effective_user.id
        if user_id in self._warned_strangers or not _private(update):
            return
        if len(self._warned_strangers) >= _WARNED_MAX:
            self._warned_strangers.clear()
        self._warned_strangers.add(user_id)
        log.info("refused an update from a user not on the allowlist")
        language = language_of(update.effective_user.language_code)
        await _tell(update, context, t(language, "not_allowed"))

    async def _slow_down(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, window: _Window, now: datetime
    ) -> None:
        if window.quiet_messages_until is not None and now < window.quiet_messages_until:
            return
        window.quiet_messages_until = window.messages[0] + MINUTE if window.messages else now
        log.info(
            "rate limit: a user exceeded %d messages a minute", self.limits.messages_per_minute
        )
        if _private(update):
            await _tell(update, context, t(await self._language(update), "slow_down"))

    async def _too_many_posts(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, window: _Window, now: datetime
    ) -> None:
        if window.quiet_posts_until is not None and now < window.quiet_posts_until:
            return
        assert update.effective_user is not None
        free_at = await self._free_at(update.effective_user.id, window, now)
        window.quiet_posts_until = free_at
        log.info("rate limit: a user exceeded %d posts an hour", self.limits.posts_per_hour)
        minutes = max(1, math.ceil((free_at - now).total_seconds() / 60))
        text = t(
            await self._language(update),
            "too_many_posts",
            limit=self.limits.posts_per_hour,
            minutes=minutes,
        )
        if _private(update):
            await _tell(update, context, text)

    async def _language(self, update: Update) -> Language:
        user = update.effective_user
        assert user is not None
        with contextlib.suppress(StorageError):
            stored = await self.repo.get_user(user.id)
            if stored is not None:
                return stored.language
        return language_of(user.language_code)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _tell(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A button press gets an alert on its button; anything else a message in the chat."""
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
