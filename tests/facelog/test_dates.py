"""The optional date at the start of a caption (backdating an entry)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facelog.dates import DatePrefixError, split_date_prefix

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "day", "rest"),
    [
        ("2024-06-02 야구 또 졌다", date(2024, 6, 2), "야구 또 졌다"),
        ("2024.6.2: good day", date(2024, 6, 2), "good day"),
        ("6/2 어제 일기", date(2025, 6, 2), "어제 일기"),  # no year: the latest past 6/2
        ("3/10 today", date(2026, 3, 10), "today"),
        ("오늘은 좋은 날", None, "오늘은 좋은 날"),
        ("  20 people came today", None, "20 people came today"),
        ("6/2/2024 is not a prefix", None, "6/2/2024 is not a prefix"),
    ],
)
def test_prefixes(text: str, day: date | None, rest: str) -> None:
    dated = split_date_prefix(text, TODAY)
    assert (dated.day, dated.text) == (day, rest)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-02-30 x", "invalid"),
        ("2/30 x", "invalid"),
        ("2027-01-01 x", "future"),
        ("1900-01-01 x", "invalid"),
    ],
)
def test_impossible_or_future_days_are_refused(text: str, reason: str) -> None:
    with pytest.raises(DatePrefixError) as caught:
        split_date_prefix(text, TODAY)
    assert caught.value.reason == reason


@given(st.text(max_size=80), st.dates(min_value=date(1971, 1, 1), max_value=date(2100, 1, 1)))
def test_any_text_gives_a_past_day_or_a_typed_error(text: str, today: date) -> None:
    try:
        dated = split_date_prefix(text, today)
    except DatePrefixError as exc:
        assert exc.reason in {"invalid", "future"}
        return
    assert dated.day is None or dated.day <= today
    assert dated.text == dated.text.strip()
