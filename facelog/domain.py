"""The diary's plain values, shared by services, storage, the scheduler and the CLI.

They know nothing of Telegram or MongoDB: the bot translates updates into them and the repository
maps documents onto them at its edge, so neither side leaks into the other. Each value checks its
own invariants (lengths, ranges, known labels) when it is built, so a value that exists is valid
wherever it travels; a bad one raises ``ValueError`` with the field's name and never its content
(diary text must not end up in logs through an error message).
"""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inference.labels import EMOTIONS, Emotion

__all__ = [
    "ATTITUDES",
    "COMPONENTS",
    "EMOTIONS",
    "INTENSITIES",
    "LANGUAGES",
    "LENGTHS",
    "MAX_TEXT_CHARS",
    "Account",
    "AnnaSettings",
    "Attitude",
    "ChatTurn",
    "Component",
    "Emotion",
    "EmotionCounts",
    "EmotionSource",
    "Entry",
    "ExportedEntry",
    "LabelledReading",
    "Language",
    "LearnedBias",
    "Month",
    "MonthCounts",
    "ReminderSettings",
    "Role",
    "User",
    "UserExport",
    "check_time_zone",
    "find_time_zone",
]

Language = Literal["ko", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
Attitude = Literal["casual", "polite"]  # 반말 / 존댓말
ATTITUDES: tuple[Attitude, ...] = get_args(Attitude)
Component = Literal["advice", "comfort", "empathy"]
COMPONENTS: tuple[Component, ...] = get_args(Component)
#: Who named an entry's emotion: the face reading, or the person (a correction or their choice).
EmotionSource = Literal["face", "person"]
EMOTION_SOURCES: tuple[EmotionSource, ...] = get_args(EmotionSource)
Role = Literal["user", "anna"]
ROLES: tuple[Role, ...] = get_args(Role)
#: Sampling temperatures of the seed's "답변 강도": creative, normal, honest.
INTENSITIES: tuple[float, ...] = (1.0, 0.75, 0.5)
#: Target lengths in characters of the seed's "답변 길이": short, normal, long.
LENGTHS: tuple[int, ...] = (150, 300, 450)

NAME_MAX_CHARS = 40
INTRO_MAX_CHARS = 200
#: A guard against abuse, not a product limit: Telegram caps a message at 4 096 characters, and a
#: long voice note's transcript stays well below this.
MAX_TEXT_CHARS = 20_000
#: Likewise for Anna's replies and chat turns.
MAX_REPLY_CHARS = 8_000


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _has_control_chars(text: str, *, allow_newlines: bool) -> bool:
    allowed = {"\n", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def _require_aware(value: datetime, what: str) -> None:
    _require(value.tzinfo is not None and value.utcoffset() is not None, f"{what} must be aware")


def check_time_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone this machine knows, else raise ``ValueError``.

    Checked at construction so a reminder can never be scheduled in a zone that fails later,
    at the moment it should fire.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


@functools.cache
def _zones_by_key() -> dict[str, str]:
    """Lower-cased full names and unambiguous city names → canonical IANA name."""
    names = sorted(zoneinfo.available_timezones())
    keys: dict[str, str] = {name.lower(): name for name in names}
    cities: dict[str, list[str]] = {}
    for name in names:
        if "/" in name and not name.startswith(("Etc/", "SystemV/")):
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    for city, matches in cities.items():
        if len(matches) == 1:
            keys.setdefault(city, matches[0])
            keys.setdefault(city.replace("_", " "), matches[0])
    return keys


def find_time_zone(text: str) -> str | None:
    """A time zone as a person types it: "Asia/Seoul", "asia/seoul", "Seoul", "new york"."""
    key = " ".join(text.split()).lower()
    if not key or len(key) > 64:
        return None
    return _zones_by_key().get(key) or _zones_by_key().get(key.replace(" ", "_"))


@dataclass(frozen=True, slots=True)
class User:
    """A diary owner: their Telegram user id is the key everything else is scoped by.

    ``name`` is whitespace-trimmed (1–40 characters), ``intro`` trimmed with an empty one stored
    as ``None`` (≤200 characters). ``active`` turns false when the user blocks the bot, so the
    scheduler skips them without losing their diary.
    """

    id: int
    name: str
    created_at: datetime
    intro: str | None = None
    language: Language = "ko"
    time_zone: str = "Asia/Seoul"
    active: bool = True

    def __post_init__(self) -> None:
        _require(self.id > 0, "User.id must be a positive Telegram user id")
        name = self.name.strip()
        _require(1 <= len(name) <= NAME_MAX_CHARS, f"User.name must be 1-{NAME_MAX_CHARS} chars")
        _require(not _has_control_chars(name, allow_newlines=False), "User.name has control chars")
        intro = self.intro.strip() if self.intro else None
        if intro is not None:
            _require(len(intro) <= INTRO_MAX_CHARS, f"User.intro must be ≤{INTRO_MAX_CHARS} chars")
            _require(
                not _has_control_chars(intro, allow_newlines=True), "User.intro has control chars"
            )
        _require(self.language in LANGUAGES, f"User.language must be one of {LANGUAGES}")
        check_time_zone(self.time_zone)
        _require_aware(self.created_at, "User.created_at")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "intro", intro or None)

    @property
    def zone(self) -> ZoneInfo:
        """The user's time zone: entry dates are days in this zone."""
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True, slots=True)
class AnnaSettings:
    """How the user asked Anna to write (seed "AI SETTING").

    ``composition`` may be empty: the seed's rule is that no choice means all three parts, and
    ``effective_composition`` applies it so callers never have to.
    """

    attitude: Attitude = "casual"
    composition: frozenset[Component] = frozenset()
    intensity: float = 0.75
    length: int = 300
    voice_replies: bool = False

    def __post_init__(self) -> None:
        _require(self.attitude in ATTITUDES, f"AnnaSettings.attitude must be one of {ATTITUDES}")
        composition = frozenset(self.composition)
        _require(
            composition <= frozenset(COMPONENTS),
            f"AnnaSettings.composition must be a subset of {COMPONENTS}",
        )
        _require(
            self.intensity in INTENSITIES, f"AnnaSettings.intensity must be one of {INTENSITIES}"
        )
        _require(self.length in LENGTHS, f"AnnaSettings.length must be one of {LENGTHS}")
        object.__setattr__(self, "composition", composition)
        object.__setattr__(self, "intensity", float(self.intensity))
        object.__setattr__(self, "length", int(self.length))
        object.__setattr__(self, "voice_replies", bool(self.voice_replies))

    def effective_composition(self) -> frozenset[Component]:
        """The parts Anna writes: the chosen ones, or all three when none is chosen."""
        return self.composition or frozenset(COMPONENTS)


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """The daily reminder: local wall-clock time in ``time_zone`` (IANA name)."""

    enabled: bool = False
    hour: int = 21
    minute: int = 0
    time_zone: str = "Asia/Seoul"

    def __post_init__(self) -> None:
        _require(0 <= self.hour <= 23, "ReminderSettings.hour must be within 0..23")
        _require(0 <= self.minute <= 59, "ReminderSettings.minute must be within 0..59")
        check_time_zone(self.time_zone)
        object.__setattr__(self, "enabled", bool(self.enabled))

    @property
    def zone(self) -> ZoneInfo:
        """The zone the reminder's hour and minute are read in."""
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True, slots=True)
class Account:
    """A user with their settings: what the bot loads for each message and the scheduler walks."""

    user: User
    anna: AnnaSettings
    reminder: ReminderSettings


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month: the unit of the calendar view, the monthly summary and its sent-log key.

    ``str(Month(2024, 6))`` is ``"2024-06"``, the period key the scheduler stores.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        _require(1 <= self.year <= 9999, "Month.year must be within 1..9999")
        _require(1 <= self.month <= 12, "Month.month must be within 1..12")

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a day belongs to."""
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read ``YYYY-MM`` (as typed after ``/summary``); raise ``ValueError`` otherwise."""
        parts = text.strip().split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
            raise ValueError("a month is written YYYY-MM")
        return cls(int(parts[0]), int(parts[1]))

    @property
    def first_day(self) -> date:
        """The 1st of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month."""
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Month:
        """The following month."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        """The month before."""
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day.year, day.month) == (self.year, self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _check_probabilities(probabilities: Mapping[str, float]) -> dict[str, float]:
    checked: dict[str, float] = {}
    for label, value in probabilities.items():
        _require(isinstance(label, str) and bool(label), "Entry.probabilities keys must be labels")
        number = float(value)
        _require(0.0 <= number <= 1.0, "Entry.probabilities values must be within 0..1")
        checked[str(label)] = number
    return checked


@dataclass(frozen=True, slots=True)
class Entry:
    """One diary entry: the day's photo (by blob id), its emotion and the person's words.

    ``day`` is the local date in the user's time zone (backdating changes it, never
    ``created_at``, which is when the entry was stored, in UTC). ``probabilities`` holds what the
    classifier reported per label (the four emotions, possibly ``other``), before any
    calibration; ``anna_comment`` may arrive after the entry was stored (the LLM can be slow or
    down), and ``voice_id`` names the blob of Anna's spoken comment once one was made.

    The person has the last word: ``emotion`` is what every count, chart and letter uses, and it
    is the person's own word once they gave one (``emotion_source == "person"``). What the face
    read stays beside it: ``face_emotion`` is the reading Facelog showed (after the person's
    calibration) and ``face_confidence`` its probability. Both default to the raw reading, which
    is what entries stored before calibration existed showed. ``message_ids`` are the person's
    chat messages the entry came from, so editing one of them edits the entry.
    """

    id: str
    user_id: int
    day: date
    created_at: datetime
    emotion: Emotion
    probabilities: Mapping[str, float]
    faces: int
    text: str
    photo_id: str
    anna_comment: str | None = None
    voice_id: str | None = None
    face_emotion: Emotion | None = None
    face_confidence: float | None = None
    emotion_source: EmotionSource = "face"
    message_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _require(bool(self.id), "Entry.id must not be empty")
        _require(self.user_id > 0, "Entry.user_id must be positive")
        _require_aware(self.created_at, "Entry.created_at")
        _require(self.faces >= 1, "Entry.faces must be at least 1 (no face, no entry)")
        _require(len(self.text) <= MAX_TEXT_CHARS, f"Entry.text must be ≤{MAX_TEXT_CHARS} chars")
        if self.anna_comment is not None:
            _require(
                len(self.anna_comment) <= MAX_REPLY_CHARS,
                f"Entry.anna_comment must be ≤{MAX_REPLY_CHARS} chars",
            )
        _require(
            self.emotion_source in EMOTION_SOURCES,
            f"Entry.emotion_source must be one of {EMOTION_SOURCES}",
        )
        object.__setattr__(self, "emotion", Emotion(self.emotion))
        probabilities = _check_probabilities(self.probabilities)
        object.__setattr__(self, "probabilities", MappingProxyType(probabilities))
        face = Emotion(self.face_emotion) if self.face_emotion is not None else self.emotion
        object.__setattr__(self, "face_emotion", face)
        confidence = self.face_confidence
        if confidence is None:
            confidence = probabilities.get(face.value, 0.0)
        _require(0.0 <= float(confidence) <= 1.0, "Entry.face_confidence must be within 0..1")
        object.__setattr__(self, "face_confidence", float(confidence))
        object.__setattr__(self, "message_ids", tuple(int(m) for m in self.message_ids))

    @property
    def face(self) -> Emotion:
        """What the face read (``face_emotion``, never None once built)."""
        assert self.face_emotion is not None
        return self.face_emotion

    @property
    def by_person(self) -> bool:
        """The person named this entry's emotion (a correction or their own choice)."""
        return self.emotion_source == "person"

    @property
    def confidence(self) -> float:
        """How sure the reading shown was: the face's probability, 1.0 for the person's word."""
        if self.by_person:
            return 1.0
        assert self.face_confidence is not None
        return self.face_confidence


