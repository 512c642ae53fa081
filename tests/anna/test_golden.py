"""Golden lines through the offline Anna: coherent reactions, real answers, no repeats (#18).

Checks a program can make: the words of the reaction belong to the feeling it reacts to (each
feeling has words a reply must contain one of and words it must not contain), the letter quotes
an entry of the feeling it reacts to, a question gets a suggestion on its topic or an honest
"not sure, but…", a worry is never cheered on, and no sentence repeats within a reply or across
the last five replies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest

from facelog.anna import (
    Attitude,
    ChatRequest,
    ChatTurn,
    CommentRequest,
    History,
    LetterRequest,
    OfflineAnna,
    Part,
    PastEntry,
    Profile,
)
from facelog.anna.lexicon import TOPICS, asks, hook, is_worry, text_emotion, topic
from facelog.anna.offline import Draft
from facelog.anna.phrases import BANKS
from facelog.anna.prompt import length_window, target_chars
from facelog.anna.text import split_sentences
from facelog.summary import dominant_line
from inference.labels import Emotion

from .golden_lines import EN, KO, A, Feeling, H, Line, P, S, W, weeks

ANNA = OfflineAnna()
DAY = date(2026, 12, 1)
LANGUAGES = {"ko": KO, "en": EN}

# --- what each feeling's reaction must (one of) and must not (any) say -----------------------

MUST: dict[str, dict[Feeling, tuple[str, ...]]] = {
    "ko": {
        H: (
            "기쁘",
            "기뻐",
            "기쁨",
            "신나",
            "좋",
            "웃",
            "설렘",
            "축하",
            "잘됐",
            "행복",
            "환해",
            "즐기",
        ),
        S: ("속상", "힘들", "힘드", "무겁", "마음", "쉬", "아파", "지쳐", "버티", "자책", "편"),
        A: ("화", "억울", "답답", "부글", "너무했", "속이", "진심", "잘못"),
        P: ("놀라", "놀랐", "당황", "정신없", "하얘", "심장", "진정", "숨", "괜찮"),
        W: ("고민", "마음에 걸", "신경 쓰", "방법", "털어놓"),
    },
    "en": {
        H: ("happy", "glad", "joy", "congrat", "amazing", "awesome", "deserve", "smil", "brighten"),
        S: ("heavy", "hard", "hurt", "sorry", "rest", "tough", "upset", "understand", "cry"),
        A: ("mad", "fair", "furious", "frustrat", "fault", "boil", "upset", "cared", "vent"),
        P: ("shock", "startl", "panic", "breath", "calm", "scary", "blank", "heart", "okay"),
        W: ("worry", "mind", "think", "weigh", "step", "together", "tiring", "wears", "solve"),
    },
}
MUST_NOT: dict[str, dict[Feeling, tuple[str, ...]]] = {
    "ko": {
        H: ("속상", "화날", "억울", "답답", "놀랐", "당황", "힘들", "슬프", "부글", "자책"),
        S: ("신나", "축하", "잘됐", "웃음", "덩달아", "대박", "화날", "설렘"),
        A: ("신나", "축하", "잘됐", "웃음", "덩달아", "놀랐", "설렘"),
        P: ("신나", "축하", "잘됐", "화날", "억울", "덩달아", "부글"),
        # a worry is never praised or cheered on
        W: ("잘 해낼", "잘하고 있", "신나", "축하", "대박", "잘됐", "멋지", "멋져", "대단"),
    },
    "en": {
        H: ("sorry", "unfair", "furious", "shock", "startled", "heavy", "hurt", "vent"),
        S: ("congrat", "awesome", "so happy for you", "celebrat", "beaming", "unfair"),
        A: ("congrat", "awesome", "so happy for you", "celebrat", "shock", "beaming"),
        P: ("congrat", "celebrat", "unfair", "furious", "beaming"),
        W: ("you've got this", "proud", "awesome", "congrat", "amazing", "believe in you"),
    },
}
#: Per topic, words a suggestion on that topic uses (the answer is about the question).
TOPIC_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "ko": {
        "sleep": ("자기", "주무", "잠", "커피", "햇볕"),
        "work": ("할 일", "상사", "동료", "점심시간"),
        "school": ("공부", "시험", "선생님"),
        "friends": ("친구", "연락", "만나"),
        "family": ("가족", "부딪"),
        "food": ("볶음밥", "끼니", "음식", "드세요", "먹어"),
        "health": ("병원", "물을", "걸"),
        "money": ("돈", "월급", "지출"),
        "love": ("마음", "서운"),
        "weather": ("날씨", "날", "우산"),
    },
    "en": {
        "sleep": ("bed", "sleep", "coffee", "daylight"),
        "work": ("due", "work", "desk", "urgent"),
        "school": ("study", "exam", "teacher"),
        "friends": ("friend", "message", "person", "meal"),
        "family": ("family", "tense", "calm"),
        "food": ("rice", "meal", "dish", "food", "banana"),
        "health": ("doctor", "water", "walk"),
        "money": ("spen", "payday", "purchase"),
        "love": ("feel", "honest", "hurt"),
        "weather": ("forecast", "gloomy", "hot", "cold", "umbrella"),
    },
}
UNSURE = {"ko": "잘은 모르지만", "en": "not sure, but"}
#: Slots that speak about the face or the month, not the feeling the reply reacts to.
NOT_REACTION = {"mismatch", "stats", "hook", "change"}


def profile(language: str, attitude: Attitude, parts: Iterable[Part] = ()) -> Profile:
    name = "박주성" if language == "ko" else "Alex Kim"
    return Profile(
        name=name,
        language=language,  # type: ignore[arg-type]
        attitude=attitude,
        composition=frozenset(parts),
    )


def golden(language: str) -> list[tuple[str, Line]]:
    return [(language, line) for line in LANGUAGES[language]]


ALL = golden("ko") + golden("en")
IDS = [line.text[:30] for _, line in ALL]


def reaction_text(draft: Draft) -> str:
    return " ".join(s.text for s in draft.sentences if s.slot not in NOT_REACTION)


def assert_reacts_to(draft: Draft, language: str, feeling: Feeling) -> None:
    """The reply's own sentences belong to ``feeling``: one word it must use, none it must not."""
    lowered = reaction_text(draft).lower()
    banned = [w for w in MUST_NOT[language][feeling] if w in lowered]
    assert not banned, (feeling, banned, draft.text)
    assert any(w in draft.text.lower() for w in MUST[language][feeling]), (feeling, draft.text)


