"""Every diary flow a person uses, through the real bot and the fake Telegram server."""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from datetime import date

import pytest
from PIL import Image

from bot import callbacks
from facelog.domain import Month
from facelog.logs import configure_logging
from fakebotapi.driver import TelegramUser

from .conftest import Rig

NO_FACE_KO = "이미지에서 얼굴을 인식하지 못했습니다. 얼굴이 드러난 이미지를 업로드해주세요!"
NO_FACE_EN = (
    "I couldn't find a face in this image. Please upload an image where your face is visible!"
)


async def onboard(user: TelegramUser, name: str = "주성", intro: str | None = None) -> None:
    await user.send_command("/start")
    await user.wait_for_reply(count=2)
    await user.send_text(name)
    [ask_intro] = await user.wait_for_reply()
    if intro is None:
        await user.press(callbacks.SKIP_INTRO, on=ask_intro)
    else:
        await user.send_text(intro)
    await user.wait_for_reply(lambda c: "⚙️" in (c.text or ""))


def texts(calls: list) -> list[str]:
    return [c.text for c in calls if c.text]


async def test_onboarding_asks_name_then_intro_then_settings(rig: Rig) -> None:
    user = rig.user(first_name="Juseong", language_code="ko")
    await user.send_command("/start")
    welcome, ask_name = await user.wait_for_reply(count=2)
    assert "/export" in welcome.text and "/delete_me" in welcome.text  # the privacy note
    assert "이름" in ask_name.text

    await user.send_text("   ")  # blank is not a name
    [refused] = await user.wait_for_reply()
    assert "1–40" in refused.text
    await user.send_text("가" * 41)
    await user.wait_for_reply()
    assert await rig.repo.get_user(user.id) is None

    await user.send_text("박주성")
    [ask_intro] = await user.wait_for_reply()
    assert "박주성" in ask_intro.text
    assert "건너뛰기" in user.button_texts(ask_intro)
    await user.send_text("기아타이거즈의 엄청난 팬")
    done, settings = await user.wait_for_reply(count=2)
    assert "셀카" in done.text
    assert "⚙️" in settings.text and "반말" in settings.text
    account = await rig.repo.get_account(user.id)
    assert account is not None
    assert (account.user.name, account.user.intro) == ("박주성", "기아타이거즈의 엄청난 팬")
    assert account.reminder.enabled and (account.reminder.hour, account.reminder.minute) == (21, 0)
    assert account.user.time_zone == "Asia/Seoul"

    await user.send_command("/start")  # a returning user gets the menu, not onboarding again
    [menu] = await user.wait_for_reply()
    assert "박주성" in menu.text and "/calendar" in menu.text


async def test_commands_are_registered_in_both_languages(rig: Rig) -> None:
    registered = [c for c in rig.fake.calls if c.method == "setMyCommands"]
    by_language = {c.params.get("language_code"): c.params["commands"] for c in registered}
    assert set(by_language) >= {"ko", "en", None}
    names = (
        [c["command"] for c in json.loads(by_language["ko"]) if isinstance(by_language["ko"], str)]
        if isinstance(by_language["ko"], str)
        else [c["command"] for c in by_language["ko"]]
    )
    assert {
        "start",
        "calendar",
        "stats",
        "settings",
        "profile",
        "export",
        "delete_me",
        "help",
    } <= set(names)


async def test_post_with_a_face_stores_the_entry_and_answers_like_a_friend(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user, "민지")
    photo = face_photos["astronaut"]
    await user.send_photo(photo, caption="오늘 드디어 발표 끝! 너무 후련하다")
    [reply] = await user.wait_for_reply(lambda c: c.method == "sendMessage")
    assert "오늘의 감정: 😊 기쁨" in reply.text
    assert "오늘 드디어 발표 끝! 너무 후련하다" in reply.text
    assert "💬 Anna" in reply.text and "민지" in reply.text.split("💬 Anna", 1)[1]
    assert user.button_texts(reply) == ["🔊 듣기", "📅 달력", "✏️ 수정"]

    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert entry.emotion.value == "happy" and entry.text == "오늘 드디어 발표 끝! 너무 후련하다"
    assert entry.anna_comment and entry.anna_comment in reply.text
    assert await rig.repo.get_photo(user.id, entry.id) == photo


