"""The offline Anna: a rule-based writer that needs no network, no key and no model.

No model that installs from a package registry writes usable Korean on two CPU cores (see
shared/notes/offline-parts.md), so a fresh install answers with this writer. It follows the same
rules as the prompt: the name, the attitude in every sentence, one sentence per chosen part, a
quoted piece of the diary (concrete, not generic), the intro when it shares a word with the post,
a question when the face and the words disagree, and a length within ±30% of the target.

Coherence comes first (issue #18): every sentence reacts to one feeling, the words' emotion when
they name one, else a worry when the text is a worry or a question, else the face. A question
gets an answer of its kind: a concrete suggestion on a topic the lexicon knows, or an honest
"I'm not sure, but…". Neutral fillers are only used to reach the lower end of the length range.

Variety: each slot's alternatives are taken in a rotation keyed by the day (chat: the day and the
turn), and no sentence of Anna's last five replies is said again while an alternative is left:
for chat those are her turns in ``history.turns``; comments are not stored there, so the comments
on the last five entries (``history.entries``) are recomputed: each is its entry's
history-free draft less the optional sentences it left out, so avoiding every sentence of those
drafts avoids what was said (a required sentence can still repeat once all six of its
alternatives were used within five days). Nothing depends on chance: the same entry always gets
the same comment (a retry or a 🔊 replay does not change it).
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from inference.labels import EMOTIONS, Emotion

from .lexicon import (
    asks,
    disagrees,
    given_name,
    hook,
    intro_link,
    is_worry,
    korean_vocative,
    second_hook,
    text_emotion,
    topic,
    words,
)
from .phrases import BANKS, Bank, Options
from .prompt import OFFLINE_TOLERANCE, length_window, target_chars
from .text import split_sentences
from .values import (
    AnnaRequest,
    Attitude,
    ChatRequest,
    CommentRequest,
    CorrectionRequest,
    GreetingRequest,
    History,
    LetterRequest,
    Part,
    Profile,
)

_EN_MONTHS = words(
    "January February March April May June July August September October November December"
)

#: A feeling a reply reacts to: an emotion, a worry (a trouble or a question without emotion
#: words), or None (nothing to go on).
WORRY: Literal["worry"] = "worry"
Feeling = Emotion | Literal["worry"] | None

#: How many earlier replies a new one must not repeat a sentence of.
RECENT_REPLIES = 5

#: Words that tie a sentence to one day; a monthly letter leaves such sentences out.
_DAY_WORDS = ("오늘", "내일", "밤", "하루", "날은", "날엔", "today", "tonight", "tomorrow", " day")


@dataclass(frozen=True)
class Sentence:
    """One unit of the reply and the slot it fills (tests check slots, readers see text)."""

    slot: str
    text: str


@dataclass(frozen=True)
class Draft:
    """The offline reply, sentence by sentence, and the feeling it reacts to."""

    sentences: tuple[Sentence, ...]
    target: int
    feeling: Feeling = None
    #: For a letter: the text of the entry it quotes (tests check it reacts to that entry).
    quoted_entry: str | None = None

    @property
    def text(self) -> str:
        """The reply as one paragraph."""
        return " ".join(s.text for s in self.sentences)

    @property
    def slots(self) -> tuple[str, ...]:
        """The slots in reply order."""
        return tuple(s.slot for s in self.sentences)


@dataclass
class _Unit:
    slot: str
    options: list[str]
    choice: str
    order: int
    drop_rank: int | None  # None: required; lower ranks are dropped first when too long
    filler: bool = False  # neutral: only used to reach the lower end of the length range
    specific: bool = False  # another answer to the question: the first extra to add


class _Picker:
    """Chooses among a slot's alternatives by rotation, skipping sentences said recently.

    The rotation starts at ``turn`` (a day number) plus a per-slot offset, so consecutive days
    get consecutive alternatives: a slot with five alternatives never repeats within five days.
    """

    def __init__(self, turn: int, salt: str, avoid: frozenset[str]) -> None:
        self.turn = turn
        self.salt = salt
        self.avoid = avoid

    def order(self, slot: str, options: Sequence[str], stride: int = 1) -> list[str]:
        """The alternatives in the order this turn prefers them; ``stride`` > 1 for slots that
        give several sentences a reply (fillers), so consecutive days start further apart."""
        if not options:
            return []
        offset = _stable_int(f"{self.salt}\x1f{slot}") % len(options)
        start = (self.turn * stride + offset) % len(options)
        return [*options[start:], *options[:start]]

    def pick(self, slot: str, options: Sequence[str]) -> str:
        ordered = self.order(slot, options)
        return next((o for o in ordered if not _repeats(o, self.avoid)), ordered[0])


def _repeats(text: str, said: frozenset[str]) -> bool:
    """Whether any sentence of ``text`` is among the sentences ``said`` recently."""
    return bool(said) and any(s in said for s in split_sentences(text))


class OfflineAnna:
    """Writes every kind of reply from the phrase banks; pure, synchronous and fast (about a
    millisecond; a comment also recomputes the last five, cached)."""

    def write(self, request: AnnaRequest) -> str:
        """The reply text for ``request``."""
        return self.draft(request).text

    def draft(self, request: AnnaRequest) -> Draft:
        """The reply with its slots, for callers (and tests) that want to see its structure."""
        if isinstance(request, CommentRequest):
            # Comments are not kept in the chat history, so what was said to the last five
            # entries is recomputed from them. Exactly: the comment on an entry is its
            # history-free draft minus optional sentences it dropped, so avoiding every sentence
            # of those drafts avoids everything that was actually said.
            said: set[str] = set()
            earlier = sorted(request.history.entries, key=lambda e: e.day)
            for past in earlier[-RECENT_REPLIES:]:
                if past.emotion is None or (past.day, past.text) == (request.day, request.text):
                    continue
                old = replace(
                    request,
                    emotion=past.emotion,
                    text=past.text,
                    day=past.day,
                    confidence=0.0,
                    history=History(),
                )
                said.update(_base_sentences(self, old))
            if not said:
                return self._draft(request, frozenset())
            own = _base_sentences(self, replace(request, confidence=0.0, history=History()))
            return self._draft(request, frozenset(said), own)
        if isinstance(request, ChatRequest):
            recent = [t.text for t in request.history.turns if t.role == "anna"]
            spoken = {s for text in recent[-RECENT_REPLIES:] for s in split_sentences(text)}
            return self._draft(request, frozenset(spoken))
        return self._draft(request, frozenset())

    def _draft(
        self,
        request: AnnaRequest,
        avoid: frozenset[str],
        allowed: frozenset[str] | None = None,
    ) -> Draft:
        """The reply avoiding the sentences in ``avoid`` where an alternative is left.

        ``allowed``: the history-free draft's sentences; optional sentences and extras outside
        it are not added (a comment only drops what it would have said, never adds, which is
        what lets the next comments recompute it exactly).
        """
        bank = BANKS[(request.profile.language, request.profile.attitude)]
        rng = random.Random(_seed(request))
        picker = _Picker(_turn(request), _salt(request.profile), avoid)
        values = _address(request.profile)
        target = target_chars(request)
        if isinstance(request, GreetingRequest):
            text = picker.pick("greeting", bank.greeting[request.emotion]).format_map(values)
            return Draft((Sentence("greeting", text),), target, request.emotion)
        if isinstance(request, CorrectionRequest):
            key = (request.profile.language, request.profile.attitude)
            day = _CORRECTED_DAY[request.profile.language][request.chosen]
            text = picker.pick("correction", _CORRECTION[key]).format_map({**values, "day": day})
            return Draft((Sentence("correction", text),), target, request.chosen)
        quoted_entry: str | None = None
        if isinstance(request, CommentRequest):
            feeling = _feeling(request.text, request.emotion, request.profile.language)
            units, pool = _comment(request, bank, picker, values, feeling)
        elif isinstance(request, ChatRequest):
            feeling = _feeling(request.message, request.emotion, request.profile.language)
            units, pool = _chat(request, bank, picker, values, feeling)
        else:
            feeling, quoted_entry, units, pool = _letter(request, bank, picker, values)
        pool = [extra for extra in pool if not _repeats(extra.choice, avoid)]
        # An optional sentence said recently is left out rather than said again.
        units = [u for u in units if u.drop_rank is None or not _repeats(u.choice, avoid)]
        if allowed is not None:
            pool = [extra for extra in pool if extra.choice in allowed]
            units = [u for u in units if u.drop_rank is None or u.choice in allowed]
        comment = isinstance(request, CommentRequest)
        sentences = _fit(
            units, pool, target, rng, grow=allowed is None, fillers_first=comment, avoid=avoid
        )
        return Draft(sentences, target, feeling, quoted_entry)


@functools.lru_cache(maxsize=2048)
def _base_sentences(anna: OfflineAnna, request: CommentRequest) -> frozenset[str]:
    """The sentences of a comment's history-free draft. Cached: each comment recomputes the
    last five, and consecutive comments of one person share four of them."""
    return frozenset(split_sentences(anna._draft(request, frozenset()).text))


def _stable_int(text: str) -> int:
    """A stable number from text (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _seed(request: AnnaRequest) -> int:
    """A stable seed from what makes an entry itself, for the order of optional extras."""
    profile = request.profile
    parts = [
        request.kind,
        profile.language,
        profile.attitude,
        ",".join(profile.parts),
        str(int(profile.length)),
        profile.name,
    ]
    if isinstance(request, CommentRequest):
        parts += [request.day.isoformat(), request.emotion, request.text]
    elif isinstance(request, GreetingRequest):
        parts += [request.day.isoformat(), request.emotion]
    elif isinstance(request, ChatRequest):
        parts += [request.day.isoformat(), request.message, str(len(request.history.turns))]
    elif isinstance(request, CorrectionRequest):
        parts += [request.day.isoformat(), request.face, request.chosen]
    else:
        parts += [request.month.isoformat(), repr(sorted(request.counts.items()))]
    return _stable_int("\x1f".join(parts))


def _turn(request: AnnaRequest) -> int:
    """Where the rotation of alternatives stands: the day (chat: plus the turn; letter: month)."""
    if isinstance(request, LetterRequest):
        return request.month.year * 12 + request.month.month
    if isinstance(request, ChatRequest):
        return request.day.toordinal() + len(request.history.turns)
    return request.day.toordinal()


def _salt(profile: Profile) -> str:
    """Per-person offsets, so two people writing on the same day read different sentences."""
    return f"{profile.name}\x1f{profile.language}\x1f{profile.attitude}"


#: The day as the person named it, for Anna's one line after a correction.
_CORRECTED_DAY: dict[str, dict[Emotion, str]] = {
    "ko": {
        Emotion.ANGER: "화가 났던 날",
        Emotion.HAPPY: "기쁜 날",
        Emotion.PANIC: "당황스러운 날",
        Emotion.SADNESS: "슬픈 날",
    },
    "en": {
        Emotion.ANGER: "An angry day",
        Emotion.HAPPY: "A happy day",
        Emotion.PANIC: "A flustered day",
        Emotion.SADNESS: "A sad day",
    },
}
_CORRECTION: dict[tuple[str, Attitude], Options] = {
    ("ko", Attitude.CASUAL): (
        "{voc} 알려줘서 고마워! {day}이었구나, 다음엔 더 잘 읽어볼게.",
        "{voc} 고마워, 네 말이 맞아. {day}이었구나, 기억해둘게.",
    ),
    ("ko", Attitude.POLITE): (
        "{voc} 알려주셔서 고마워요! {day}이었군요, 다음엔 더 잘 읽어볼게요.",
        "{voc} 말씀해 주셔서 고마워요. {day}이었군요, 기억해 둘게요.",
    ),
    ("en", Attitude.CASUAL): (
        "Thanks for telling me, {given}! {day}, then — I'll read you better next time.",
        "Got it, {given}: {day}. Thanks, I'll remember that.",
    ),
    ("en", Attitude.POLITE): (
        "Thank you for letting me know, {given}. {day}, then — I'll keep it in mind.",
        "Thank you, {given}. {day} it was; I'll remember that.",
    ),
}


def _address(profile: Profile) -> dict[str, str]:
    """How Anna names the person: 주성아, (반말) / 주성님, (존댓말) / Alex (English)."""
    given = given_name(profile.name)
    if profile.language == "ko":
        if profile.attitude is Attitude.CASUAL:
            voc = korean_vocative(profile.name) + ","
        else:
            voc = given + "님,"
    else:
        voc = given
    return {"voc": voc, "given": given}


def _feeling(text: str, face: Emotion | None, language: str) -> Feeling:
    """What the reply reacts to: the words' emotion, else a worry, else the face.

    The words win over the face because every sentence talks about what was written; a worry
    wins over the face because cheering on a worry ("you'll do great!") is the one reply that
    hurts. A mismatch between face and words is asked about separately.
    """
    said = text_emotion(text, language)
    if said is not None:
        return said
    if is_worry(text):
        return WORRY
    return face


def _hook_chars(target: int, language: str) -> int:
    """How much of the diary to quote: Korean packs a clause into far fewer characters, and an
    English quote cut to twelve letters ("The") says nothing."""
    if language == "ko":
        return max(10, min(40, target // 8))
    return 2 * max(10, min(28, target // 12))


def _quotable(text: str) -> str:
    """The statements of a text: a question is answered, not quoted back ("“How can I” is the
    line that touched me most")."""
    return " ".join(s for s in split_sentences(text) if not asks(s))


def _unit(
    slot: str,
    options: Options,
    picker: _Picker,
    values: dict[str, str],
    order: int,
    drop_rank: int | None = None,
) -> _Unit:
    formatted = [o.format_map(values) for o in options]
    return _Unit(slot, formatted, picker.pick(slot, formatted), order, drop_rank)


def _part_options(bank: Bank, part: Part, feeling: Feeling) -> Options:
    if feeling == WORRY:
        return bank.worry[part.value]
    return bank.parts[part][feeling]


def _parts_and_pool(
    profile: Profile,
    bank: Bank,
    feeling: Feeling,
    picker: _Picker,
    values: dict[str, str],
    first_order: int,
    *,
    answer: Options | None = None,
    more_answers: bool = False,
    keep: Iterable[str] | None = None,
) -> tuple[list[_Unit], list[_Unit]]:
    """One sentence per chosen part, and the part's other sentences as optional extras.

    ``answer``: a question was asked, so the advice part is its answer; with ``more_answers``
    (a topic Anna knows) the topic's other suggestions are the first extras (more of what was
    asked for, rather than filler; one honest "not sure" is enough).
    ``keep`` filters the options (a letter leaves out sentences about one day).
    """
    units: list[_Unit] = []
    pool: list[_Unit] = []
    for offset, part in enumerate(profile.parts):
        options = answer if answer is not None and part is Part.ADVICE else None
        options = options or _part_options(bank, part, feeling)
        if keep is not None:
            kept = tuple(o for o in options if o in set(keep))
            options = kept or options
        unit = _unit(part.value, options, picker, values, first_order + offset)
        units.append(unit)
        if answer is not None and part is Part.ADVICE:
            if more_answers:
                pool += _answers(unit, first_order + offset)
            continue
        for text in (o.format_map(values) for o in options):
            if text != unit.choice:
                pool.append(_Unit(part.value, [text], text, first_order + offset, 0))
    return units, pool


def _answers(answer: _Unit, order: int) -> list[_Unit]:
    """The question's other suggestions, as extras that come before anything else."""
    return [
        _Unit(answer.slot, [text], text, order, 0, specific=True)
        for text in answer.options
        if text != answer.choice
    ]


def _fillers(
    slot: str, options: Options, order: int, values: dict[str, str], picker: _Picker
) -> list[_Unit]:
    """Neutral sentences in this turn's rotation (two steps a day: a reply rarely needs more
    than two, so neighbouring days take different ones)."""
    formatted = [o.format_map(values) for o in options]
    return [
        _Unit(slot, [text], text, order, 0, filler=True)
        for text in picker.order(slot, formatted, stride=2)
    ]


def _answer_options(bank: Bank, text: str) -> Options | None:
    """A question's answer: the topic's suggestions, or an honest "not sure, but…"."""
    if not asks(text):
        return None
    about = topic(text)
    return bank.answer[about] if about is not None else bank.unsure


def _comment(
    request: CommentRequest,
    bank: Bank,
    picker: _Picker,
    values: dict[str, str],
    feeling: Feeling,
) -> tuple[list[_Unit], list[_Unit]]:
    profile = request.profile
    target = target_chars(request)
    mismatch = disagrees(request.emotion, request.text, profile.language)
    if feeling == WORRY:
        units = [_unit("opener", bank.worry["open"], picker, values, 0)]
    elif feeling is request.emotion or feeling is None:
        units = [_unit("opener", bank.opener[request.emotion], picker, values, 0)]
    else:
        # The words say something else than the face: react to the words first, ask later.
        units = [_unit("opener", bank.chat_open[feeling], picker, values, 0)]
    quoted = hook(_quotable(request.text), _hook_chars(target, profile.language))
    if quoted:
        units.append(_unit("hook", bank.hook, picker, {**values, "hook": quoted}, 1, drop_rank=4))
    elif not asks(request.text):
        units.append(_unit("hook", bank.no_hook, picker, values, 1, drop_rank=4))
    keyword = intro_link(profile.intro, request.text)
    if keyword:
        units.append(_unit("intro", bank.intro, picker, {**values, "kw": keyword}, 2, 1))
    answer = _answer_options(bank, request.text)
    known = topic(request.text) is not None
    parts, pool = _parts_and_pool(
        profile, bank, feeling, picker, values, 3, answer=answer, more_answers=known
    )
    units += parts
    if answer is not None and Part.ADVICE not in profile.parts:
        units.append(_unit("answer", answer, picker, values, 6))
        if known:
            pool += _answers(units[-1], 6)
    detail = second_hook(_quotable(request.text), _hook_chars(target, profile.language))
    if quoted and detail:
        # The diary's own words again, before any neutral filler: specific, and never the
        # same on two days.
        text = picker.pick("detail", [o.format(hook=detail) for o in bank.detail])
        pool.append(_Unit("detail", [text], text, 1, 0, specific=True))
    if mismatch is not None:
        look = {"look": bank.look[request.emotion], "feel": bank.feel[mismatch]}
        units.append(_unit("mismatch", bank.mismatch, picker, {**values, **look}, 8))
    elif feeling == WORRY:
        units.append(_unit("closing", bank.worry["close"], picker, values, 8, drop_rank=2))
    else:
        closing = bank.closing[feeling or request.emotion]
        units.append(_unit("closing", closing, picker, values, 8, drop_rank=2))
    pool += _fillers("filler", bank.filler, 7, values, picker)
    return units, pool


def _chat(
    request: ChatRequest,
    bank: Bank,
    picker: _Picker,
    values: dict[str, str],
    feeling: Feeling,
) -> tuple[list[_Unit], list[_Unit]]:
    profile = request.profile
    target = target_chars(request)
    said = text_emotion(request.message, profile.language)
    if feeling == WORRY:
        units = [_unit("opener", bank.worry["open"], picker, values, 0)]
    else:
        units = [_unit("opener", bank.chat_open[said], picker, values, 0)]
    quoted = hook(_quotable(request.message), _hook_chars(target, profile.language))
    if quoted:
        units.append(_unit("hook", bank.chat_hook, picker, {**values, "hook": quoted}, 1, 4))
    keyword = intro_link(profile.intro, request.message)
    if keyword:
        units.append(_unit("intro", bank.intro, picker, {**values, "kw": keyword}, 2, 1))
    answer = _answer_options(bank, request.message)
    known = topic(request.message) is not None
    parts, pool = _parts_and_pool(
        profile, bank, feeling, picker, values, 3, answer=answer, more_answers=known
    )
    units += parts
    if answer is not None and Part.ADVICE not in profile.parts:
        units.append(_unit("answer", answer, picker, values, 6))
        if known:
            pool += _answers(units[-1], 6)
    mismatch = disagrees(request.emotion, request.message, profile.language)
    if mismatch is not None and request.emotion is not None:
        look = {"look": bank.look[request.emotion], "feel": bank.feel[mismatch]}
        units.append(_unit("mismatch", bank.mismatch, picker, {**values, **look}, 8))
    elif feeling == WORRY:
        units.append(_unit("question", bank.worry["ask"], picker, values, 8))
    else:
        units.append(_unit("question", bank.chat_question[feeling], picker, values, 8))
    pool += _fillers("filler", bank.chat_filler, 7, values, picker)
    return units, pool


def _month_name(request: LetterRequest) -> str:
    if request.profile.language == "ko":
        return f"{request.month.month}월"
    return _EN_MONTHS[request.month.month - 1]


def _entries_word(n: int, language: str) -> str:
    if language == "ko":
        return f"{n}번"
    return f"{n} entry" if n == 1 else f"{n} entries"


def _join_names(names: Sequence[str], language: str) -> str:
    """ "분노, 기쁨" / "anger and happiness" / "anger, panic and sadness"."""
    if language == "ko" or len(names) < 2:
        return ", ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _letter_quote(request: LetterRequest, target: int) -> tuple[Feeling, str | None, str | None]:
    """The entry the letter quotes, the feeling it reacts to, and the quoted piece.

    The reaction and the quote must be about the same entry (a quote of the seaside trip
    followed by "that must have made you furious" was the bug): the newest entry whose feeling
    is the month's most frequent one (any of them, on a tie) is quoted; when none is, the
    newest quotable entry is, and the letter reacts to that entry's feeling.
    """
    language = request.profile.language
    top = request.top
    candidates: list[tuple[Feeling, str, str]] = []
    for entry in reversed(request.history.entries):
        piece = hook(entry.text, _hook_chars(target, language))
        if piece:
            said = text_emotion(entry.text, language)
            candidates.append((said if said is not None else entry.emotion, piece, entry.text))
    for feeling, piece, text in candidates:
        if feeling in top:
            return feeling, piece, text
    if candidates:
        return candidates[0]
    # Nothing to quote: react to the most frequent feeling (on a tie the first of those the
    # numbers name), never to none, which would cheer a month of sad and anxious days on.
    return request.dominant, None, None


def _letter(
    request: LetterRequest, bank: Bank, picker: _Picker, values: dict[str, str]
) -> tuple[Feeling, str | None, list[_Unit], list[_Unit]]:
    profile = request.profile
    target = target_chars(request)
    values = {**values, "month": _month_name(request)}
    units = [_unit("opener", bank.letter_open, picker, values, 0)]
    dominant = request.dominant
    if request.total and dominant is not None:
        top = request.top
        stats = {
            "total": str(request.total),
            "entries": _entries_word(request.total, profile.language),
            "dom": bank.emotion_name[dominant],
            "doms": _join_names([bank.emotion_name[e] for e in top], profile.language),
            "n": str(request.counts[dominant]),
        }
        options = bank.letter_tie if request.tied else bank.letter_stats
        units.append(_unit("stats", options, picker, {**values, **stats}, 1))
    else:
        units.append(_unit("stats", bank.letter_empty, picker, values, 1))
    if request.previous is not None:
        diffs = {e: request.counts[e] - request.previous[e] for e in EMOTIONS}
        biggest = max(EMOTIONS, key=lambda e: abs(diffs[e]))
        change = {"emo": bank.emotion_name[biggest], "diff": str(abs(diffs[biggest]))}
        if diffs[biggest] > 0:
            options = bank.letter_up
        elif diffs[biggest] < 0:
            options = bank.letter_down
        else:
            options = bank.letter_same
        units.append(_unit("change", options, picker, {**values, **change}, 2, drop_rank=3))
    feeling, quoted, quoted_entry = _letter_quote(request, target)
    if quoted:
        # Required: dropping the quote would leave a reaction to nothing in particular.
        units.append(_unit("hook", bank.letter_hook, picker, {**values, "hook": quoted}, 3))
    month_text = " ".join(e.text for e in request.history.entries)
    keyword = intro_link(profile.intro, month_text)
    if keyword:
        units.append(_unit("intro", bank.intro, picker, {**values, "kw": keyword}, 4, 1))
    if not request.total:
        feeling = None
    month_safe = {
        o for part in profile.parts for o in _part_options(bank, part, feeling) if _fits_month(o)
    }
    parts, pool = _parts_and_pool(profile, bank, feeling, picker, values, 5, keep=month_safe)
    units += parts
    units.append(_unit("closing", bank.letter_close, picker, values, 9, drop_rank=2))
    fillers = bank.letter_filler if request.total else bank.letter_empty_filler
    pool += _fillers("filler", fillers, 8, values, picker)
    return feeling, quoted_entry, units, pool


def _fits_month(sentence: str) -> bool:
    """Whether a sentence can stand in a monthly letter (it does not speak of one day)."""
    lowered = sentence.lower()
    return not any(word in lowered for word in _DAY_WORDS)


def _length(units: Sequence[_Unit]) -> int:
    return sum(len(u.choice) for u in units) + max(0, len(units) - 1)


def _fit(
    units: list[_Unit],
    pool: list[_Unit],
    target: int,
    rng: random.Random,
    *,
    grow: bool = True,
    fillers_first: bool = False,
    avoid: frozenset[str] = frozenset(),
) -> tuple[Sentence, ...]:
    """Bring the reply within ±30% of ``target``, preferring short to padded.

    Too long: switch units to their shortest alternatives, then drop optional units (intro,
    closing, change, hook, in that order). Too short: add sentences only while below the lower
    end of the range: first one more sentence per chosen part (it reacts to the same feeling),
    then neutral fillers, then the parts' other sentences; then switch units to longer
    alternatives (unless ``grow`` is False: a comment that left out what it said recently
    stays shorter rather than take another day's sentence). A reply with nothing left to say
    specifically stays near the lower end rather than padding to the target with
    interchangeable lines (issue #18).
    """
    lo, hi = length_window(target, OFFLINE_TOLERANCE)
    units = list(units)
    if _length(units) > hi:
        for unit in sorted(units, key=lambda u: len(u.choice), reverse=True):
            fresh = [o for o in unit.options if not _repeats(o, avoid)] or unit.options
            unit.choice = min(fresh, key=len)
            if _length(units) <= hi:
                break
    for rank in range(5):
        if _length(units) <= hi:
            break
        units = [u for u in units if u.drop_rank != rank]
    specific: list[_Unit] = []
    first: list[_Unit] = []
    rest: list[_Unit] = []
    fillers: list[_Unit] = []
    seen: set[str] = set()
    for extra in pool:
        if extra.specific:
            specific.append(extra)
        elif extra.filler:
            fillers.append(extra)
        elif extra.slot not in seen:
            first.append(extra)
            seen.add(extra.slot)
        else:
            rest.append(extra)
    rng.shuffle(first)
    rng.shuffle(rest)
    # A comment's other part sentences are the coming days' main sentences (the rotation), so
    # a comment takes neutral fillers first; a chat answer knows what it said and takes its own
    # feeling's sentences first.
    extras = specific + (fillers + first + rest if fillers_first else first + fillers + rest)
    for extra in extras:
        size = _length(units)
        if size >= lo:
            break
        if any(extra.choice == unit.choice for unit in units):
            continue  # never say the same sentence twice
        if size + 1 + len(extra.choice) <= hi:
            units.append(extra)
    if grow and _length(units) < lo:
        for unit in units:
            used = {other.choice for other in units if other is not unit}
            longer = [
                o
                for o in unit.options
                if len(o) > len(unit.choice) and o not in used and not _repeats(o, avoid)
            ]
            for option in sorted(longer, key=len, reverse=True):
                if _length(units) - len(unit.choice) + len(option) <= hi:
                    unit.choice = option
                    break
            if _length(units) >= lo:
                break
    ordered = sorted(enumerate(units), key=lambda pair: (pair[1].order, pair[0]))
    return tuple(Sentence(unit.slot, unit.choice) for _, unit in ordered)