def assert_no_repeats(text: str) -> None:
    sentences = split_sentences(text)
    assert len(sentences) == len(set(sentences)), text


def assert_answers(draft: Draft, line: Line, language: str, attitude: Attitude) -> None:
    """A question gets a suggestion of its topic's, or an honest "not sure, but…"."""
    bank = BANKS[(language, attitude)]  # type: ignore[index]
    if line.topic is None:
        assert UNSURE[language] in draft.text, draft.text
        return
    answers = [s.text for s in draft.sentences if s.slot in ("advice", "answer")]
    assert answers and answers[0] in bank.answer[line.topic], draft.text
    assert any(w in answers[0].lower() for w in TOPIC_WORDS[language][line.topic]), answers
    assert UNSURE[language] not in draft.text


# --- the lexicon reads the golden lines as written -------------------------------------------


def test_golden_set_size_and_coverage() -> None:
    assert len(KO) >= 60 and len(EN) >= 30
    for lines in (KO, EN):
        covered = {(line.feeling, line.topic) for line in lines if not line.asks}
        assert {(e, name) for e in (A, H, P, S) for name in TOPICS} <= covered
        assert {line.topic for line in lines if line.asks} == {None, *TOPICS}
        assert {line.face for line in lines if line.mismatch} == {A, H, P, S}


@pytest.mark.parametrize(("language", "line"), ALL, ids=IDS)
def test_lexicon_reads_the_line(language: str, line: Line) -> None:
    said = text_emotion(line.text, language)
    feeling = said if said is not None else (W if is_worry(line.text) else line.face)
    assert feeling == line.feeling
    assert topic(line.text) == line.topic
    assert asks(line.text) is line.asks


# --- comments and chat: one feeling per reply, questions answered ----------------------------


@pytest.mark.parametrize("attitude", list(Attitude))
@pytest.mark.parametrize(("language", "line"), ALL, ids=IDS)
def test_comment_reacts_to_the_words_and_answers(
    language: str, line: Line, attitude: Attitude
) -> None:
    request = CommentRequest(
        profile=profile(language, attitude),
        emotion=line.face,
        confidence=0.9,
        text=line.text,
        day=DAY,
    )
    draft = ANNA.draft(request)
    assert draft.feeling == line.feeling
    assert_reacts_to(draft, language, line.feeling)
    assert ("mismatch" in draft.slots) is line.mismatch
    assert_no_repeats(draft.text)
    if line.asks:
        assert_answers(draft, line, language, attitude)
    else:
        assert UNSURE[language] not in draft.text
    lo, hi = length_window(target_chars(request), 0.3)
    assert lo <= len(draft.text) <= hi


