"""The Telegram test rig itself: a throwaway echo bot on the real PTB Application, driven
through the fake Bot API server over real HTTP."""

from __future__ import annotations

import asyncio
import html
import io
import time

import aiohttp
import pytest
from PIL import Image
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from fakebotapi.driver import TelegramUser
from fakebotapi.server import MESSAGE_NOT_MODIFIED, FakeTelegram
from tests.telegram.fixtures import build_application, running_application, wait_idle

OGG = b"OggS\x00\x02" + bytes(range(200))


def jpeg(width: int = 1000, height: int = 700) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 80)).save(buf, format="JPEG")
    return buf.getvalue()


def echo_bot(fake: FakeTelegram) -> Application:  # type: ignore[type-arg]
    """A tiny bot: /start with a keyboard, echo, photo size, voice back, private chats only."""
    app = build_application(fake.token, fake)
    seen: list[int] = []
    app.bot_data["seen_update_ids"] = seen

    async def remember(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Say hi", callback_data="hi")],
             [InlineKeyboardButton("Skip", callback_data="skip")]]
        )  # fmt: skip
        name = html.escape(update.effective_user.first_name)
        await update.effective_message.reply_text(
            f"<b>Welcome</b>, {name}!",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            do_quote=True,
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("noted")
        await query.edit_message_text(f"You chose {query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        for _ in range(3):
            try:
                await message.reply_text(message.text)
                return
            except RetryAfter:  # what a polite bot does with 429 (here: retry_after is 1)
                context.bot_data["retried"] = True
                await asyncio.sleep(1)

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        file = await message.photo[-1].get_file()
        data = bytes(await file.download_as_bytearray())
        context.bot_data["photo"] = data
        await message.reply_text(f"{len(data)} bytes, caption {message.caption!r}")

    async def voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.voice is not None
        data = bytes(await (await message.voice.get_file()).download_as_bytearray())
        await context.bot.send_chat_action(message.chat_id, "record_voice")
        seconds = int(message.voice.to_dict()["duration"])  # (avoids PTB's int→timedelta warning)
        await message.reply_voice(data, duration=seconds)

    async def group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("I only work in private chats.")

    async def other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("I understand text, photos and voice notes.")

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        await application.bot.set_my_commands([BotCommand("start", "Begin")])

    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.ALL, remember), group=-1)
    app.add_handler(CallbackQueryHandler(remember), group=-1)
    app.add_handler(CommandHandler("start", start, filters=private))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(private & filters.PHOTO, photo))
    app.add_handler(MessageHandler(private & filters.VOICE, voice))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, group))
    app.add_handler(MessageHandler(private & ~filters.COMMAND, other))
    app.post_init = post_init
    return app


