"""Inline-button payloads: built and parsed in one place, so a forged or stale one is refused.

Telegram returns ``callback_data`` exactly as the bot set it, but any client can send any string
of up to 64 bytes; :func:`parse` accepts only the shapes below and everything else is ``None``.
Entry ids are never trusted on their own: handlers look them up scoped to the pressing user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from facelog.domain import ATTITUDES, COMPONENTS, INTENSITIES, LANGUAGES, LENGTHS, Month
from inference.labels import EMOTIONS, Emotion

_ENTRY_ID = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class Callback:
    """A parsed button press: ``action`` names the handler, ``value`` its checked argument."""

    action: str
    value: str | date | Month | None = None
    #: The second argument of a press on an entry: the emotion chosen, or the day to move to.
    extra: Emotion | date | None = None


def setting(kind: str, value: str = "") -> str:
    return f"set:{kind}:{value}" if value else f"set:{kind}"


def calendar(month: Month) -> str:
    return f"cal:{month}"


def day(value: date) -> str:
    return f"day:{value.isoformat()}"


def entry(entry_id: str) -> str:
    return f"ent:{entry_id}"


def listen(entry_id: str) -> str:
    return f"say:{entry_id}"


#: One letter per emotion keeps ``emo:<id>:<letter>`` well under Telegram's 64 bytes.
_EMOTION_CODES: dict[str, Emotion] = {e.value[0]: e for e in EMOTIONS}
_CODE_OF: dict[Emotion, str] = {e: code for code, e in _EMOTION_CODES.items()}


def edit(entry_id: str) -> str:
    """✏️: open the entry's edit keyboard in place."""
    return f"edit:{entry_id}"


def set_emotion(entry_id: str, emotion: Emotion) -> str:
    return f"emo:{entry_id}:{_CODE_OF[emotion]}"


def move(entry_id: str, day: date) -> str:
    """Move to an explicit day (not "one day back"): a double tap lands on the same day."""
    return f"mv:{entry_id}:{day.isoformat()}"


def edit_text(entry_id: str) -> str:
    return f"txt:{entry_id}"


def delete_entry(entry_id: str) -> str:
    """🗑: ask for a confirmation."""
    return f"rm:{entry_id}"


def delete_entry_yes(entry_id: str) -> str:
    return f"rmy:{entry_id}"


def back(entry_id: str) -> str:
    """Close the edit keyboard (or the delete question) and show the entry as it is now."""
    return f"back:{entry_id}"


def reminders(action: str, value: str = "") -> str:
    """``rem:on`` / ``rem:off`` / ``rem:time`` / ``rem:zone`` / ``rem:type`` / ``rem:menu``,
    ``rem:h:<hour>`` and ``rem:z:<index into COMMON_ZONES>`` (an index keeps it under 64 bytes)."""
    return f"rem:{action}:{value}" if value else f"rem:{action}"


#: The time zones ``/reminders`` offers as buttons; any other IANA name can be typed.
COMMON_ZONES: tuple[str, ...] = (
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)
_REMINDER_ACTIONS = {"on", "off", "time", "zone", "type", "menu"}

NOOP = "noop"
SKIP_INTRO = "intro:skip"
EDIT_NAME = "prof:name"
EDIT_INTRO = "prof:intro"
CLEAR_INTRO = "prof:clear"
DELETE_YES = "del:yes"
DELETE_NO = "del:no"
LEARN_RESET = "learn:reset"

_FIXED = {NOOP, SKIP_INTRO, EDIT_NAME, EDIT_INTRO, CLEAR_INTRO, DELETE_YES, DELETE_NO, LEARN_RESET}
#: Presses that name one entry and nothing else.
_ENTRY_ACTIONS = {"ent", "say", "edit", "txt", "rm", "rmy", "back"}
_SETTING_VALUES: dict[str, set[str]] = {
    "att": set(ATTITUDES),
    "cmp": set(COMPONENTS),
    "int": {str(v) for v in INTENSITIES},
    "len": {str(v) for v in LENGTHS},
    "lang": set(LANGUAGES),
}


def parse(data: str | None) -> Callback | None:
    """The press, or None for anything the bot never sent."""
    if not data or len(data.encode()) > 64:
        return None
    if data in _FIXED:
        return Callback(data)
    head, _, rest = data.partition(":")
    if head == "set":
        kind, _, value = rest.partition(":")
        if kind in {"voice", "done"} and not value:
            return Callback(f"set:{kind}")
        if value in _SETTING_VALUES.get(kind, set()):
            return Callback(f"set:{kind}", value)
        return None
    if head == "cal":
        try:
            return Callback("cal", Month.parse(rest))
        except ValueError:
            return None
    if head == "day":
        try:
            return Callback("day", date.fromisoformat(rest)) if len(rest) == 10 else None
        except ValueError:
            return None
    if head in _ENTRY_ACTIONS and _ENTRY_ID.fullmatch(rest):
        return Callback(head, rest)
    if head in {"emo", "mv"}:
        return _parse_entry_change(head, rest)
    if head == "rem":
        return _parse_reminders(rest)
    return None


def _parse_entry_change(head: str, rest: str) -> Callback | None:
    """``emo:<id>:<letter>`` → (id, Emotion); ``mv:<id>:<YYYY-MM-DD>`` → (id, date)."""
    entry_id, _, value = rest.partition(":")
    if not _ENTRY_ID.fullmatch(entry_id):
        return None
    if head == "emo":
        emotion = _EMOTION_CODES.get(value)
        return Callback("emo", entry_id, emotion) if emotion is not None else None
    try:
        return Callback("mv", entry_id, date.fromisoformat(value)) if len(value) == 10 else None
    except ValueError:
        return None


def _parse_reminders(rest: str) -> Callback | None:
    if rest in _REMINDER_ACTIONS:
        return Callback(f"rem:{rest}")
    kind, _, value = rest.partition(":")
    if not (value.isascii() and value.isdigit()) or len(value) > 2:
        return None
    number = int(value)
    if kind == "h" and 0 <= number <= 23:
        return Callback("rem:h", str(number))
    if kind == "z" and number < len(COMMON_ZONES):
        return Callback("rem:z", COMMON_ZONES[number])
    return None
