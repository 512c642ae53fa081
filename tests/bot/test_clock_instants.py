"""The day-dependent flows at the instants where "today" is easy to get wrong.

Each case stops the shared clock (tests/clock.py: the diary's, the repository's, the guard's and
the fake Telegram server's message dates) at one risky instant and runs, through the real bot
and the fake Bot API server: the scheduler's reminder pass, a post, ``/calendar``, ``/summary``
and ``/reminders``. The expected local day of every case is written out by hand, not computed
with the product's own arithmetic, and every flow must agree on it: a post filed under one day
while the reminder, the calendar or the summary reckon another is the bug this module hunts.

The clock is stopped rather than left running from the instant: "15:00:00Z − 1 s" must not
turn into the next day because the face pipeline took a second.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ExtBot

from bot import callbacks
from bot.notifier import TelegramNotifier
from facelog.domain import Language, Month
from facelog.i18n import format_day
from facelog.summary import SummaryService, reminder_text
from fakebotapi.driver import TelegramUser
from scheduler.jobs import Jobs
from tests.clock import TestClock, parse_instant

from .conftest import Rig
from .test_diary_flows import onboard

SEOUL = "Asia/Seoul"
NEW_YORK = "America/New_York"


@dataclass(frozen=True)
class Case:
    """At ``instant`` a person in ``zone`` lives on ``day``, in local hour ``hour``."""

    label: str
    instant: str
    zone: str
    day: date
    hour: int

    @property
    def language(self) -> Language:
        return "ko" if self.zone == SEOUL else "en"

    @property
    def at(self) -> datetime:
        return parse_instant(self.instant)


CASES = [
    # A month's last day: from 15:00 UTC Seoul is in the next month, New York is not.
    Case("month end 15:00Z, Seoul", "2027-04-30T15:00:00Z", SEOUL, date(2027, 5, 1), 0),
    Case("month end 15:00Z, New York", "2027-04-30T15:00:00Z", NEW_YORK, date(2027, 4, 30), 11),
    Case("month end 23:59Z, Seoul", "2027-04-30T23:59:00Z", SEOUL, date(2027, 5, 1), 8),
    Case("month end 23:59Z, New York", "2027-04-30T23:59:00Z", NEW_YORK, date(2027, 4, 30), 19),
    # Seoul's midnight, to the second.
    Case("Seoul midnight -1 s", "2027-06-14T14:59:59Z", SEOUL, date(2027, 6, 14), 23),
    Case("Seoul midnight", "2027-06-14T15:00:00Z", SEOUL, date(2027, 6, 15), 0),
    Case("Seoul midnight +1 s", "2027-06-14T15:00:01Z", SEOUL, date(2027, 6, 15), 0),
    Case("Feb 28 → Mar 1, Seoul", "2027-02-28T15:00:00.5Z", SEOUL, date(2027, 3, 1), 0),
    # New York's daylight-saving changes: 02:00 EST → 03:00 EDT, and 02:00 EDT → 01:00 EST.
    Case("spring forward -30 min", "2027-03-14T06:30:00Z", NEW_YORK, date(2027, 3, 14), 1),
    Case("spring forward", "2027-03-14T07:00:00Z", NEW_YORK, date(2027, 3, 14), 3),
    Case("fall back, first 01:30", "2026-11-01T05:30:00Z", NEW_YORK, date(2026, 11, 1), 1),
    Case("fall back", "2026-11-01T06:00:00Z", NEW_YORK, date(2026, 11, 1), 1),
    Case("fall back, second 01:30", "2026-11-01T06:30:00Z", NEW_YORK, date(2026, 11, 1), 1),
    # A leap day.
    Case("Feb 29 2028 begins, Seoul", "2028-02-28T15:00:00Z", SEOUL, date(2028, 2, 29), 0),
    Case("Feb 29 2028 ends, Seoul", "2028-02-29T15:00:00Z", SEOUL, date(2028, 3, 1), 0),
    Case("Feb 29 2028, New York", "2028-02-29T15:00:00Z", NEW_YORK, date(2028, 2, 29), 10),
    # New Year, in both zones.
    Case("Dec 31 -1 s, Seoul", "2026-12-31T14:59:59Z", SEOUL, date(2026, 12, 31), 23),
    Case("Jan 1, Seoul", "2026-12-31T15:00:00Z", SEOUL, date(2027, 1, 1), 0),
    Case("Jan 1 01:00, Seoul", "2026-12-31T16:00:00Z", SEOUL, date(2027, 1, 1), 1),
    Case("Dec 31 -1 s, New York", "2027-01-01T04:59:59Z", NEW_YORK, date(2026, 12, 31), 23),
    Case("Jan 1, New York", "2027-01-01T05:00:00Z", NEW_YORK, date(2027, 1, 1), 0),
]


def shows_month(language: Language, month: Month, text: str) -> bool:
    """Whether ``text`` names ``month`` the way the calendar and the summary do."""
    if language == "ko":
        return f"{month.year}년 {month.month}월" in text
    return f"{calendar.month_name[month.month]} {month.year}" in text


def shows_no_other_month(language: Language, month: Month, text: str) -> bool:
    return not any(shows_month(language, other, text) for other in (month.previous(), month.next()))


async def person_in(rig: Rig, case: Case) -> TelegramUser:
    """A registered person living in ``case.zone`` with the daily reminder at ``case.hour``."""
    user = rig.user(language_code=case.language, first_name="Mia")
    await onboard(user, "미아" if case.language == "ko" else "Mia")
    account = await rig.repo.get_account(user.id)
    assert account is not None
    await rig.diary.set_reminder(
        account, enabled=True, hour=case.hour, minute=0, time_zone=case.zone
    )
    return user


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
async def test_every_flow_agrees_on_the_day_at_a_risky_instant(
    rig: Rig, facelog_clock: TestClock, face_photos: dict[str, bytes], case: Case
) -> None:
    user = await person_in(rig, case)
    assert case.at.astimezone(ZoneInfo(case.zone)).hour == case.hour  # the table is consistent
    language, month = case.language, Month.of(case.day)

    # The scheduler's reminder pass: today's reminder (at the local hour) is due for case.day.
    # From here on the clock stands still at case.instant.
    assert await reminder_pass(rig, facelog_clock, case.instant) == 1
    assert await rig.repo.recorded_jobs([user.id], "reminder", case.day.isoformat()) == {user.id}
    # Its wording is chosen by (person, day): the variant for case.day is the one that came.
    name = "미아" if language == "ko" else "Mia"
    expected = reminder_text(language, name, user.id, case.day)
    await user.wait_for_reply(lambda c: expected in (c.text or ""))

    # A post is filed under the same day (the message's date, in the person's zone).
    await user.send_photo(face_photos["astronaut"], caption="a line for the day")
    [post] = await user.wait_for_reply()
    assert format_day(language, case.day) in (post.text or "")
    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert entry.day == case.day

    # /calendar opens on that day's month, with the post on that day.
    await user.send_command("/calendar")
    [grid] = await user.wait_for_reply()
    assert shows_month(language, month, grid.text or "")
    assert shows_no_other_month(language, month, grid.text or "")
    assert "😊" in user.find_button(callbacks.day(case.day), grid).text

    # /summary without a month is that month, counting the post; the next month is the future.
    await user.send_command("/summary")
    replies = await user.wait_for_reply(lambda c: c.method == "sendPhoto")
    caption = replies[-1].text or ""
    assert shows_month(language, month, caption)
    assert ("일기 1개" if language == "ko" else "Entries: 1") in caption
    await user.send_command("/summary", str(month.next()))
    [future] = await user.wait_for_reply()
    assert ("아직 오지 않은 달" if language == "ko" else "hasn't come yet") in (future.text or "")

    # /reminders: today's has been sent, the next is tomorrow at the same local hour.
    await user.send_command("/reminders")
    [panel] = await user.wait_for_reply()
    tomorrow = case.day + timedelta(days=1)
    assert f"{format_day(language, tomorrow)} {case.hour:02d}:00" in (panel.text or "")


async def reminder_pass(rig: Rig, clock: TestClock, instant: str) -> int:
    """One scheduler pass with the clock stopped at ``instant``; how many reminders it sent."""
    clock.set(parse_instant(instant), running=False)
    extbot: ExtBot[None] = ExtBot(rig.fake.token, base_url=rig.fake.base_url)
    async with extbot:
        jobs = Jobs(rig.repo, SummaryService(rig.repo, rig.diary.anna), TelegramNotifier(extbot))
        report = await jobs.reminders(rig.diary.clock())
    return report.count("sent")


async def test_a_reminder_in_new_yorks_missing_or_repeated_hour_comes_once(
    rig: Rig, facelog_clock: TestClock
) -> None:
    """02:30 does not exist on 2027-03-14 in New York (it is sent at 03:30 EDT, as announced);
    01:30 happens twice on 2026-11-01 (it is sent at the first, not again at the second)."""
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    account = await rig.repo.get_account(user.id)
    assert account is not None
    account = await rig.diary.set_reminder(
        account, enabled=True, hour=2, minute=30, time_zone=NEW_YORK
    )

    facelog_clock.set(parse_instant("2027-03-14T06:30:00Z"), running=False)  # 01:30 EST
    await user.send_command("/reminders")
    [panel] = await user.wait_for_reply()
    assert "Next one: March 14, 2027 03:30" in (panel.text or "")
    sends = [
        await reminder_pass(rig, facelog_clock, instant)
        for instant in ("2027-03-14T06:30:00Z", "2027-03-14T07:30:00Z", "2027-03-14T08:30:00Z")
    ]
    assert sends == [0, 1, 0]
    assert await rig.repo.recorded_jobs([user.id], "reminder", "2027-03-14") == {user.id}

    await rig.diary.set_reminder(account, hour=1, minute=30)
    sends = [
        await reminder_pass(rig, facelog_clock, instant)
        # 00:30 EDT, 01:30 EDT, 01:30 EST (the repeated hour), 02:30 EST
        for instant in (
            "2026-11-01T04:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:30:00Z",
            "2026-11-01T07:30:00Z",
        )
    ]
    assert sends == [0, 1, 0, 0]
    assert await rig.repo.recorded_jobs([user.id], "reminder", "2026-11-01") == {user.id}


async def test_the_bot_its_store_and_telegram_read_one_clock(
    rig: Rig, facelog_clock: TestClock
) -> None:
    """The wiring every test above (and ``FACELOG_TEST_NOW``) relies on."""
    facelog_clock.set(parse_instant("2031-07-04T12:00:00Z"))
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    account = await rig.repo.get_account(user.id)
    assert account is not None
    for stamp in (rig.diary.clock(), account.user.created_at):  # the diary's, the store's
        assert abs(stamp - facelog_clock()) < timedelta(minutes=1)
    sent = await user.send_command("/help")  # Telegram's date on the message
    assert abs(sent["message"]["date"] - facelog_clock.timestamp()) < 60
    await user.wait_for_reply()