async def test_start_keyboard_and_button_press(fake_telegram: FakeTelegram, make_user) -> None:
    user: TelegramUser = make_user(first_name="Min<ji>", language_code="ko")
    async with running_application(echo_bot(fake_telegram), fake_telegram):
        assert fake_telegram.commands_for() == [{"command": "start", "description": "Begin"}]
        await user.send_command("/start")
        [welcome] = await user.wait_for_reply()
        assert welcome.method == "sendMessage"
        assert welcome.raw_text == "<b>Welcome</b>, Min&lt;ji&gt;!"
        assert welcome.text == "Welcome, Min<ji>!"  # what the user reads
        assert welcome.message is not None
        assert welcome.message["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
        assert welcome.message["reply_to_message"]["text"] == "/start"
        assert user.button_texts(welcome) == ["Say hi", "Skip"]

        pressed = await user.press("Skip", on=welcome)
        [edit] = await user.wait_for_reply(lambda c: c.method == "editMessageText")
        assert (await user.wait_for_answer(pressed))["text"] == "noted"
        assert edit.text == "You chose skip"
        assert user.last_text() == "You chose skip"
        assert user.buttons(welcome) == []  # editing the text without a keyboard removed it
        assert [m.get("text") for m in user.history()] == ["/start", "You chose skip"]
    assert fake_telegram.app_errors == []


async def test_photo_round_trip(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    sent = jpeg()
    app = echo_bot(fake_telegram)
    async with running_application(app, fake_telegram):
        update = await user.send_photo(sent, caption="today")
        [reply] = await user.wait_for_reply()
    sizes = update["message"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 63),
        (320, 224),
        (800, 560),
        (1000, 700),
    ]
    assert app.bot_data["photo"] == sent  # the largest size is the very bytes the user sent
    assert reply.text == f"{len(sent)} bytes, caption 'today'"
    assert [c.method for c in fake_telegram.calls if c.method == "getFile"] == ["getFile"]


async def test_voice_round_trip_and_upload_recording(
    fake_telegram: FakeTelegram, make_user
) -> None:
    user = make_user()
    async with running_application(echo_bot(fake_telegram), fake_telegram):
        await user.send_voice(OGG, duration=4)
        [reply] = await user.wait_for_reply()
        actions = user.calls(ok=True)
    assert [c.method for c in actions if c.method != "getFile"] == ["sendChatAction", "sendVoice"]
    assert reply.method == "sendVoice"
    assert reply.files["voice"].data == OGG  # the multipart upload, byte for byte
    assert reply.params["duration"] == 4
    assert reply.message is not None and reply.message["voice"]["duration"] == 4
    assert reply.message["voice"]["mime_type"] == "audio/ogg"
    assert user.downloaded(reply) == OGG


async def test_other_message_kinds_and_chats(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    app = echo_bot(fake_telegram)
    async with running_application(app, fake_telegram):
        for send in (
            user.send_sticker(),
            user.send_location(37.56, 126.97),
            user.send_document(b"%PDF-1.4 hello", "diary.pdf"),
        ):
            await send
            [reply] = await user.wait_for_reply()
            assert reply.text == "I understand text, photos and voice notes."
        document = user.updates[-1]["message"]["document"]
        assert document["mime_type"] == "application/pdf"
        assert document["file_name"] == "diary.pdf"

        await user.send_group_text("hello group")
        group_reply = await fake_telegram.wait_for_call(lambda c: c.chat_id == -1001234567890)
        assert group_reply.text == "I only work in private chats."

        mark = len(fake_telegram.calls)
        await user.send_channel_post("channel news")
        await wait_idle(app, fake_telegram)  # handled, and the bot said nothing
        assert fake_telegram.calls[mark:] == []


async def test_duplicate_delivery_is_visible(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    app = echo_bot(fake_telegram)
    async with running_application(app, fake_telegram):
        update = await user.send_text("same update twice", duplicate=True)
        replies = await user.wait_for_reply(count=2)
        assert [r.text for r in replies] == ["same update twice"] * 2
        assert app.bot_data["seen_update_ids"] == [update["update_id"]] * 2

        await user.send_text("later")
        await user.wait_for_reply()
        fake_telegram.redeliver(update)  # after it was confirmed, e.g. a webhook retry
        user.mark()
        [again] = await user.wait_for_reply()
        assert again.text == "same update twice"
    assert app.bot_data["seen_update_ids"].count(update["update_id"]) == 3


async def test_flood_wait_is_retried_by_the_bot(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    app = echo_bot(fake_telegram)
    async with running_application(app, fake_telegram):
        fake_telegram.flood_next("sendMessage", retry_after=1)
        await user.send_text("hello")
        [reply] = await user.wait_for_reply()
        assert reply.text == "hello"
        first, second = user.calls(ok=None)
        assert (first.error_code, first.description) == (429, "Too Many Requests: retry after 1")
        assert first.error == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        assert second.ok
        assert app.bot_data["retried"]

        fake_telegram.flood_next("sendMessage", retry_after=7)
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(user.chat_id, "direct")
        assert "retry in 7" in str(caught.value).lower()


async def test_injected_errors_surface_in_ptb(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    app = build_application(None, fake_telegram)
    async with app:
        bot = app.bot
        sent = await bot.send_message(user.chat_id, "hi")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("hi", chat_id=user.chat_id, message_id=sent.message_id)
        fake_telegram.fail_next("editMessageText", 400, MESSAGE_NOT_MODIFIED)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("new", chat_id=user.chat_id, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", chat_id=user.chat_id, message_id=999)
        fake_telegram.fail_next("sendMessage", 500)
        with pytest.raises(NetworkError):
            await bot.send_message(user.chat_id, "boom")
        fake_telegram.fail_next("sendMessage", mode="lose_response")
        with pytest.raises(NetworkError):
            await bot.send_message(user.chat_id, "did it arrive?")
        assert user.last_text() == "did it arrive?"  # it did: the answer was lost, not the message
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(424242, "nobody")
        await user.block_bot()
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(user.chat_id, "still there?")
        fake_telegram.fail_next("sendChatAction", 403, "Forbidden: user is deactivated")
        fake_telegram.unblock(user.id)
        with pytest.raises(Forbidden, match="user is deactivated"):
            await bot.send_chat_action(user.chat_id, "typing")
        assert await bot.send_chat_action(user.chat_id, "typing")


async def test_wrong_token_is_unauthorized(fake_telegram: FakeTelegram) -> None:
    wrong = fake_telegram.token.split(":")[0] + ":AAH" + "x" * 32
    app = build_application(wrong, fake_telegram)
    with pytest.raises(InvalidToken):
        await app.initialize()
    await app.bot.request.shutdown()  # PTB leaves its HTTP client open when getMe fails
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake_telegram.base_url}{wrong}/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.get(f"{fake_telegram.base_url}not-a-token/getMe") as response:
            assert response.status == 404
        async with session.get(f"{fake_telegram.base_url}{fake_telegram.token}/GETME") as response:
            body = await response.json()
            assert body["ok"] and body["result"]["is_bot"]  # method names are case-insensitive
        async with session.get(f"{fake_telegram.base_url}{fake_telegram.token}/nope") as response:
            assert (response.status, (await response.json())["description"]) == (404, "Not Found")


async def test_formatting_and_limits(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    app = build_application(None, fake_telegram)
    async with app:
        bot = app.bot
        chat = user.chat_id
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: can't find end tag"):
            await bot.send_message(chat, "<b>Emotion of the day", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "script"'):
            await bot.send_message(chat, "diary: <script>", parse_mode=ParseMode.HTML)
        ok = await bot.send_message(
            chat, "diary: " + html.escape("<script> & co"), parse_mode=ParseMode.HTML
        )
        assert ok.text == "diary: <script> & co"
        with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
            await bot.send_message(chat, "Done.", parse_mode=ParseMode.MARKDOWN_V2)

        assert len((await bot.send_message(chat, "a" * 4096)).text) == 4096
        assert await bot.send_message(chat, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(chat, "a" * 4097)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(chat, "   ")
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await bot.send_photo(chat, jpeg(64, 64), caption="c" * 1025)

        album = await bot.send_media_group(
            chat, [InputMediaPhoto(jpeg(64, 48), caption="one"), InputMediaPhoto(jpeg(48, 64))]
        )
        assert [m.caption for m in album] == ["one", None]
        assert album[0].media_group_id == album[1].media_group_id is not None
        assert user.downloaded(fake_telegram.calls[-1]) == fake_telegram.file_bytes(
            album[0].photo[-1].file_id
        )

        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="가" * 22)]])
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(chat, "pick", reply_markup=too_long)
        fits = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("x", callback_data="가" * 21),
                    InlineKeyboardButton(" ", callback_data="gap"),
                ]
            ]
        )
        assert await bot.send_message(chat, "pick", reply_markup=fits)
        with pytest.raises(BadRequest, match=r"(?i)text buttons are not allowed"):
            await bot.send_message(
                chat,
                "pick",
                reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            )

    rejected = [c for c in fake_telegram.calls if not c.ok]
    assert len(rejected) == 8
    assert all(c.error_code == 400 for c in rejected)


async def test_get_updates_semantics(fake_telegram: FakeTelegram, make_user) -> None:
    user = make_user()
    api = f"{fake_telegram.base_url}{fake_telegram.token}"
    async with aiohttp.ClientSession() as session:

        async def get_updates(**params) -> dict:
            async with session.post(f"{api}/getUpdates", json=params) as response:
                return await response.json()

        first = await user.send_text("one")
        await user.send_text("two")
        await user.send_text("three")
        ids = [u["update_id"] for u in (await get_updates())["result"]]
        assert ids == [first["update_id"] + i for i in range(3)]
        assert [u["update_id"] for u in (await get_updates(limit=1))["result"]] == ids[:1]
        # confirming drops what came before the offset
        assert [u["update_id"] for u in (await get_updates(offset=ids[1]))["result"]] == ids[1:]
        assert [u["update_id"] for u in (await get_updates(offset=-1))["result"]] == ids[2:]
        assert (await get_updates(offset=ids[2] + 1))["result"] == []

        began = time.monotonic()
        assert (await get_updates(offset=ids[2] + 1, timeout=1))["result"] == []
        assert time.monotonic() - began >= 0.9  # the empty poll was held open for its timeout

        # a long poll returns as soon as an update arrives
        poll = asyncio.create_task(get_updates(offset=ids[2] + 1, timeout=5))
        await asyncio.sleep(0.1)
        late = await user.send_text("late")
        assert [u["update_id"] for u in (await poll)["result"]] == [late["update_id"]]

        # a second poller terminates the first one, like Telegram
        waiting = asyncio.create_task(get_updates(offset=late["update_id"] + 1, timeout=5))
        await asyncio.sleep(0.1)
        assert (await get_updates(offset=late["update_id"] + 1))["result"] == []
        assert (await waiting)["error_code"] == 409

        async with session.post(f"{api}/setWebhook", data={"url": "https://example.org/hook"}):
            pass
        assert (await get_updates())["error_code"] == 409
        async with session.post(f"{api}/deleteWebhook", data={"drop_pending_updates": "true"}):
            pass
        assert (await get_updates())["result"] == []


async def test_edits_member_updates_and_failure_reports(
    fake_telegram: FakeTelegram, make_user
) -> None:
    user = make_user()
    app = build_application(None, fake_telegram)

    async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.edited_message is not None
        keyboard = ReplyKeyboardMarkup([["A", "B"]])
        text = f"edited: {update.edited_message.text}"
        await context.bot.send_message(update.edited_message.chat_id, text, reply_markup=keyboard)

    async def two(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("first")
        await asyncio.sleep(0.05)
        await update.effective_message.reply_text(f"second {context.args}")

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        context.bot_data["status"] = update.my_chat_member.new_chat_member.status

    async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("handler bug")

    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited))
    app.add_handler(CommandHandler("two", two))
    app.add_handler(CommandHandler("boom", boom))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    with pytest.raises(AssertionError, match=r"raised in its handlers.*handler bug"):
        async with running_application(app, fake_telegram):
            sent = await user.send_text("typo")
            await user.edit_message(sent, "fixed")
            [reply] = await user.wait_for_reply()
            assert reply.text == "edited: fixed"
            assert user.reply_keyboard == [["A", "B"]]

            await user.send_text("/two a b")  # a typed command gets its bot_command entity
            replies = await user.wait_for_reply(settle=0.3)
            assert [r.text for r in replies] == ["first", "second ['a', 'b']"]

            await user.block_bot()
            await wait_idle(app, fake_telegram)
            assert app.bot_data["status"] == "kicked"

            await user.send_command("/boom")
            with pytest.raises(AssertionError) as report:
                await user.wait_for_reply(timeout=0.3)
            assert "got 0 within 0.3s" in str(report.value)
            assert "handler bug" in str(report.value)
