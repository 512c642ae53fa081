"""The person has the last word: ✏️ on every entry, edited captions, deleting one entry — the real
bot driven through the fake Telegram Bot API, checked from the outside."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

from bot import callbacks
from fakebotapi.driver import TelegramUser
from inference.labels import Emotion
from tests.anna.fake_llm import FakeLLM, status
from tests.anna.fake_llm import reply as reply_step

from .conftest import Rig
from .test_diary_flows import onboard


async def post(user: TelegramUser, photo: bytes, caption: str, **kwargs: object) -> object:
    sent = await user.send_photo(photo, caption=caption, **kwargs)  # type: ignore[arg-type]
    [reply] = await user.wait_for_reply(lambda c: c.method == "sendMessage")
    return sent, reply


async def test_edit_then_sadness_updates_the_entry_in_place_and_stats_follow(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    _, reply = await post(user, face_photos["astronaut"], "finished the big talk")
    assert "Emotion of the day: 😊 Happy" in reply.text  # type: ignore[attr-defined]

    await user.press("✏️ Edit", on=reply)
    await user.wait_for_reply(lambda c: c.method == "editMessageReplyMarkup")
    labels = user.button_texts(reply)
    assert "✅ 😊 Happy" in labels and "😢 Sadness" in labels and "🗑 Delete" in labels
    assert any(label.startswith("◀") for label in labels)

    await user.press("😢 Sadness", on=reply)
    edited, line = await user.wait_for_reply(count=2)
    assert edited.method == "editMessageText"  # the same message, updated in place
    assert "😢 Sadness (your word; the face read 😊 Happy)" in edited.text
    assert "finished the big talk" in edited.text
    assert line.method == "sendMessage" and "Mia" in line.text and "sad day" in line.text
    assert user.button_texts(reply)[-1] == "✏️ Edit"  # back to the entry's own buttons

    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert (entry.emotion, entry.face_emotion, entry.emotion_source) == (
        Emotion.SADNESS,
        Emotion.HAPPY,
        "person",
    )
    # A double tap: the second press changes nothing and says nothing twice.
    await user.send_callback(callbacks.set_emotion(entry.id, Emotion.SADNESS), on=reply)
    await rig.idle()
    assert [c.method for c in user.replies()] == []

    await user.send_command("/stats")
    [chart] = await user.wait_for_reply(lambda c: c.method == "sendPhoto")
    assert "Sadness: 1" in chart.text and "Happy: 0" in chart.text

    month = entry.day.strftime("%Y-%m")
    await user.send_command("/summary", month)
    summary = await user.wait_for_reply(lambda c: "Sadness" in (c.text or ""))
    assert any("Sadness" in (c.text or "") for c in summary)

    await user.send_command("/settings")
    [panel] = await user.wait_for_reply()
    assert "learned from 1 of your corrections" in panel.text
    await user.press("🧠 Forget what Facelog learned", on=panel)
    await rig.idle()
    assert (
        "nothing learned yet"
        in user.fake.message(user.chat_id, panel.message["message_id"])["text"]
    )  # type: ignore[index]
    assert (await rig.repo.recent_entries(user.id, 5))[0].emotion == Emotion.SADNESS  # kept


async def test_export_carries_the_face_and_the_persons_word(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await post(user, face_photos["astronaut"], "one")
    await post(user, face_photos["astronaut"], "two")
    first, _ = await rig.repo.recent_entries(user.id, 5)
    await user.send_callback(callbacks.set_emotion(first.id, Emotion.ANGER), on=None)
    await rig.idle()

    await user.send_command("/export")
    [document] = await user.wait_for_reply(lambda c: c.method == "sendDocument")
    archive = zipfile.ZipFile(io.BytesIO(user.downloaded(document)))
    data = json.loads(archive.read("entries.json"))
    rows = {row["text"]: row for row in data["entries"]}
    assert (rows["one"]["emotion"], rows["one"]["face_emotion"], rows["one"]["emotion_source"]) == (
        "anger",
        "happy",
        "person",
    )
    assert (rows["two"]["emotion"], rows["two"]["emotion_source"]) == ("happy", "face")
    assert data["calibration"]["corrections"] == 1 and set(data["calibration"]["bias"]) == {
        "anger",
        "happy",
        "panic",
        "sadness",
    }
    table = list(csv.DictReader(io.StringIO(archive.read("entries.csv").decode("utf-8-sig"))))
    by_text = {row["text"]: row for row in table}
    assert (by_text["one"]["face_emotion"], by_text["one"]["emotion_source"]) == ("happy", "person")


async def test_an_edited_caption_edits_the_entry_with_the_date_rules_of_a_post(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user)
    sent, _ = await post(user, face_photos["grace_hopper"], "야구 졌다")
    await user.edit_caption(sent, "2024-06-02 야구 또 졌다")
    [answer] = await user.wait_for_reply()
    assert "일기를 고쳤어요" in answer.text and "야구 또 졌다" in answer.text
    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert (entry.text, entry.day.isoformat()) == ("야구 또 졌다", "2024-06-02")

    # A text entry (selfie first, words after) is edited the same way.
    await user.send_photo(face_photos["astronaut"])
    await user.wait_for_reply()
    words = await user.send_text("오타가 있는 일기")
    await user.wait_for_reply()
    await user.edit_message(words, "오타를 고친 일기")
    [answer] = await user.wait_for_reply()
    assert "오타를 고친 일기" in answer.text
    texts = sorted(e.text for e in await rig.repo.recent_entries(user.id, 5))
    assert texts == ["야구 또 졌다", "오타를 고친 일기"]

    chat = await user.send_text("그냥 수다")  # not an entry: editing it changes nothing
    await user.wait_for_reply()
    await user.edit_message(chat, "그냥 수다!")
    [refused] = await user.wait_for_reply()
    assert "바뀐 게 없어요" in refused.text


async def test_delete_asks_then_erases_the_entry_its_photo_and_its_message(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    sent, reply = await post(user, face_photos["astronaut"], "delete me later")
    [entry] = await rig.repo.recent_entries(user.id, 5)

    await user.press("✏️ Edit", on=reply)
    await user.wait_for_reply()
    await user.press("🗑 Delete", on=reply)
    [question] = await user.wait_for_reply()
    assert "for good" in question.text and await rig.repo.get_entry(user.id, entry.id)
    await user.press("🗑 Yes, delete it", on=reply)
    calls = await user.wait_for_reply(count=2)
    assert {c.method for c in calls} == {"deleteMessage", "editMessageText"}
    [done] = [c for c in calls if c.method == "editMessageText"]
    assert "is deleted" in done.text and "48 hours" not in done.text  # a fresh message: removed
    assert await rig.repo.get_entry(user.id, entry.id) is None
    assert await rig.repo.get_photo(user.id, entry.id) is None
    assert user.fake.message(user.chat_id, sent["message"]["message_id"]) is None  # type: ignore[index]

    # A stale button (and a double tap on "yes") gets a clear answer and changes nothing.
    await user.send_callback(callbacks.delete_entry_yes(entry.id), on=reply)
    await rig.idle()
    [stale] = [c for c in user.calls() if c.method == "answerCallbackQuery"]
    assert "can't find" in stale.params["text"] and stale.params.get("show_alert") is True


async def test_deleting_an_old_entry_says_telegram_keeps_old_messages(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="ko")
    await onboard(user)
    three_days_ago = time.time() - 3 * 24 * 3600
    await post(user, face_photos["astronaut"], "오래된 일기", date=three_days_ago)
    [entry] = await rig.repo.recent_entries(user.id, 5)
    await user.send_callback(callbacks.delete_entry_yes(entry.id), on=None)
    [done] = await user.wait_for_reply(lambda c: c.method == "editMessageText")
    assert "48시간" in done.text
    assert await rig.repo.get_entry(user.id, entry.id) is None


async def test_another_persons_forged_presses_change_nothing(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    owner, intruder = rig.user(language_code="en"), rig.user(language_code="en")
    await onboard(owner, "Owner")
    await onboard(intruder, "Intruder")
    await post(owner, face_photos["astronaut"], "mine")
    [entry] = await rig.repo.recent_entries(owner.id, 5)
    await post(intruder, face_photos["grace_hopper"], "theirs")
    await rig.idle()
    owner.mark()
    for data in (
        callbacks.edit(entry.id),
        callbacks.set_emotion(entry.id, Emotion.ANGER),
        callbacks.move(entry.id, entry.day.replace(day=1)),
        callbacks.delete_entry(entry.id),
        callbacks.delete_entry_yes(entry.id),
        callbacks.edit_text(entry.id),
        f"emo:{entry.id}:x",  # a shape the bot never sends
    ):
        await intruder.send_callback(data, on=None)
    await rig.idle()
    assert await rig.repo.get_entry(owner.id, entry.id) == entry
    answers = [c for c in intruder.calls() if c.method == "answerCallbackQuery"]
    assert len(answers) == 7 and all(a.params.get("show_alert") for a in answers)
    assert [c.method for c in owner.replies()] == []


async def test_words_and_date_from_the_edit_keyboard(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    _, reply = await post(user, face_photos["astronaut"], "first words")
    [entry] = await rig.repo.recent_entries(user.id, 5)
    await user.press("✏️ Edit", on=reply)
    await user.wait_for_reply()
    earlier = next(b for b in user.button_texts(reply) if b.startswith("◀"))
    await user.press(earlier, on=reply)
    await user.wait_for_reply(lambda c: c.method == "editMessageText")
    moved = await rig.repo.get_entry(user.id, entry.id)
    assert moved is not None and (entry.day - moved.day).days == 1

    await user.press("📝 Words", on=reply)
    [ask] = await user.wait_for_reply()
    assert "new words" in ask.text
    await user.send_text("better words")
    [saved] = await user.wait_for_reply()
    assert "better words" in saved.text
    final = await rig.repo.get_entry(user.id, entry.id)
    assert final is not None and (final.text, final.day) == ("better words", moved.day)


async def test_anna_answers_a_correction_in_one_line_through_the_llm_and_offline_on_failure(
    llm_rig: tuple[Rig, FakeLLM], face_photos: dict[str, bytes]
) -> None:
    rig, llm = llm_rig
    user = rig.user(language_code="ko")
    await onboard(user, "민지")
    _, reply = await post(user, face_photos["astronaut"], "오늘 회의에서 너무 화났어")
    await rig.idle()
    [entry] = await rig.repo.recent_entries(user.id, 5)

    llm.push(reply_step("민지야, 알려줘서 고마워! 화났던 하루였구나, 기억할게."))
    await user.send_callback(callbacks.set_emotion(entry.id, Emotion.ANGER), on=reply)
    line = (await user.wait_for_reply(lambda c: c.method == "sendMessage"))[-1]
    assert line.text == "민지야, 알려줘서 고마워! 화났던 하루였구나, 기억할게."
    prompt = json.dumps(llm.bodies[-1]["messages"], ensure_ascii=False)
    assert "분노 (anger)" in prompt and "기쁨 (happy)" in prompt and "one short sentence" in prompt
    assert "image" not in json.dumps(llm.bodies[-1]).lower().replace("image_", "")

    # The LLM fails: the offline writer's line still answers, and the change stands.
    llm.push(status(500), status(500), status(500), status(500))
    await user.send_callback(callbacks.set_emotion(entry.id, Emotion.PANIC), on=reply)
    line = (await user.wait_for_reply(lambda c: c.method == "sendMessage", timeout=30))[-1]
    assert "민지" in line.text and "당황스러운 날" in line.text
    stored = await rig.repo.get_entry(user.id, entry.id)
    assert stored is not None and stored.emotion == Emotion.PANIC


async def test_when_face_and_words_disagree_the_four_feelings_are_one_tap_away(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    _, reply = await post(user, face_photos["astronaut"], "I was so sad and lonely today")
    assert user.button_texts(reply)[-4:] == ["😠", "😊", "😳", "😢"]
    assert "?" in reply.text.split("💬 Anna", 1)[1]  # type: ignore[attr-defined]
    await user.press("😢", on=reply)
    await user.wait_for_reply(lambda c: c.method == "sendMessage")
    [entry] = await rig.repo.recent_entries(user.id, 5)
    assert (entry.emotion, entry.emotion_source) == (Emotion.SADNESS, "person")
    assert "😳" not in user.button_texts(reply)  # settled: the question's buttons are gone

    _, calm = await post(user, face_photos["astronaut"], "a lovely sunny walk, so happy")
    assert user.button_texts(calm) == ["🔊 Listen", "📅 Calendar", "✏️ Edit"]

    await user.send_command("/delete_me")
    [confirm] = await user.wait_for_reply()
    await user.press(callbacks.DELETE_YES, on=confirm)
    await user.wait_for_reply()
    assert await rig.repo.get_learned(user.id) is None  # the learned bias goes with the rest
