"""Bad pictures through the real bot: each gets a clear answer, none stores anything, none
breaks the bot, and the next real selfie is stored as usual."""

from __future__ import annotations

from typing import Any

from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall
from tests.bot.test_diary_flows import onboard

from .conftest import Bot, broken_formatting, wait_for
from .media import animated, png_bomb, truncated

UNREADABLE = "I can't read this file as a photo"
TOO_LARGE = "That photo is too large"
EMPTY = "That file is empty"
UNSUPPORTED = "I can't understand this kind of message yet"
MB = 1024 * 1024
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


async def send_hidden_size(user: TelegramUser, data: bytes, name: str, mime: str) -> None:
    """A document whose message does not say how big it is (file_size is optional in the Bot
    API), so only the download can find out."""
    stored = user.fake.store_file(data, "document", mime_type=mime, file_name=name)
    document = user.fake.media_object("document", stored)
    del document["file_size"]
    await user._send({"document": document})


async def answer_to(user: TelegramUser, send: Any) -> str:
    await send
    [reply] = await user.wait_for_reply(timeout=15)
    assert reply.text is not None
    return reply.text


async def test_broken_empty_huge_and_bomb_images_are_refused_clearly(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    face = face_photos["grace_hopper"]
    over_limit = b"\xff\xd8\xff\xe0" + bytes(21 * MB)  # a "JPEG" past Telegram's 20 MB
    cases = [
        (user.send_photo(truncated(face), caption="cut off"), UNREADABLE),
        (user.send_photo(b"", caption="nothing"), EMPTY),
        (user.send_photo(bytes(range(256)) * 64, caption="noise"), UNREADABLE),
        (user.send_photo(over_limit, caption="huge"), TOO_LARGE),
        (send_hidden_size(user, over_limit, "huge.jpg", "image/jpeg"), TOO_LARGE),
        (user.send_document(png_bomb(20_000), "bomb.png", "image/png"), TOO_LARGE),
        (user.send_document(png_bomb(8_000), "bomb2.png", "image/png"), TOO_LARGE),
        (user.send_document(PDF, "selfie.jpg", "image/jpeg"), UNREADABLE),  # claims to be JPEG
        (user.send_document(b"just words\n" * 50, "selfie.jpg", "image/jpeg"), UNREADABLE),
    ]
    for send, expected in cases:
        assert expected in await answer_to(user, send)
    assert await bot.repo.recent_entries(user.id, 5) == []

    await user.send_photo(face, caption="a real selfie after all that")
    await wait_for(user, is_post)
    assert len(await bot.repo.recent_entries(user.id, 5)) == 1
    assert not broken_formatting(bot.fake)


async def test_animations_are_read_from_their_first_frame_and_stickers_are_not_posts(
    bot: Bot, face_photos: dict[str, bytes]
) -> None:
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    face = face_photos["astronaut"]
    for fmt, name in (("GIF", "me.gif"), ("WEBP", "me.webp")):
        await user.send_document(animated(face, fmt), name, f"image/{fmt.lower()}", caption=fmt)
        post = await wait_for(user, is_post, timeout=15)
        assert "😊 Happy" in post.text and fmt in post.text  # the face in frame one was read
    stored = await bot.repo.recent_entries(user.id, 5)
    assert [e.text for e in stored] == ["GIF", "WEBP"]

    # Telegram turns a sent GIF into an MP4 "animation"; stickers are pictures, not selfies.
    clip = user.fake.store_file(b"\x00\x00\x00\x18ftypmp42", "animation", mime_type="video/mp4")
    animation = user.fake.media_object("animation", clip, {"duration": 2})
    sends = [
        user._send({"animation": animation}),
        user.send_sticker(data=animated(face, "WEBP")),
        user.send_sticker("🙂", data=b"\x1f\x8b\x08\x00tgs-lottie", set_name="AnimatedCats"),
    ]
    for send in sends:
        assert UNSUPPORTED in await answer_to(user, send)
    assert len(await bot.repo.recent_entries(user.id, 5)) == 2
