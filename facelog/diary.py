"""The diary's use cases, Telegram-free: what the bot, the CLI and the tests all call.

A post is stored before Anna is asked, so a slow or failing LLM can delay her comment but never
lose the entry; the idempotency key (the Telegram update) makes a redelivered post return the
same entry instead of a second one.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from facelog.anna import (
    Anna,
    ChatRequest,
    CommentRequest,
    CorrectionRequest,
    GreetingRequest,
    History,
    PastEntry,
    Profile,
)
from facelog.anna import ChatTurn as AnnaTurn
from facelog.anna.lexicon import disagrees
from facelog.charts import emotion_chart
from facelog.dates import split_date_prefix
from facelog.domain import (
    Account,
    AnnaSettings,
    EmotionCounts,
    Entry,
    Language,
    Month,
    ReminderSettings,
    User,
)
from facelog.i18n import emotion_name, t
from facelog.learning import ZERO, Learning, apply
from inference.analyzer import FaceAnalyzer
from inference.labels import EMOTIONS, Emotion
from inference.pipeline import Analysis
from storage import Repository

log = logging.getLogger(__name__)

#: How many earlier entries and chat turns Anna sees (the prompt trims to its token budget).
RECENT_ENTRIES = 5
RECENT_TURNS = 12
#: Longest diary text accepted (Telegram captions stop at 1 024, messages at 4 096).
MAX_DIARY_CHARS = 4000
DEFAULT_ZONES: dict[Language, str] = {"ko": "Asia/Seoul", "en": "UTC"}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Reading:
    """What the face pipeline said about a photo, in the form a post stores it.

    ``probabilities`` are the classifier's own (what calibration learns from); ``emotion`` and
    ``confidence`` are the reading shown, after the person's calibration (``bias``).
    """

    emotion: Emotion
    probabilities: dict[str, float]
    faces: int
    confidence: float

    @classmethod
    def of(cls, analysis: Analysis, bias: Sequence[float] = ZERO) -> Reading:
        probs = {e.value: round(p, 4) for e, p in analysis.probabilities.items()}
        if analysis.face is not None:
            probs["other"] = round(analysis.face.other, 4)
        shown = apply(probs, bias)
        return cls(shown.emotion, probs, analysis.faces, round(shown.confidence, 4))


@dataclass(frozen=True)
class Edited:
    """The outcome of changing an entry: the entry as stored now, and whether anything moved
    (a double tap, or an edit to the same words, changes nothing and says nothing twice)."""

    entry: Entry
    changed: bool


@dataclass(frozen=True)
class Stats:
    counts: EmotionCounts
    chart_png: bytes | None


def profile_of(account: Account) -> Profile:
    anna = account.anna
    return Profile(
        name=account.user.name,
        intro=account.user.intro,
        language=account.user.language,
        attitude=anna.attitude,  # type: ignore[arg-type]
        composition=anna.composition,  # type: ignore[arg-type]
        intensity=anna.intensity,  # type: ignore[arg-type]
        length=anna.length,  # type: ignore[arg-type]
    )


class DiaryService:
    """Owns no Telegram object: takes plain values, returns domain values."""

    def __init__(
        self,
        repo: Repository,
        pipeline: FaceAnalyzer,
        anna: Anna,
        *,
        clock: Callable[[], datetime] = utc_now,
        learning: Learning | None = None,
    ) -> None:
        self.repo = repo
        self.pipeline = pipeline
        self.anna = anna
        self.clock = clock
        self.learning = learning or Learning(repo, clock=clock)

    # -- accounts -------------------------------------------------------------------------

    async def account(self, user_id: int) -> Account | None:
        return await self.repo.get_account(user_id)

    async def register(self, user_id: int, name: str, language: Language) -> Account:
        """Create the user after onboarding's name step; the daily reminder starts on."""
        zone = DEFAULT_ZONES[language]
        user = User(
            id=user_id, name=name, created_at=self.clock(), language=language, time_zone=zone
        )
        await self.repo.save_user(user)
        await self.repo.set_reminder_settings(user_id, ReminderSettings(True, 21, 0, zone))
        account = await self.repo.get_account(user_id)
        assert account is not None
        return account

    async def update_user(self, account: Account, **changes: object) -> Account:
        """Save changed user fields (validated by ``User`` itself); entries are untouched."""
        await self.repo.save_user(replace(account.user, **changes))  # type: ignore[arg-type]
        updated = await self.repo.get_account(account.user.id)
        assert updated is not None
        return updated

    async def set_anna_settings(self, user_id: int, settings: AnnaSettings) -> None:
        await self.repo.set_anna_settings(user_id, settings)

    async def set_reminder(self, account: Account, **changes: object) -> Account:
        """Change the daily reminder (validated by ``ReminderSettings``). A new time zone is the
        user's zone too: the day an entry belongs to and the reminder's hour must agree."""
        reminder = replace(account.reminder, **changes)  # type: ignore[arg-type]
        if reminder.time_zone != account.user.time_zone:
            await self.repo.save_user(replace(account.user, time_zone=reminder.time_zone))
        await self.repo.set_reminder_settings(account.user.id, reminder)
        updated = await self.repo.get_account(account.user.id)
        assert updated is not None
        return updated

    def today(self, account: Account) -> date:
        return self.clock().astimezone(account.user.zone).date()

    # -- posts ----------------------------------------------------------------------------

    async def analyze(self, photo: bytes) -> Analysis:
        """The face pipeline; raises ``ImageError`` for what is not a usable photo."""
        return await self.pipeline.analyze(photo)

    async def read(self, account: Account, analysis: Analysis) -> Reading:
        """The reading to show this person: the face's, under what Facelog learned of them."""
        return Reading.of(analysis, await self.learning.bias(account))

    async def history(self, account: Account) -> History:
        entries = await self.repo.recent_entries(account.user.id, RECENT_ENTRIES)
        turns = await self.repo.chat_history(account.user.id, RECENT_TURNS)
        return History(
            entries=tuple(PastEntry(e.day, e.emotion, e.text[:200]) for e in entries),
            turns=tuple(AnnaTurn(turn.role, turn.text) for turn in turns),
        )

    def entry_day(self, account: Account, text: str, sent_at: datetime) -> tuple[date, str]:
        """The day an entry belongs to and its text: a date prefix backdates it.

        Raises ``DatePrefixError`` for a date that does not exist or lies in the future.
        """
        today = sent_at.astimezone(account.user.zone).date()
        dated = split_date_prefix(text, today)
        return dated.day or today, dated.text

    async def post(
        self,
        account: Account,
        photo: bytes,
        reading: Reading,
        day: date,
        text: str,
        *,
        key: str | None = None,
        message_ids: Sequence[int] = (),
    ) -> Entry:
        """Store the entry (once per ``key``); Anna's comment is added by :meth:`comment`.

        ``message_ids`` are the person's chat messages it came from (photo, caption, diary
        text), so that editing one of them edits this entry.
        """
        return await self.repo.create_entry(
            account.user.id,
            day=day,
            emotion=reading.emotion,
            probabilities=reading.probabilities,
            faces=reading.faces,
            text=text[:MAX_DIARY_CHARS],
            photo=photo,
            idempotency_key=key,
            face_emotion=reading.emotion,
            face_confidence=reading.confidence,
            message_ids=message_ids,
        )

    async def after_post(self, account: Account) -> None:
        """Learn from a reading the person saw (see :meth:`Learning.after_post`); never fails
        the post it follows."""
        try:
            await self.learning.after_post(account)
        except Exception as exc:  # learning is optional: the entry is stored and answered
            log.warning("calibration refit after a post failed: %s", type(exc).__name__)

    # -- the person has the last word ------------------------------------------------------

    # The entry passed to these is the person's own, as :meth:`entry` (or
    # :meth:`entry_by_message`) read it: the lookup is what scopes a press to its presser.

    async def set_emotion(self, account: Account, entry: Entry, emotion: Emotion) -> Edited | None:
        """The person names the entry's emotion; their calibration learns from it.

        None when the entry is gone. Choosing the emotion the entry already has by the person's
        word changes nothing; choosing what the face read makes the person's word agree with it
        (still a label: "yes, that was it").
        """
        if entry.by_person and entry.emotion == emotion:
            return Edited(entry, changed=False)
        updated = await self.repo.update_entry(
            account.user.id, entry, emotion=emotion, emotion_source="person"
        )
        if updated is None:
            return None
        await self.learning.refit(account)
        return Edited(updated, changed=True)

    async def edit_text(
        self, account: Account, entry: Entry, text: str, sent_at: datetime | None
    ) -> Edited | None:
        """New words for an entry, with the date-prefix rules of a new post: a leading date
        moves the entry to that day. Without one, an edited caption or diary message
        (``sent_at``: the message's own date) files the entry under that message's day, as the
        post did; words typed after 📝 (``sent_at`` None) keep the entry's day. Raises
        ``DatePrefixError`` like a post."""
        if sent_at is not None:
            day, words = self.entry_day(account, text.strip(), sent_at)
        else:
            dated = split_date_prefix(text.strip(), self.today(account))
            day, words = dated.day or entry.day, dated.text
        words = words[:MAX_DIARY_CHARS]
        if (day, words) == (entry.day, entry.text):
            return Edited(entry, changed=False)
        updated = await self.repo.update_entry(account.user.id, entry, text=words, day=day)
        return None if updated is None else Edited(updated, changed=True)

    async def move(self, account: Account, entry: Entry, day: date) -> Edited | None:
        """Move an entry to another day (never into the future of the person's today)."""
        if day > self.today(account) or day == entry.day:
            return Edited(entry, changed=False)
        updated = await self.repo.update_entry(account.user.id, entry, day=day)
        return None if updated is None else Edited(updated, changed=True)

    async def delete_entry(self, account: Account, entry: Entry) -> bool:
        """Erase one entry with its photo, voice note and Anna's comment, and take its label
        out of the person's calibration. False if it was already gone (a double tap)."""
        if not await self.repo.delete_entry(account.user.id, entry.id):
            return False
        await self.learning.refit(account)
        return True

    async def correction_line(self, account: Account, entry: Entry) -> str:
        """Anna's one short line after the person named the entry's emotion (offline writer
        when no LLM answers). Not kept in the chat history: it is about the entry, not a turn
        of the conversation."""
        request = CorrectionRequest(
            profile=profile_of(account),
            face=entry.face,
            chosen=entry.emotion,
            text=entry.text,
            day=entry.day,
        )
        return (await self.anna.reply(request)).text

    @staticmethod
    def disagreement(account: Account, entry: Entry) -> Emotion | None:
        """The words' emotion when it differs from the face's (Anna asks about it, and the
        reply offers the four emotions so the person can answer with one tap)."""
        if entry.by_person:
            return None
        return disagrees(entry.emotion, entry.text, account.user.language)

    async def entry_by_message(self, user_id: int, message_id: int) -> Entry | None:
        return await self.repo.entry_by_message(user_id, message_id)

    async def comment(self, account: Account, entry: Entry) -> str:
        """Anna's comment on a stored entry, saved with it (offline writer if the LLM fails).

        Waits for the LLM's whole deadline; the bot uses ``facelog.followups`` instead, which
        answers the post at once and lets a late comment follow.
        """
        if entry.anna_comment:
            return entry.anna_comment
        reply = await self.anna.comment(await self.comment_request(account, entry))
        await self.save_comment(account.user.id, entry.id, reply.text)
        return reply.text

    async def comment_request(self, account: Account, entry: Entry) -> CommentRequest:
        """What Anna is asked about a stored entry (the entry itself left out of its history)."""
        history = await self.history(account)
        past = tuple(
            p for p in history.entries if not (p.day == entry.day and p.text == entry.text)
        )
        return CommentRequest(
            profile=profile_of(account),
            emotion=entry.emotion,
            confidence=entry.confidence,
            text=entry.text,
            day=entry.day,
            history=History(past, history.turns),
        )

    async def save_comment(self, user_id: int, entry_id: str, text: str) -> bool:
        """Store Anna's comment with the entry; False when the entry is gone (erased meanwhile)."""
        return await self.repo.set_anna_comment(user_id, entry_id, text)

    async def greeting(self, account: Account, reading: Reading) -> str:
        request = GreetingRequest(
            profile=profile_of(account),
            emotion=reading.emotion,
            confidence=reading.confidence,
            day=self.today(account),
            history=await self.history(account),
        )
        reply = await self.anna.greeting(request)
        await self.repo.append_chat(account.user.id, "anna", reply.text)
        return reply.text

    async def chat(self, account: Account, message: str, *, from_voice: bool = False) -> str:
        history = await self.history(account)
        request = ChatRequest(
            profile=profile_of(account),
            message=message[:MAX_DIARY_CHARS],
            day=self.today(account),
            history=history,
            from_voice=from_voice,
        )
        reply = await self.anna.chat(request)
        await self.repo.append_chat(account.user.id, "user", message[:MAX_DIARY_CHARS])
        await self.repo.append_chat(account.user.id, "anna", reply.text)
        return reply.text

    # -- browsing -------------------------------------------------------------------------

    async def month(self, user_id: int, month: Month) -> list[Entry]:
        return await self.repo.list_month(user_id, month)

    async def day(self, user_id: int, day: date) -> list[Entry]:
        return await self.repo.list_day(user_id, day)

    async def entry(self, user_id: int, entry_id: str) -> Entry | None:
        return await self.repo.get_entry(user_id, entry_id)

    async def photo(self, user_id: int, entry_id: str) -> bytes | None:
        return await self.repo.get_photo(user_id, entry_id)

    async def stats(self, account: Account) -> Stats:
        """Cumulative counts, and a chart of them with the current month's days."""
        counts = await self.repo.emotion_counts(account.user.id)
        if not counts.total:
            return Stats(counts, None)
        month = Month.of(self.today(account))
        days = [(e.day, e.emotion) for e in await self.repo.list_month(account.user.id, month)]
        language = account.user.language
        labels = {e: emotion_name(language, e) for e in counts.counts}
        chart = emotion_chart(
            counts.counts,
            days,
            labels,
            t(language, "chart_counts"),
            t(language, "chart_days", month=str(month)),
        )
        return Stats(counts, chart)

    # -- export and erasure ---------------------------------------------------------------

    async def export(self, user_id: int) -> tuple[bytes, int]:
        """A ZIP of everything stored about the user: entries.json, entries.csv, photos/."""
        data = await self.repo.export_user(user_id)
        buffer = io.BytesIO()
        rows = []
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in data.entries:
                entry = item.entry
                photo_name = f"photos/{entry.day.isoformat()}_{entry.id}.jpg"
                archive.writestr(photo_name, item.photo)
                voice_name = None
                if item.voice is not None:
                    voice_name = f"voice/{entry.day.isoformat()}_{entry.id}.ogg"
                    archive.writestr(voice_name, item.voice)
                rows.append(
                    {
                        "id": entry.id,
                        "date": entry.day.isoformat(),
                        "created_at": entry.created_at.isoformat(),
                        "emotion": entry.emotion.value,
                        "face_emotion": entry.face.value,
                        "emotion_source": entry.emotion_source,
                        "confidence": round(entry.face_confidence or 0.0, 4),
                        "probabilities": dict(entry.probabilities),
                        "faces": entry.faces,
                        "text": entry.text,
                        "anna_comment": entry.anna_comment,
                        "photo": photo_name,
                        "voice": voice_name,
                    }
                )
            profile = None
            if data.account is not None:
                user, anna = data.account.user, data.account.anna
                profile = {
                    "name": user.name,
                    "intro": user.intro,
                    "language": user.language,
                    "time_zone": user.time_zone,
                    "settings": {
                        "attitude": anna.attitude,
                        "composition": sorted(anna.composition),
                        "intensity": anna.intensity,
                        "length": anna.length,
                        "voice_replies": anna.voice_replies,
                    },
                }
            chat = [{"role": c.role, "text": c.text, "at": c.at.isoformat()} for c in data.chat]
            learned = None
            if data.learned is not None:
                learned = {
                    "bias": dict(zip([e.value for e in EMOTIONS], data.learned.bias, strict=True)),
                    "corrections": data.learned.corrections,
                    "confirmations": data.learned.confirmations,
                    "updated_at": data.learned.updated_at.isoformat(),
                }
            # user_id: /import refuses an export made for another account (facelog/importer.py).
            document = {
                "user_id": user_id,
                "profile": profile,
                "entries": rows,
                "chat": chat,
                "calibration": learned,
            }
            archive.writestr("entries.json", json.dumps(document, ensure_ascii=False, indent=2))
            table = io.StringIO()
            columns = [
                "id",
                "date",
                "created_at",
                "emotion",
                "face_emotion",
                "emotion_source",
                "confidence",
                "faces",
                "text",
                "anna_comment",
                "photo",
                "voice",
            ]
            writer = csv.DictWriter(table, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr("entries.csv", "\ufeff" + table.getvalue())  # BOM: Excel reads UTF-8
        return buffer.getvalue(), len(rows)

    async def delete(self, user_id: int) -> int:
        removed = await self.repo.delete_user(user_id)
        await self.repo.clear_session(user_id)
        return removed
