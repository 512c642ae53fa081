"""A fake Telegram Bot API server for end-to-end tests.

``FakeTelegram`` is an aiohttp server on 127.0.0.1 (a free port) that speaks the Bot API over
real HTTP, faithfully enough for python-telegram-bot's ``Application`` to run against it with no
changes but ``base_url``/``base_file_url``. It keeps the state Telegram keeps (chats, the
messages in them, files, the update queue, commands, the webhook) and records every call the bot
makes, in order, with its parsed parameters and uploaded files, so tests assert on what the bot
sent.

Faithfulness that matters to a bot:

* requests: GET or POST; form-urlencoded (how PTB sends), JSON bodies, multipart uploads
  (``photo=<file>`` or ``attach://name``); method names case-insensitive; token checked
  (malformed → 404 ``Not Found``, wrong → 401 ``Unauthorized``);
* getUpdates: long polling (``timeout`` honoured, capped by ``max_poll_timeout``), ``offset``
  confirms and drops updates (negative offsets too), ``limit``, ``allowed_updates``; a second
  poller terminates the first with 409 like Telegram; 409 while a webhook is set;
* Telegram's limits and formatting: text ≤ 4096 and caption ≤ 1024 characters after entity
  parsing, HTML / MarkdownV2 / Markdown parsed like TDLib (errors read
  ``Bad Request: can't parse entities: ...``), inline keyboards validated (callback_data 1–64
  bytes → ``BUTTON_DATA_INVALID``), "message is not modified", "message to edit not found",
  "chat not found", a blocked user → 403;
* errors on demand: ``fail_next`` / ``flood_next`` / ``delay_next`` / ``block``;
* webhooks: after ``setWebhook`` the fake POSTs queued updates to the registered URL (with the
  ``X-Telegram-Bot-Api-Secret-Token`` header), one at a time, dropping each on a 2xx answer and
  retrying it otherwise. Telegram insists on https://, so set ``webhook_proxy`` to the bot's
  local ``http://host:port``: the fake then plays the TLS-terminating proxy in front of it.
  ``post_webhook`` sends one update by hand (any URL, any secret).

Use it as an async context manager (``async with FakeTelegram() as fake``) or through the
``fake_telegram`` fixture in ``tests.telegram.fixtures``; script users with
``fakebotapi.driver.TelegramUser``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import hashlib
import inspect
import io
import itertools
import json
import mimetypes
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from fakebotapi.formatting import EntityParseError, parse_formatted

__all__ = [
    "BLOCKED",
    "CHAT_NOT_FOUND",
    "MESSAGE_NOT_MODIFIED",
    "TOO_LONG",
    "ApiError",
    "BotCall",
    "Button",
    "FakeTelegram",
    "Injection",
    "StoredFile",
    "UploadedFile",
]

# Real descriptions Telegram answers with (PTB strips "Bad Request: " in BadRequest.message).
MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
TEXT_EMPTY = "Bad Request: message text is empty"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
#: Telegram refuses to delete a message for everyone once it is 48 hours old.
DELETE_WINDOW_S = 48 * 3600
DELETE_TOO_OLD = "Bad Request: message can't be deleted for everyone"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    413: "Request Entity Too Large",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_INLINE_BUTTONS = 100
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024

TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,64}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice "
    "upload_document choose_sticker find_location record_video_note upload_video_note"
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Parameters whose form value is JSON (PTB json-dumps every non-string value).
_JSON_PARAMS = _words(
    "reply_markup reply_parameters entities caption_entities commands scope "
    "link_preview_options allowed_updates media message_ids menu_button"
)
_INT_PARAMS = _words(
    "message_id offset limit timeout duration width height length message_thread_id "
    "reply_to_message_id cache_time from_chat_id max_connections user_id"
)
_FLOAT_PARAMS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
_BOOL_PARAMS = _words(
    "disable_notification protect_content show_alert drop_pending_updates "
    "disable_web_page_preview allow_sending_without_reply supports_streaming "
    "disable_content_type_detection has_spoiler show_caption_above_media "
    "allow_paid_broadcast"
)
# Bot methods that put something in front of the user (what tests call "replies").
SEND_METHODS = _words(
    "sendMessage sendPhoto sendVoice sendDocument sendAudio sendVideo sendAnimation "
    "sendSticker sendVideoNote sendLocation sendMediaGroup copyMessage forwardMessage"
)
EDIT_METHODS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"}
)
REPLY_METHODS = SEND_METHODS | EDIT_METHODS | {"deleteMessage", "deleteMessages"}

# sendX → the message field (and request parameter) that carries the file.
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendVoice": "voice",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
_FILE_DIRS = {
    "photo": ("photos", ".jpg"),
    "voice": ("voice", ".oga"),
    "document": ("documents", ""),
    "audio": ("music", ".mp3"),
    "video": ("videos", ".mp4"),
    "animation": ("animations", ".mp4"),
    "sticker": ("stickers", ".webp"),
    "video_note": ("video_notes", ".mp4"),
}
# Telegram file_id prefixes by kind (cosmetic, they only make ids look familiar).
_FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}
_PHOTO_SIDES = (90, 320, 800)


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, description)


@dataclass(frozen=True)
class UploadedFile:
    """One multipart part the bot uploaded."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class StoredFile:
    """A file the server holds: what getFile resolves and /file/bot<token>/<path> serves."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass(frozen=True)
class Button:
    """An inline keyboard button, as the bot sent it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass
