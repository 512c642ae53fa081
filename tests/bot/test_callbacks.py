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