@pytest.mark.parametrize("parts", [(), (Part.EMPATHY, Part.COMFORT)], ids=["all", "no-advice"])
@pytest.mark.parametrize("attitude", list(Attitude))
@pytest.mark.parametrize(("language", "line"), ALL, ids=IDS)
def test_chat_answers_a_question_of_its_kind(
    language: str, line: Line, attitude: Attitude, parts: tuple[Part, ...]
) -> None:
    request = ChatRequest(
        profile=profile(language, attitude, parts), message=line.text, day=DAY, emotion=line.face
    )
    draft = ANNA.draft(request)
    assert draft.feeling == line.feeling
    assert ("mismatch" in draft.slots) is line.mismatch
    assert_reacts_to(draft, language, line.feeling)
    assert_no_repeats(draft.text)
    assert draft.text.endswith("?")
    if line.asks:
        assert_answers(draft, line, language, attitude)
        assert ("answer" in draft.slots) is (Part.ADVICE not in request.profile.parts)


def test_the_reported_question_gets_a_sleep_suggestion_not_praise() -> None:
    """Issue #18: "요즘 잠을 잘 못 자. 어떻게 하면 좋을까?" got "뭐든 너라면 잘 해낼 거야"."""
    request = ChatRequest(
        profile=Profile(name="박주성"), message="요즘 잠을 잘 못 자. 어떻게 하면 좋을까?", day=DAY
    )
    text = ANNA.write(request)
    assert "잘 해낼" not in text and "그런 일이 있었구나" not in text
    assert any(answer in text for answer in BANKS[("ko", Attitude.CASUAL)].answer["sleep"])


# --- letters: the quote and the reaction are about the same entry; ties are ties --------------


def letter(
    language: str, attitude: Attitude, lines: Sequence[Line], counts: dict[Emotion, int]
) -> tuple[LetterRequest, Draft]:
    entries = tuple(
        PastEntry(DAY + timedelta(days=i), line.face, line.text) for i, line in enumerate(lines)
    )
    request = LetterRequest(
        profile=profile(language, attitude),
        month=DAY,
        counts=counts,
        history=History(entries=entries),
    )
    return request, ANNA.draft(request)


def test_the_reported_december_letter_quotes_what_it_reacts_to() -> None:
    lines = [
        Line("팀장님이 내 보고서를 또 다시 쓰라고 해서 너무 짜증났어", A, "work", A),
        Line("오랜만에 가족이랑 바다에 갔어. 너무 행복했어", H, "family", H),
    ]
    request, draft = letter("ko", Attitude.CASUAL, lines, {A: 1, H: 1})
    assert request.tied and request.top == (A, H)
    stats = next(s.text for s in draft.sentences if s.slot == "stats")
    assert "분노, 기쁨" in stats and "1번씩" in stats
    assert draft.quoted_entry == lines[1].text and draft.feeling is H
    assert "부글" not in draft.text and "화날" not in draft.text
    assert_reacts_to(draft, "ko", H)


@pytest.mark.parametrize("attitude", list(Attitude))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_letters_quote_an_entry_of_the_feeling_they_react_to(
    language: str, attitude: Attitude
) -> None:
    """Months of three golden lines each, counted as written and with a tie at the top."""
    lines = [line for line in LANGUAGES[language] if not line.asks]
    for start in range(0, len(lines) - 3, 3):
        month = lines[start : start + 3]
        counted: dict[Emotion, int] = {}
        for line in month:
            counted[line.face] = counted.get(line.face, 0) + 1
        faces = list(dict.fromkeys(line.face for line in month))
        tied = {faces[0]: 2, faces[1]: 2} if len(faces) > 1 else counted
        for counts in (counted, tied):
            request, draft = letter(language, attitude, month, counts)
            quoted = next(line for line in month if line.text == draft.quoted_entry)
            assert hook(quoted.text, 56) is not None and draft.feeling == quoted.feeling
            assert "hook" in draft.slots
            if any(line.feeling in request.top for line in month):
                assert draft.feeling in request.top  # the month's own feeling when it can
            assert_reacts_to(draft, language, quoted.feeling)
            assert_no_repeats(draft.text)
            if request.tied:
                bank = BANKS[(language, attitude)]  # type: ignore[index]
                stats = next(s.text for s in draft.sentences if s.slot == "stats")
                assert all(bank.emotion_name[e] in stats for e in request.top), stats


