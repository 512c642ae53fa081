"""Button payloads: everything the bot builds parses back; nothing else does."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from facelog.domain import Month


def test_every_payload_the_bot_builds_parses_back() -> None:
    entry_id = "6b06ae2f700123ab6a91f293"
    built = {
        callbacks.calendar(Month(2024, 6)): ("cal", Month(2024, 6)),
        callbacks.day(date(2024, 6, 2)): ("day", date(2024, 6, 2)),
        callbacks.entry(entry_id): ("ent", entry_id),
        callbacks.listen(entry_id): ("say", entry_id),
        callbacks.setting("att", "polite"): ("set:att", "polite"),
        callbacks.setting("int", "0.5"): ("set:int", "0.5"),
        callbacks.setting("voice"): ("set:voice", None),
        callbacks.DELETE_YES: (callbacks.DELETE_YES, None),
    }
    for data, (action, value) in built.items():
        assert len(data.encode()) <= 64
        press = callbacks.parse(data)
        assert press is not None and (press.action, press.value) == (action, value)


def test_forged_payloads_are_refused() -> None:
    for forged in (
        "ent:../../etc",
        "ent:6b06ae2f",
        "set:int:2.0",
        "set:att:rude",
        "cal:2024-13",
        "day:2024-02-30",
        "del:maybe",
        "",
        "x" * 65,
        "say:" + "g" * 24,
    ):
        assert callbacks.parse(forged) is None


@given(st.text(max_size=100))
def test_parse_never_raises(data: str) -> None:
    press = callbacks.parse(data)
    assert press is None or isinstance(press.action, str)


def test_reminder_payloads_parse_to_checked_values() -> None:
    assert callbacks.parse(callbacks.reminders("off")) == callbacks.Callback("rem:off")
    assert callbacks.parse(callbacks.reminders("h", "7")) == callbacks.Callback("rem:h", "7")
    last = len(callbacks.COMMON_ZONES) - 1
    press = callbacks.parse(callbacks.reminders("z", str(last)))
    assert press == callbacks.Callback("rem:z", callbacks.COMMON_ZONES[last])
    for index in range(len(callbacks.COMMON_ZONES)):
        assert len(callbacks.reminders("z", str(index)).encode()) <= 64
    for forged in ("rem:h:24", "rem:h:007", "rem:h:٣", "rem:z:-1", "rem:z:99", "rem:off:1", "rem"):
        assert callbacks.parse(forged) is None
