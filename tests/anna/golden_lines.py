"""Golden diary lines and chat questions for the offline Anna (issue #18), written for the tests.

Each line says what a coherent reply must react to: ``feeling`` is the words' emotion, "worry"
for a trouble or question without emotion words, or the face when the words are silent; ``topic``
is what the lexicon should read; ``asks`` whether it is a question that needs an answer; ``face``
the emotion on the selfie (a mismatch when it differs from the words' emotion).

The Korean and English lines cover every emotion × topic, one question per topic, questions on
topics Anna knows nothing about, face/words mismatches and lines without emotion words. The
emotion lines interleave emotions, as a person's weeks do; :func:`weeks` also spreads the
questions among them, the order the cross-reply tests walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inference.labels import Emotion

A, H, P, S = Emotion.ANGER, Emotion.HAPPY, Emotion.PANIC, Emotion.SADNESS
W: Literal["worry"] = "worry"
Feeling = Emotion | Literal["worry"]


@dataclass(frozen=True)
class Line:
    """One diary line or chat message and what a reply to it must get right."""

    text: str
    feeling: Feeling
    topic: str | None
    face: Emotion
    asks: bool = False

    @property
    def mismatch(self) -> bool:
        """The face shows one emotion and the words say another."""
        return isinstance(self.feeling, Emotion) and self.feeling is not self.face


def _e(text: str, feeling: Emotion, topic: str, face: Emotion | None = None) -> Line:
    return Line(text, feeling, topic, face or feeling)


def _q(text: str, topic: str | None, face: Emotion = H) -> Line:
    return Line(text, W, topic, face, asks=True)


KO: tuple[Line, ...] = (
    # emotion × topic, interleaved
    _e("오랜만에 늦잠 자서 기분 최고야", H, "sleep"),
    _e("밤새 잠을 못 자서 하루 종일 힘들었어", S, "sleep"),
    _e("윗집 소음 때문에 잠을 못 자서 짜증나", A, "sleep"),
    _e("알람을 못 들어서 늦잠 자고 깜짝 놀랐어", P, "sleep"),
    _e("회사에서 프로젝트 칭찬받아서 너무 기뻐", H, "work"),
    _e("회사에서 또 야근이라 너무 지쳤어", S, "work"),
    _e("팀장님이 내 보고서를 또 다시 쓰라고 해서 너무 짜증났어", A, "work"),
    _e("회의에서 갑자기 발표를 시켜서 당황했어", P, "work"),
    _e("시험에 합격해서 진짜 행복해", H, "school"),
    _e("시험을 망쳐서 속상해", S, "school"),
    _e("조별 과제에서 나만 일해서 너무 억울해", A, "school"),
    _e("내일 시험인데 너무 긴장돼", P, "school"),
    _e("친구들이랑 노래방 가서 엄청 웃었어", H, "friends"),
    _e("친구가 이사 가서 너무 외로워", S, "friends"),
    _e("친구가 약속을 또 어겨서 화가 났어", A, "friends"),
    _e("친구가 갑자기 울어서 너무 당황했어", P, "friends"),
    _e("오랜만에 가족이랑 바다에 갔어. 너무 행복했어", H, "family"),
    _e("할머니가 보고 싶어서 눈물이 났어", S, "family"),
    _e("동생이랑 싸워서 화가 나", A, "family"),
    _e("엄마가 쓰러지셨다는 전화에 심장이 철렁했어", P, "family"),
    _e("점심에 먹은 파스타가 진짜 맛있어서 신났어", H, "food"),
    _e("혼자 저녁밥 먹으니까 괜히 쓸쓸했어", S, "food"),
    _e("배달 음식이 한 시간이나 늦게 와서 열받아", A, "food"),
    _e("요리하다가 불이 확 올라와서 깜짝 놀랐어", P, "food"),
    _e("병원 검사 결과가 다 괜찮대서 다행이야", H, "health"),
    _e("감기 때문에 몸이 아파서 우울해", S, "health"),
    _e("병원에서 두 시간이나 기다려서 짜증났어", A, "health"),
    _e("건강검진에서 재검 나와서 불안해", P, "health"),
    _e("월급 들어와서 기분 최고야", H, "money"),
    _e("월세 내고 나니 통장이 텅 비어서 우울해", S, "money"),
    _e("카드값이 이상하게 많이 나와서 화가 나", A, "money"),
    _e("지갑을 잃어버린 줄 알고 식은땀 났어", P, "money"),
    _e("남자친구랑 데이트해서 너무 행복했어", H, "love"),
    _e("여자친구랑 헤어졌어. 너무 슬퍼", S, "love"),
    _e("남친이 연락도 없이 약속에 안 나와서 화났어", A, "love"),
    _e("썸 타는 사람한테 갑자기 고백받아서 당황했어", P, "love"),
    _e("날씨가 너무 좋아서 산책하니까 행복했어", H, "weather"),
    _e("비가 계속 와서 기분이 우울해", S, "weather"),
    _e("미세먼지 때문에 또 못 나가서 짜증나", A, "weather"),
    _e("갑자기 천둥이 쳐서 깜짝 놀랐어", P, "weather"),
    # questions on every topic (worries: the face must not make Anna cheer)
    _q("요즘 잠을 잘 못 자. 어떻게 하면 좋을까?", "sleep"),
    _q("회사 일이 너무 많은데 어떻게 정리해야 할까?", "work", S),
    _q("공부가 손에 안 잡혀. 어떻게 하면 집중할 수 있을까?", "school", P),
    _q("친구랑 연락이 뜸해졌는데 먼저 연락해도 될까?", "friends", A),
    _q("부모님이랑 대화가 자꾸 끊기는데 어떻게 해야 할까?", "family"),
    _q("오늘 저녁 뭐 먹으면 좋을까?", "food", S),
    _q("요즘 허리가 자주 아픈데 어떻게 하지?", "health", P),
    _q("돈을 모으고 싶은데 어떻게 하면 좋을까?", "money", A),
    _q("썸 타는 사람한테 고백해도 될까?", "love"),
    _q("장마 때 빨래는 어떻게 말려야 해?", "weather", S),
    # questions on topics the lexicon does not know: an honest answer
    _q("이사 갈 집을 어떻게 골라야 할까?", None),
    _q("운전 연수는 어디서 받는 게 좋을까?", None, S),
    _q("기타를 배우고 싶은데 뭐부터 해야 할까?", None, P),
    _q("고양이가 자꾸 밤에 울어서 어떡하지?", None, A),
    # the face says one thing, the words another
    _e("시험에 떨어졌어. 다들 붙었는데 나만 떨어진 것 같아", S, "school", H),
    _e("친구들이 생일 파티를 해 줘서 너무 행복했어", H, "friends", A),
    _e("회의에서 실수해서 너무 창피했어", P, "work", S),
    _e("동생이 내 옷을 또 말도 없이 입고 나가서 짜증나", A, "family", P),
    _e("감기 때문에 하루 종일 누워 있었어. 너무 힘들어", S, "health", H),
    _e("월급이 올라서 진짜 기뻐", H, "money", S),
    # no emotion words: the reply follows the face
    Line("점심으로 김밥을 먹었다", H, "food", H),
    Line("오늘은 도서관에 갔다", S, None, S),
)

EN: tuple[Line, ...] = (
    _e("Slept ten hours last night and I feel so happy", H, "sleep"),
    _e("Couldn't sleep again, I feel so tired and sad", S, "sleep"),
    _e("The neighbours partied all night and I couldn't sleep, so annoyed", A, "sleep"),
    _e("Slept through my alarm and panicked", P, "sleep"),
    _e("My boss praised my project today, so proud", H, "work"),
    _e("Work was exhausting and my boss ignored me", S, "work"),
    _e("My boss blamed me for his mistake, so unfair", A, "work"),
    _e("My boss called me into a surprise meeting, so nervous", P, "work"),
    _e("I passed the exam, so glad", H, "school"),
    _e("I failed my exam and cried on the bus", S, "school"),
    _e("My teacher gave me a bad grade for no reason, I'm furious", A, "school"),
    _e("I have an exam tomorrow and I'm so anxious", P, "school"),
    _e("Had so much fun with my friends at karaoke", H, "friends"),
    _e("My best friend moved away and I feel lonely", S, "friends"),
    _e("My friend lied to me again, I'm so angry", A, "friends"),
    _e("Tripped in front of my friends, so embarrassed", P, "friends"),
    _e("Went to the beach with my family, it was wonderful", H, "family"),
    _e("I miss my grandma so much", S, "family"),
    _e("I argued with my brother again", A, "family"),
    _e("My dad was taken to hospital and I'm scared", P, "family"),
    _e("Cooked pasta for dinner and it was amazing", H, "food"),
    _e("Ate dinner alone again, feeling lonely", S, "food"),
    _e("The restaurant got my lunch order wrong twice, so annoying", A, "food"),
    _e("Nearly set the kitchen on fire while cooking, I was so scared", P, "food"),
    _e("The doctor said I'm healthy, I'm so happy", H, "health"),
    _e("I've been sick all week and feel miserable", S, "health"),
    _e("Waited three hours at the hospital, I'm so mad", A, "health"),
    _e("The doctor wants more checks and I'm worried", P, "health"),
    _e("Got my salary today, feeling great", H, "money"),
    _e("Rent is due and I'm broke, feeling down", S, "money"),
    _e("They overcharged my bills again, so frustrating", A, "money"),
    _e("Thought I lost my wallet with all my money, total panic", P, "money"),
    _e("Had a lovely date with my girlfriend", H, "love"),
    _e("My boyfriend and I broke up, I'm so sad", S, "love"),
    _e("My boyfriend forgot our date again, I'm so mad", A, "love"),
    _e("My crush texted me out of nowhere and I freaked out", P, "love"),
    _e("Sunny weather all day, so happy", H, "weather"),
    _e("Rain all week, feeling gloomy", S, "weather"),
    _e("The snow cancelled my trip, so annoying", A, "weather"),
    _e("The thunder was so loud I got scared", P, "weather"),
    _q("I can't sleep lately, what should I do?", "sleep"),
    _q("I have too much work, how should I organize it?", "work", S),
    _q("How can I focus when I study?", "school", P),
    _q("Should I text my friend first after a long silence?", "friends", A),
    _q("How do I talk to my parents without fighting?", "family"),
    _q("What should I cook for dinner?", "food", S),
    _q("How can I get healthier?", "health", P),
    _q("How can I save more money?", "money", A),
    _q("Should I ask my crush out?", "love"),
    _q("What should I wear in this cold weather?", "weather", S),
    _q("How do I choose a good apartment?", None),
    _q("Any tips for learning the guitar?", None, P),
    _e("I failed my exam and I feel awful", S, "school", H),
    _e("Got promoted at work today, so happy", H, "work", S),
    _e("Tripped on stage at school, so embarrassed", P, "school", A),
    _e("My sister ate my cake again, I'm so annoyed", A, "family", P),
)


def weeks(lines: tuple[Line, ...]) -> list[Line]:
    """The lines in diary order: a question after every three other lines, not fourteen
    questions in a row (a streak of one feeling is tested on its own)."""
    questions = [line for line in lines if line.asks]
    others = [line for line in lines if not line.asks]
    order: list[Line] = []
    for i, line in enumerate(others):
        order.append(line)
        if i % 3 == 2 and questions:
            order.append(questions.pop(0))
    return order + questions
