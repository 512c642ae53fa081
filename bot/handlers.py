"""Telegram handlers: translate updates into diary calls and diary values into messages.

No diary rule lives here: what a post is, how Anna answers, what a month holds — that is
``facelog.diary``. A handler reads the update, asks the service, renders the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from bot import callbacks, render
from bot.callbacks import Callback
from bot.inbox import entry_key, once
from bot.reminders import ScheduleHandlers
from facelog.dates import DatePrefixError
from facelog.diary import MAX_DIARY_CHARS, DiaryService, Reading
from facelog.domain import (
    INTRO_MAX_CHARS,
    NAME_MAX_CHARS,
    Account,
    Entry,
    Language,
    Month,
)
from facelog.followups import CommentFollowups, Followup
from facelog.i18n import EMOJI, emotion_name, format_day, language_of, t
from facelog.importer import MAX_ZIP_BYTES, ImportRefused, import_entries, read_export
from facelog.speech import AudioTooLarge, AudioTooLong, NothingHeard, SpeechError, VoiceNote
from facelog.voice import Voice
from inference.image import EmptyImage, ImageError, ImageTooLarge
from inference.labels import Emotion
from storage import StorageError

log = logging.getLogger(__name__)

#: Telegram lets a bot delete a chat message only while it is younger than this.
DELETE_WINDOW = timedelta(hours=48)
#: Telegram lets bots download files up to 20 MB.
MAX_DOWNLOAD = 20 * 1024 * 1024
HTML = ParseMode.HTML


@dataclass
class Handlers:
    """The bot's behaviour, bound to one diary service."""

    diary: DiaryService
    voice: Voice | None = None
    schedule: ScheduleHandlers | None = None
    warned_groups: set[int] = field(default_factory=set)
    followups: CommentFollowups | None = None

    def __post_init__(self) -> None:
        if self.followups is None:
            self.followups = CommentFollowups(self.diary)

    @property
    def comments(self) -> CommentFollowups:
        """Anna's comments on posts: at once when the LLM is quick, as a follow-up otherwise."""
        assert self.followups is not None
        return self.followups

    # -- plumbing -------------------------------------------------------------------------

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, Forbidden):  # 403: the user blocked the bot; stop writing to them
            if isinstance(update, Update) and update.effective_user is not None:
                await self._blocked(update.effective_user.id)
            return
        log.warning(
            "update failed: %s", type(error).__name__, exc_info=not isinstance(error, StorageError)
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            language = language_of(
                update.effective_user.language_code if update.effective_user else None
            )
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(update.effective_chat.id, t(language, "try_again"))

    async def _account(self, update: Update) -> Account | None:
        assert update.effective_user is not None
        account = await self.diary.account(update.effective_user.id)
        if account is not None and not account.user.active:  # wrote again after blocking us
            await self.diary.repo.set_user_active(account.user.id, True)
            account = replace(account, user=replace(account.user, active=True))
        return account

    async def _blocked(self, user_id: int) -> None:
        """Mark a user who blocked the bot inactive (the scheduler skips them); best effort."""
        log.info("a user blocked the bot; marked inactive")
        with contextlib.suppress(StorageError):
            await self.diary.repo.set_user_active(user_id, False)

    async def membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """my_chat_member: a private chat's user blocked (kicked) or unblocked the bot."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        if status in ("kicked", "left"):
            await self._blocked(change.from_user.id)
        elif status == "member":
            with contextlib.suppress(StorageError):
                await self.diary.repo.set_user_active(change.from_user.id, True)

    @staticmethod
    def _language(update: Update, account: Account | None = None) -> Language:
        if account is not None:
            return account.user.language
        user = update.effective_user
        return language_of(user.language_code if user else None)

    async def _require_account(self, update: Update) -> Account | None:
        account = await self._account(update)
        if account is None and update.effective_message is not None:
            await update.effective_message.reply_text(t(self._language(update), "need_start"))
        return account

    # -- onboarding and profile -----------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        account = await self._account(update)
        if account is not None:
            await self.diary.repo.clear_session(user.id)
            await message.reply_text(t(account.user.language, "menu", name=account.user.name))
            return
        language = self._language(update)
        await self.diary.repo.set_session(user.id, {"awaiting": "name", "language": language})
        await message.reply_text(t(language, "welcome"))
        await message.reply_text(t(language, "ask_name"))

    async def profile(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        if account is None or update.effective_message is None:
            return
        text, keyboard = render.profile_view(account)
        await update.effective_message.reply_text(text, parse_mode=HTML, reply_markup=keyboard)

    async def _take_name(self, update: Update, session: dict[str, Any], text: str) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        account = await self._account(update)
        language: Language = session.get("language") or self._language(update, account)
        name = " ".join(text.split())
        if not 1 <= len(name) <= NAME_MAX_CHARS or name.startswith("/"):
            await message.reply_text(t(language, "bad_name"))
            return
        try:
            if account is None:
                await self.diary.register(user.id, name, language)
                await self.diary.repo.set_session(
                    user.id, {"awaiting": "intro", "onboarding": True}
                )
                await message.reply_text(
                    t(language, "ask_intro", name=name),
                    reply_markup=render.one_button(t(language, "skip"), callbacks.SKIP_INTRO),
                )
                return
            await self.diary.update_user(account, name=name)
        except ValueError:
            await message.reply_text(t(language, "bad_name"))
            return
        await self.diary.repo.clear_session(user.id)
        await message.reply_text(t(language, "profile_saved"))

    async def _take_intro(self, update: Update, session: dict[str, Any], intro: str | None) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        account = await self._account(update)
        if account is None:
            await self.diary.repo.clear_session(user.id)
            return
        language = account.user.language
        if intro is not None and len(intro.strip()) > INTRO_MAX_CHARS:
            await message.reply_text(t(language, "bad_intro"))
            return
        try:
            account = await self.diary.update_user(account, intro=intro)
        except ValueError:
            await message.reply_text(t(language, "bad_intro"))
            return
        await self.diary.repo.clear_session(user.id)
        if session.get("onboarding"):
            reminder = account.reminder
            await message.reply_text(
                t(
                    language,
                    "onboarding_done",
                    time=f"{reminder.hour:02d}:{reminder.minute:02d}",
                    zone=reminder.time_zone,
                )
            )
            await message.reply_text(
                render.settings_text(account, speaks=not self._voiceless(account.user.language)),
                parse_mode=HTML,
                reply_markup=render.settings_keyboard(language, account.anna),
            )
        else:
            await message.reply_text(t(language, "profile_saved"))

    # -- settings -------------------------------------------------------------------------

    async def _settings_panel(self, account: Account) -> tuple[str, InlineKeyboardMarkup]:
        """/settings' text and keyboard, with what Facelog learned of the person's face."""
        learned = await self.diary.learning.learned(account)
        count = learned.corrections if learned is not None else 0
        language = account.user.language
        text = render.settings_text(account, speaks=not self._voiceless(language), learned=count)
        return text, render.settings_keyboard(language, account.anna, learned=count)

    async def settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        if account is None or update.effective_message is None:
            return
        text, keyboard = await self._settings_panel(account)
        await update.effective_message.reply_text(text, parse_mode=HTML, reply_markup=keyboard)

    async def _change_setting(self, update: Update, account: Account, press: Callback) -> None:
        query = update.callback_query
        assert query is not None
        anna, value = account.anna, str(press.value or "")
        if press.action == "set:done":
            await query.answer(t(account.user.language, "settings_saved"))
            with contextlib.suppress(BadRequest):
                await query.edit_message_reply_markup(None)
            return
        if press.action == "set:lang":
            account = await self.diary.update_user(account, language=value)
        else:
            if press.action == "set:att":
                anna = replace(anna, attitude=value)  # type: ignore[arg-type]
            elif press.action == "set:cmp":
                anna = replace(anna, composition=anna.composition ^ {value})  # type: ignore[arg-type]
            elif press.action == "set:int":
                anna = replace(anna, intensity=float(value))
            elif press.action == "set:len":
                anna = replace(anna, length=int(value))
            elif press.action == "set:voice":
                anna = replace(anna, voice_replies=not anna.voice_replies)
            await self.diary.set_anna_settings(account.user.id, anna)  # replace() validated it
            account = replace(account, anna=anna)
        await query.answer()
        await self._refresh_settings(query, account)

    async def _refresh_settings(self, query: CallbackQuery, account: Account) -> None:
        text, keyboard = await self._settings_panel(account)
        with contextlib.suppress(BadRequest):  # "message is not modified" on a repeated press
            await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)

    # -- posts ----------------------------------------------------------------------------

    async def photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        account = await self._require_account(update)
        if account is None:
            return
        language = account.user.language
        if message.photo:
            item = message.photo[-1]
            file_id, size = item.file_id, item.file_size
        else:
            assert message.document is not None
            file_id, size = message.document.file_id, message.document.file_size
        if size is not None and size > MAX_DOWNLOAD:
            await message.reply_text(t(language, "image_too_large"))
            return
        caption = (message.caption or "").strip()
        if len(caption) > MAX_DIARY_CHARS:
            await message.reply_text(t(language, "caption_too_long", limit=MAX_DIARY_CHARS))
            return
        await _typing(message, ChatAction.TYPING)
        try:
            photo = await _download(context, file_id)
        except FileTooBig:  # the message did not say its size; the download did
            await message.reply_text(t(language, "image_too_large"))
            return
        try:
            analysis = await self.diary.analyze(photo)
        except ImageError as exc:
            await message.reply_text(t(language, _image_error_key(exc)))
            return
        if analysis.face is None:
            await message.reply_text(t(language, "no_face"))
            return
        reading = await self.diary.read(account, analysis)
        sent_at = message.date
        if caption:
            await self._store_post(
                update, account, photo, reading, caption, sent_at, messages=(message.message_id,)
            )
            return
        await self.diary.repo.set_session(
            account.user.id,
            {
                "awaiting": "diary",
                "file_id": file_id,
                "emotion": reading.emotion.value,
                "probabilities": reading.probabilities,
                "confidence": reading.confidence,
                "faces": reading.faces,
                "sent_at": sent_at.isoformat(),
                "photo_message_id": message.message_id,
            },
        )
        greeting = await self.diary.greeting(account, reading)
        await message.reply_text(f"{greeting}\n\n{t(language, 'ask_diary')}")
        if account.anna.voice_replies:
            await self._speak(message, language, lambda voice: voice.say(account, greeting))

    async def _store_post(
        self,
        update: Update,
        account: Account,
        photo: bytes,
        reading: Reading,
        text: str,
        sent_at: datetime,
        *,
        reply_to: int | None = None,
        messages: tuple[int, ...] = (),
    ) -> None:
        message = update.effective_message
        assert message is not None
        language = account.user.language
        try:
            day, diary_text = self.diary.entry_day(account, text, sent_at)
        except DatePrefixError as exc:
            await message.reply_text(t(language, _date_error_key(exc)))
            return
        entry = await self.diary.post(
            account,
            photo,
            reading,
            day,
            diary_text,
            key=entry_key(update.update_id),
            message_ids=messages,
        )
        await _typing(message, ChatAction.TYPING)
        # From here on the entry is stored: no failure may end in "nothing was saved".
        comment = await self.comments.first_comment(account, entry, reply_to=message.message_id)
        try:
            # A replay after a crash does not confirm again what was confirmed before it.
            await once(
                "confirmation",
                lambda: message.reply_text(
                    render.post_text(language, entry, comment),
                    parse_mode=HTML,
                    reply_markup=self._post_keyboard(account, entry),
                    reply_to_message_id=reply_to,
                ),
            )
        except (BadRequest, Forbidden):
            raise
        except TelegramError as error:  # still failing after the rate limiter's retries
            log.warning("could not confirm a post (%s); retrying later", type(error).__name__)
            if comment is not None:
                self.comments.confirm_later(account, replace(entry, anna_comment=comment))
            return  # without a comment the follow-up confirms it anyway
        await self.diary.after_post(account)
        if comment is not None and account.anna.voice_replies and self.voice is not None:
            entry = replace(entry, anna_comment=comment)
            await self._speak(
                message,
                language,
                lambda voice: voice.entry_comment(self.diary.repo, account, entry),
            )

    async def deliver_followup(self, bot: Bot, followup: Followup) -> bool:
        """Send a comment that came late: a reply to the post, or the whole post after a restart
        (the person may never have seen it confirmed). False if they blocked the bot."""
        account, entry = followup.account, followup.entry
        language = account.user.language
        if followup.reply_to is None:
            text, reply = render.post_text(language, entry, entry.anna_comment), None
        else:
            text = render.late_comment(language, entry)
            reply = ReplyParameters(followup.reply_to, allow_sending_without_reply=True)
        try:
            await bot.send_message(
                account.user.id,
                text,
                parse_mode=HTML,
                reply_markup=self._post_keyboard(account, entry),
                reply_parameters=reply,
            )
        except Forbidden:
            await self._blocked(account.user.id)
            return False
        return True

    def _post_keyboard(self, account: Account, entry: Entry) -> InlineKeyboardMarkup:
        """Under a post: 🔊 📅 ✏️, and the four feelings when Anna asks about a face and words
        that disagree (the person answers with one tap)."""
        offer = self.diary.disagreement(account, entry) is not None
        return render.post_keyboard(account.user.language, entry, offer_emotions=offer)

    def _voiceless(self, language: Language) -> bool:
        """A voice is configured but has none for ``language`` (Korean without ElevenLabs, by
        default): replies are text only, and /settings and 🔊 say why."""
        return self.voice is not None and not self.voice.speaks(language)

    async def _speak(
        self, message: Message, language: Language, make: Callable[[Voice], Awaitable[VoiceNote]]
    ) -> bool:
        """Send Anna's words as a voice note; False (and the text stands alone) if that fails.
        A language without a voice is skipped before "recording voice…" shows: the text is the
        answer, and nothing suggests a note is coming."""
        if self.voice is None or not self.voice.speaks(language):
            return False
        await _typing(message, ChatAction.RECORD_VOICE)
        try:
            note = await make(self.voice)
        except (SpeechError, OSError, RuntimeError) as exc:
            log.warning("voice reply failed: %s", type(exc).__name__)
            return False
        await once(
            "voice",
            lambda: message.chat.send_voice(
                InputFile(note.ogg, filename="anna.ogg"), duration=note.duration_s
            ),
        )
        return True

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and message.text is not None and user is not None
        session = await self.diary.repo.get_session(user.id)
        awaiting = session.get("awaiting")
        if awaiting == "name":
            await self._take_name(update, session, message.text)
            return
        if awaiting == "intro":
            await self._take_intro(update, session, message.text)
            return
        account = await self._require_account(update)
        if account is None:
            return
        if awaiting == "diary":
            await self._finish_draft(update, context, account, session, message.text)
            return
        if awaiting == "entry_text":
            await self._take_entry_text(message, account, str(session.get("entry_id", "")))
            return
        if awaiting == "zone" and self.schedule is not None:
            await self.schedule.take_zone(update, account, message.text)
            return
        await self._chat(message, account, message.text)

    async def _chat(
        self, message: Message, account: Account, text: str, *, from_voice: bool = False
    ) -> None:
        await _typing(message, ChatAction.TYPING)
        answer = await self.diary.chat(account, text, from_voice=from_voice)
        await once("answer", lambda: message.reply_text(answer))
        if account.anna.voice_replies or from_voice:  # a voice note is answered in voice too
            await self._speak(
                message, account.user.language, lambda voice: voice.say(account, answer)
            )

    async def _finish_draft(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        session: dict[str, Any],
        text: str,
    ) -> None:
        """The text after a caption-less selfie becomes that photo's diary entry."""
        message = update.effective_message
        assert message is not None
        language = account.user.language
        if len(text) > MAX_DIARY_CHARS:
            await message.reply_text(t(language, "caption_too_long", limit=MAX_DIARY_CHARS))
            return
        photo = await _download(context, str(session["file_id"]))
        emotion = Emotion(session["emotion"])
        probabilities = {str(k): float(v) for k, v in dict(session["probabilities"]).items()}
        # A draft stored before calibration existed showed the raw reading.
        shown = session.get("confidence", probabilities.get(emotion.value, 0.0))
        reading = Reading(emotion, probabilities, int(session["faces"]), float(shown))
        sent_at = datetime.fromisoformat(str(session["sent_at"]))
        messages = tuple(
            int(m) for m in (session.get("photo_message_id"), message.message_id) if m is not None
        )
        await self._store_post(update, account, photo, reading, text, sent_at, messages=messages)
        await self.diary.repo.clear_session(account.user.id)

    # -- browsing -------------------------------------------------------------------------

    async def calendar(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        if account is None or update.effective_message is None:
            return
        today = self.diary.today(account)  # the person's own date, from the diary's clock
        month = Month.of(today)
        entries = await self.diary.month(account.user.id, month)
        text, keyboard = render.calendar_view(account.user.language, month, entries, today=today)
        await update.effective_message.reply_text(text, parse_mode=HTML, reply_markup=keyboard)

    async def _show_entry(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, account: Account, entry_id: str
    ) -> None:
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        language = account.user.language
        entry = await self.diary.entry(account.user.id, entry_id)
        if entry is None:
            await query.answer(t(language, "entry_missing"), show_alert=True)
            return
        await query.answer()
        chat_id = update.effective_chat.id
        photo = await self.diary.photo(account.user.id, entry.id)
        if photo:
            await context.bot.send_photo(
                chat_id, photo, caption=render.entry_caption(language, entry), parse_mode=HTML
            )
        await context.bot.send_message(
            chat_id,
            render.post_text(language, entry, entry.anna_comment),
            parse_mode=HTML,
            reply_markup=self._post_keyboard(account, entry),
        )

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        message = update.effective_message
        if account is None or message is None:
            return
        language = account.user.language
        stats = await self.diary.stats(account)
        if stats.chart_png is None:
            await message.reply_text(t(language, "stats_empty"))
            return
        await _typing(message, ChatAction.UPLOAD_PHOTO)
        await message.reply_photo(
            stats.chart_png, caption=render.stats_text(language, stats.counts), parse_mode=HTML
        )

    # -- export and erasure ---------------------------------------------------------------

    async def export(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        message = update.effective_message
        if account is None or message is None:
            return
        language = account.user.language
        await _typing(message, ChatAction.UPLOAD_DOCUMENT)
        archive, count = await self.diary.export(account.user.id)
        stamp = self.diary.today(account).isoformat()
        await message.reply_document(
            InputFile(archive, filename=f"facelog-{stamp}.zip"),
            caption=t(language, "export_caption", count=count),
        )

    async def delete_me(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        account = await self._account(update)
        language = self._language(update, account)
        await message.reply_text(
            t(language, "delete_confirm"), reply_markup=render.delete_keyboard(language)
        )

    # -- buttons --------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        assert query is not None and user is not None
        press = callbacks.parse(query.data)
        account = await self._account(update)
        language = self._language(update, account)
        if press is None:
            await query.answer(t(language, "stale_button"), show_alert=True)
            return
        if press.action == callbacks.NOOP:
            await query.answer()
            return
        if press.action == callbacks.DELETE_YES:
            await self.diary.delete(user.id)
            await query.answer()
            await _edit(query.message, t(language, "deleted"))
            return
        if press.action == callbacks.DELETE_NO:
            await query.answer()
            await _edit(query.message, t(language, "delete_cancelled"))
            return
        if account is None:
            await query.answer(t(language, "need_start"), show_alert=True)
            return
        if press.action == callbacks.SKIP_INTRO:
            session = await self.diary.repo.get_session(user.id)
            await query.answer()
            with contextlib.suppress(BadRequest):
                await query.edit_message_reply_markup(None)
            if session.get("awaiting") == "intro":
                await self._take_intro(update, session, None)
            return
        if press.action == callbacks.EDIT_NAME:
            await self.diary.repo.set_session(user.id, {"awaiting": "name"})
            await query.answer()
            await context.bot.send_message(user.id, t(language, "ask_name"))
            return
        if press.action == callbacks.EDIT_INTRO:
            await self.diary.repo.set_session(user.id, {"awaiting": "intro"})
            await query.answer()
            await context.bot.send_message(
                user.id, t(language, "ask_intro", name=account.user.name)
            )
            return
        if press.action == callbacks.CLEAR_INTRO:
            account = await self.diary.update_user(account, intro=None)
            await query.answer(t(language, "profile_saved"))
            text, keyboard = render.profile_view(account)
            with contextlib.suppress(BadRequest):
                await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
            return
        if press.action.startswith("set:"):
            await self._change_setting(update, account, press)
            return
        if press.action.startswith("rem:") and self.schedule is not None:
            await self.schedule.button(update, account, press)
            return
        if press.action == "cal" and isinstance(press.value, Month):
            entries = await self.diary.month(account.user.id, press.value)
            text, keyboard = render.calendar_view(
                language, press.value, entries, today=self.diary.today(account)
            )
            await query.answer()
            if _is_calendar(query.message):  # ◀ ▶ turn the page in place
                with contextlib.suppress(BadRequest):
                    await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
                return
            await context.bot.send_message(user.id, text, parse_mode=HTML, reply_markup=keyboard)
            return
        if press.action == "day":
            entries = await self.diary.day(account.user.id, press.value)  # type: ignore[arg-type]
            if not entries:
                await query.answer(t(language, "no_entry_day"), show_alert=True)
                return
            if len(entries) == 1:
                await self._show_entry(update, context, account, entries[0].id)
                return
            text, keyboard = render.day_list(language, press.value, entries)  # type: ignore[arg-type]
            await query.answer()
            await context.bot.send_message(user.id, text, parse_mode=HTML, reply_markup=keyboard)
            return
        if press.action == "ent":
            await self._show_entry(update, context, account, str(press.value))
            return
        if press.action == "say":
            await self.listen(update, context, account, str(press.value))
            return
        if press.action in {"edit", "emo", "mv", "txt", "rm", "rmy", "back"}:
            await self._entry_press(update, context, account, press)
            return
        if press.action == callbacks.LEARN_RESET:
            await self.diary.learning.reset(account)
            await query.answer(t(language, "learn_reset_done"))
            await self._refresh_settings(query, account)
            return
        await query.answer(t(language, "stale_button"), show_alert=True)

    # -- the person has the last word: ✏️ on every entry ----------------------------------

    async def _entry_press(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, account: Account, press: Callback
    ) -> None:
        """A press on ✏️ or one of its buttons. The entry is looked up for the presser only, so
        a forged press on someone else's entry finds nothing, like a stale one."""
        query = update.callback_query
        assert query is not None
        language, entry_id = account.user.language, str(press.value)
        entry = await self.diary.entry(account.user.id, entry_id)
        if entry is None:
            await query.answer(t(language, "entry_missing"), show_alert=True)
            return
        if press.action == "edit":
            await query.answer(t(language, "edit_hint"))
            today = self.diary.today(account)
            await _edit_markup(query, render.edit_keyboard(language, entry, today=today))
        elif press.action == "emo" and isinstance(press.extra, Emotion):
            await self._set_emotion(query, account, entry, press.extra)
        elif press.action == "mv" and isinstance(press.extra, date):
            moved = await self.diary.move(account, entry, press.extra)
            if moved is None:
                await query.answer(t(language, "entry_missing"), show_alert=True)
                return
            day = format_day(language, moved.entry.day)
            await query.answer(t(language, "entry_moved", date=day) if moved.changed else None)
            if moved.changed:
                today = self.diary.today(account)
                keyboard = render.edit_keyboard(language, moved.entry, today=today)
                await self._show_in_place(query, account, moved.entry, keyboard)
        elif press.action == "txt":
            await self.diary.repo.set_session(
                account.user.id, {"awaiting": "entry_text", "entry_id": entry.id}
            )
            await query.answer()
            await context.bot.send_message(
                account.user.id,
                t(language, "ask_entry_text", date=format_day(language, entry.day)),
            )
        elif press.action == "rm":
            await query.answer()
            text, keyboard = render.delete_entry_view(language, entry)
            with contextlib.suppress(BadRequest):
                await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
        elif press.action == "rmy":
            await self._delete_entry(query, context, account, entry)
        else:  # back
            await query.answer()
            await self._show_in_place(query, account, entry, self._post_keyboard(account, entry))

    async def _show_in_place(
        self, query: CallbackQuery, account: Account, entry: Entry, keyboard: InlineKeyboardMarkup
    ) -> None:
        """The pressed message becomes the entry as stored now (edited, not sent anew)."""
        text = render.post_text(account.user.language, entry, entry.anna_comment)
        with contextlib.suppress(BadRequest):  # "message is not modified"
            await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)

    async def _set_emotion(
        self, query: CallbackQuery, account: Account, entry: Entry, emotion: Emotion
    ) -> None:
        language = account.user.language
        label = {"emoji": EMOJI[emotion], "emotion": emotion_name(language, emotion)}
        edited = await self.diary.set_emotion(account, entry, emotion)
        if edited is None:
            await query.answer(t(language, "entry_missing"), show_alert=True)
            return
        if not edited.changed:  # a double tap, or the same feeling again: nothing twice
            await query.answer(t(language, "emotion_unchanged", **label))
            return
        await query.answer(t(language, "emotion_set", **label))
        await self._show_in_place(
            query, account, edited.entry, self._post_keyboard(account, edited.entry)
        )
        line = await self.diary.correction_line(account, edited.entry)
        if isinstance(query.message, Message):
            await once("correction", lambda: query.message.reply_text(line))  # type: ignore[union-attr]

    async def _delete_entry(
        self,
        query: CallbackQuery,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        entry: Entry,
    ) -> None:
        """Erase one entry; remove the person's chat messages of it where Telegram still lets
        a bot (48 hours), and say plainly when it does not."""
        language = account.user.language
        if not await self.diary.delete_entry(account, entry):  # a double tap: already gone
            await query.answer(t(language, "entry_missing"), show_alert=True)
            return
        await query.answer()
        kept = self.diary.clock() - entry.created_at >= DELETE_WINDOW
        for message_id in entry.message_ids:
            try:
                await context.bot.delete_message(account.user.id, message_id)
            except (BadRequest, Forbidden):
                kept = True
        text = t(language, "entry_deleted", date=format_day(language, entry.day))
        if kept:
            text += "\n\n" + t(language, "entry_deleted_old")
        with contextlib.suppress(BadRequest):
            await query.edit_message_text(text, reply_markup=None)

    async def _take_entry_text(self, message: Message, account: Account, entry_id: str) -> None:
        """📝: the next text message is the entry's new words (a leading date moves it)."""
        await self.diary.repo.clear_session(account.user.id)
        entry = await self.diary.entry(account.user.id, entry_id)
        await self._apply_text_edit(message, account, entry, message.text or "", None)

    async def _apply_text_edit(
        self,
        message: Message,
        account: Account,
        entry: Entry | None,
        text: str,
        sent_at: datetime | None,
    ) -> None:
        language = account.user.language
        if entry is None:
            await message.reply_text(t(language, "entry_missing"))
            return
        if len(text) > MAX_DIARY_CHARS:
            await message.reply_text(t(language, "caption_too_long", limit=MAX_DIARY_CHARS))
            return
        try:
            edited = await self.diary.edit_text(account, entry, text, sent_at)
        except DatePrefixError as exc:
            await message.reply_text(t(language, _date_error_key(exc)))
            return
        if edited is None:
            await message.reply_text(t(language, "entry_missing"))
            return
        if not edited.changed:
            return  # Telegram also sends an edit for changes that are not words (nothing to do)
        await once(
            "entry-edit",
            lambda: message.reply_text(
                t(language, "entry_text_saved")
                + "\n\n"
                + render.post_text(language, edited.entry, edited.entry.anna_comment),
                parse_mode=HTML,
                reply_markup=self._post_keyboard(account, edited.entry),
            ),
        )

    async def listen(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, account: Account, entry_id: str
    ) -> None:
        """🔊: Anna's comment on the entry as a voice note (synthesised once, then cached)."""
        query = update.callback_query
        assert query is not None
        language = account.user.language
        entry = await self.diary.entry(account.user.id, entry_id)
        if entry is None:
            await query.answer(t(language, "entry_missing"), show_alert=True)
            return
        if not entry.anna_comment:
            await query.answer(t(language, "anna_later"), show_alert=True)
            return
        if self.voice is None or not isinstance(query.message, Message):
            await query.answer(t(language, "voice_unavailable"), show_alert=True)
            return
        if not self.voice.speaks(language):  # Korean offline: say why instead of sending noise
            await query.answer(t(language, "voice_no_voice"), show_alert=True)
            return
        await query.answer()
        if not await self._speak(
            query.message,
            language,
            lambda voice: voice.entry_comment(self.diary.repo, account, entry),
        ):
            await query.message.reply_text(t(language, "voice_unavailable"))

    # -- everything else ------------------------------------------------------------------

    async def voice_note(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A voice note: transcribed, then the diary text of a pending post or a chat message."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        account = await self._require_account(update)
        if account is None:
            return
        language = account.user.language
        media = message.voice or message.audio
        assert media is not None
        if self.voice is None:
            await message.reply_text(t(language, "voice_failed"))
            return
        try:
            self.voice.limits.check_declared(
                duration_s=_seconds(media.duration), size_bytes=media.file_size
            )
        except (AudioTooLong, AudioTooLarge):
            await message.reply_text(
                t(language, "voice_too_long", limit=int(self.voice.limits.max_seconds))
            )
            return
        await _typing(message, ChatAction.TYPING)
        try:
            audio = await _download(context, media.file_id)
            heard = await self.voice.hear(account, audio)
        except (AudioTooLong, AudioTooLarge, FileTooBig):
            await message.reply_text(
                t(language, "voice_too_long", limit=int(self.voice.limits.max_seconds))
            )
            return
        except (SpeechError, OSError, RuntimeError) as exc:
            log.warning("transcription failed: %s", type(exc).__name__)
            await message.reply_text(t(language, "voice_failed"))
            return
        if isinstance(heard, NothingHeard) or not heard.text.strip():
            await message.reply_text(t(language, "voice_unheard"))
            return
        session = await self.diary.repo.get_session(user.id)
        if session.get("awaiting") == "diary":
            await self._finish_draft(update, context, account, session, heard.text.strip())
            return
        await self._chat(message, account, heard.text.strip(), from_voice=True)

    # -- reminders and summaries (bot/reminders.py) ---------------------------------------

    async def reminders(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        if account is not None and self.schedule is not None:
            await self.schedule.reminders(update, account)

    async def summary(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        if account is not None and self.schedule is not None:
            await self.schedule.summary(update, context, account)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                t(self._language(update, await self._account(update)), "help")
            )

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            language = self._language(update, await self._account(update))
            await update.effective_message.reply_text(t(language, "unknown_command"))

    async def unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            language = self._language(update, await self._account(update))
            await update.effective_message.reply_text(t(language, "unsupported"))

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited caption or diary text edits its entry, by the rules of a new post: a
        leading date moves it, none keeps the day the message was sent. Any other edited
        message is answered: it changes nothing."""
        message = update.edited_message
        if message is None:
            return
        account = await self._account(update)
        language = self._language(update, account)
        entry = None
        if account is not None:
            entry = await self.diary.entry_by_message(account.user.id, message.message_id)
        words = message.caption if message.caption is not None else message.text
        if account is None or entry is None or words is None:
            await message.reply_text(t(language, "edits_ignored"))
            return
        await self._apply_text_edit(message, account, entry, words, message.date)

    async def not_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups and channels: say once that Facelog only works one to one, then stay quiet."""
        chat = update.effective_chat
        if chat is None or chat.id in self.warned_groups or chat.type == ChatType.CHANNEL:
            return
        self.warned_groups.add(chat.id)
        language = self._language(update)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat.id, t(language, "private_only"))

    # -- /import (#26): the logic is Telegram-free, in facelog/importer.py -------------------

    async def import_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._require_account(update)
        if account is not None and update.effective_message is not None:
            await update.effective_message.reply_text(t(account.user.language, "import_send"))

    async def import_zip(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A ZIP sent as a document: checked whole, then imported, or refused with the reason."""
        account = await self._require_account(update)
        message = update.effective_message
        if account is None or message is None or message.document is None:
            return
        language, user_id = account.user.language, account.user.id
        if (message.document.file_size or 0) > MAX_ZIP_BYTES:
            await message.reply_text(t(language, "import_too_big"))
            return
        try:
            data = await _download(context, message.document.file_id)
        except FileTooBig:
            await message.reply_text(t(language, "import_too_big"))
            return
        try:
            entries = await asyncio.to_thread(read_export, data, user_id)
        except ImportRefused as refused:
            await message.reply_text(t(language, f"import_{refused.reason}"))
            return
        try:
            report = await import_entries(self.diary.repo, user_id, entries)
        except StorageError:
            await message.reply_text(t(language, "import_failed"))
            return
        await message.reply_text(
            t(language, "import_done", imported=report.imported, skipped=report.skipped)
        )
        if report.imported:  # the person's own words about those entries teach again
            await self.diary.learning.refit(account)


def _seconds(duration: int | timedelta | None) -> float | None:
    """python-telegram-bot gives durations as int seconds or timedelta, by configuration."""
    return duration.total_seconds() if isinstance(duration, timedelta) else duration


def _is_calendar(message: object) -> bool:
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    rows = message.reply_markup.inline_keyboard
    return bool(rows) and bool(rows[0]) and rows[0][0].text == "◀"


def _date_error_key(error: DatePrefixError) -> str:
    """The answer to a date prefix a post or an edit cannot use."""
    return "future_date" if error.reason == "future" else "bad_date"


def _image_error_key(error: ImageError) -> str:
    if isinstance(error, EmptyImage):
        return "image_empty"
    if isinstance(error, ImageTooLarge):
        return "image_too_large"
    return "image_unreadable"


class FileTooBig(Exception):
    """Telegram hands bots files of up to 20 MB; a message need not say how big its file is."""


async def _download(context: ContextTypes.DEFAULT_TYPE, file_id: str) -> bytes:
    try:
        file = await context.bot.get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            raise FileTooBig from None
        raise
    return bytes(await file.download_as_bytearray())


async def _typing(message: Message, action: str) -> None:
    with contextlib.suppress(TelegramError):
        await message.chat.send_action(action)


async def _edit_markup(query: CallbackQuery, keyboard: InlineKeyboardMarkup) -> None:
    with contextlib.suppress(BadRequest):  # "message is not modified" on a double tap
        await query.edit_message_reply_markup(keyboard)


async def _edit(message: object, text: str) -> None:
    if isinstance(message, Message):
        with contextlib.suppress(BadRequest, Forbidden):
            await message.edit_text(text)


__all__ = ["Application", "Handlers"]
