"""The offline Anna: a rule-based writer that needs no network, no key and no model.

No model that installs from a package registry writes usable Korean on two CPU cores (see
shared/notes/offline-parts.md), so a fresh install answers with this writer. It follows the same
rules as the prompt: the name, the attitude in every sentence, one sentence per chosen part, a
quoted piece of the diary (concrete, not generic), the intro when it shares a word with the post,
a question when the face and the words disagree, and a length within ±30% of the target.

Phrasing varies: every slot has several alternatives, picked by a random generator seeded from
the entry itself, so the same entry always gets the same comment (a retry or a 🔊 replay does not
change it) and different entries read differently.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from inference.labels import EMOTIONS, Emotion

from .lexicon import (
    disagrees,
    given_name,
    hook,
    intro_link,
    korean_vocative,
    text_emotion,
    words,
)
from .phrases import BANKS, Bank, Options
from .prompt import OFFLINE_TOLERANCE, length_window, target_chars
from .values import (
    AnnaRequest,
    Attitude,
    ChatRequest,
    CommentRequest,
    GreetingRequest,
    LetterRequest,
    Profile,
)

_EN_MONTHS = words(
    "January February March April May June July August September October November December"
)


@dataclass(frozen=True)
class Sentence:
    """One unit of the reply and the slot it fills (tests check slots, readers see text)."""

    slot: str
    text: str


@dataclass(frozen=True)
class Draft:
    """The offline reply, sentence by sentence."""

    sentences: tuple[Sentence, ...]
    target: int

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


class OfflineAnna:
    """Writes every kind of reply from the phrase banks; pure, synchronous and fast (< 1 ms)."""

    def write(self, request: AnnaRequest) -> str:
        """The reply text for ``request``."""
        return self.draft(request).text

    def draft(self, request: AnnaRequest) -> Draft:
        """The reply with its slots, for callers (and tests) that want to see its structure."""
        bank = BANKS[(request.profile.language, request.profile.attitude)]
        rng = random.Random(_seed(request))
        values = _address(request.profile)
        if isinstance(request, GreetingRequest):
            text = rng.choice(bank.greeting[request.emotion]).format_map(values)
            return Draft((Sentence("greeting", text),), target_chars(request))
        if isinstance(request, CommentRequest):
            units, pool = _comment(request, bank, rng, values)
        elif isinstance(request, ChatRequest):
            units, pool = _chat(request, bank, rng, values)
        else:
            units, pool = _letter(request, bank, rng, values)
        target = target_chars(request)
        return Draft(_fit(units, pool, target, rng), target)


def _seed(request: AnnaRequest) -> int:
    """A stable seed from what makes an entry itself (not Python's salted ``hash``)."""
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
    else:
        parts += [request.month.isoformat(), repr(sorted(request.counts.items()))]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


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


def _hook_chars(target: int) -> int:
    return max(10, min(28, target // 12))


def _unit(
    slot: str,
    options: Options,
    rng: random.Random,
    values: dict[str, str],
    order: int,
    drop_rank: int | None = None,
) -> _Unit:
    formatted = [o.format_map(values) for o in options]
    return _Unit(slot, formatted, rng.choice(formatted), order, drop_rank)


def _parts_and_pool(
    profile: Profile,
    bank: Bank,
    feeling: Emotion | None,
    rng: random.Random,
    values: dict[str, str],
    first_order: int,
) -> tuple[list[_Unit], list[_Unit]]:
    """One sentence per chosen part, and the part's other sentences as optional extras."""
    units: list[_Unit] = []
    pool: list[_Unit] = []
    for offset, part in enumerate(profile.parts):
        options = bank.parts[part][feeling]
        unit = _unit(part.value, options, rng, values, first_order + offset)
        units.append(unit)
        for extra in options:
            text = extra.format_map(values)
            if text != unit.choice:
                pool.append(_Unit(part.value, [text], text, first_order + offset, 0))
    return units, pool


def _fillers(slot: str, options: Options, order: int, values: dict[str, str]) -> list[_Unit]:
    return [_Unit(slot, [o.format_map(values)], o.format_map(values), order, 0) for o in options]


def _comment(
    request: CommentRequest, bank: Bank, rng: random.Random, values: dict[str, str]
) -> tuple[list[_Unit], list[_Unit]]:
    profile = request.profile
    target = target_chars(request)
    words = text_emotion(request.text, profile.language)
    mismatch = disagrees(request.emotion, request.text, profile.language)
    feeling = words or request.emotion
    units = [_unit("opener", bank.opener[request.emotion], rng, values, 0)]
    quoted = hook(request.text, _hook_chars(target))
    if quoted:
        units.append(_unit("hook", bank.hook, rng, {**values, "hook": quoted}, 1, drop_rank=4))
    else:
        units.append(_unit("hook", bank.no_hook, rng, values, 1, drop_rank=4))
    keyword = intro_link(profile.intro, request.text)
    if keyword:
        units.append(_unit("intro", bank.intro, rng, {**values, "kw": keyword}, 2, drop_rank=1))
    parts, pool = _parts_and_pool(profile, bank, feeling, rng, values, 3)
    units += parts
    if mismatch is not None:
        look = {"look": bank.look[request.emotion], "feel": bank.feel[mismatch]}
        units.append(_unit("mismatch", bank.mismatch, rng, {**values, **look}, 8))
    else:
        units.append(_unit("closing", bank.closing[feeling], rng, values, 8, drop_rank=2))
    pool += _fillers("filler", bank.filler, 7, values)
    return units, pool


def _chat(
    request: ChatRequest, bank: Bank, rng: random.Random, values: dict[str, str]
) -> tuple[list[_Unit], list[_Unit]]:
    profile = request.profile
    target = target_chars(request)
    words = text_emotion(request.message, profile.language)
    feeling = words or request.emotion
    units = [_unit("opener", bank.chat_open[words], rng, values, 0)]
    quoted = hook(request.message, _hook_chars(target))
    if quoted:
        units.append(_unit("hook", bank.chat_hook, rng, {**values, "hook": quoted}, 1, 4))
    keyword = intro_link(profile.intro, request.message)
    if keyword:
        units.append(_unit("intro", bank.intro, rng, {**values, "kw": keyword}, 2, drop_rank=1))
    parts, pool = _parts_and_pool(profile, bank, feeling, rng, values, 3)
    units += parts
    mismatch = disagrees(request.emotion, request.message, profile.language)
    if mismatch is not None and request.emotion is not None:
        look = {"look": bank.look[request.emotion], "feel": bank.feel[mismatch]}
        units.append(_unit("mismatch", bank.mismatch, rng, {**values, **look}, 8))
    else:
        units.append(_unit("question", bank.chat_question[feeling], rng, values, 8))
    pool += _fillers("filler", bank.chat_filler, 7, values)
    return units, pool


def _month_name(request: LetterRequest) -> str:
    if request.profile.language == "ko":
        return f"{request.month.month}월"
    return _EN_MONTHS[request.month.month - 1]


def _entries_word(n: int, language: str) -> str:
    if language == "ko":
        return f"{n}번"
    return f"{n} entry" if n == 1 else f"{n} entries"


def _letter(
    request: LetterRequest, bank: Bank, rng: random.Random, values: dict[str, str]
) -> tuple[list[_Unit], list[_Unit]]:
    profile = request.profile
    target = target_chars(request)
    values = {**values, "month": _month_name(request)}
    units = [_unit("opener", bank.letter_open, rng, values, 0)]
    dominant = request.dominant
    if request.total and dominant is not None:
        stats = {
            "total": str(request.total),
            "entries": _entries_word(request.total, profile.language),
            "dom": bank.emotion_name[dominant],
            "n": str(request.counts[dominant]),
        }
        units.append(_unit("stats", bank.letter_stats, rng, {**values, **stats}, 1))
    else:
        units.append(_unit("stats", bank.letter_empty, rng, values, 1))
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
        units.append(_unit("change", options, rng, {**values, **change}, 2, drop_rank=3))
    quoted = next(
        (q for e in reversed(request.history.entries) if (q := hook(e.text, _hook_chars(target)))),
        None,
    )
    if quoted:
        units.append(_unit("hook", bank.letter_hook, rng, {**values, "hook": quoted}, 3, 4))
    month_text = " ".join(e.text for e in request.history.entries)
    keyword = intro_link(profile.intro, month_text)
    if keyword:
        units.append(_unit("intro", bank.intro, rng, {**values, "kw": keyword}, 4, drop_rank=1))
    parts, pool = _parts_and_pool(profile, bank, dominant, rng, values, 5)
    units += parts
    units.append(_unit("closing", bank.letter_close, rng, values, 9, drop_rank=2))
    fillers = bank.letter_filler if request.total else bank.letter_empty_filler
    pool += _fillers("filler", fillers, 8, values)
    return units, pool


def _length(units: Sequence[_Unit]) -> int:
    return sum(len(u.choice) for u in units) + max(0, len(units) - 1)


def _fit(
    units: list[_Unit], pool: list[_Unit], target: int, rng: random.Random
) -> tuple[Sentence, ...]:
    """Bring the reply within ±30% of ``target``, aiming at the target itself.

    Too long: switch units to their shortest alternatives, then drop optional units (intro,
    closing, change, hook, in that order). Too short: add extra sentences of the chosen parts and
    neutral fillers (never sentences of parts that were not chosen), then switch units to longer
    alternatives. The extras are shuffled by the entry's generator, so they vary too.
    """
    lo, hi = length_window(target, OFFLINE_TOLERANCE)
    units = list(units)
    if _length(units) > hi:
        for unit in sorted(units, key=lambda u: len(u.choice), reverse=True):
            unit.choice = min(unit.options, key=len)
            if _length(units) <= hi:
                break
    for rank in range(5):
        if _length(units) <= hi:
            break
        units = [u for u in units if u.drop_rank != rank]
    # First the neutral fillers and one more sentence per part, then the rest: a long reply
    # should not read like a list of every empathy line in the bank.
    first: list[_Unit] = []
    rest: list[_Unit] = []
    seen: set[str] = set()
    for extra in pool:
        if extra.slot == "filler" or extra.slot not in seen:
            first.append(extra)
            seen.add(extra.slot)
        else:
            rest.append(extra)
    rng.shuffle(first)
    rng.shuffle(rest)
    for extra in first + rest:
        size = _length(units)
        if size >= target:
            break
        if any(extra.choice == unit.choice for unit in units):
            continue  # never say the same sentence twice
        # Add when it brings us closer to the target without leaving the window.
        after = size + 1 + len(extra.choice)
        if after <= hi and abs(after - target) < abs(size - target):
            units.append(extra)
    if _length(units) < lo:
        for unit in units:
            used = {other.choice for other in units if other is not unit}
            longer = [o for o in unit.options if len(o) > len(unit.choice) and o not in used]
            for option in sorted(longer, key=len, reverse=True):
                if _length(units) - len(unit.choice) + len(option) <= hi:
                    unit.choice = option
                    break
            if _length(units) >= lo:
                break
    ordered = sorted(enumerate(units), key=lambda pair: (pair[1].order, pair[0]))
    return tuple(Sentence(unit.slot, unit.choice) for _, unit in ordered)
