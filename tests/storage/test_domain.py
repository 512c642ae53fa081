"""The domain values check their own invariants, so storage and services can trust them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facelog.domain import (
    COMPONENTS,
    EMOTIONS,
    AnnaSettings,
    ChatTurn,
    Emotion,
    EmotionCounts,
    Entry,
    Month,
    ReminderSettings,
    User,
)
from inference import labels

NOW = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)


def test_emotions_are_the_pipelines_labels() -> None:
    assert tuple(EMOTIONS) == labels.EMOTIONS
    assert [e.value for e in EMOTIONS] == ["anger", "happy", "panic", "sadness"]


def test_user_trims_and_checks_lengths() -> None:
    user = User(id=1, name="  주성  ", intro="  ", created_at=NOW)
    assert user.name == "주성"
    assert user.intro is None
    assert User(id=1, name="a" * 40, intro="b" * 200, created_at=NOW).intro == "b" * 200
    for bad in ("", "   ", "a" * 41, "line\nbreak", "nul\x00"):
        with pytest.raises(ValueError, match=r"User\.name"):
            User(id=1, name=bad, created_at=NOW)
    with pytest.raises(ValueError, match=r"User\.intro"):
        User(id=1, name="a", intro="b" * 201, created_at=NOW)
    assert User(id=1, name="a", intro="two\nlines", created_at=NOW).intro == "two\nlines"


def test_user_rejects_bad_zone_language_id_and_naive_time() -> None:
    with pytest.raises(ValueError, match="time zone"):
        User(id=1, name="a", time_zone="Mars/Olympus", created_at=NOW)
    with pytest.raises(ValueError, match="language"):
        User(id=1, name="a", language="fr", created_at=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="id"):
        User(id=0, name="a", created_at=NOW)
    with pytest.raises(ValueError, match="aware"):
        User(id=1, name="a", created_at=datetime(2024, 1, 1))


def test_anna_settings_empty_composition_means_all() -> None:
    assert AnnaSettings().effective_composition() == frozenset(COMPONENTS)
    chosen = AnnaSettings(composition=frozenset({"advice"}))
    assert chosen.effective_composition() == frozenset({"advice"})
    with pytest.raises(ValueError, match="composition"):
        AnnaSettings(composition=frozenset({"advice", "jokes"}))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="intensity"):
        AnnaSettings(intensity=0.9)
    with pytest.raises(ValueError, match="length"):
        AnnaSettings(length=200)
    with pytest.raises(ValueError, match="attitude"):
        AnnaSettings(attitude="rude")  # type: ignore[arg-type]


def test_reminder_settings_ranges() -> None:
    assert (
        ReminderSettings(hour=0, minute=59, time_zone="Europe/Berlin").zone.key == "Europe/Berlin"
    )
    for hour, minute in ((24, 0), (-1, 0), (0, 60)):
        with pytest.raises(ValueError):
            ReminderSettings(hour=hour, minute=minute)


def test_entry_validation() -> None:
    fields = {
        "id": "x",
        "user_id": 1,
        "day": date(2024, 6, 2),
        "created_at": NOW,
        "emotion": "happy",
        "probabilities": {"happy": 0.9, "other": 0.1},
        "faces": 1,
        "text": "좋은 날",
        "photo_id": "p",
    }
    entry = Entry(**fields)  # type: ignore[arg-type]
    assert entry.emotion is Emotion.HAPPY
    assert entry.confidence == pytest.approx(0.9)
    for change, message in (
        ({"faces": 0}, "faces"),
        ({"emotion": "bored"}, "bored"),
        ({"probabilities": {"happy": 1.5}}, "probabilities"),
        ({"text": "x" * 20_001}, "text"),
        ({"created_at": datetime(2024, 6, 2)}, "aware"),
    ):
        with pytest.raises(ValueError, match=message):
            Entry(**{**fields, **change})  # type: ignore[arg-type]


def test_chat_turn_role() -> None:
    with pytest.raises(ValueError, match="role"):
        ChatTurn(role="bot", text="hi", at=NOW)  # type: ignore[arg-type]


def test_emotion_counts() -> None:
    counts = EmotionCounts.of(["happy", "happy", "sadness", Emotion.ANGER])
    assert counts.total == 4
    assert counts[Emotion.HAPPY] == 2
    assert counts[Emotion.PANIC] == 0
    assert counts.dominant is Emotion.HAPPY
    assert EmotionCounts().dominant is None
    # A tie goes to the first emotion in the fixed order.
    assert EmotionCounts({Emotion.SADNESS: 2, Emotion.ANGER: 2}).dominant is Emotion.ANGER
    with pytest.raises(ValueError):
        EmotionCounts({Emotion.HAPPY: -1})


months = st.builds(Month, st.integers(1900, 2200), st.integers(1, 12))


@given(months)
def test_month_arithmetic(month: Month) -> None:
    assert month.next().previous() == month
    assert month.previous().next() == month
    assert month.next() > month
    assert month.last_day + timedelta(days=1) == month.next().first_day
    assert month.first_day in month
    assert month.last_day in month
    assert month.next().first_day not in month
    assert Month.parse(str(month)) == month
    assert Month.of(month.last_day) == month


def test_month_parse_rejects_garbage() -> None:
    for text in ("2024-13", "2024/06", "24-06", "june", "2024-6-1"):
        with pytest.raises(ValueError):
            Month.parse(text)
    assert str(Month(2024, 6)) == "2024-06"
