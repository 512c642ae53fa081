"""The monthly summary and the daily reminder's words: Telegram-free, shared by bot and scheduler.

A summary is built from stored entries only (the numbers a user sees always match their diary);
Anna's letter goes through the same :class:`~facelog.anna.Anna` interface as her comments, so
the LLM, its fallbacks and the offline writer behave the same here.

The chart is drawn separately (:func:`render_chart`) because it is the expensive part (about
50 ms of CPU per image): the scheduler renders many in a process pool while it sends, and
``/summary`` renders one in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from facelog.anna import Anna, History, LetterRequest, PastEntry
from facelog.charts import emotion_chart
from facelog.diary import profile_of
from facelog.domain import Account, EmotionCounts, Language, Month
from facelog.i18n import EMOJI, emotion_name, t
from inference.labels import EMOTIONS, Emotion
from storage import Repository

#: How many of the month's entries Anna's letter may quote from (the newest ones).
LETTER_ENTRIES = 5
#: How many differently worded reminders each catalogue has (``reminder_0`` …).
REMINDER_VARIANTS = 6


@dataclass(frozen=True)
class MonthlySummary:
    """One month of one person's diary, as the summary message shows it."""

    month: Month
    counts: EmotionCounts
    previous: EmotionCounts
    days: tuple[tuple[date, Emotion], ...]
    letter: str

    @property
    def entries(self) -> int:
        return self.counts.total

    @property
    def dominant(self) -> Emotion | None:
        return self.counts.dominant

    def change(self, emotion: Emotion) -> int:
        """Entries with ``emotion`` this month minus the previous month."""
        return self.counts[emotion] - self.previous[emotion]


@dataclass(frozen=True)
class ChartSpec:
    """Everything the chart needs, as plain picklable values (it may be drawn in a subprocess)."""

    counts: Mapping[Emotion, int]
    days: Sequence[tuple[date, Emotion]]
    labels: Mapping[Emotion, str]
    counts_title: str
    days_title: str


def chart_spec(summary: MonthlySummary, language: Language) -> ChartSpec:
    return ChartSpec(
        counts=summary.counts.as_dict(),
        days=summary.days,
        labels={e: emotion_name(language, e) for e in EMOTIONS},
        counts_title=t(language, "chart_counts_month", month=str(summary.month)),
        days_title=t(language, "chart_days", month=str(summary.month)),
    )


def render_chart(spec: ChartSpec) -> bytes:
    """The summary's PNG; a top-level function so a process pool can run it."""
    return emotion_chart(spec.counts, spec.days, spec.labels, spec.counts_title, spec.days_title)


async def render_in_thread(spec: ChartSpec) -> bytes:
    """One chart off the event loop (``/summary``); the monthly run uses a process pool."""
    return await asyncio.to_thread(render_chart, spec)


class SummaryService:
    """Builds monthly summaries from the repository and Anna."""

    def __init__(self, repo: Repository, anna: Anna) -> None:
        self.repo = repo
        self.anna = anna

    async def build(self, account: Account, month: Month) -> MonthlySummary:
        """The summary of ``month`` for ``account`` (an empty month gives zero counts)."""
        user_id = account.user.id
        entries = await self.repo.list_month(user_id, month)
        counts = EmotionCounts.of(e.emotion for e in entries)
        previous = await self.repo.emotion_counts(user_id, month.previous())
        recent = entries[-LETTER_ENTRIES:]
        request = LetterRequest(
            profile=profile_of(account),
            month=month.first_day,
            counts=counts.as_dict(),
            previous=previous.as_dict() if previous.total else None,
            history=History(
                entries=tuple(PastEntry(e.day, e.emotion, e.text[:200]) for e in recent)
            ),
        )
        letter = (await self.anna.letter(request)).text if counts.total else ""
        return MonthlySummary(
            month=month,
            counts=counts,
            previous=previous,
            days=tuple((e.day, e.emotion) for e in entries),
            letter=letter,
        )


def top_emotions(counts: Mapping[Emotion, int]) -> tuple[Emotion, ...]:
    """The most frequent emotions, in ``EMOTIONS`` order: several on a tie, none when empty."""
    most = max((counts.get(e, 0) for e in EMOTIONS), default=0)
    if most <= 0:
        return ()
    return tuple(e for e in EMOTIONS if counts.get(e, 0) == most)


def dominant_line(
    language: Language, counts: Mapping[Emotion, int], key: str = "summary_dominant"
) -> str | None:
    """ "가장 많이 느낀 감정: 😠 분노", or on a tie every tied emotion and the word "tied".

    A tie used to be shown as whichever emotion comes first in ``EMOTIONS`` (one anger and one
    happy day read as "mostly anger"), which the letter then contradicted; the numbers a person
    sees must say what the diary says. ``key`` picks the summary's or /stats' wording.
    """
    top = top_emotions(counts)
    if not top:
        return None
    if len(top) == 1:
        return t(language, key, emoji=EMOJI[top[0]], emotion=emotion_name(language, top[0]))
    names = [f"{EMOJI[e]} {emotion_name(language, e)}" for e in top]
    joined = " · ".join(names) if language == "ko" else _and(names)
    return t(language, f"{key}_tie", emotions=joined)


def _and(names: list[str]) -> str:
    """ "a and b", "a, b and c"."""
    return ", ".join(names[:-1]) + " and " + names[-1]


def reminder_text(language: Language, name: str, user_id: int, day: date) -> str:
    """One of several friendly reminders, varied by day but stable for a given user and day.

    Stable so a retried send says the same thing; varied so a daily nudge does not read like a
    machine's. The choice hashes (user, day) — never shown, never logged.
    """
    digest = hashlib.blake2s(f"{user_id}:{day.isoformat()}".encode(), digest_size=2).digest()
    variant = int.from_bytes(digest, "big") % REMINDER_VARIANTS
    return t(language, f"reminder_{variant}", name=name)
