"""Updates the bot never asked for: forged and stale buttons, unknown commands, groups and
channels, edits. Each gets a clear answer (or, in a channel, silence), and nothing changes."""

from __future__ import annotations

import copy

from bot import callbacks
from facelog.domain import Month
from fakebotapi.server import BotCall
from tests.bot.test_diary_flows import onboard
from tests.telegram.fixtures import wait_idle

from .conftest import Bot, broken_formatting, wait_for


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


async def test_forged_and_stale_buttons_are_refused_politely(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_photo(face_photos["astronaut"], caption="a post with buttons")
    post = await wait_for(user, is_post)
    [entry] = await bot.repo.recent_entries(user.id, 5)
    forged = [
        "",
        "x" * 64,
        "ent:../../etc/passwd",
        "say:" + "f" * 24,  # well-formed, no such entry
        "set:int:9.9",
        "set:lang:xx",
        "cal:1999-13",
        "day:2024-02-30",
        "del:maybe",
        "rem:" + "9" * 20,
    ]
    for data in forged:
        update = await user.send_callback(data, on=post)
        answer = await user.wait_for_answer(update)
        assert answer.get("show_alert") and answer.get("text"), data

    # Stale: the entry behind the buttons is erased, then the user starts over.
    await user.send_command("/delete_me")
    [confirm] = await user.wait_for_reply()
    await user.press(callbacks.DELETE_YES, on=confirm)
    await user.wait_for_reply()
    update = await user.send_callback(callbacks.DELETE_YES, on=confirm)  # pressed again
    await user.wait_for_answer(update)
    await onboard(user, "Mia")
    for data in (callbacks.listen(entry.id), callbacks.entry(entry.id), callbacks.day(entry.day)):
        update = await user.send_callback(data, on=post)
        answer = await user.wait_for_answer(update)
        assert answer.get("show_alert"), data
    update = await user.send_callback(callbacks.calendar(Month.of(entry.day)), on=post)
    await user.wait_for_answer(update)
    [grid] = await user.wait_for_reply()
    assert "😊" not in str(grid.params.get("reply_markup"))
    assert await bot.repo.recent_entries(user.id, 5) == []
    assert not broken_formatting(bot.fake)


async def test_unknown_odd_and_foreign_commands(bot: Bot) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    username = bot.fake.bot_user["username"]
    cases = {
        "/nonsense": "don't know that command",
        "/start@some_other_bot": "don't know that command",
        f"/help@{username}": "/calendar",
        "/HELP": "/calendar",
        "/calendar extra words": "📅",
        "/" + "a" * 64: "don't know that command",
    }
    for text, expected in cases.items():
        await user.send_text(text)
        [reply] = await user.wait_for_reply()
        assert expected in reply.text, text


async def test_groups_are_told_once_and_channels_get_silence(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_group_text("hi bot", chat_id=-100111)
    await bot.fake.wait_for_call(lambda c: c.chat_id == -100111)
    await user.send_group_text("/start", chat_id=-100111)
    chat = bot.fake.chats[-100111]
    message = user._new_message(  # a selfie posted in the group
        {"photo": bot.fake.photo_sizes(face_photos["astronaut"]), "caption": "group selfie"},
        chat=chat,
        sender=user.user,
    )
    await user._push({"message": copy.deepcopy(message)})
    await user.send_group_text("another group", chat_id=-100222, chat_type="group")
    await bot.fake.wait_for_call(lambda c: c.chat_id == -100222)
    await user.send_channel_post("channel news")
    await wait_idle(bot.app, bot.fake)  # every update handled: anything wrong has arrived
    to_groups = [c for c in bot.fake.calls if c.ok and c.chat_id in (-100111, -100222)]
    assert [c.chat_id for c in to_groups] == [-100111, -100222]
    assert all("one-to-one" in (c.text or "") for c in to_groups)
    channel = next(cid for cid, c in bot.fake.chats.items() if c.get("type") == "channel")
    assert not [c for c in bot.fake.calls if c.chat_id == channel]
    assert await bot.repo.recent_entries(user.id, 5) == []  # the group selfie is not a post


async def test_an_edit_touches_only_its_own_entry(bot: Bot, face_photos: dict[str, bytes]) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    said = await user.send_text("hello Anna")
    await user.wait_for_reply()
    await user.edit_message(said, "hello Anna, edited")
    [reply] = await user.wait_for_reply()
    assert "isn't one, so nothing changed" in reply.text

    posted = await user.send_photo(face_photos["astronaut"], caption="original caption")
    await wait_for(user, is_post)
    edited = copy.deepcopy(posted["message"])
    edited.update(caption="rewritten caption", edit_date=int(user.fake.clock()))
    await user._push({"edited_message": edited})
    [reply] = await user.wait_for_reply()
    assert "The entry is updated" in reply.text
    [entry] = await bot.repo.recent_entries(user.id, 5)
    assert entry.text == "rewritten caption"