class BotCall:
    """One Bot API call the bot made, with what the server answered."""

    seq: int
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    started: float
    done: bool = False
    result: Any = None
    error: dict[str, Any] | None = None
    injected: bool = False
    #: The call took effect but the bot never got the answer (``mode="lose_response"``).
    lost_response: bool = False

    @property
    def ok(self) -> bool:
        return self.done and self.error is None

    @property
    def error_code(self) -> int | None:
        return None if self.error is None else int(self.error["error_code"])

    @property
    def description(self) -> str | None:
        return None if self.error is None else str(self.error["description"])

    @property
    def message(self) -> dict[str, Any] | None:
        """The Message the call returned (send*/edit*), if any."""
        if isinstance(self.result, dict) and "message_id" in self.result:
            return self.result
        return None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every Message the call returned (several for sendMediaGroup)."""
        if isinstance(self.result, list):
            return [m for m in self.result if isinstance(m, dict) and "message_id" in m]
        return [self.result] if self.message is not None else []

    @property
    def message_id(self) -> int | None:
        msg = self.message
        if msg is not None:
            return int(msg["message_id"])
        mid = self.params.get("message_id")
        return mid if isinstance(mid, int) else None

    @property
    def chat_id(self) -> int | str | None:
        msg = self.message
        if msg is not None:
            return int(msg["chat"]["id"])
        value = self.params.get("chat_id")
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return value

    @property
    def raw_text(self) -> str | None:
        """Text or caption exactly as the bot sent it (HTML tags and all)."""
        for key in ("text", "caption"):
            if isinstance(self.params.get(key), str):
                return str(self.params[key])
        return None

    @property
    def text(self) -> str | None:
        """What the user reads: the message's text or caption after entity parsing."""
        msg = self.message
        if msg is not None:
            value = msg.get("text", msg.get("caption"))
            return None if value is None else str(value)
        return self.raw_text

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def buttons(self) -> list[list[Button]]:
        """Rows of the inline keyboard this call sent (empty when none)."""
        return keyboard_buttons(self.reply_markup)

    @property
    def file(self) -> bytes | None:
        """Bytes of the (first) file the bot uploaded with this call."""
        for uploaded in self.files.values():
            return uploaded.data
        return None

    @property
    def is_reply(self) -> bool:
        """A send/edit/delete that succeeded: something the user sees change."""
        return self.ok and self.method in REPLY_METHODS

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"error {self.error_code} {self.description!r}"
        shown = {k: v for k, v in self.params.items() if k not in ("chat_id",)}
        text = json.dumps(shown, ensure_ascii=False, default=str)
        if len(text) > 300:
            text = text[:300] + "…"
        files = f" files={sorted(self.files)}" if self.files else ""
        return f"<BotCall #{self.seq} {self.method} chat={self.chat_id} {status} {text}{files}>"


def keyboard_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    if not markup or not isinstance(markup.get("inline_keyboard"), list):
        return []
    return [
        [
            Button(
                text=str(b.get("text", "")),
                callback_data=b.get("callback_data"),
                url=b.get("url"),
                raw=b,
            )
            for b in row
        ]
        for row in markup["inline_keyboard"]
    ]


@dataclass
class Injection:
    """A planned failure (or delay) for the next calls of one method."""

    method: str
    times: int
    error_code: int | None
    description: str | None
    parameters: dict[str, Any] | None
    delay: float = 0.0
    chat_id: int | None = None
    mode: str = "error"  # "error" | "disconnect" | "lose_response"

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.times <= 0:
            return False
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        if self.method == "*" and method == "getUpdates":
            return False
        if self.chat_id is not None:
            chat = params.get("chat_id")
            return str(chat) == str(self.chat_id)
        return True


@dataclass
class _Poll:
    terminated: bool = False


def sniff_mime(data: bytes, filename: str | None = None, declared: str | None = None) -> str:
    """MIME type of uploaded bytes: magic numbers first, then the declared type, then the name."""
    head = data[:16]
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"GIF8"):
        return "image/gif"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        guessed = mimetypes.guess_type(filename or "", strict=False)[0]
        return guessed or "application/zip"
    if declared and declared != "application/octet-stream":
        return declared
    if filename:
        guessed = mimetypes.guess_type(filename, strict=False)[0]
        if guessed:
            return guessed
    return "application/octet-stream"


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image Pillow can read, else None."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a project dependency
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except Exception:
        return None


def _thumbnail(data: bytes, side: int) -> tuple[bytes, int, int] | None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            img = opened.convert("RGB")
        img.thumbnail((side, side))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=80)
        return buf.getvalue(), img.width, img.height
    except Exception:
        return None


Handler = Callable[[dict[str, Any], dict[str, UploadedFile]], Any]


