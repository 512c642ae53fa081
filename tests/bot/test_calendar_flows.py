"""The calendar reads without counting columns: "6😊" on a day with an entry, today marked."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import callbacks, render
from facelog.domain import Entry, Month
from facelog.i18n import EMOJI
from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall
from inference.labels import Emotion

from .conftest import Rig
from .test_diary_flows import onboard


def day_labels(user: TelegramUser, grid: BotCall) -> list[str]:
    """The day buttons (rows after the title and weekday rows), blanks left out."""
    rows = user.buttons(grid)
    return [b.text for row in rows[2:] for b in row if b.text != "·"]


def entry_on(day: date, emotion: Emotion) -> Entry:
    return Entry(
        id=f"e{day.isoformat()}",
        user_id=1,
        day=day,
        created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        emotion=emotion,
        probabilities={emotion.value: 1.0},
        faces=1,
        text="",
        photo_id="p",
    )


def test_labels_fit_seven_columns_on_a_phone() -> None:
    june = Month(2024, 6)
    entries = [
        entry_on(date(2024, 6, 6), Emotion.HAPPY),
        entry_on(date(2024, 6, 28), Emotion.SADNESS),
    ]
    text, keyboard = render.calendar_view("en", june, entries, today=date(2024, 6, 28))
    labels = [b.text for row in keyboard.inline_keyboard[2:] for b in row]
    assert "6😊" in labels and "•28😢" in labels and "27" in labels
    assert [label for label in labels if label.startswith(render.TODAY_MARK)] == ["•28😢"]
    assert all(len(row) == 7 for row in keyboard.inline_keyboard[2:])
    assert max(len(label) for label in labels) <= 4  # one emoji is one code point here
    assert "• today" in text
    # Another month: nothing is today there, and the legend goes too.
    text, keyboard = render.calendar_view("ko", Month(2024, 5), [], today=date(2024, 6, 28))
    labels = [b.text for row in keyboard.inline_keyboard[2:] for b in row]
    assert not any(render.TODAY_MARK in label for label in labels) and "오늘" not in text


async def test_calendar_days_show_the_number_and_emotion_and_today_is_marked(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user)
    account = await rig.repo.get_account(user.id)
    assert account is not None
    today = rig.diary.today(account)  # the diary's clock, in the person's zone (Asia/Seoul)
    # Dated explicitly, so the entries are on these days whatever the clock does meanwhile.
    earlier = Month.of(today).previous()
    await user.send_photo(face_photos["astronaut"], caption=f"{today.isoformat()} 좋은 날")
    await user.wait_for_reply()
    first = date(earlier.year, earlier.month, 1)
    await user.send_photo(face_photos["grace_hopper"], caption=f"{first.isoformat()} 지난달")
    [backdated] = await user.wait_for_reply()
    emotion = {e.day: e.emotion for e in await rig.repo.recent_entries(user.id, 5)}

    await user.send_command("/calendar")
    [grid] = await user.wait_for_reply()
    assert f"{today.year}년 {today.month}월" in grid.text and "• 오늘" in grid.text
    day_button = user.find_button(callbacks.day(today), grid)
    assert day_button.text == f"•{today.day}{EMOJI[emotion[today]]}"
    labels = day_labels(user, grid)
    assert [label for label in labels if label.startswith("•")] == [day_button.text]
    assert all(len(label) <= 4 for label in labels)

    await user.press("◀", on=grid)  # the previous month: the backdated day, nothing "today"
    [edited] = await user.wait_for_reply()
    assert user.find_button(callbacks.day(first), edited).text == f"1{EMOJI[emotion[first]]}"
    assert not any("•" in label for label in day_labels(user, edited))
    assert "오늘" not in edited.text

    await user.press("📅 달력", on=backdated)  # a post's 📅 opens its own month
    [opened] = await user.wait_for_reply()
    assert user.find_button(callbacks.day(first), opened).text == f"1{EMOJI[emotion[first]]}"
