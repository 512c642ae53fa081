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
        "화나 화가_나 화가_났 화가_많이 화났 짜증 열받 열_받 빡치 빡쳐 분노 억울 싸웠 싸워 싸움 "
        "어이없 어이가_없 "
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


def second_hook(text: str, max_chars: int) -> str | None:
    """The next quotable piece after :func:`hook`'s, or None: a second detail of the diary is
    worth more to a reply than any neutral filler sentence."""
    first = hook(text, max_chars)
    if first is None:
        return None
    clauses = _CLAUSE_SPLIT.split(text)
    for i, clause in enumerate(clauses):
        if first in clean_fragment(clause):
            rest = " ".join(clauses[i + 1 :])
            second = hook(rest, max_chars) if rest.strip() else None
            return second if second and second != first else None
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


# --- topics, questions and worries --------------------------------------------------------------

#: What a diary line or a chat message is about, for a concrete answer to a question. Korean
#: stems are substrings; the short ones that hide inside unrelated words (잠 in 잠깐, 약 in 약속,
#: 형 in 형태) are written with their particle or ending instead.
TOPICS: tuple[str, ...] = (
    "sleep",
    "work",
    "school",
    "friends",
    "family",
    "food",
    "health",
    "money",
    "love",
    "weather",
)

_TOPIC_KO: Mapping[str, tuple[str, ...]] = {
    "sleep": words(
        "잠을 잠이 잠도 잠들 잠자 못_자 못자 잘_못_자 불면 수면 늦잠 졸려 졸리 밤새 새벽에_깨"
    ),
    "work": words("회사 직장 팀장 상사 업무 야근 출근 퇴근 회의 보고서 동료 알바 프로젝트 이직"),
    "school": words(
        "학교 시험 공부 과제 수업 숙제 교수님 성적 학원 수능 중간고사 기말고사 발표 졸업"
    ),
    "friends": words("친구 절친 동창"),
    "family": words(
        "가족 엄마 아빠 부모님 동생 언니 오빠 누나 할머니 할아버지 남편 아내 아들 부모"
    ),
    "food": words("밥 먹 요리 간식 점심 저녁밥 배고 맛집 식단 야식 배달"),
    "health": words("병원 감기 두통 몸이 건강 운동 허리 열이_나 아파서 몸살 체했"),
    "money": words("돈 월급 용돈 카드값 빚 저축 통장 월세 지출 적금 생활비 지갑"),
    "love": words("연애 남자친구 여자친구 남친 여친 애인 썸 고백 데이트 짝사랑 헤어졌 결혼"),
    "weather": words(
        "날씨 비가 비_와 비_오 눈이_와 눈_와 더워 덥다 추워 춥다 장마 미세먼지 햇살 "
        "천둥 태풍 소나기"
    ),
}

_TOPIC_EN: Mapping[str, tuple[str, ...]] = {
    "sleep": words(
        r"sleep slept\b insomnia nap\b awake\b bedtime can't_sleep couldn't_sleep tired\b nightmare"
    ),
    "work": words(
        r"work\b job\b boss\b office\b meeting colleague coworker deadline shift\b overtime "
        r"project\b manager\b"
    ),
    "school": words(
        r"school exam test\b study homework class\b teacher grade professor assignment "
        r"lecture\b semester"
    ),
    "friends": words(r"friend buddy\b"),
    "family": words(
        r"family mom\b dad\b mother father parents? sister brother grandma grandpa husband "
        r"wife\b son\b daughter kids?\b"
    ),
    "food": words(r"food\b eat ate\b cook lunch dinner breakfast meal snack hungry recipe diet\b"),
    "health": words(
        r"health sick\b ill\b doctor hospital flu\b headache fever\b exercise workout pain\b "
        r"back_hurts"
    ),
    "money": words(r"money salary rent\b debt budget saving pay\b bills? broke\b expensive"),
    "love": words(
        r"boyfriend girlfriend partner\b crush\b dating date\b broke_up breakup relationship "
        r"married"
    ),
    "weather": words(r"weather rain snow\b hot\b cold\b sunny windy humid heatwave thunder storm"),
}

_TOPIC_EN_RE: Mapping[str, re.Pattern[str]] = {
    topic: re.compile(r"(?<![a-z])(?:" + "|".join(patterns) + ")")
    for topic, patterns in _TOPIC_EN.items()
}


def topic(text: str) -> str | None:
    """The topic (one of :data:`TOPICS`) the text is most about, or None when none is named.

    The topic with most keyword hits wins; a tie goes to the one named first, since people
    usually lead with what they want to talk about.
    """
    lowered = " ".join(text.lower().split())
    best: tuple[int, int, str] | None = None
    for name in TOPICS:
        hits = [i for stem in _TOPIC_KO[name] for i in _positions(lowered, stem)]
        hits += [m.start() for m in _TOPIC_EN_RE[name].finditer(lowered)]
        if hits:
            key = (-len(hits), min(hits), name)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def _positions(text: str, needle: str) -> list[int]:
    found: list[int] = []
    start = text.find(needle)
    while start != -1:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


#: A request for help or a suggestion ("how do I…", "어떻게 하면…").
_ASKS = re.compile(
    r"어떻게\s*하면|어떻게\s*해야|어떡하|어떻게\s*하지|뭘\s*해야|뭐\s*하면|뭘\s*하면|"
    r"(?:좋을|될|할|괜찮을)까|방법\s*(?:있|없|좀|이)|추천|조언|팁\s|"
    r"\bhow\s+(?:do|can|should|to|could)\b|\bwhat\s+(?:should|can|could|do)\b|"
    r"\bshould\s+i\b|\bany\s+(?:tips?|advice|ideas?)\b|\bideas?\s+for\b|\bhelp\s+me\b",
    re.IGNORECASE,
)

#: Troubles said without an emotion word: "can't sleep", "잘 안 돼".
_WORRIES = re.compile(
    r"잘\s*못\s*자|못\s*자|잠이\s*안|잘\s*안\s*돼|안\s*돼서|고민|막막|걱정|모르겠|"
    r"can'?t\s+sleep|couldn'?t\s+sleep|trouble\b|struggl|problem|worr|can'?t\s+focus|"
    r"don'?t\s+know\s+what",
    re.IGNORECASE,
)


def asks(text: str) -> bool:
    """Whether the text asks something: a question mark, or a request for a suggestion.

    Anna must answer a question with an answer of its kind, not with a reaction to a "day".
    """
    return "?" in text or "？" in text or bool(_ASKS.search(text))


def is_worry(text: str) -> bool:
    """Whether the text is a worry or a plea for help (cheering it on would be tone-deaf).

    A question counts when no emotion word says it is a happy one: people mostly ask a friend
    about what troubles them, and "tell me more, you'll do great" is the reply that hurt.
    """
    feeling = text_emotion(text, "ko")
    if feeling is Emotion.HAPPY:
        return False
    return bool(_WORRIES.search(text)) or (feeling is None and asks(text))
