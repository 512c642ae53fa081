"""Reading a little meaning out of the diary text without a model.

Both Annas need it: the prompt tells the LLM when the face and the words seem to disagree (small
local models miss it otherwise), and the offline writer must ask about it itself. The keyword
lists are short on purpose: a keyword that is present is strong evidence; when none is, the text's
emotion is unknown and Anna does not claim a mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from inference.labels import EMOTIONS, Emotion


def words(text: str) -> tuple[str, ...]:
    """Space-separated words; ``_`` stands for a space inside one (kept compact on purpose)."""
    return tuple(word.replace("_", " ") for word in text.split())


#: Korean stems, matched as substrings (Korean attaches endings and particles to them).
_KO: Mapping[Emotion, tuple[str, ...]] = {
    Emotion.HAPPY: words(
        "행복 기쁘 기뻐 기쁜 좋았 좋아 좋은_일 신나 신난 신났 최고 즐거 즐겁 설레 설렌 "
        "웃었 웃음 뿌듯 감사 고마 다행 축하 당첨 합격 재밌 재미있 사랑 힐링 맛있"
    ),
    Emotion.SADNESS: words(
        "슬프 슬퍼 슬픈 우울 눈물 울었 울고 외로 외롭 힘들 힘든 지쳤 지친 지쳐 속상 "
        "그립 그리워 아팠 아프 서운 허전 쓸쓸 안_좋 좋지_않 망했 망쳤 떨어졌 헤어졌 무기력"
    ),
    Emotion.ANGER: words(
        "화나 화가 화났 짜증 열받 열_받 빡치 빡쳐 분노 억울 싸웠 싸움 어이없 어이가_없 "
        "답답 미워 미운 얄미 분하 성질"
    ),
    Emotion.PANIC: words(
        "당황 놀랐 놀라 놀란 깜짝 무섭 무서 불안 긴장 걱정 겁나 겁이 떨리 떨려 멘붕 "
        "황당 창피 민망 식은땀 쫄았 철렁 압도 스트레스"
    ),
}

#: English patterns, matched at a word start ("excit" matches excited, exciting); a ``\b``
#: ends the short ones that would otherwise match unrelated words (fun / funeral).
_EN: Mapping[Emotion, tuple[str, ...]] = {
    Emotion.HAPPY: words(
        r"happ(y|ier|iest|iness) glad\b great\b awesome excit joy fun\b "
        r"lov(e|ed|ely|ing)\b proud amazing wonderful fantastic delight won\b passed\b "
        r"celebrat grateful thankful yay\b best_day cheerful"
    ),
    Emotion.SADNESS: words(
        r"sad(ly|ness)?\b cr(y|ied|ying)\b tears\b lonely depress down\b miss(ed|ing)?\b "
        r"hurt exhaust heartbr lost\b grief gloomy miserable unhappy awful tired\b "
        r"broke_up fail(ed)?\b"
    ),
    Emotion.ANGER: words(
        r"angry anger mad\b furious annoy irritat hat(e|ed)\b pissed frustrat unfair "
        r"argu(e|ed)\b f(ight|ought)\b rage\b livid fed_up"
    ),
    Emotion.PANIC: words(
        r"panic scared afraid nervous anxious anxiety shock surpris embarrass worr(y|ied) "
        r"freak terrif startl fear overwhelm stress"
    ),
}

#: Words that flip a nearby happy word ("not happy", "안 좋") are listed as sadness instead, and
#: their happy substring must not count twice.
_KO_MASKS = ("안 좋", "좋지 않", "안 즐거", "안 행복", "행복하지 않", "재미없")
_EN_MASKS = ("not happy", "not great", "not fun", "no fun", "not glad", "not amazing")

_INSTRUCTION = re.compile(
    r"ignore (all |your |previous |the )|system prompt|instructions?\b|jailbreak|developer mode|"
    r"you are now|disregard|규칙|프롬프트|지시|무시하고|시스템",
    re.IGNORECASE,
)


_EN_RE: Mapping[Emotion, re.Pattern[str]] = {
    emotion: re.compile(r"(?<![a-z])(?:" + "|".join(patterns) + ")")
    for emotion, patterns in _EN.items()
}


def text_emotion(text: str, language: str) -> Emotion | None:
    """The emotion the words express, or None when no keyword speaks (or two tie).

    Both lexicons are consulted whatever the language, since people mix them ("오늘 so happy").
    """
    lowered = text.lower()
    masked_ko = lowered
    for mask in _KO_MASKS:
        masked_ko = masked_ko.replace(mask, " " + "·" * len(mask) + " ")
    masked_en = lowered
    for mask in _EN_MASKS:
        masked_en = masked_en.replace(mask, " " + "·" * len(mask) + " ")
    scores: dict[Emotion, int] = {}
    for emotion in EMOTIONS:
        score = sum(masked_ko.count(stem) for stem in _KO[emotion])
        score += len(_EN_RE[emotion].findall(masked_en))
        # A mask is itself evidence of sadness; it was hidden above so it counts once.
        if emotion is Emotion.SADNESS:
            score += sum(lowered.count(m) for m in _KO_MASKS)
            score += sum(lowered.count(m) for m in _EN_MASKS)
        scores[emotion] = score
    best = max(scores.values())
    if best == 0:
        return None
    winners = [e for e, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None


def disagrees(face: Emotion | None, text: str, language: str) -> Emotion | None:
    """The words' emotion when it differs from the face's, else None (the mismatch rule)."""
    if face is None:
        return None
    words = text_emotion(text, language)
    return words if words is not None and words is not face else None


def looks_like_instruction(text: str) -> bool:
    """Whether a piece of user text reads like an attempt to instruct the model."""
    return bool(_INSTRUCTION.search(text))


# --- names -------------------------------------------------------------------------------------

_TWO_SYLLABLE_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방")


def _all_hangul(text: str) -> bool:
    return bool(text) and all(0xAC00 <= ord(ch) <= 0xD7A3 for ch in text)


def given_name(name: str) -> str:
    """The part of the name a friend uses: 박주성 → 주성, "Alex Kim" → Alex.

    Korean full names of three syllables (four with a two-syllable surname) drop the surname, as
    in the seed's "주성아"; anything else is used as written, first word only.
    """
    first = name.split()[0] if name.split() else name
    if _all_hangul(first):
        if len(first) == 4 and first[:2] in _TWO_SYLLABLE_SURNAMES:
            return first[2:]
        if len(first) == 3:
            return first[1:]
    return first


def has_final_consonant(syllable: str) -> bool:
    """Whether a Hangul syllable ends in a consonant (받침): 성 yes, 수 no."""
    code = ord(syllable) - 0xAC00
    return 0 <= code <= 0xD7A3 - 0xAC00 and code % 28 != 0


def korean_vocative(name: str) -> str:
    """반말 address: 주성 → 주성아, 민수 → 민수야; a non-Korean name stays as it is."""
    given = given_name(name)
    if not _all_hangul(given[-1:]):
        return given
    return given + ("아" if has_final_consonant(given[-1]) else "야")


# --- pieces of the diary to quote --------------------------------------------------------------

_CLAUSE_SPLIT = re.compile(r"[.!?。…~\n,;:·]+|\s[-–—]\s")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "<": " ", ">": " "})
#: Longest first, so 에서는 is stripped before 는.
_KO_PARTICLES = words(
    "에서는 이랑 에서 으로 에게 한테 까지 부터 처럼 은 는 이 가 을 를 의 에 도 와 과 랑 로 만"
)
_STOPWORDS = frozenset(
    words(
        "정말 진짜 너무 엄청 엄청난 그리고 하지만 그냥 오늘 요즘 사람 좋아하는 좋아함 입니다 있는 "
        "하는 the and with that this love like who from for about really very just have am i'm my"
    )
)


def clean_fragment(text: str) -> str:
    """A piece of user text made safe to quote: one line, no quote marks or angle brackets."""
    return " ".join(text.translate(_QUOTES).replace("'", "").replace('"', "").split())


def hook(text: str, max_chars: int) -> str | None:
    """A short, concrete piece of the diary to quote back ("the first clause"), or None.

    Quoting the person's own words is the cheapest way to be concrete rather than generic (seed
    rule 2). Clauses that read like instructions to a model are skipped: Anna never repeats them.
    """
    for clause in _CLAUSE_SPLIT.split(text):
        piece = clean_fragment(clause)
        if not any(ch.isalpha() for ch in piece) or looks_like_instruction(piece):
            continue
        if len(piece) <= max_chars:
            return piece
        words = piece.split()
        cut = ""
        for word in words:
            if len(cut) + len(word) + (1 if cut else 0) > max_chars:
                break
            cut = f"{cut} {word}" if cut else word
        if not cut:  # one very long word: a hard cut still quotes real words
            cut = piece[:max_chars]
        return cut
    return None


def _stem(word: str) -> str:
    word = word.strip(".,!?~'\"()[]").lower()
    if _all_hangul(word):
        for particle in _KO_PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                return word[: -len(particle)]
    return word


def keywords(text: str) -> list[str]:
    """Content words of a short text (an intro): particles stripped, tiny and stop words out."""
    found: list[str] = []
    for raw in text.split():
        word = _stem(raw)
        long_enough = len(word) >= 2 if _all_hangul(word) else len(word) >= 3
        if long_enough and word not in _STOPWORDS and word not in found:
            found.append(word)
    return found


def intro_link(intro: str | None, text: str) -> str | None:
    """The intro keyword that also occurs in the diary text, if any ("used when relevant")."""
    if not intro:
        return None
    lowered = text.lower()
    for word in keywords(intro):
        if word in lowered:
            return clean_fragment(word)
    return None