@pytest.mark.parametrize("attitude", list(Attitude))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_tied_month_without_quotable_entries_reacts_to_a_tied_feeling(
    language: str, attitude: Attitude
) -> None:
    """Nothing to quote must not mean "no feeling": that cheered a sad and anxious month on."""
    request, draft = letter(language, attitude, [], {S: 3, P: 3, H: 1})
    assert request.tied and draft.feeling in request.top and draft.quoted_entry is None
    assert_reacts_to(draft, language, draft.feeling)
    assert "잘 해낼" not in draft.text and "got this" not in draft.text


def test_summary_says_a_tie_is_a_tie() -> None:
    assert dominant_line("ko", {A: 1, H: 1}) == "가장 많이 느낀 감정: 😠 분노 · 😊 기쁨 (같은 횟수)"
    assert dominant_line("en", {A: 1, H: 1}) == "Most frequent: 😠 Anger and 😊 Happy, tied"
    assert dominant_line("ko", {A: 1, H: 2}) == "가장 많이 느낀 감정: 😊 기쁨"
    assert dominant_line("en", {}) is None


# --- variety: no sentence of the last five replies comes back ---------------------------------


@pytest.mark.parametrize("attitude", list(Attitude))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_comments_on_consecutive_days_never_repeat_the_last_five(
    language: str, attitude: Attitude
) -> None:
    """A week of entries as the bot sends them: each comment request carries the last five."""
    person = profile(language, attitude)
    past: list[PastEntry] = []
    replies: list[list[str]] = []
    for i, line in enumerate(weeks(LANGUAGES[language])):
        day = DAY + timedelta(days=i)
        request = CommentRequest(
            profile=person,
            emotion=line.face,
            confidence=0.9,
            text=line.text,
            day=day,
            history=History(entries=tuple(past[-5:])),
        )
        text = ANNA.write(request)
        assert ANNA.write(request) == text  # deterministic per request
        sentences = split_sentences(text)
        recent = {s for reply in replies[-5:] for s in reply}
        assert not recent.intersection(sentences), (line.text, recent.intersection(sentences))
        replies.append(sentences)
        past.append(PastEntry(day, line.face, line.text))


@pytest.mark.parametrize("attitude", list(Attitude))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_chat_never_repeats_its_last_five_answers(language: str, attitude: Attitude) -> None:
    person = profile(language, attitude)
    turns: list[ChatTurn] = []
    replies: list[list[str]] = []
    for line in weeks(LANGUAGES[language]):
        request = ChatRequest(
            profile=person, message=line.text, day=DAY, history=History(turns=tuple(turns[-12:]))
        )
        text = ANNA.write(request)
        sentences = split_sentences(text)
        recent = {s for reply in replies[-5:] for s in reply}
        assert not recent.intersection(sentences), (line.text, recent.intersection(sentences))
        replies.append(sentences)
        turns += [ChatTurn("user", line.text), ChatTurn("anna", text)]


def test_same_feeling_five_days_running_still_reads_fresh() -> None:
    """The hardest case for a phrase bank: one feeling every day of a week."""
    person = Profile(name="박주성")
    happy = [line for line in KO if line.feeling is H and not line.mismatch][:6]
    past: list[PastEntry] = []
    replies: list[list[str]] = []
    for i, line in enumerate(happy):
        day = DAY + timedelta(days=i)
        request = CommentRequest(
            profile=person,
            emotion=H,
            confidence=0.9,
            text=line.text,
            day=day,
            history=History(entries=tuple(past[-5:])),
        )
        sentences = split_sentences(ANNA.write(request))
        recent = {s for reply in replies[-5:] for s in reply}
        assert not recent.intersection(sentences)
        replies.append(sentences)
        past.append(PastEntry(day, H, line.text))


def test_a_request_is_its_own_seed() -> None:
    line = KO[0]
    request = CommentRequest(
        profile=profile("ko", Attitude.CASUAL),
        emotion=line.face,
        confidence=0.5,
        text=line.text,
        day=DAY,
    )
    assert ANNA.write(request) == OfflineAnna().write(replace(request, confidence=0.9))