async def test_photo_without_a_face_stores_nothing(
    rig: Rig, no_face_photos: dict[str, bytes]
) -> None:
    korean, english = rig.user(language_code="ko"), rig.user(language_code="en", first_name="Mia")
    await onboard(korean)
    await onboard(english, "Mia")
    for user, expected in ((korean, NO_FACE_KO), (english, NO_FACE_EN)):
        await user.send_photo(no_face_photos["coffee"], caption="my latte")
        [reply] = await user.wait_for_reply()
        assert reply.text == expected
        assert await rig.repo.recent_entries(user.id, 5) == []


async def test_photo_then_text_becomes_one_entry(rig: Rig, face_photos: dict[str, bytes]) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_photo(face_photos["astronaut"])
    [greeting] = await user.wait_for_reply()
    assert "Mia" in greeting.text and "How was your day?" in greeting.text
    assert await rig.repo.recent_entries(user.id, 5) == []  # nothing stored before the words

    await user.send_text("Got my pilot licence renewed today!")
    [reply] = await user.wait_for_reply()
    assert "Emotion of the day: 😊 Happy" in reply.text
    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert entry.text == "Got my pilot licence renewed today!"
    assert await rig.repo.get_photo(user.id, entry.id) == face_photos["astronaut"]

    await user.send_text("thanks Anna")  # the draft is used up: this is chat now
    [chat] = await user.wait_for_reply()
    assert "Emotion of the day" not in chat.text
    assert len(await rig.repo.recent_entries(user.id, 5)) == 1


async def test_a_date_prefix_backdates_and_a_future_date_is_refused(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user)
    await user.send_photo(face_photos["grace_hopper"], caption="2024-06-02 야구 또 졌다")
    [reply] = await user.wait_for_reply()
    assert "2024년 6월 2일" in reply.text
    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert entry.day == date(2024, 6, 2) and entry.text == "야구 또 졌다"

    await user.send_photo(face_photos["grace_hopper"], caption="2999-01-01 미래 일기")
    [refused] = await user.wait_for_reply()
    assert "아직 오지 않은 날짜" in refused.text
    assert len(await rig.repo.recent_entries(user.id, 5)) == 1


async def test_calendar_shows_the_month_and_opens_a_day(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user)
    await user.send_photo(face_photos["astronaut"], caption="좋은 날")
    await user.wait_for_reply()
    # The day is the bot's: the one it filed the post under (the message's date in Seoul, on
    # the clock the bot and the fake Telegram share), not one the test reckons on its own.
    [posted] = await rig.repo.recent_entries(user.id, 5)
    today = posted.day
    await user.send_command("/calendar")
    [grid] = await user.wait_for_reply()
    month = Month.of(today)
    if f"{month.year}년 {month.month}월" not in grid.text:
        # Seoul's month turned between the post and /calendar: the bot shows its new month.
        assert f"{month.next().year}년 {month.next().month}월" in grid.text
        await user.press("◀", on=grid)
        [grid] = await user.wait_for_reply()
    assert f"{today.year}년 {today.month}월" in grid.text
    day_button = user.find_button(callbacks.day(today), grid)
    # "<day><emoji>", with "•" while it is still today (Seoul's midnight may have passed).
    assert day_button.text.removeprefix("•") == f"{today.day}😊"

    await user.press("◀", on=grid)
    [edited] = await user.wait_for_reply()
    assert edited.method == "editMessageText"
    previous = Month.of(today).previous()
    assert f"{previous.year}년 {previous.month}월" in edited.text
    await user.press("▶", on=edited)
    await user.wait_for_reply()

    await user.send_callback(callbacks.day(today), on=grid)
    photo_call, text_call = await user.wait_for_reply(count=2)
    assert photo_call.method == "sendPhoto"
    assert user.downloaded(photo_call) == face_photos["astronaut"]
    assert "좋은 날" in text_call.text

    # Dated explicitly: the same day even if Seoul's midnight passes between the two posts.
    await user.send_photo(face_photos["grace_hopper"], caption=f"{today.isoformat()} 두 번째")
    await user.wait_for_reply()
    await user.send_callback(callbacks.day(today), on=grid)
    [listing] = await user.wait_for_reply()
    assert "2개" in listing.text and len(user.buttons(listing)) == 3  # two entries + calendar


async def test_stats_chart_is_a_png(rig: Rig, face_photos: dict[str, bytes]) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_command("/stats")
    [empty] = await user.wait_for_reply()
    assert "No entries yet" in empty.text
    for caption in ("one", "two"):
        await user.send_photo(face_photos["astronaut"], caption=caption)
        await user.wait_for_reply()
    await user.send_command("/stats")
    [chart] = await user.wait_for_reply(lambda c: c.method == "sendPhoto")
    png = user.downloaded(chart)
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size[0] >= 600
    assert "2 entries" in chart.text and "Happy: 2" in chart.text