@dataclass(frozen=True, slots=True)
class LabelledReading:
    """An entry as calibration sees it: the raw reading and the emotion it ended up with.

    ``person`` is True when the person named the emotion; otherwise ``label`` is the reading that
    was shown and left standing (a weak confirmation).
    """

    probabilities: Mapping[str, float]
    label: Emotion
    person: bool


@dataclass(frozen=True, slots=True)
class LearnedBias:
    """What Facelog learned about reading one person's face (or a language's, for the community
    prior): four numbers added to the classifier's log-probabilities, and how many labels taught
    them. ``reset_at``: labels given before it are no longer learned from (``/settings`` reset).
    """

    bias: tuple[float, float, float, float]
    corrections: int
    confirmations: int
    updated_at: datetime
    reset_at: datetime | None = None

    def __post_init__(self) -> None:
        _require(len(self.bias) == len(EMOTIONS), "LearnedBias.bias must hold four values")
        _require(self.corrections >= 0 and self.confirmations >= 0, "LearnedBias counts < 0")
        _require_aware(self.updated_at, "LearnedBias.updated_at")
        values = [float(v) for v in self.bias]
        object.__setattr__(self, "bias", (values[0], values[1], values[2], values[3]))


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One turn of the realtime chat with Anna."""

    role: Role
    text: str
    at: datetime

    def __post_init__(self) -> None:
        _require(self.role in ROLES, f"ChatTurn.role must be one of {ROLES}")
        _require(len(self.text) <= MAX_TEXT_CHARS, f"ChatTurn.text must be ≤{MAX_TEXT_CHARS} chars")
        _require_aware(self.at, "ChatTurn.at")


@dataclass(frozen=True, slots=True)
class EmotionCounts:
    """How many entries had each emotion; every emotion is present, zero when absent."""

    counts: Mapping[Emotion, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        given = {Emotion(label): int(n) for label, n in self.counts.items()}
        _require(all(n >= 0 for n in given.values()), "EmotionCounts must not be negative")
        object.__setattr__(self, "counts", MappingProxyType({e: given.get(e, 0) for e in EMOTIONS}))

    @classmethod
    def of(cls, emotions: Iterable[Emotion | str]) -> EmotionCounts:
        """Count a sequence of labels (the Python-side reduction the repository falls back on)."""
        tally: dict[Emotion, int] = {}
        for label in emotions:
            emotion = Emotion(label)
            tally[emotion] = tally.get(emotion, 0) + 1
        return cls(tally)

    def __getitem__(self, emotion: Emotion) -> int:
        return self.counts[emotion]

    @property
    def total(self) -> int:
        """All entries counted."""
        return sum(self.counts.values())

    @property
    def dominant(self) -> Emotion | None:
        """The most frequent emotion (ties go to the first in ``EMOTIONS``), None when empty."""
        if not self.total:
            return None
        top = max(self.counts.values())
        return next(e for e in EMOTIONS if self.counts[e] == top)

    def as_dict(self) -> dict[Emotion, int]:
        """A plain, mutable copy (what Anna's letter request and the chart take)."""
        return dict(self.counts)


@dataclass(frozen=True, slots=True)
class MonthCounts:
    """A month's emotion counts: the monthly summary compares two of these."""

    month: Month
    counts: EmotionCounts


@dataclass(frozen=True, slots=True)
class ExportedEntry:
    """An entry with its files, as ``/export`` writes them into the ZIP."""

    entry: Entry
    photo: bytes
    voice: bytes | None = None


@dataclass(frozen=True, slots=True)
class UserExport:
    """Everything stored about one user (SPEC: ``/export`` gives all of the caller's data)."""

    account: Account | None
    entries: tuple[ExportedEntry, ...]
    chat: tuple[ChatTurn, ...]
    learned: LearnedBias | None = None
