"""Scheduled messages over Telegram: the scheduler's :class:`~scheduler.jobs.Notifier`.

Every ``bot`` call goes through the Application's rate limiter (:mod:`bot.resilience`): 30
messages/s overall, 429s waited out, 5xx and refused connections retried with backoff. Scheduled
sends run :func:`~bot.resilience.at_most_once`, so a timeout or a connection lost after the
request went out is *not* retried there. What is left is sorted by what it means for the
sent-log:

* 403 (blocked, deactivated) or "chat not found" → :class:`RecipientGone`: never again;
* a 5xx, a refused connection or a 429 still failing after the limiter's retries →
  :class:`DeliveryFailed`: the message did not go out, the claim is released and a later tick
  retries;
* a timeout or a connection lost mid-request is ambiguous (Telegram may have sent it), so it
  propagates and the claim stays: at most once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot import render
from bot.resilience import at_most_once, certainly_not_sent
from facelog.domain import Account
from facelog.summary import MonthlySummary
from facelog.voice import Voice
from scheduler.jobs import DeliveryFailed, RecipientGone

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Patience for Telegram's answer to a scheduled send. A timeout cannot tell "not sent" from
#: "sent, answer lost" and so costs the message (never retried); nobody waits on these sends,
#: so they get far longer than an interactive reply's 5 s.
PATIENT_S = 60.0


async def send_summary(
    bot: Bot,
    chat_id: int,
    account: Account,
    summary: MonthlySummary,
    chart_png: bytes | None,
    voice: Voice | None = None,
) -> None:
    """The chart with the month's numbers (and Anna's letter when it fits), then the letter on
    its own if it did not, then — when voice replies are on — the letter read aloud."""
    language = account.user.language
    caption, letter = render.summary_messages(language, account.user.name, summary)
    if chart_png is not None:
        await bot.send_photo(
            chat_id,
            chart_png,
            caption=caption,
            parse_mode=ParseMode.HTML,
            read_timeout=PATIENT_S,
            write_timeout=PATIENT_S,
            pool_timeout=PATIENT_S,
        )
    else:
        await bot.send_message(
            chat_id,
            caption,
            parse_mode=ParseMode.HTML,
            read_timeout=PATIENT_S,
            write_timeout=PATIENT_S,
            pool_timeout=PATIENT_S,
        )
    # The summary has reached the user: a failure from here on loses a follow-up, but must not
    # surface as "not delivered" (that would release the claim and send the chart twice).
    try:
        if letter is not None:
            await bot.send_message(chat_id, letter, parse_mode=ParseMode.HTML)
        # No voice for the language (Korean offline, by default): the letter in text is enough.
        if (
            voice is not None
            and voice.speaks(language)
            and account.anna.voice_replies
            and summary.letter
        ):
            note = await voice.say(account, summary.letter)
            await bot.send_voice(
                chat_id, InputFile(note.ogg, filename="anna.ogg"), duration=note.duration_s
            )
    except Exception as exc:
        log.warning("summary follow-up failed: %s", type(exc).__name__)


class TelegramNotifier:
    """Sends reminders and summaries to the user's private chat (its id is the user's id)."""

    def __init__(self, bot: Bot, voice: Voice | None = None) -> None:
        self.bot = bot
        self.voice = voice

    async def remind(self, account: Account, text: str) -> None:
        language = account.user.language
        await _sorted_errors(
            lambda: self.bot.send_message(
                account.user.id,
                render.reminder_message(language, text),
                parse_mode=ParseMode.HTML,
                read_timeout=PATIENT_S,
                write_timeout=PATIENT_S,
                pool_timeout=PATIENT_S,
            )
        )

    async def summary(
        self, account: Account, summary: MonthlySummary, chart_png: bytes | None
    ) -> None:
        await _sorted_errors(
            lambda: send_summary(self.bot, account.user.id, account, summary, chart_png, self.voice)
        )


async def _sorted_errors(send: Callable[[], Awaitable[T]]) -> T:
    try:
        with at_most_once():
            return await send()
    except Forbidden as exc:
        raise RecipientGone(type(exc).__name__) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise RecipientGone(type(exc).__name__) from exc
        raise
    except RetryAfter as exc:  # still flooded after the rate limiter's own retries
        raise DeliveryFailed(type(exc).__name__) from exc
    except NetworkError as exc:  # TimedOut included
        if certainly_not_sent(exc):
            raise DeliveryFailed(type(exc).__name__) from exc
        raise