class FakeTelegram:
    """The fake Bot API server. See the module docstring."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_id: int | None = None,
        bot_username: str = "facelog_test_bot",
        bot_first_name: str = "Facelog",
        host: str = "127.0.0.1",
        max_poll_timeout: float = 5.0,
        strict_voice: bool = True,
        messages_per_second: float | None = None,
        keep_calls: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if token is None:
            token = f"{bot_id or 7000000001}:AAH{secrets.token_urlsafe(24)[:32]}"
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = bot_id or (int(prefix) if prefix.isdigit() else 7000000001)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.host = host
        #: Telegram's clock (epoch seconds) for the ``date`` of messages: a test pinning the
        #: bot's clock to an instant pins this one too, so a message's day and "today" agree.
        self.clock = clock
        #: Longest getUpdates wait in seconds, whatever timeout the bot asks for.
        self.max_poll_timeout = max_poll_timeout
        #: sendVoice with bytes that aren't OGG/MP3/M4A arrives as a document, like Telegram.
        self.strict_voice = strict_voice
        #: Telegram's broadcast limit: more sends than this in any one second get a 429 with
        #: retry_after, like the real flood control (None: unlimited).
        self.messages_per_second = messages_per_second
        self._recent_sends: collections.deque[float] = collections.deque()
        #: False for load benchmarks: calls are counted in ``sent``/``flooded`` but not kept.
        self.keep_calls = keep_calls
        self.sent: collections.Counter[str] = collections.Counter()
        self.flooded = 0

        #: Every call but getUpdates, in arrival order.
        self.calls: list[BotCall] = []
        #: getUpdates log: (offset asked, update_ids returned).
        self.polls: list[tuple[int | None, list[int]]] = []
        self.webhook: dict[str, Any] | None = None
        #: Local origin that stands in for the webhook URL's https://host (the TLS proxy).
        self.webhook_proxy: str | None = None
        #: Webhook delivery log: (update_id, HTTP status; 0 when the connection failed).
        self.webhook_deliveries: list[tuple[int, int]] = []
        #: Pause before retrying a failed webhook delivery (Telegram backs off far longer).
        self.webhook_retry_s = 0.05
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_client: aiohttp.ClientSession | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        #: Exceptions the Application raised in handlers (filled by running_application).
        self.app_errors: list[BaseException] = []
        #: Exceptions inside the fake's own method implementations (answered as 500).
        self.server_errors: list[BaseException] = []

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._seq = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._pending: list[dict[str, Any]] = []
        self._forced: list[dict[str, Any]] = []
        self._allowed_updates: list[str] | None = None
        self._poller: _Poll | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._injections: list[Injection] = []
        self._handlers: dict[str, Handler] = {}
        self._method_names: dict[str, str] = {}

        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.reply_keyboards: dict[int, dict[str, Any] | None] = {}
        #: Callback queries the users made, by id, and the bot's answers to them.
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._next_message_id: dict[int, int] = {}
        self._file_seq = itertools.count(1)

        self._register_default_handlers()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._webhook_client is not None:
            await self._webhook_client.close()
            self._webhook_client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ waiting
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_changed(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until ``condition()`` holds (re-checked whenever the server's state changes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self._wait_changed(min(remaining, 0.25))
        return True

    async def wait_for_call(
        self,
        predicate: Callable[[BotCall], bool] | None = None,
        *,
        since: int = 0,
        timeout: float = 10.0,
    ) -> BotCall:
        """The first finished call at index ≥ ``since`` matching ``predicate``."""
        found: list[BotCall] = []

        def check() -> bool:
            for call in self.calls[since:]:
                if call.done and (predicate is None or predicate(call)):
                    found.append(call)
                    return True
            return False

        if not await self.wait_until(check, timeout):
            raise AssertionError(
                f"no matching bot call within {timeout}s; calls since #{since}: "
                f"{self.calls[since:]!r}"
            )
        return found[0]

    async def wait_delivered(self, update_id: int, timeout: float = 10.0) -> bool:
        """Wait until the bot has confirmed ``update_id`` (polled past it)."""
        return await self.wait_until(
            lambda: all(u["update_id"] != update_id for u in self._pending + self._forced),
            timeout,
        )

    # ------------------------------------------------------------------ failures
    def fail_next(
        self,
        method: str,
        error_code: int = 500,
        description: str | None = None,
        *,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
        chat_id: int | None = None,
        delay: float = 0.0,
        mode: str = "error",
    ) -> Injection:
        """Make the next ``times`` calls of ``method`` ("*" = any but getUpdates) fail.

        ``mode``: ``"error"`` answers ``{"ok": false, ...}`` without doing anything;
        ``"disconnect"`` drops the connection before doing anything (PTB: NetworkError);
        ``"lose_response"`` does the call (the message IS sent) and then drops the connection,
        the nastiest real-world case.
        """
        if mode not in ("error", "disconnect", "lose_response"):
            raise ValueError(f"unknown mode {mode!r}")
        if description is None:
            retry_after = (parameters or {}).get("retry_after", 1)
            description = _DEFAULT_DESCRIPTIONS.get(error_code, "Error").format(
                retry_after=retry_after
            )
        injection = Injection(
            method=method,
            times=times,
            error_code=error_code,
            description=description,
            parameters=parameters,
            delay=delay,
            chat_id=chat_id,
            mode=mode,
        )
        self._injections.append(injection)
        return injection

    def flood_next(self, method: str, retry_after: int = 1, *, times: int = 1) -> Injection:
        """429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``."""
        return self.fail_next(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            times=times,
        )

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> Injection:
        """Answer the next calls normally, but only after ``seconds``."""
        injection = Injection(method, times, None, None, None, delay=seconds)
        self._injections.append(injection)
        return injection

    def clear_failures(self) -> None:
        self._injections.clear()

    def block(self, user_id: int) -> None:
        """The user blocked the bot: every send to them answers 403 from now on."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def on(self, method: str, handler: Handler) -> None:
        """Add or replace the implementation of a Bot API method (sync or async)."""
        self._handlers[method] = handler
        self._method_names[method.lower()] = method

    # ------------------------------------------------------------------ users, chats, updates
    def register_user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Make a user and their private chat with the bot known (they pressed Start)."""
        self.users[int(user["id"])] = user
        chat = {"id": int(user["id"]), "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        self.chats[chat["id"]] = chat
        return chat

    def register_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        self.chats[int(chat["id"])] = chat
        return chat

    def next_message_id(self, chat_id: int) -> int:
        mid = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = mid + 1
        return mid

    def add_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message (e.g. the user's) so replies and edits can refer to it."""
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        self.messages[key] = message
        return message

    def push_update(self, payload: dict[str, Any], *, duplicate: bool = False) -> dict[str, Any]:
        """Queue an update (``payload`` is e.g. ``{"message": {...}}``); returns it with its id.

        ``duplicate=True`` queues the very same update (same update_id) twice, as Telegram does
        when it redelivers.
        """
        update = {"update_id": next(self._update_ids), **payload}
        self._pending.append(update)
        if duplicate:
            self._pending.append(copy.deepcopy(update))
        self._notify()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an already-delivered update again, same update_id, whatever the offset."""
        self._forced.append(copy.deepcopy(update))
        self._notify()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._forced) + list(self._pending)

    def new_callback_query_id(self) -> str:
        return str(next(self._query_ids))

    # ------------------------------------------------------------------ inspection
    def calls_to(
        self,
        chat_id: int | None = None,
        *,
        methods: Iterable[str] | None = None,
        since: int = 0,
        ok: bool | None = True,
    ) -> list[BotCall]:
        """Finished calls (from index ``since``), filtered by chat, method and success."""
        wanted = set(methods) if methods is not None else None
        result = []
        for call in self.calls[since:]:
            if not call.done:
                continue
            if ok is not None and call.ok != ok:
                continue
            if wanted is not None and call.method not in wanted:
                continue
            if chat_id is not None and call.chat_id != chat_id:
                query = self.callback_queries.get(str(call.params.get("callback_query_id")))
                if query is None or int(query["from"]["id"]) != chat_id:
                    continue
            result.append(call)
        return result

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The message as it is now (after edits); None if unknown or deleted."""
        if (chat_id, message_id) in self.deleted:
            return None
        return self.messages.get((chat_id, message_id))

    def chat_history(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message of the chat still visible, oldest first (user's and bot's)."""
        return [
            msg
            for (cid, mid), msg in sorted(self.messages.items(), key=lambda kv: kv[0])
            if cid == chat_id and (cid, mid) not in self.deleted
        ]

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or "")
        return list(self.commands.get(key, []))

    # ------------------------------------------------------------------ files
    def store_file(
        self,
        data: bytes,
        kind: str,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> StoredFile:
        """Keep bytes as a Telegram file (file_unique_id follows the content, like Telegram)."""
        n = next(self._file_seq)
        directory, ext = _FILE_DIRS.get(kind, ("documents", ""))
        if kind == "document" and file_name:
            ext = "." + file_name.rsplit(".", 1)[-1] if "." in file_name else ""
        elif kind == "photo" and mime_type == "image/png":
            ext = ".png"
        digest = hashlib.sha256(data).hexdigest()
        stored = StoredFile(
            file_id=_FILE_ID_PREFIX.get(kind, "BQACAgIAAxkBAAI")
            + f"{n:05d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{digest[:12]}",
            kind=kind,
            data=data,
            file_path=f"{directory}/file_{n}{ext}",
            mime_type=mime_type,
            file_name=file_name,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def photo_sizes(self, data: bytes) -> list[dict[str, Any]]:
        """PhotoSize list like Telegram's: smaller JPEG thumbnails, then the original bytes."""
        mime = sniff_mime(data)
        dims = image_size(data)
        sizes: list[dict[str, Any]] = []
        if dims is not None:
            width, height = dims
            for side in _PHOTO_SIDES:
                if max(width, height) <= side:
                    break
                thumb = _thumbnail(data, side)
                if thumb is None:
                    break
                thumb_data, w, h = thumb
                stored = self.store_file(thumb_data, "photo", mime_type="image/jpeg")
                sizes.append(self._photo_size(stored, w, h))
        else:
            width, height = 512, 512
        original = self.store_file(data, "photo", mime_type=mime)
        sizes.append(self._photo_size(original, width, height))
        return sizes

    @staticmethod
    def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "width": width,
            "height": height,
        }

    def media_object(
        self, kind: str, stored: StoredFile, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The Voice/Document/Audio/... object for a stored file."""
        params = params or {}
        obj: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if kind in ("voice", "audio", "video", "animation", "video_note"):
            obj["duration"] = int(params.get("duration") or 0)
        if kind in ("video", "animation"):
            obj["width"] = int(params.get("width") or 640)
            obj["height"] = int(params.get("height") or 480)
        if kind == "video_note":
            obj["length"] = int(params.get("length") or 240)
        if kind == "sticker":
            obj.update(
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji=params.get("emoji", "🙂"),
            )
        if kind in ("voice", "audio", "document", "video", "animation") and stored.mime_type:
            obj["mime_type"] = stored.mime_type
        if kind in ("document", "audio", "video", "animation") and stored.file_name:
            obj["file_name"] = stored.file_name
        if kind == "audio":
            for key in ("performer", "title"):
                if params.get(key):
                    obj[key] = params[key]
        return obj

    # ------------------------------------------------------------------ HTTP
    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        raw: dict[str, Any] = dict(request.query)
        content_type = request.content_type
        if request.method == "POST" and request.can_read_body:
            if content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            field=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    else:
                        raw[key] = value
        for key, value in raw.items():
            params[key] = self._decode_value(key, value)
        return params, files

    @staticmethod
    def _decode_value(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            if key in _JSON_PARAMS:
                return json.loads(value)
            if key in _INT_PARAMS and value.lstrip("-").isdigit():
                return int(value)
            if key == "chat_id" and value.lstrip("-").isdigit():
                return int(value)
            if key in _FLOAT_PARAMS:
                return float(value)
            if key in _BOOL_PARAMS:
                return value.lower() in ("true", "1")
        except ValueError as exc:
            if key == "reply_markup":
                raise bad_request(
                    "Bad Request: can't parse reply keyboard markup JSON object"
                ) from exc
            raise bad_request(f"Bad Request: can't parse {key} JSON object") from exc
        return value

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(
            body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    def _canonical(self, method: str) -> str | None:
        return self._method_names.get(method.lower())

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return self._json(ApiError(404, "Not Found").payload(), 404)
        if token != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        requested = request.match_info["method"]
        method = self._canonical(requested) or requested
        try:
            params, files = await self._read_params(request)
        except Exception as exc:
            error = exc if isinstance(exc, ApiError) else bad_request("Bad Request: invalid body")
            if method != "getUpdates":
                call = BotCall(next(self._seq), method, {}, {}, started=time.time())
                self.calls.append(call)
                return self._finish(call, error=error)
            return self._json(error.payload(), error.error_code)

        if method == "getUpdates":
            injection = self._take_injection(method, params)
            if injection is not None:
                if injection.delay:
                    await asyncio.sleep(injection.delay)
                if injection.error_code is not None:
                    planned = ApiError(
                        injection.error_code, injection.description or "", injection.parameters
                    )
                    return self._json(planned.payload(), planned.error_code)
            try:
                result = await self._get_updates(params)
            except ApiError as err:
                return self._json(err.payload(), err.error_code)
            return self._json({"ok": True, "result": result})

        call = BotCall(
            seq=next(self._seq),
            method=method,
            params=params,
            files=files,
            started=time.time(),
        )
        if self.keep_calls:
            self.calls.append(call)
        if method in SEND_METHODS and self._over_flood_limit():
            self.flooded += 1
            flood = ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            return self._finish(call, error=flood)
        injection = self._take_injection(method, params)
        mode = "normal"
        if injection is not None:
            call.injected = True
            if injection.delay:
                await asyncio.sleep(injection.delay)
            if injection.error_code is not None:
                mode = injection.mode
        if mode == "disconnect":
            call.error = {"error_code": 0, "description": "connection dropped by the fake server"}
            call.done = True
            self._notify()
            return self._drop(request)
        if mode == "error" and injection is not None:
            planned = ApiError(
                injection.error_code or 500, injection.description or "", injection.parameters
            )
            return self._finish(call, error=planned)

        handler = self._handlers.get(method)
        if handler is None:
            return self._finish(call, error=ApiError(404, "Not Found"))
        try:
            result = handler(params, files)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as err:
            return self._finish(call, error=err)
        except EntityParseError as err:
            parse_error = bad_request(f"Bad Request: can't parse entities: {err}")
            return self._finish(call, error=parse_error)
        except Exception as exc:  # a bug in the fake itself: keep it visible
            self.server_errors.append(exc)
            return self._finish(call, error=ApiError(500, "Internal Server Error"))
        response = self._finish(call, result=result)
        if mode == "lose_response":
            call.lost_response = True
            return self._drop(request)
        return response

    def _over_flood_limit(self) -> bool:
        """True when this send would exceed the limit within the last second (then refused)."""
        if self.messages_per_second is None:
            return False
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.messages_per_second:
            return True
        self._recent_sends.append(now)
        return False

    def _finish(
        self, call: BotCall, *, result: Any = None, error: ApiError | None = None
    ) -> web.Response:
        call.done = True
        if error is None and call.method in SEND_METHODS:
            self.sent[call.method] += 1
        if error is not None:
            call.error = error.payload()
            self._notify()
            return self._json(error.payload(), error.error_code)
        call.result = result
        self._notify()
        body: dict[str, Any] = {"ok": True, "result": result}
        if call.method == "setWebhook":
            body["description"] = "Webhook was set"
        elif call.method == "deleteWebhook":
            body["description"] = "Webhook was deleted"
        return self._json(body)

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _take_injection(self, method: str, params: dict[str, Any]) -> Injection | None:
        for injection in self._injections:
            if injection.matches(method, params):
                injection.times -= 1
                if injection.times <= 0:
                    self._injections.remove(injection)
                return injection
        return None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if token != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return self._json(ApiError(404, "Not Found").payload(), 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ getUpdates
    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            keep = -offset
            self._pending = self._pending[-keep:] if keep else []
            return
        self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _select(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._allowed_updates
        if allowed:
            kept = []
            for update in self._pending:
                kinds = [k for k in update if k != "update_id"]
                if any(k in allowed for k in kinds):
                    kept.append(update)
            self._pending = kept
        batch = self._forced[:limit]
        self._forced = self._forced[len(batch) :]
        batch += self._pending[: limit - len(batch)]
        return batch

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook and self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = max(0.0, float(params.get("timeout") or 0))
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(offset)
        self._notify()

        if self._poller is not None:
            self._poller.terminated = True
        poll = _Poll()
        self._poller = poll
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(timeout, self.max_poll_timeout)
        try:
            while True:
                if poll.terminated:
                    raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
                batch = self._select(limit)
                if batch or self._closing:
                    break
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await self._wait_changed(remaining)
        finally:
            if self._poller is poll:
                self._poller = None
        self.polls.append((offset, [u["update_id"] for u in batch]))
        return copy.deepcopy(batch)

    # ------------------------------------------------------------------ method implementations
    def _register_default_handlers(self) -> None:
        table: dict[str, Handler] = {
            "getMe": lambda p, f: dict(self.bot_user),
            "logOut": lambda p, f: True,
            "close": lambda p, f: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._bot_text_setter("description"),
            "getMyDescription": self._bot_text_getter("description"),
            "setMyShortDescription": self._bot_text_setter("short_description"),
            "getMyShortDescription": self._bot_text_getter("short_description"),
            "setMyName": self._bot_text_setter("name"),
            "getMyName": self._bot_text_getter("name"),
            "setChatMenuButton": lambda p, f: True,
            "getChatMenuButton": lambda p, f: {"type": "commands"},
            "sendMessage": self._send_message,
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "getChat": self._get_chat,
        }
        for method in _MEDIA_METHODS:
            table[method] = self._media_sender(method)
        for method, handler in table.items():
            self.on(method, handler)
        self._method_names["getupdates"] = "getUpdates"

    # --- helpers
    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id is None or chat_id == "":
            raise bad_request("Bad Request: chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username") and "@" + chat["username"] == chat_id:
                    return chat
            raise bad_request(CHAT_NOT_FOUND)
        try:
            key = int(chat_id)
        except (TypeError, ValueError) as exc:
            raise bad_request(CHAT_NOT_FOUND) from exc
        found = self.chats.get(key)
        if found is None:
            raise bad_request(CHAT_NOT_FOUND)
        return found

    def _chat_for_send(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        if chat["type"] == "private" and int(chat["id"]) in self.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _bot_from(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_user["first_name"],
            "username": self.bot_user["username"],
        }

    def _format(
        self,
        text: Any,
        parse_mode: Any,
        entities: Any,
        *,
        caption: bool,
    ) -> tuple[str, list[dict[str, Any]]]:
        if text is None:
            text = ""
        text = str(text)
        try:
            plain, found = parse_formatted(
                text, parse_mode if isinstance(parse_mode, str) else None, entities
            )
        except ValueError as exc:
            if isinstance(exc, EntityParseError):
                raise bad_request(f"Bad Request: can't parse entities: {exc}") from exc
            raise bad_request("Bad Request: unsupported parse_mode") from exc
        if caption:
            if len(plain) > MAX_CAPTION:
                raise bad_request(CAPTION_TOO_LONG)
        else:
            if not plain:
                raise bad_request(TEXT_EMPTY)
            if len(plain) > MAX_TEXT:
                raise bad_request(TOO_LONG)
        return plain, found

    def _check_markup(self, markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    "Bad Request: can't parse inline keyboard button: field "
                    '"inline_keyboard" must be an Array of Arrays'
                )
            total = 0
            for row in rows:
                for button in row:
                    total += 1
                    self._check_button(button)
            if total > MAX_INLINE_BUTTONS:
                raise bad_request("Bad Request: reply markup is too long")
            return markup
        if inline_only:
            raise bad_request("Bad Request: inline keyboard expected")
        if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
            return markup
        raise bad_request("Bad Request: can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request(
                'Bad Request: can\'t parse InlineKeyboardButton: Field "text" must be of type '
                "String"
            )
        # An empty callback_data counts as none (and switch_inline_query="" is a real action).
        actions = [
            key
            for key in _BUTTON_ACTIONS
            if key in button and not (key == "callback_data" and button[key] == "")
        ]
        if not actions:
            raise bad_request(
                "Bad Request: can't parse InlineKeyboardButton: Text buttons are not allowed in "
                "the inline keyboard"
            )
        if "callback_data" in actions:
            data = button["callback_data"]
            if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                raise bad_request(BUTTON_DATA_INVALID)
        if "url" in actions:
            url = button["url"]
            if not isinstance(url, str) or not re.match(r"^(https?://[^\s/]+|tg://\S+)", url):
                raise bad_request(BUTTON_URL_INVALID)
        # Button text is not checked: blank labels (" ", used for calendar gaps) are accepted.

    def _reply_to(self, params: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if not reply:
            return None
        target_chat = self._chat(reply.get("chat_id", chat["id"]))
        target = self.message(int(target_chat["id"]), int(reply.get("message_id", 0)))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("Bad Request: message to be replied not found")
        shallow = {k: v for k, v in target.items() if k != "reply_to_message"}
        return copy.deepcopy(shallow)

    def _new_bot_message(
        self,
        chat: dict[str, Any],
        params: dict[str, Any],
        fields: dict[str, Any],
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.next_message_id(int(chat["id"])),
            "from": self._bot_from(),
            "chat": copy.deepcopy(chat),
            "date": int(self.clock()),
        }
        reply = self._reply_to(params, chat)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(fields)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = copy.deepcopy(markup)
        elif markup is not None:
            self.reply_keyboards[int(chat["id"])] = (
                None if "remove_keyboard" in markup else copy.deepcopy(markup)
            )
        self.add_message(message)
        return copy.deepcopy(message)

    # --- webhook, commands, bot texts
    def _set_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        url = params.get("url") or ""
        if url and not str(url).startswith("https://"):
            raise bad_request("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {**params, "url": url} if url else None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if self.webhook and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhooks())
        self._notify()
        return True

    def webhook_target(self, url: str | None = None) -> str | None:
        """Where a POST for ``url`` (default: the registered webhook) really goes: an https://
        URL through ``webhook_proxy`` (None while no proxy is set), a plain http:// URL as is."""
        url = url or (self.webhook or {}).get("url")
        if not url:
            return None
        if url.startswith("https://"):
            if not self.webhook_proxy:
                return None
            path = url.split("://", 1)[1].partition("/")[2]
            return f"{self.webhook_proxy.rstrip('/')}/{path}"
        return str(url)

    async def post_webhook(
        self, update: dict[str, Any], *, url: str | None = None, secret_token: Any = ...
    ) -> int:
        """POST one update like Telegram does; returns the HTTP status (0: no connection).

        ``secret_token`` defaults to the registered one; None sends no header.
        """
        target = self.webhook_target(url)
        if target is None:
            raise RuntimeError("no webhook registered and no url given")
        if secret_token is ...:
            secret_token = (self.webhook or {}).get("secret_token")
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret_token)
        if self._webhook_client is None:
            self._webhook_client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._webhook_client.post(
                target, data=json.dumps(update, ensure_ascii=False), headers=headers
            ) as response:
                await response.read()
                return int(response.status)
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def _deliver_webhooks(self) -> None:
        while not self._closing and self.webhook:
            queue = self._forced or self._pending
            if not queue or self.webhook_target() is None:
                await self._wait_changed(0.25)
                continue
            update = queue[0]
            status = await self.post_webhook(update)
            self.webhook_deliveries.append((int(update["update_id"]), status))
            if 200 <= status < 300:
                with contextlib.suppress(ValueError):
                    queue.remove(update)
                self._notify()
            else:
                await asyncio.sleep(self.webhook_retry_s)

    def _delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
            self._forced.clear()
        return True

    def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook:
            for key in ("max_connections", "ip_address", "allowed_updates"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request('Bad Request: parameter "commands" is required')
        if len(commands) > 100:
            raise bad_request("Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or "command" not in command:
                raise bad_request(
                    "Bad Request: can't parse BotCommand: Can't find field \"command\""
                )
            if "description" not in command:
                raise bad_request(
                    "Bad Request: can't parse BotCommand: Can't find field \"description\""
                )
            if not COMMAND_RE.match(str(command["command"])):
                raise bad_request("Bad Request: BOT_COMMAND_INVALID")
            description = str(command["description"]).strip()
            if not description:
                raise bad_request("Bad Request: command description must be non-empty")
            if len(description) > 256:
                raise bad_request("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> list[Any]:
        return list(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _bot_text_setter(self, name: str) -> Handler:
        def handler(params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
            self.bot_texts[(name, str(params.get("language_code") or ""))] = str(
                params.get(name) or ""
            )
            return True

        return handler

    def _bot_text_getter(self, name: str) -> Handler:
        def handler(params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, str]:
            key = (name, str(params.get("language_code") or ""))
            return {name: self.bot_texts.get(key, self.bot_texts.get((name, ""), ""))}

        return handler

    def _get_chat(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = dict(self._chat(params.get("chat_id")))
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return chat

    # --- sending
    def _send_message(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._check_markup(params.get("reply_markup"))
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        if params.get("link_preview_options"):
            fields["link_preview_options"] = params["link_preview_options"]
        return self._new_bot_message(chat, params, fields, markup)

    def _send_location(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        markup = self._check_markup(params.get("reply_markup"))
        try:
            location = {
                "latitude": float(params["latitude"]),
                "longitude": float(params["longitude"]),
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_request("Bad Request: wrong latitude or longitude specified") from exc
        return self._new_bot_message(chat, params, {"location": location}, markup)

    def _send_media_group(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        chat = self._chat_for_send(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            # (wording approximate) Telegram wants 2–10 items
            raise bad_request("Bad Request: wrong number of messages to send")
        group_id = str(next(self._file_seq) * 7919 + 13_000_000_000_000_000)
        messages = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "video", "document", "audio"):
                raise bad_request("Bad Request: can't parse InputMedia JSON object")
            source = self._resolve_input_file(item.get("media"), kind, files)
            caption, entities = self._format(
                item.get("caption"),
                item.get("parse_mode"),
                item.get("caption_entities"),
                caption=True,
            )
            fields: dict[str, Any] = {"media_group_id": group_id}
            if caption:
                fields["caption"] = caption
            if entities:
                fields["caption_entities"] = entities
            fields.update(self._media_fields(kind, source, item))
            messages.append(self._new_bot_message(chat, params, fields, None))
        return messages

    def _send_chat_action(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self._chat_for_send(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("Bad Request: wrong parameter action in request")
        return True

    def _resolve_input_file(
        self, value: Any, name: str, files: dict[str, UploadedFile]
    ) -> UploadedFile | StoredFile:
        if name in files and value is None:
            return files[name]
        if isinstance(value, str) and value.startswith("attach://"):
            part = value[len("attach://") :]
            if part not in files:
                raise bad_request(f'Bad Request: can\'t find attached file "{part}"')
            return files[part]
        if isinstance(value, str) and value:
            if value in self.files:
                return self.files[value]
            if value.startswith(("http://", "https://")):
                raise bad_request("Bad Request: failed to get HTTP URL content")
            raise bad_request("Bad Request: wrong file identifier/HTTP URL specified")
        raise bad_request(f"Bad Request: there is no {name} in the request")

    def _media_sender(self, method: str) -> Handler:
        kind = _MEDIA_METHODS[method]

        def handler(params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
            chat = self._chat_for_send(params)
            source = self._resolve_input_file(params.get(kind), kind, files)
            fields: dict[str, Any] = {}
            if kind != "sticker" and kind != "video_note":
                caption, entities = self._format(
                    params.get("caption"),
                    params.get("parse_mode"),
                    params.get("caption_entities"),
                    caption=True,
                )
                if caption:
                    fields["caption"] = caption
                if entities:
                    fields["caption_entities"] = entities
            markup = self._check_markup(params.get("reply_markup"))
            fields.update(self._media_fields(kind, source, params))
            return self._new_bot_message(chat, params, fields, markup)

        return handler

    def _media_fields(
        self, kind: str, source: UploadedFile | StoredFile, params: dict[str, Any]
    ) -> dict[str, Any]:
        if isinstance(source, StoredFile):
            if kind == "photo":
                width, height = image_size(source.data) or (512, 512)
                return {"photo": [self._photo_size(source, width, height)]}
            return {kind: self.media_object(kind, source, params)}
        filename = source.filename
        if filename and filename.replace(".", "/", 1) == source.content_type:
            filename = None  # PTB's made-up name for bytes sent without a file name
        mime = sniff_mime(source.data, filename, source.content_type)
        if kind == "photo":
            if not mime.startswith("image/"):
                raise bad_request("Bad Request: IMAGE_PROCESS_FAILED")
            return {"photo": self.photo_sizes(source.data)}
        if (
            kind == "voice"
            and self.strict_voice
            and mime
            not in (
                "audio/ogg",
                "audio/mpeg",
                "audio/mp4",
            )
        ):
            stored = self.store_file(source.data, "document", mime_type=mime, file_name=filename)
            return {"document": self.media_object("document", stored, params)}
        stored = self.store_file(source.data, kind, mime_type=mime, file_name=filename)
        return {kind: self.media_object(kind, stored, params)}

    # --- editing
    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request("Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat_for_send(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("Bad Request: message identifier is not specified")
        message = self.message(int(chat["id"]), message_id)
        if message is None:
            raise bad_request(EDIT_NOT_FOUND)
        if int(message.get("from", {}).get("id", 0)) != self.bot_id:
            raise bad_request("Bad Request: message can't be edited")
        return message

    def _apply_edit(
        self, message: dict[str, Any], changes: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        before = {k: message.get(k) for k in changes}
        before["reply_markup"] = message.get("reply_markup")
        after = dict(changes) | {"reply_markup": markup}
        if before == after:
            raise bad_request(MESSAGE_NOT_MODIFIED)
        for key, value in after.items():
            if value in (None, []):
                message.pop(key, None)
            else:
                message[key] = copy.deepcopy(value)
        message["edit_date"] = int(self.clock())
        self._notify()
        return copy.deepcopy(message)

    def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        message = self._edit_target(params)
        if "text" not in message:
            raise bad_request("Bad Request: there is no text in the message to edit")
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(message, {"text": text, "entities": entities or None}, markup)

    def _edit_message_caption(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        message = self._edit_target(params)
        if not any(k in message for k in _FILE_DIRS):
            raise bad_request("Bad Request: there is no caption in the message to edit")
        caption, entities = self._format(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        changes = {"caption": caption or None, "caption_entities": entities or None}
        return self._apply_edit(message, changes, markup)

    def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        message = self._edit_target(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(message, {}, markup)

    def _edit_message_media(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        message = self._edit_target(params)
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in _FILE_DIRS:
            raise bad_request("Bad Request: can't parse InputMedia JSON object")
        if not any(k in message for k in _FILE_DIRS):
            raise bad_request("Bad Request: there is no media in the message to edit")
        kind = str(media["type"])
        source = self._resolve_input_file(media.get("media"), kind, files)
        caption, entities = self._format(
            media.get("caption"),
            media.get("parse_mode"),
            media.get("caption_entities"),
            caption=True,
        )
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        changes: dict[str, Any] = dict.fromkeys(_FILE_DIRS)
        changes.update(self._media_fields(kind, source, media))
        changes.update(caption=caption or None, caption_entities=entities or None)
        return self._apply_edit(message, changes, markup)

    def _delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request(DELETE_NOT_FOUND)
        found = self.message(int(chat["id"]), message_id)
        if found is None:
            raise bad_request(DELETE_NOT_FOUND)
        if self.clock() - float(found.get("date", 0)) > DELETE_WINDOW_S:
            raise bad_request(DELETE_TOO_OLD)
        self.deleted.add((int(chat["id"]), message_id))
        self._notify()
        return True

    def _delete_messages(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params.get("chat_id"))
        for message_id in params.get("message_ids") or []:
            if self.message(int(chat["id"]), int(message_id)) is not None:
                self.deleted.add((int(chat["id"]), int(message_id)))
        self._notify()
        return True

    # --- callbacks and files
    def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise bad_request(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = dict(params)
        return True

    def _get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("Bad Request: invalid file_id")
        if stored.file_size > MAX_DOWNLOAD:
            raise bad_request("Bad Request: file is too big")
        return stored.as_file()
