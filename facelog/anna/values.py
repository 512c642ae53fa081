"""The plain values Anna takes and returns.

They know nothing of Telegram or storage, so the bot, the scheduler, the CLI and the tests can all
build them the same way. There is deliberately no photo field anywhere: the only thing Anna ever
learns about the picture is the emotion the face pipeline read from it (SPEC section 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, IntEnum, StrEnum
from typing import Literal

from inference.labels import EMOTIONS, Emotion

Language = Literal["ko", "en"]
LANGUAGES: tuple[Language, ...] = ("ko", "en")


class Attitude(StrEnum):
    """Seed "대화 태도": Korean speech level (반말/존댓말); in English, casual/polite register."""

    CASUAL = "casual"  # 반말
    POLITE = "polite"  # 존댓말


class Part(StrEnum):
    """Seed "답변 구성": the kinds of sentences the comment is made of."""

    EMPATHY = "empathy"  # 공감
    COMFORT = "comfort"  # 위로
    ADVICE = "advice"  # 조언


#: The order parts appear in a reply: first show you understand, then reassure, then suggest.
PART_ORDER: tuple[Part, ...] = (Part.EMPATHY, Part.COMFORT, Part.ADVICE)


class Intensity(float, Enum):
    """Seed "답변 강도": the sampling temperature itself (창의적 1.0 / 보통 0.75 / 정직 0.5)."""

    CREATIVE = 1.0
    NORMAL = 0.75
    HONEST = 0.5


class Length(IntEnum):
    """Seed "답변 길이": the target length in characters (짧게 / 보통 / 길게)."""

    SHORT = 150
    NORMAL = 300
    LONG = 450


class Kind(StrEnum):
    """What Anna is asked to write."""

    COMMENT = "comment"  # a friend's comment on the day's post
    GREETING = "greeting"  # a photo arrived without words: reflect the face, ask about the day
    CHAT = "chat"  # an answer in the realtime chat (text or a transcribed voice note)
    LETTER = "letter"  # the monthly letter that comes with the summary
    CORRECTION = "correction"  # the person named an entry's emotion: one short line back


@dataclass(frozen=True)
class Profile:
    """Who Anna writes to and how that person asked her to write (profile + AI settings).

    An empty ``composition`` means all three parts, as in the seed; ``parts`` resolves that once
    so no caller has to remember the rule.
    """

    name: str
    intro: str | None = None
    language: Language = "ko"
    attitude: Attitude = Attitude.CASUAL
    composition: frozenset[Part] = frozenset()
    intensity: Intensity = Intensity.NORMAL
    length: Length = Length.NORMAL

    def __post_init__(self) -> None:
        name = " ".join(self.name.split())
        if not name:
            raise ValueError("Profile.name must not be empty")
        if self.language not in LANGUAGES:
            raise ValueError(f"Profile.language must be one of {LANGUAGES}, not {self.language!r}")
        intro = " ".join(self.intro.split()) if self.intro else None
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "intro", intro or None)
        # Accept stored strings ("advice") as well as members, so storage can pass what it has.
        object.__setattr__(self, "composition", frozenset(Part(p) for p in self.composition))
        object.__setattr__(self, "attitude", Attitude(self.attitude))
        object.__setattr__(self, "intensity", Intensity(self.intensity))
        object.__setattr__(self, "length", Length(self.length))

    @property
    def parts(self) -> tuple[Part, ...]:
        """The parts to write, in reply order; none chosen means all three (seed 부가 기능 1)."""
        chosen = self.composition or frozenset(PART_ORDER)
        return tuple(p for p in PART_ORDER if p in chosen)


@dataclass(frozen=True)
class PastEntry:
    """One earlier diary entry, as context: its date, emotion and (a short piece of) its text."""

    day: date
    emotion: Emotion | None
    text: str


@dataclass(frozen=True)
class ChatTurn:
    """One earlier turn of the realtime chat."""

    role: Literal["user", "anna"]
    text: str


@dataclass(frozen=True)
class History:
    """What Anna remembers, each list oldest first; the prompt keeps the newest that fit."""

    entries: tuple[PastEntry, ...] = ()
    turns: tuple[ChatTurn, ...] = ()


def _check_confidence(confidence: float) -> None:
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence must be within 0..1, not {confidence}")


@dataclass(frozen=True)
class CommentRequest:
    """The day's post: the face's emotion (and how sure the classifier is) and the diary text."""

    profile: Profile
    emotion: Emotion
    confidence: float
    text: str
    day: date
    history: History = field(default_factory=History)

    kind = Kind.COMMENT

    def __post_init__(self) -> None:
        _check_confidence(self.confidence)


@dataclass(frozen=True)
class GreetingRequest:
    """A photo without a caption: Anna greets, reflecting the face, and asks about the day."""

    profile: Profile
    emotion: Emotion
    confidence: float
    day: date
    history: History = field(default_factory=History)

    kind = Kind.GREETING

    def __post_init__(self) -> None:
        _check_confidence(self.confidence)


@dataclass(frozen=True)
class ChatRequest:
    """A message in the realtime chat; ``from_voice`` marks a transcript (it may hold STT slips).

    ``emotion`` is the face emotion of the post being talked about, when there is one.
    """

    profile: Profile
    message: str
    day: date
    history: History = field(default_factory=History)
    from_voice: bool = False
    emotion: Emotion | None = None

    kind = Kind.CHAT


@dataclass(frozen=True)
class LetterRequest:
    """The monthly letter: the month's counts per emotion (and the previous month's, if known).

    ``dominant`` is what the summary shows; left out, it is the most frequent emotion (ties go to
    the first in ``EMOTIONS`` order), or None for a month without entries.
    """

    profile: Profile
    month: date
    counts: Mapping[Emotion, int]
    previous: Mapping[Emotion, int] | None = None
    dominant: Emotion | None = None
    history: History = field(default_factory=History)

    kind = Kind.LETTER

    def __post_init__(self) -> None:
        object.__setattr__(self, "month", self.month.replace(day=1))
        object.__setattr__(self, "counts", _full_counts(self.counts))
        if self.previous is not None:
            object.__setattr__(self, "previous", _full_counts(self.previous))
        if self.dominant is None and self.total:
            top = max(self.counts.values())
            object.__setattr__(self, "dominant", next(e for e in EMOTIONS if self.counts[e] == top))

    @property
    def total(self) -> int:
        """Entries written in the month."""
        return sum(self.counts.values())

    @property
    def top(self) -> tuple[Emotion, ...]:
        """The most frequent emotions in ``EMOTIONS`` order: more than one on a tie, none for an
        empty month. A tie must be said as one, not as whichever emotion comes first."""
        if not self.total:
            return ()
        most = max(self.counts.values())
        return tuple(e for e in EMOTIONS if self.counts[e] == most)

    @property
    def tied(self) -> bool:
        """Whether two or more emotions share the top count."""
        return len(self.top) > 1


def _full_counts(
    counts: Mapping[Emotion, int] | Iterable[tuple[Emotion, int]],
) -> dict[Emotion, int]:
    given = dict(counts)
    if any(n < 0 for n in given.values()):
        raise ValueError("emotion counts must not be negative")
    return {e: int(given.get(e, 0)) for e in EMOTIONS}


@dataclass(frozen=True)
class CorrectionRequest:
    """The person set an entry's emotion themselves: ``face`` is what the photo was read as,
    ``chosen`` what they said it was. Anna acknowledges it in one short line."""

    profile: Profile
    face: Emotion
    chosen: Emotion
    text: str
    day: date
    history: History = field(default_factory=History)

    kind = Kind.CORRECTION


AnnaRequest = CommentRequest | GreetingRequest | ChatRequest | LetterRequest | CorrectionRequest


@dataclass(frozen=True)
class AnnaReply:
    """Anna's text and where it came from.

    ``source`` tells the bot (and the logs) whether the LLM or the offline writer answered;
    ``fallback_reason`` says why the offline writer answered although an LLM is configured
    (a short code such as ``"timeout"`` or ``"status-500"``, never any content).
    """

    text: str
    source: Literal["llm", "offline"]
    attempts: int = 0
    fallback_reason: str | None = None
    latency_ms: float = 0.0
