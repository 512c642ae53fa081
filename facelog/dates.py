"""Reading the optional date at the start of a caption, to backdate an entry.

``2024-06-02 오늘은…`` or ``6/2 오늘은…`` file the entry under that day. Without a year the most
recent such day is meant (a diary looks back, not ahead). A prefix that looks like a date but is
not one (``2/30``) or lies in the future is an error the user hears about, not a silent guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_FULL = re.compile(r"^\s*(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)[\s,:.\-–—]*", re.ASCII)
_SHORT = re.compile(r"^\s*(\d{1,2})/(\d{1,2})(?![\d/])[\s,:.\-–—]*", re.ASCII)
#: How far back a backdated entry may go; older dates are almost certainly typos.
OLDEST_YEAR = 1970


class DatePrefixError(ValueError):
    """The caption starts with something date-like that is not a usable day."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "future"


@dataclass(frozen=True)
class Dated:
    day: date | None  # None: no prefix, the message's own day applies
    text: str


def split_date_prefix(text: str, today: date) -> Dated:
    """Split ``text`` into an optional backdating day and the diary text after it."""
    full = _FULL.match(text)
    if full:
        year, month, day = (int(g) for g in full.groups())
        return Dated(_checked(year, month, day, today), text[full.end() :].strip())
    short = _SHORT.match(text)
    if short:
        month, day = (int(g) for g in short.groups())
        try:
            candidate = date(today.year, month, day)
        except ValueError:
            # 2/29 outside a leap year may still be last leap year's day.
            candidate = _checked(today.year - 1, month, day, today)
        if candidate > today:
            candidate = _checked(today.year - 1, month, day, today)
        return Dated(candidate, text[short.end() :].strip())
    return Dated(None, text.strip())


def _checked(year: int, month: int, day: int, today: date) -> date:
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise DatePrefixError("invalid") from exc
    if value.year < OLDEST_YEAR:
        raise DatePrefixError("invalid")
    if value > today:
        raise DatePrefixError("future")
    return value
