"""Script a Telegram user talking to the bot through ``FakeTelegram``.

``TelegramUser`` builds the updates a real client would cause (messages with photos, voice notes,
documents, stickers, locations, commands with their ``bot_command`` entity, button presses,
edits, group and channel posts) and reads back what the bot did in this user's chat::

    user = TelegramUser(fake, first_name="Minji", language_code="ko")
    await user.send_command("/start")
    replies = await user.wait_for_reply()          # what the bot sent since the command
    await user.press("Skip", on=replies[-1])       # a callback_query from that keyboard
    edit = await user.wait_for_reply(lambda c: c.method == "editMessageText")

Every ``send_*``/``press`` call first moves the user's *mark* to "now", so ``wait_for_reply``
and ``replies`` only see what the bot did after the user's last action.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fakebotapi.formatting import utf16_len
from fakebotapi.server import BotCall, Button, FakeTelegram, keyboard_buttons, sniff_mime

__all__ = ["TelegramUser"]

_user_ids = itertools.count(100_000_001)
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?(?=\s|$)")
# Stand-in sticker bytes (a WebP header) for send_sticker() without data.
_STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11"

MessageRef = BotCall | dict[str, Any] | int | None
Predicate = Callable[[BotCall], bool]


def _timestamp(date: int | float | datetime | None, clock: Callable[[], float]) -> int:
    if date is None:
        return int(clock())
    if isinstance(date, datetime):
        return int(date.timestamp())
    return int(date)


class TelegramUser:
    """A person in a private chat with the bot (see the module docstring)."""

    def __init__(
        self,
        fake: FakeTelegram,
        *,
        user_id: int | None = None,
        first_name: str = "Minji",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ko",
        is_premium: bool | None = None,
    ) -> None:
        self.fake = fake
        self.user: dict[str, Any] = {
            "id": user_id if user_id is not None else next(_user_ids),
            "is_bot": False,
            "first_name": first_name,
        }
        if last_name:
            self.user["last_name"] = last_name
        if username:
            self.user["username"] = username
        if language_code:
            self.user["language_code"] = language_code
        if is_premium:
            self.user["is_premium"] = True
        self.chat: dict[str, Any] = fake.register_user(self.user)
        #: Every update this user caused, in order.
        self.updates: list[dict[str, Any]] = []
        self._mark = len(fake.calls)

    # ------------------------------------------------------------------ identity
    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    def __repr__(self) -> str:
        return f"<TelegramUser {self.id} {self.user['first_name']!r}>"

    # ------------------------------------------------------------------ building updates
    def mark(self) -> int:
        """Start a new "since" point for ``replies``/``wait_for_reply``; returns it."""
        self._mark = len(self.fake.calls)
        return self._mark

    def _new_message(
        self,
        fields: dict[str, Any],
        *,
        chat: dict[str, Any] | None = None,
        date: int | float | datetime | None = None,
        reply_to: MessageRef = None,
        sender: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        chat = chat or self.chat
        message: dict[str, Any] = {
            "message_id": self.fake.next_message_id(int(chat["id"])),
            "date": _timestamp(date, self.fake.clock),
            "chat": copy.deepcopy(chat),
        }
        if sender is not None:
            message["from"] = copy.deepcopy(sender)
        if reply_to is not None:
            target = self._resolve(reply_to, chat_id=int(chat["id"]))
            message["reply_to_message"] = {
                k: v for k, v in copy.deepcopy(target).items() if k != "reply_to_message"
            }
        message.update(fields)
        return self.fake.add_message(message)

    async def _push(self, payload: dict[str, Any], *, duplicate: bool = False) -> dict[str, Any]:
        self.mark()
        update = self.fake.push_update(payload, duplicate=duplicate)
        self.updates.append(update)
        await asyncio.sleep(0)
        return update

    async def _send(
        self,
        fields: dict[str, Any],
        *,
        date: int | float | datetime | None = None,
        reply_to: MessageRef = None,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        message = self._new_message(fields, date=date, reply_to=reply_to, sender=self.user)
        return await self._push({"message": copy.deepcopy(message)}, duplicate=duplicate)

    @staticmethod
    def _text_fields(text: str, entities: list[dict[str, Any]] | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        found = list(entities or [])
        match = _COMMAND_RE.match(text)
        if match and not any(e.get("type") == "bot_command" for e in found):
            # Telegram marks a leading /command, which is what CommandHandler looks for.
            found.insert(0, {"type": "bot_command", "offset": 0, "length": utf16_len(match[0])})
        if found:
            fields["entities"] = found
        return fields

    async def send_text(
        self,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: MessageRef = None,
        date: int | float | datetime | None = None,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        """A text message (a leading ``/command`` gets its bot_command entity, like Telegram)."""
        return await self._send(
            self._text_fields(text, entities), date=date, reply_to=reply_to, duplicate=duplicate
        )

    async def send_command(
        self,
        command: str,
        args: str = "",
        *,
        date: int | float | datetime | None = None,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        """``/start`` or ``start``, with optional arguments (``"/summary", "2024-06"``)."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {args}".rstrip() if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        fields = {"text": text, "entities": [entity]}
        return await self._send(fields, date=date, duplicate=duplicate)

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        *,
        date: int | float | datetime | None = None,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        """A photo (PhotoSize list: JPEG thumbnails, the largest is ``data`` itself)."""
        fields: dict[str, Any] = {"photo": self.fake.photo_sizes(data)}
        if caption:
            fields["caption"] = caption
        return await self._send(fields, date=date, duplicate=duplicate)

    async def send_voice(
        self,
        data: bytes,
        duration: int = 3,
        *,
        mime_type: str = "audio/ogg",
        caption: str | None = None,
        date: int | float | datetime | None = None,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        """A voice note (record in OGG/Opus like Telegram clients do)."""
        stored = self.fake.store_file(data, "voice", mime_type=mime_type)
        fields: dict[str, Any] = {
            "voice": self.fake.media_object("voice", stored, {"duration": duration})
        }
        if caption:
            fields["caption"] = caption
        return await self._send(fields, date=date, duplicate=duplicate)

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        date: int | float | datetime | None = None,
    ) -> dict[str, Any]:
        """A file sent "as a document" (e.g. a photo sent uncompressed)."""
        mime = mime_type or sniff_mime(data, file_name)
        stored = self.fake.store_file(data, "document", mime_type=mime, file_name=file_name)
        fields: dict[str, Any] = {"document": self.fake.media_object("document", stored)}
        if caption:
            fields["caption"] = caption
        return await self._send(fields, date=date)

    async def send_sticker(
        self, emoji: str = "😀", *, data: bytes | None = None, set_name: str = "HotCherry"
    ) -> dict[str, Any]:
        stored = self.fake.store_file(data or _STICKER_BYTES, "sticker", mime_type="image/webp")
        sticker = self.fake.media_object("sticker", stored, {"emoji": emoji})
        sticker["set_name"] = set_name
        return await self._send({"sticker": sticker})

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return await self._send({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(self, phone_number: str, first_name: str) -> dict[str, Any]:
        contact = {"phone_number": phone_number, "first_name": first_name, "user_id": self.id}
        return await self._send({"contact": contact})

    async def edit_message(self, target: MessageRef, text: str) -> dict[str, Any]:
        """Edit one of the user's own text messages → an ``edited_message`` update."""
        message = self._resolve(target)
        if int(message.get("from", {}).get("id", 0)) != self.id:
            raise AssertionError("a user can only edit their own messages")
        if "text" not in message:
            raise AssertionError("only text messages can be edited this way")
        message.pop("entities", None)
        message.update(self._text_fields(text, None))
        message["edit_date"] = int(self.fake.clock())
        return await self._push({"edited_message": copy.deepcopy(message)})

    async def edit_caption(self, target: MessageRef, caption: str) -> dict[str, Any]:
        """Edit the caption of one of the user's own media messages → an ``edited_message``."""
        message = self._resolve(target)
        if int(message.get("from", {}).get("id", 0)) != self.id:
            raise AssertionError("a user can only edit their own messages")
        if "caption" not in message and "photo" not in message:
            raise AssertionError("only media messages have a caption")
        message.pop("caption_entities", None)
        message["caption"] = caption
        message["edit_date"] = int(self.fake.clock())
        return await self._push({"edited_message": copy.deepcopy(message)})

    # ------------------------------------------------------------------ buttons
    def _resolve(self, ref: MessageRef, *, chat_id: int | None = None) -> dict[str, Any]:
        """The current state of a message: BotCall, message/update dict, message_id, or None
        (None = the bot's latest message here that has an inline keyboard)."""
        chat_id = self.chat_id if chat_id is None else chat_id
        if ref is None:
            for message in self.fake.chat_history(chat_id)[::-1]:
                if self._from_bot(message) and message.get("reply_markup"):
                    return message
            raise AssertionError(f"no bot message with an inline keyboard in chat {chat_id}")
        if isinstance(ref, BotCall):
            if ref.message is None:
                raise AssertionError(f"{ref!r} returned no message")
            chat_id, message_id = int(ref.message["chat"]["id"]), int(ref.message["message_id"])
        elif isinstance(ref, dict):
            inner = next(
                (ref[k] for k in ("message", "edited_message", "channel_post") if k in ref),
                ref,
            )
            chat_id, message_id = int(inner["chat"]["id"]), int(inner["message_id"])
        else:
            message_id = int(ref)
        current = self.fake.message(chat_id, message_id)
        if current is None:
            raise AssertionError(f"message {message_id} in chat {chat_id} is unknown or deleted")
        return current

    def _from_bot(self, message: dict[str, Any]) -> bool:
        sender = message.get("from") or {}
        return bool(sender.get("id") == self.fake.bot_id)

    def buttons(self, msg: MessageRef = None) -> list[list[Button]]:
        """Inline keyboard rows of a message as it is now (after the bot's edits)."""
        return keyboard_buttons(self._resolve(msg).get("reply_markup"))

    def button_texts(self, msg: MessageRef = None) -> list[str]:
        return [button.text for row in self.buttons(msg) for button in row]

    def find_button(self, button: str, msg: MessageRef = None) -> Button:
        """By exact text, else exact callback_data, else the one button whose text contains it."""
        flat = [b for row in self.buttons(msg) for b in row]
        for candidates in (
            [b for b in flat if b.text == button],
            [b for b in flat if b.callback_data == button],
            [b for b in flat if button in b.text],
        ):
            if len(candidates) == 1 or (candidates and candidates[0].text == button):
                return candidates[0]
            if len(candidates) > 1:
                raise AssertionError(f"{button!r} matches several buttons: {candidates}")
        raise AssertionError(f"no button {button!r}; the keyboard has {[b.text for b in flat]}")

    async def press(self, button: str, on: MessageRef = None) -> dict[str, Any]:
        """Tap an inline button (by text or callback_data) → a ``callback_query`` update."""
        message = self._resolve(on)
        found = self.find_button(button, message)
        if found.callback_data is None:
            raise AssertionError(f"button {found.text!r} has no callback_data ({found.raw})")
        return await self.send_callback(found.callback_data, on=message)

    async def send_callback(
        self, data: str, on: MessageRef = None, *, duplicate: bool = False
    ) -> dict[str, Any]:
        """A callback_query with any ``data``: e.g. forged data naming another user's entry."""
        message = self._resolve(on)
        query_id = self.fake.new_callback_query_id()
        query = {
            "id": query_id,
            "from": copy.deepcopy(self.user),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(abs(hash((self.fake.bot_id, int(message["chat"]["id"])))))),
            "data": data,
        }
        self.fake.callback_queries[query_id] = query
        return await self._push({"callback_query": query}, duplicate=duplicate)

    # ------------------------------------------------------------------ other chats
    async def send_group_text(
        self,
        text: str,
        *,
        chat_id: int = -1001234567890,
        title: str = "Friends",
        chat_type: str = "supergroup",
    ) -> dict[str, Any]:
        """This user writes in a group the bot is in."""
        chat = self.fake.chats.get(chat_id) or self.fake.register_chat(
            {"id": chat_id, "type": chat_type, "title": title}
        )
        message = self._new_message(self._text_fields(text, None), chat=chat, sender=self.user)
        return await self._push({"message": copy.deepcopy(message)})

    async def send_channel_post(
        self, text: str, *, chat_id: int = -1009876543210, title: str = "My channel"
    ) -> dict[str, Any]:
        """A post in a channel the bot is admin of (no ``from``; ``sender_chat`` is the channel)."""
        chat = self.fake.chats.get(chat_id) or self.fake.register_chat(
            {"id": chat_id, "type": "channel", "title": title}
        )
        message = self._new_message({"text": text, "sender_chat": copy.deepcopy(chat)}, chat=chat)
        return await self._push({"channel_post": copy.deepcopy(message)})

    async def block_bot(self) -> dict[str, Any]:
        """The user blocks the bot: a my_chat_member update, and 403 on every later send."""
        self.fake.block(self.id)
        return await self._push({"my_chat_member": self._member_change("member", "kicked")})

    async def unblock_bot(self) -> dict[str, Any]:
        self.fake.unblock(self.id)
        return await self._push({"my_chat_member": self._member_change("kicked", "member")})

    def _member_change(self, old: str, new: str) -> dict[str, Any]:
        bot = {k: self.fake.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

        def member(status: str) -> dict[str, Any]:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": dict(bot), **extra}

        return {
            "chat": copy.deepcopy(self.chat),
            "from": copy.deepcopy(self.user),
            "date": int(self.fake.clock()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }

    # ------------------------------------------------------------------ reading the bot
    def calls(self, since: int | None = None, *, ok: bool | None = None) -> list[BotCall]:
        """Every finished call about this chat (sends, edits, chat actions, answers, errors)."""
        return self.fake.calls_to(self.chat_id, since=self._mark if since is None else since, ok=ok)

    def replies(self, since: int | None = None) -> list[BotCall]:
        """Successful sends/edits/deletes in this chat since the mark (or ``since``)."""
        return [c for c in self.calls(since, ok=True) if c.is_reply]

    async def wait_for_reply(
        self,
        predicate: Predicate | None = None,
        timeout: float = 10.0,
        *,
        count: int = 1,
        settle: float = 0.0,
    ) -> list[BotCall]:
        """Wait until ``count`` replies since the mark match ``predicate`` (default: any reply),
        then return *all* replies since the mark, in order.

        ``settle``: afterwards keep waiting until no new reply came for that many seconds (for
        a bot that answers with several messages). On timeout: AssertionError listing what the
        bot did in this chat, including failed calls, and the application's errors.
        """
        since = self._mark

        def matching() -> list[BotCall]:
            return [c for c in self.replies(since) if predicate is None or predicate(c)]

        if not await self.fake.wait_until(lambda: len(matching()) >= count, timeout):
            raise AssertionError(self._timeout_report(since, timeout, count, len(matching())))
        if settle > 0:
            seen = len(self.replies(since))
            while True:
                before = seen

                def grew(n: int = before) -> bool:
                    return len(self.replies(since)) > n

                await self.fake.wait_until(grew, settle)
                seen = len(self.replies(since))
                if seen == before:
                    break
        return self.replies(since)

    def _timeout_report(self, since: int, timeout: float, count: int, got: int) -> str:
        lines = [
            f"{self!r}: wanted {count} matching repl{'y' if count == 1 else 'ies'}, got {got} "
            f"within {timeout}s.",
            "Bot calls about this chat since the mark:",
        ]
        lines += [f"  {c!r}" for c in self.calls(since)] or ["  (none)"]
        unfinished = [c for c in self.fake.calls[since:] if not c.done]
        if unfinished:
            lines.append(f"Still in flight: {unfinished!r}")
        pending = self.fake.pending_updates
        if pending:
            ids = [u["update_id"] for u in pending]
            lines.append(f"Updates not yet confirmed by the bot: {ids}")
        if self.fake.app_errors:
            lines.append(f"Application errors: {self.fake.app_errors!r}")
        if self.fake.server_errors:
            lines.append(f"Errors inside FakeTelegram: {self.fake.server_errors!r}")
        return "\n".join(lines)

    async def wait_for_answer(
        self, update: dict[str, Any], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The bot's answerCallbackQuery for the query in ``update`` (the spinner stops)."""
        query_id = str(update["callback_query"]["id"])
        if not await self.fake.wait_until(lambda: query_id in self.fake.callback_answers, timeout):
            raise AssertionError(f"callback query {query_id} was not answered within {timeout}s")
        return self.fake.callback_answers[query_id]

    def last_reply(self) -> BotCall | None:
        """The bot's most recent send/edit in this chat (whole conversation)."""
        replies = self.replies(since=0)
        return replies[-1] if replies else None

    def last_text(self) -> str | None:
        """Text (or caption) of the bot's latest message or edit here, as the user reads it."""
        for call in reversed(self.replies(since=0)):
            if call.text is not None:
                return call.text
        return None

    def last_message(self) -> dict[str, Any] | None:
        """The bot's latest still-visible message here, in its current (edited) state."""
        for message in self.fake.chat_history(self.chat_id)[::-1]:
            if self._from_bot(message):
                return message
        return None

    def history(self) -> list[dict[str, Any]]:
        """The whole visible chat, both sides, oldest first."""
        return self.fake.chat_history(self.chat_id)

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The custom reply keyboard the bot last set for this chat (button texts)."""
        markup = self.fake.reply_keyboards.get(self.chat_id)
        if not markup or "keyboard" not in markup:
            return None
        rows = markup["keyboard"]
        return [[b if isinstance(b, str) else str(b.get("text")) for b in row] for row in rows]

    def downloaded(self, call: BotCall) -> bytes:
        """Bytes of the photo (largest size) / voice / document the bot sent in ``call``."""
        message = call.messages[0] if call.messages else None
        if message is None:
            raise AssertionError(f"{call!r} has no message")
        for kind in ("photo", "voice", "document", "audio", "video", "animation", "sticker"):
            if kind in message:
                obj = message[kind][-1] if kind == "photo" else message[kind]
                return self.fake.file_bytes(str(obj["file_id"]))
        raise AssertionError(f"{call!r} carries no file")
