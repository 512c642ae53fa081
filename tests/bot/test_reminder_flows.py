"""``/reminders`` and ``/summary`` through the real bot and the fake Telegram server."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from facelog.domain import Month
from inference.labels import Emotion

from .conftest import Rig
from .test_diary_flows import onboard

PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 64


async def write(rig: Rig, user_id: int, day: date, emotion: Emotion, text: str = "오늘") -> None:
    """An entry stored directly (the summary only reads what is stored)."""
    await rig.repo.create_entry(
        user_id,
        day=day,
        emotion=emotion,
        probabilities={emotion.value: 0.8},
        faces=1,
        text=text,
        photo=PHOTO,
    )


async def test_onboarding_tells_when_the_daily_reminder_comes(rig: Rig) -> None:
    user = rig.user(language_code="ko")
    await onboard(user, "민지")
    done = [c.text for c in user.replies(since=0) if c.text and "⏰" in c.text]
    assert done and "21:00" in done[0] and "Asia/Seoul" in done[0] and "/reminders" in done[0]
    account = await rig.repo.get_account(user.id)
    assert account is not None and account.reminder.enabled


async def test_reminders_can_be_switched_off_and_moved_in_time_and_zone(rig: Rig) -> None:
    user = rig.user(language_code="ko")
    await onboard(user, "민지")
    await user.send_command("/reminders")
    [panel] = await user.wait_for_reply()
    assert "켜짐" in panel.text and "21:00 (Asia/Seoul)" in panel.text and "다음 알림" in panel.text

    await user.press("🔕 끄기", on=panel)
    [panel] = await user.wait_for_reply()
    assert "꺼짐" in panel.text and "다음 알림" not in panel.text
    account = await rig.repo.get_account(user.id)
    assert account is not None and not account.reminder.enabled

    await user.press("🕘 시간 바꾸기", on=panel)
    [hours] = await user.wait_for_reply()
    assert "✅ 21:00" in user.button_texts(hours)
    await user.press("07:00", on=hours)
    [panel] = await user.wait_for_reply()
    assert "켜짐" in panel.text and "07:00 (Asia/Seoul)" in panel.text  # picking a time turns it on

    await user.press("🌍 시간대", on=panel)
    [zones] = await user.wait_for_reply()
    await user.press("Europe/London", on=zones)
    [panel] = await user.wait_for_reply()
    assert "07:00 (Europe/London)" in panel.text
    account = await rig.repo.get_account(user.id)
    assert account is not None
    assert (account.reminder.hour, account.reminder.time_zone) == (7, "Europe/London")
    assert account.user.time_zone == "Europe/London"  # entries' days follow the same zone


async def test_a_time_zone_can_be_typed_and_a_wrong_one_is_explained(rig: Rig) -> None:
    user = rig.user(language_code="en", first_name="Sam")
    await onboard(user, "Sam")
    await user.send_command("/reminders")
    [panel] = await user.wait_for_reply()
    await user.press("🌍 Time zone", on=panel)
    [zones] = await user.wait_for_reply()
    await user.press("⌨️ Type a name", on=zones)
    [ask] = await user.wait_for_reply()
    assert "Europe/Paris" in ask.text
    await user.send_text("Mars/Olympus_Mons")
    [wrong] = await user.wait_for_reply()
    assert "don't know that time zone" in wrong.text
    await user.send_text("new york")
    [panel] = await user.wait_for_reply()
    assert "America/New_York" in panel.text
    account = await rig.repo.get_account(user.id)
    assert account is not None and account.reminder.time_zone == "America/New_York"
    # The zone question is over: the next text is a chat with Anna again, not a zone.
    await user.send_text("hello")
    [chat] = await user.wait_for_reply()
    assert "time zone" not in chat.text


async def test_forged_reminder_buttons_are_refused(rig: Rig) -> None:
    user = rig.user(language_code="en")
    await onboard(user, "Sam")
    await user.send_command("/reminders")
    [panel] = await user.wait_for_reply()
    for forged in ("rem:h:24", "rem:h:-1", "rem:z:10", "rem:z:1e1", "rem:zone:x", "rem:"):
        update = await user.send_callback(forged, on=panel)
        answer = await user.wait_for_answer(update)
        assert answer.get("show_alert") and "no longer works" in answer["text"]
    account = await rig.repo.get_account(user.id)
    assert account is not None and (account.reminder.hour, account.reminder.enabled) == (21, True)


async def test_summary_on_demand_shows_the_months_numbers(rig: Rig) -> None:
    user = rig.user(language_code="ko")
    await onboard(user, "민지")
    account = await rig.repo.get_account(user.id)
    assert account is not None
    # "This month" is the person's month (their time zone, the diary's clock), as the bot
    # reckons it: from 15:00 UTC on a month's last day Seoul is already in the next month.
    this_month = Month.of(rig.diary.today(account))
    days = [this_month.first_day.replace(day=d) for d in (1, 2, 3)]
    for day, emotion in zip(days, (Emotion.HAPPY, Emotion.HAPPY, Emotion.SADNESS), strict=True):
        await write(rig, user.id, day, emotion, "오늘")
    await user.send_command("/summary")
    replies = await user.wait_for_reply(lambda c: c.method == "sendPhoto")
    photo = replies[-1]
    assert "일기 3개" in photo.text and "기쁨: 2" in photo.text and "슬픔: 1" in photo.text
    assert photo.file is not None and photo.file.startswith(b"\x89PNG")

    await user.send_command("/summary", str(this_month.previous()))
    [empty] = await user.wait_for_reply()
    assert "일기가 없어요" in empty.text
    await user.send_command("/summary", "2999-01")
    [future] = await user.wait_for_reply()
    assert "아직 오지 않은 달" in future.text
    await user.send_command("/summary", "지난달")
    [bad] = await user.wait_for_reply()
    assert "YYYY-MM" in bad.text


async def test_summary_of_another_month_counts_only_that_month(rig: Rig) -> None:
    user = rig.user(language_code="en", first_name="Sam")
    await onboard(user, "Sam")
    for day, emotion in ((date(2026, 9, 30), Emotion.ANGER), (date(2026, 10, 1), Emotion.PANIC)):
        await write(rig, user.id, day, emotion, "day")
    await user.send_command("/summary", "2026-10")
    replies = await user.wait_for_reply(lambda c: c.method == "sendPhoto")
    caption = replies[-1].text
    assert "October 2026" in caption and "Entries: 1 (±0 vs September 2026)" in caption
    assert "Panic: 1 (+1)" in caption and "Anger: 0 (−1)" in caption


async def test_summary_letter_is_read_aloud_when_voice_replies_are_on(voice_rig: Rig) -> None:
    rig = voice_rig
    user = rig.user(language_code="en", first_name="Sam")
    await onboard(user, "Sam")
    account = await rig.repo.get_account(user.id)
    assert account is not None
    await rig.repo.set_anna_settings(user.id, replace(account.anna, voice_replies=True))
    await write(rig, user.id, date(2026, 10, 5), Emotion.HAPPY, "a picnic")
    await user.send_command("/summary", "2026-10")
    replies = await user.wait_for_reply(lambda c: c.method == "sendVoice", timeout=60)
    methods = [c.method for c in replies]
    assert methods.index("sendPhoto") < methods.index("sendVoice")
    voice = replies[-1].file
    assert voice is not None and voice.startswith(b"OggS")
