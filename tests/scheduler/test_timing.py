"""When reminders and summaries are due: local wall-clock times, DST, grace periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facelog.domain import ReminderSettings
from scheduler.timing import (
    REMINDER_GRACE,
    due_reminder,
    due_summary,
    next_reminder,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "hour", "minute", "fires_at"),
    [
        ("Asia/Seoul", 21, 0, utc(2026, 6, 2, 12, 0)),  # UTC+9
        ("America/New_York", 21, 0, utc(2026, 6, 3, 1, 0)),  # EDT, UTC-4: next UTC day
        ("Europe/London", 8, 30, utc(2026, 6, 2, 7, 30)),  # BST, UTC+1
        ("Asia/Kolkata", 21, 15, utc(2026, 6, 2, 15, 45)),  # UTC+5:30
    ],
)
def test_a_reminder_is_due_at_the_users_local_time(
    zone: str, hour: int, minute: int, fires_at: datetime
) -> None:
    settings = ReminderSettings(True, hour, minute, zone)
    assert due_reminder(settings, fires_at - timedelta(minutes=1)) is None
    due = due_reminder(settings, fires_at)
    assert due is not None and due.at == fires_at
    assert due.period == fires_at.astimezone(settings.zone).date().isoformat()


def test_spring_forward_gap_fires_once_an_hour_later_in_wall_time() -> None:
    # 2026-03-08: New York jumps from 02:00 to 03:00; 02:30 does not exist that night.
    settings = ReminderSettings(True, 2, 30, "America/New_York")
    due = due_reminder(settings, utc(2026, 3, 8, 7, 30))
    assert due is not None and due.period == "2026-03-08"
    assert due.at == utc(2026, 3, 8, 7, 30)  # = 03:30 EDT
    assert due_reminder(settings, utc(2026, 3, 8, 7, 29)) is None
    # The next day is back to 02:30 local (EDT now): 06:30 UTC.
    assert next_reminder(settings, utc(2026, 3, 8, 8, 0)) == utc(2026, 3, 9, 6, 30)


def test_fall_back_repeated_hour_fires_at_the_first_occurrence_only() -> None:
    # 2026-11-01: New York's 01:00–02:00 happens twice (EDT, then EST).
    settings = ReminderSettings(True, 1, 30, "America/New_York")
    first = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    second = utc(2026, 11, 1, 6, 30)  # 01:30 EST
    due = due_reminder(settings, first)
    assert due is not None and due.at == first
    again = due_reminder(settings, second)
    assert again is not None and again.period == due.period  # same day: the sent-log stops it


def test_seoul_has_no_dst_and_the_day_boundary_is_local() -> None:
    settings = ReminderSettings(True, 23, 30, "Asia/Seoul")
    # 23:30 KST on 2 June is 14:30 UTC; an hour later it is already 3 June in Seoul.
    late = due_reminder(settings, utc(2026, 6, 2, 15, 40))
    assert late is not None and late.period == "2026-06-02" and late.local_day == date(2026, 6, 2)


def test_grace_period_catches_up_then_drops() -> None:
    settings = ReminderSettings(True, 21, 0, "Asia/Seoul")
    at = utc(2026, 6, 2, 12, 0)
    assert due_reminder(settings, at + REMINDER_GRACE - timedelta(seconds=1)) is not None
    assert due_reminder(settings, at + REMINDER_GRACE) is None


def test_switched_off_reminders_are_never_due() -> None:
    settings = ReminderSettings(False, 21, 0, "Asia/Seoul")
    assert due_reminder(settings, utc(2026, 6, 2, 12, 0)) is None
    assert next_reminder(settings, utc(2026, 6, 2, 12, 0)) is None


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["Asia/Seoul", "America/New_York", "Europe/Berlin", "Australia/Sydney"]),
)
def test_next_reminder_is_due_exactly_then(
    naive: datetime, hour: int, minute: int, zone: str
) -> None:
    now = naive.replace(tzinfo=UTC)
    settings = ReminderSettings(True, hour, minute, zone)
    upcoming = next_reminder(settings, now)
    assert upcoming is not None and now < upcoming <= now + timedelta(hours=49)
    due = due_reminder(settings, upcoming)
    assert due is not None and due.at == upcoming


def test_monthly_summary_is_due_on_the_first_at_nine_local_for_three_days() -> None:
    seoul = ReminderSettings(True, 21, 0, "Asia/Seoul").zone
    nine = utc(2026, 11, 1, 0, 0)  # 09:00 KST on 1 November
    assert due_summary(seoul, nine - timedelta(minutes=1)) is None
    due = due_summary(seoul, nine)
    assert due is not None and due.period == "2026-10"
    assert due_summary(seoul, nine + timedelta(days=3) - timedelta(seconds=1)) is not None
    assert due_summary(seoul, nine + timedelta(days=3)) is None
    # January's summary is about December of the year before.
    january = due_summary(seoul, utc(2027, 1, 1, 0, 5))
    assert january is not None and january.period == "2026-12"
