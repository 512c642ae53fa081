"""``/reminders`` and ``/summary``: the Telegram side of the scheduled features.

The rules (when a reminder is due, what a summary holds) live in :mod:`scheduler.timing` and
:mod:`facelog.summary`; these handlers show and change settings and send a summary on demand.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import render
from bot.callbacks import Callback
from bot.notifier import send_summary
from facelog.diary import DiaryService
from facelog.domain import Account, Month, find_time_zone
from facelog.i18n import format_month, t
from facelog.summary import SummaryService, chart_spec, render_in_thread
from facelog.voice import Voice
from scheduler.timing import next_reminder

log = logging.getLogger(__name__)
HTML = ParseMode.HTML


@dataclass
class ScheduleHandlers:
    diary: DiaryService
    summaries: SummaryService
    voice: Voice | None = None

    def _view(self, account: Account) -> tuple[str, InlineKeyboardMarkup]:
        reminder = account.reminder
        return render.reminders_view(
            account.user.language, reminder, next_reminder(reminder, self.diary.clock())
        )

    async def reminders(self, update: Update, account: Account) -> None:
        message = update.effective_message
        assert message is not None
        await self.diary.repo.clear_session(account.user.id)
        text, keyboard = self._view(account)
        await message.reply_text(text, parse_mode=HTML, reply_markup=keyboard)

    async def button(self, update: Update, account: Account, press: Callback) -> None:
        """``rem:*`` presses: toggle, pick an hour, pick or type a zone, back to the menu."""
        query = update.callback_query
        assert query is not None
        language = account.user.language
        reminder = account.reminder
        if press.action == "rem:time":
            await query.answer()
            await _edit(
                query,
                t(language, "reminders_pick_hour", zone=reminder.time_zone),
                render.hour_keyboard(language, reminder.hour),
            )
            return
        if press.action == "rem:zone":
            await query.answer()
            await _edit(
                query,
                t(language, "reminders_pick_zone"),
                render.zone_keyboard(language, reminder.time_zone),
            )
            return
        if press.action == "rem:type":
            await self.diary.repo.set_session(account.user.id, {"awaiting": "zone"})
            await query.answer()
            await query.get_bot().send_message(account.user.id, t(language, "reminders_ask_zone"))
            return
        if press.action == "rem:on":
            account = await self.diary.set_reminder(account, enabled=True)
        elif press.action == "rem:off":
            account = await self.diary.set_reminder(account, enabled=False)
        elif press.action == "rem:h":
            account = await self.diary.set_reminder(
                account, enabled=True, hour=int(str(press.value)), minute=0
            )
        elif press.action == "rem:z":
            account = await self.diary.set_reminder(account, time_zone=str(press.value))
        await query.answer(t(language, "settings_saved") if press.action != "rem:menu" else None)
        text, keyboard = self._view(account)
        await _edit(query, text, keyboard)

    async def take_zone(self, update: Update, account: Account, text: str) -> None:
        """A typed IANA name after "⌨️ Type a name"; an unknown one is explained, not stored."""
        message = update.effective_message
        assert message is not None
        language = account.user.language
        zone = find_time_zone(text)
        if zone is None:
            await message.reply_text(t(language, "reminders_bad_zone"))
            return
        await self.diary.repo.clear_session(account.user.id)
        account = await self.diary.set_reminder(account, time_zone=zone)
        reply, keyboard = self._view(account)
        await message.reply_text(reply, parse_mode=HTML, reply_markup=keyboard)

    async def summary(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, account: Account
    ) -> None:
        """``/summary`` (this month so far) or ``/summary YYYY-MM``."""
        message = update.effective_message
        assert message is not None
        language = account.user.language
        this_month = Month.of(self.diary.today(account))
        args = context.args or []
        if args:
            try:
                month = Month.parse(args[0])
            except ValueError:
                await message.reply_text(t(language, "summary_bad_month"))
                return
        else:
            month = this_month
        if month > this_month:
            await message.reply_text(t(language, "summary_future"))
            return
        with contextlib.suppress(Exception):
            await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
        built = await self.summaries.build(account, month)
        if not built.entries:
            await message.reply_text(
                t(language, "summary_empty", month=format_month(language, month))
            )
            return
        chart = await render_in_thread(chart_spec(built, language))
        await send_summary(message.get_bot(), message.chat_id, account, built, chart, self.voice)


async def _edit(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup) -> None:
    """Edit the menu in place; "message is not modified" (a double tap) is not an error."""
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
