"""Every user-facing string, looked up by key in the user's language."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from facelog.domain import Language, Month
from facelog.locales import en, ko
from inference.labels import Emotion

CATALOGUES: dict[Language, dict[str, str]] = {"ko": ko.MESSAGES, "en": en.MESSAGES}
EMOJI: dict[Emotion, str] = {
    Emotion.ANGER: "😠",
    Emotion.HAPPY: "😊",
    Emotion.PANIC: "😳",
    Emotion.SADNESS: "😢",
}


def language_of(code: str | None) -> Language:
    """The catalogue for a Telegram ``language_code``: Korean for ``ko*``, English otherwise."""
    return "ko" if (code or "").lower().startswith("ko") else "en"


def t(language: Language, key: str, **values: Any) -> str:
    """The message ``key`` in ``language``, with its placeholders filled."""
    text = CATALOGUES[language][key]
    return text.format(**values) if values else text


def emotion_name(language: Language, emotion: Emotion) -> str:
    return t(language, f"emotion_{emotion.value}")


def format_month(language: Language, month: Month) -> str:
    """ "2026년 10월" / "October 2026": a month as the summary names it."""
    return t(
        language,
        "month_label",
        year=month.year,
        month=month.month,
        month_name=calendar.month_name[month.month],
    )


def format_day(language: Language, day: date) -> str:
    return t(
        language,
        "date_format",
        year=day.year,
        month=day.month,
        day=day.day,
        month_name=calendar.month_name[day.month],
    )