async def test_export_gives_only_the_callers_data(rig: Rig, face_photos: dict[str, bytes]) -> None:
    mia, other = rig.user(language_code="en", first_name="Mia"), rig.user(language_code="en")
    await onboard(mia, "Mia")
    await onboard(other, "Other")
    await mia.send_photo(face_photos["astronaut"], caption='mine, with a comma, and "quotes"')
    await mia.wait_for_reply()
    await other.send_photo(face_photos["grace_hopper"], caption="not Mia's")
    await other.wait_for_reply()

    await mia.send_command("/export")
    [document] = await mia.wait_for_reply(lambda c: c.method == "sendDocument")
    archive = zipfile.ZipFile(io.BytesIO(mia.downloaded(document)))
    names = archive.namelist()
    assert {"entries.json", "entries.csv"} <= set(names)
    data = json.loads(archive.read("entries.json"))
    assert data["profile"]["name"] == "Mia"
    [row] = data["entries"]
    assert row["text"] == 'mine, with a comma, and "quotes"' and row["emotion"] == "happy"
    assert archive.read(row["photo"]) == face_photos["astronaut"]
    [csv_row] = list(csv.DictReader(io.StringIO(archive.read("entries.csv").decode("utf-8-sig"))))
    assert csv_row["text"] == row["text"]
    assert "not Mia's" not in json.dumps(data)


async def test_delete_me_erases_everything_after_confirmation(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user)
    await user.send_photo(face_photos["astronaut"], caption="지워질 일기")
    await user.wait_for_reply()
    await user.send_command("/delete_me")
    [confirm] = await user.wait_for_reply()
    await user.press("취소", on=confirm)
    await user.wait_for_reply()
    assert len(await rig.repo.recent_entries(user.id, 5)) == 1

    await user.send_command("/delete_me")
    [confirm] = await user.wait_for_reply()
    await user.press(callbacks.DELETE_YES, on=confirm)
    [done] = await user.wait_for_reply()
    assert "지웠어요" in done.text
    assert await rig.repo.get_account(user.id) is None
    assert await rig.repo.recent_entries(user.id, 5) == []
    exported = await rig.repo.export_user(user.id)
    assert exported.account is None and not exported.entries and not exported.chat
    await user.send_command("/calendar")
    [again] = await user.wait_for_reply()
    assert "/start" in again.text


async def test_settings_keyboard_changes_reach_annas_request(
    llm_rig: tuple[Rig, object], face_photos: dict[str, bytes]
) -> None:
    rig, llm = llm_rig
    user = rig.user(language_code="ko")
    await onboard(user, "주성")
    await user.send_command("/settings")
    [panel] = await user.wait_for_reply()
    for button in ("존댓말", "위로", "정직", "길게"):
        await user.press(button, on=panel)
        [panel] = await user.wait_for_reply()
        assert panel.method == "editMessageText"
    assert "✅ 존댓말" in user.button_texts(panel) and "☑️ 위로" in user.button_texts(panel)
    account = await rig.repo.get_account(user.id)
    assert account is not None
    assert (account.anna.attitude, set(account.anna.composition)) == ("polite", {"comfort"})
    assert (account.anna.intensity, account.anna.length) == (0.5, 450)

    await user.send_photo(face_photos["astronaut"], caption="발표가 끝났어요")
    await user.wait_for_reply()
    body = llm.bodies[-1]  # type: ignore[attr-defined]
    assert body["temperature"] == 0.5
    prompt = json.dumps(body["messages"], ensure_ascii=False)
    assert "존댓말" in prompt and "450" in prompt and "주성" in prompt
    assert "발표가 끝났어요" in prompt
    assert "image" not in json.dumps(body).lower().replace("image_", "")


