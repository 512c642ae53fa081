"""When a scheduled send is due: pure functions of the user's settings and "now".

Everything the scheduler decides about time lives here so it can be tested with plain datetimes.
A job is identified by its *period* (the local date of a reminder, the month of a summary); the
sent-log in storage is keyed by that period, which is what makes a send happen at most once.

Local wall-clock times go through :mod:`zoneinfo` with ``fold=0``: a reminder set inside a
spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) fires at the same
instant as 03:30 would, and one set inside the repeated autumn hour fires at its first
occurrence — once, because the period is the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from facelog.domain import Month, ReminderSettings

#: A reminder missed while the bot was down is still sent up to this long after its time.
REMINDER_GRACE = timedelta(hours=2)
#: A monthly summary missed while the bot was down is still sent up to this long after its time.
SUMMARY_GRACE = timedelta(days=3)
#: Monthly summaries go out on the 1st at this local time (about the previous month).
SUMMARY_LOCAL_TIME = time(9, 0)


@dataclass(frozen=True)
class Occurrence:
    """One due send: the period it belongs to and the UTC instant it was meant for."""

    period: str
    at: datetime
    local_day: date


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (gaps resolve forward, repeats to the first)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _due(
    candidates: list[tuple[str, date, datetime]], now: datetime, grace: timedelta
) -> Occurrence | None:
    """The latest candidate whose instant has passed but not by more than ``grace``."""
    best: Occurrence | None = None
    for period, day, at in candidates:
        if at <= now < at + grace and (best is None or at > best.at):
            best = Occurrence(period, at, day)
    return best


def due_reminder(settings: ReminderSettings, now: datetime) -> Occurrence | None:
    """Today's (or, just after midnight, yesterday's) reminder if it is due at ``now``."""
    if not settings.enabled:
        return None
    zone = settings.zone
    today = now.astimezone(zone).date()
    at = time(settings.hour, settings.minute)
    candidates = [
        (day.isoformat(), day, local_instant(day, at, zone))
        for day in (today - timedelta(days=1), today)
    ]
    return _due(candidates, now, REMINDER_GRACE)


def due_summary(zone: ZoneInfo, now: datetime) -> Occurrence | None:
    """The summary of the previous month if the 1st's morning has come (and not long gone).

    The period is the month summarised (``"2024-05"`` for the one sent on 1 June).
    """
    this_month = Month.of(now.astimezone(zone).date())
    candidates = []
    for month in (this_month.previous(), this_month):
        first = month.first_day
        candidates.append(
            (str(month.previous()), first, local_instant(first, SUMMARY_LOCAL_TIME, zone))
        )
    return _due(candidates, now, SUMMARY_GRACE)


def next_reminder(settings: ReminderSettings, now: datetime) -> datetime | None:
    """The next instant a reminder will be sent (for "next reminder: …" in ``/reminders``)."""
    if not settings.enabled:
        return None
    zone = settings.zone
    today = now.astimezone(zone).date()
    at = time(settings.hour, settings.minute)
    for offset in (0, 1, 2):
        instant = local_instant(today + timedelta(days=offset), at, zone)
        if instant > now:
            return instant
    raise AssertionError("a local time recurs within two days")