async def test_two_users_never_see_each_others_entries(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    alice, mallory = rig.user(language_code="en", first_name="Alice"), rig.user(language_code="en")
    await onboard(alice, "Alice")
    await onboard(mallory, "Mallory")
    await alice.send_photo(face_photos["astronaut"], caption="Alice's secret")
    await alice.wait_for_reply()
    [entry] = await rig.repo.recent_entries(alice.id, 5)

    await mallory.send_command("/calendar")
    [grid] = await mallory.wait_for_reply()
    assert "😊" not in [b.text for row in mallory.buttons(grid) for b in row]
    for forged in (callbacks.entry(entry.id), callbacks.listen(entry.id), callbacks.day(entry.day)):
        update = await mallory.send_callback(forged, on=grid)
        answer = await mallory.wait_for_answer(update)
        assert answer.get("show_alert")
    for call in mallory.calls(since=0):
        assert "Alice's secret" not in json.dumps(call.params, ensure_ascii=False)
        assert not call.files or all(
            f.data != face_photos["astronaut"] for f in call.files.values()
        )


async def test_logs_never_carry_diary_text_names_or_the_token(
    rig: Rig, face_photos: dict[str, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """A whole session logged at DEBUG, as an operator chasing a bug would run it."""
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    secret_line = "my secret diary line 7f3a"
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Zelda Quux", intro="intro words 91bc")
    await user.send_photo(face_photos["astronaut"], caption=secret_line)
    await user.wait_for_reply()
    await user.send_text("a private chat message 55aa")
    await user.wait_for_reply()
    await user.send_command("/export")
    await user.wait_for_reply()
    logged = caplog.text
    assert caplog.records, "the session should have logged something"
    for private in (secret_line, "Zelda Quux", "intro words 91bc", "private chat message 55aa"):
        assert private not in logged
    assert rig.fake.token not in logged


async def test_profile_edit_keeps_the_entries(rig: Rig, face_photos: dict[str, bytes]) -> None:
    user = rig.user(language_code="ko")
    await onboard(user, "민지", intro="고양이 두 마리와 산다")
    await user.send_photo(face_photos["astronaut"], caption="첫 일기")
    await user.wait_for_reply()
    await user.send_command("/profile")
    [profile] = await user.wait_for_reply()
    assert "민지" in profile.text and "고양이 두 마리와 산다" in profile.text
    await user.press("✏️ 이름 바꾸기", on=profile)
    await user.wait_for_reply()
    await user.send_text("민지짱")
    [saved] = await user.wait_for_reply()
    assert "일기는 그대로" in saved.text
    await user.press("🗑 소개 지우기", on=profile)
    await user.wait_for_reply()
    account = await rig.repo.get_account(user.id)
    assert account is not None and (account.user.name, account.user.intro) == ("민지짱", None)
    assert [e.text for e in await rig.repo.recent_entries(user.id, 5)] == ["첫 일기"]


async def test_every_other_kind_of_message_gets_a_helpful_answer(rig: Rig) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    for send in (
        user.send_sticker(),
        user.send_location(37.5, 127.0),
        user.send_document(b"%PDF-1.7 not a photo", "notes.pdf", "application/pdf"),
    ):
        await send
        [reply] = await user.wait_for_reply()
        assert "/help" in reply.text
    await user.send_command("/nonsense")
    [reply] = await user.wait_for_reply()
    assert "don't know that command" in reply.text
    await user.send_command("/help")
    [reply] = await user.wait_for_reply()
    assert "/calendar" in reply.text and "6/2" in reply.text


async def test_groups_are_told_once_that_facelog_is_private(rig: Rig) -> None:
    user = rig.user(language_code="en")
    await user.send_group_text("hi bot")
    await rig.fake.wait_until(lambda: any(c.method == "sendMessage" for c in rig.fake.calls))
    await user.send_group_text("hello again")
    await user.send_group_text("/start")
    await rig.idle()
    sent = [c for c in rig.fake.calls if c.method == "sendMessage" and c.ok]
    assert len(sent) == 1 and "one-to-one" in sent[0].text


async def test_a_redelivered_post_is_stored_and_answered_once(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_photo(face_photos["astronaut"], caption="only once please", duplicate=True)
    await user.wait_for_reply()
    await rig.idle()  # the duplicate delivery has been handled too
    posts = [c for c in user.replies() if "Emotion of the day" in (c.text or "")]
    assert len(posts) == 1
    assert len(await rig.repo.recent_entries(user.id, 5)) == 1


async def test_html_in_the_diary_shows_as_typed(rig: Rig, face_photos: dict[str, bytes]) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "<b>Mia</b>")
    caption = "<i>unclosed & <script>alert(1)</script> </b> *not markdown*"
    await user.send_photo(face_photos["astronaut"], caption=caption)
    [reply] = await user.wait_for_reply()
    assert reply.ok and caption in reply.text
