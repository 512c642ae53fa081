"""The offline Anna's sentences: several alternatives per slot, per language and attitude.

Each bank is written out in full rather than generated from one another: Korean 반말 and 존댓말
differ in more than their endings (너 / 저, 주무시다 / 자다), and polite English avoids
contractions altogether, which is what lets tests tell the registers apart.

Placeholders: {voc} how Anna addresses the person (주성아, / 주성님, / Alex), {given} the given
name, {hook} a quoted piece of the diary, {kw} an intro keyword, {look}/{feel} the face's and the
words' emotion for the mismatch question, {month}, {entries}, {total}, {n}, {dom}, {emo}, {diff}
for letters. A quoted piece of user text always ends its quote and is followed by a noun
("이 대목", "이 얘기"), so no Korean particle ever has to agree with unknown text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from inference.labels import Emotion

from .values import Attitude, Language, Part

A, H, P, S = Emotion.ANGER, Emotion.HAPPY, Emotion.PANIC, Emotion.SADNESS
Options = tuple[str, ...]
ByEmotion = Mapping[Emotion | None, Options]


@dataclass(frozen=True)
class Bank:
    """All slots for one language and attitude. ``None`` keys serve "no clear emotion"."""

    opener: Mapping[Emotion, Options]
    hook: Options
    no_hook: Options
    mismatch: Options
    intro: Options
    parts: Mapping[Part, ByEmotion]
    filler: Options
    closing: Mapping[Emotion, Options]
    greeting: Mapping[Emotion, Options]
    chat_open: ByEmotion
    chat_hook: Options
    chat_filler: Options
    chat_question: ByEmotion
    letter_open: Options
    letter_stats: Options
    letter_empty: Options
    letter_up: Options
    letter_down: Options
    letter_same: Options
    letter_hook: Options
    letter_filler: Options
    #: For a month without entries: nothing to praise or quote, so gentle encouragement.
    letter_empty_filler: Options
    letter_close: Options
    look: Mapping[Emotion, str]
    feel: Mapping[Emotion, str]
    emotion_name: Mapping[Emotion, str]
    #: A worry or a question without emotion words: "open", "empathy", "comfort", "advice"
    #: (when nothing was asked), "close" (comments) and "ask" (chat) lines; none of them cheers.
    worry: Mapping[str, Options]
    #: Concrete suggestions per lexicon topic, for a question.
    answer: Mapping[str, Options]
    #: An honest answer to a question on a topic Anna knows nothing about.
    unsure: Options
    #: The month's numbers when two or more emotions share the top count ({doms} names them).
    letter_tie: Options
    #: A second piece of the diary ({hook}), used before any neutral filler.
    detail: Options


# --- worries, answers and ties (issue #18) ------------------------------------------------------
#
# A worry (a trouble or a question without emotion words) gets its own lines: none of them
# praises or cheers, because "you'll do great!" after "I can't sleep, what should I do?" was the
# reply that hurt. A question gets a concrete suggestion on a topic the lexicon knows
# (``lexicon.TOPICS``), or an honest "I'm not sure, but…" on any other.

_KO_CASUAL_WORRY: Mapping[str, Options] = {
    "open": (
        "{voc} 그게 요즘 마음에 걸리는구나.",
        "{voc} 그 얘기 꺼내 줘서 고마워.",
        "{voc} 그런 고민이 있었구나.",
        "{voc} 그거 은근히 신경 쓰이지.",
        "{voc} 얘기해 줘서 고마워, 같이 생각해 보자.",
        "{voc} 요즘 그 일로 마음이 편치 않았겠다.",
    ),
    "empathy": (
        "그런 게 계속되면 지치지.",
        "누구라도 그런 건 고민될 거야.",
        "그런 고민은 혼자 하면 더 커지더라.",
        "신경 쓰이는 게 당연해.",
        "나라도 그거 꽤 고민됐을 거야.",
        "마음 한쪽이 계속 무거웠겠다.",
    ),
    "comfort": (
        "혼자 끙끙 앓지 않고 털어놓은 것만으로도 한 걸음이야.",
        "답이 바로 안 보여도 괜찮아.",
        "한 번에 다 해결하지 않아도 괜찮아.",
        "조금씩 나아지면 그걸로 충분해.",
        "천천히 같이 방법을 찾아보자.",
        "그 고민, 나도 같이 들고 있을게.",
    ),
    "advice": (
        "고민되는 걸 종이에 적고 지금 할 수 있는 것 하나만 골라 봐.",
        "오늘은 고민을 잠깐 내려놓고 푹 쉬어 봐.",
        "비슷한 일을 겪어 본 사람 얘기를 들어 보면 도움이 될 거야.",
        "작게 하나만 시도해 보고 어땠는지 보자.",
        "믿을 만한 사람한테 한 번 얘기해 보면 생각이 정리될 거야.",
        "너무 늦지 않게 자고 내일 맑은 머리로 다시 생각해 보자.",
    ),
    "close": (
        "어떻게 됐는지 나중에 꼭 알려 줘.",
        "또 고민되면 언제든 얘기해.",
        "내가 여기 있을게, 천천히 해 보자.",
    ),
    "ask": (
        "해 보고 어땠는지 알려 줄래?",
        "제일 먼저 뭐부터 해 볼 것 같아?",
        "그 얘기 좀 더 자세히 해 줄래?",
        "요즘 제일 마음에 걸리는 게 뭐야?",
        "혹시 내가 더 도와줄 수 있는 게 있을까?",
        "언제부터 그랬어?",
    ),
}

_KO_CASUAL_ANSWER: Mapping[str, Options] = {
    "sleep": (
        "자기 한 시간 전엔 휴대폰을 멀리 두고, 매일 같은 시간에 일어나 봐.",
        "오후엔 커피를 줄이고, 잠이 안 오면 잠깐 일어나서 책을 읽다가 다시 누워 봐.",
        "낮에 햇볕 보면서 20분쯤 걷고, 자기 전엔 따뜻한 물로 씻어 봐.",
    ),
    "work": (
        "할 일을 적고 제일 급한 것 하나부터 끝내 봐, 나머지는 그다음이야.",
        "상사나 동료랑 부딪혔다면 하루 지나서 차분할 때 짧게 얘기해 봐.",
        "점심시간엔 잠깐이라도 자리를 떠나서 일 생각을 끊어 봐.",
    ),
    "school": (
        "공부는 25분 집중하고 5분 쉬는 식으로 끊어서 해 봐.",
        "시험 범위를 작게 나눠서 날짜별로 적어 두면 훨씬 덜 막막해.",
        "모르는 부분은 혼자 붙잡지 말고 선생님이나 친구한테 바로 물어봐.",
    ),
    "friends": (
        "친구한테 서운했다면 탓하기보다 네 마음이 어땠는지부터 솔직하게 말해 봐.",
        "먼저 짧게 연락해서 밥 한번 먹자고 해 보는 건 어때?",
        "오해가 있으면 메시지보다 직접 만나서 얘기하는 게 훨씬 나아.",
    ),
    "family": (
        "가족한테 하고 싶은 말을 먼저 짧게 적어 보고, 차분할 때 전해 봐.",
        "이번 주에 가족이랑 밥 한 끼 같이 먹으면서 얘기해 보는 건 어때?",
        "부딪힐 땐 잠깐 자리를 피했다가 마음이 가라앉은 뒤에 다시 얘기해 봐.",
    ),
    "food": (
        "냉장고에 있는 재료로 볶음밥이나 달걀 요리를 해 보는 건 어때? 간단하고 든든해.",
        "끼니는 거르지 말고, 바쁠 땐 바나나나 우유라도 챙겨 먹어.",
        "좋아하는 음식 하나 정해서 천천히 맛있게 먹어 봐.",
    ),
    "health": (
        "아픈 게 며칠 계속되면 참지 말고 병원에 꼭 가 봐.",
        "물을 자주 마시고 무리하지 말고 일찍 쉬어.",
        "하루 20분만 걸어도 몸이 훨씬 가벼워질 거야.",
    ),
    "money": (
        "이번 달 쓴 돈을 한 번 적어 보면 어디서 새는지 바로 보여.",
        "월급 들어오는 날 조금이라도 먼저 따로 떼어 두는 걸 추천해.",
        "큰 지출은 바로 결제하지 말고 하루만 미뤘다가 정해 봐.",
    ),
    "love": (
        "마음이 궁금하면 혼자 추측하기보다 솔직하게 한 번 물어보는 게 제일 좋아.",
        "서운한 건 쌓아 두지 말고 차분할 때 짧게 말해 봐.",
        "상대 마음보다 네 마음이 어떤지 먼저 적어 보면 답이 보일 거야.",
    ),
    "weather": (
        "나가기 전에 날씨 앱을 한 번 보고 우산이나 겉옷을 챙겨.",
        "날이 궂을 땐 실내에서 할 수 있는 작은 즐거움을 하나 정해 봐.",
        "더운 날엔 물을 자주 마시고, 추운 날엔 목을 따뜻하게 감싸.",
    ),
}

_KO_CASUAL_UNSURE: Options = (
    "잘은 모르지만, 그 일을 잘 아는 사람한테 한 번 물어보는 게 제일 빠를 거야.",
    "잘은 모르지만, 너무 혼자 결정하려고 하지 않아도 돼.",
    "잘은 모르지만, 비슷한 경험을 한 사람 얘기를 찾아보면 길이 보일 거야.",
    "잘은 모르지만, 급하지 않다면 하루쯤 더 생각해 봐도 괜찮아.",
    "잘은 모르지만, 지금 할 수 있는 제일 작은 것 하나부터 해 보면 좋겠어.",
    "잘은 모르지만, 고민되는 걸 적어 보면 뭐가 제일 중요한지 보일 거야.",
)

_KO_POLITE_WORRY: Mapping[str, Options] = {
    "open": (
        "{voc} 그게 요즘 마음에 걸리셨군요.",
        "{voc} 그 이야기를 꺼내 주셔서 고마워요.",
        "{voc} 그런 고민이 있으셨군요.",
        "{voc} 그거 은근히 신경 쓰이죠.",
        "{voc} 이야기해 주셔서 고마워요, 같이 생각해 봐요.",
        "{voc} 요즘 그 일로 마음이 편치 않으셨겠어요.",
    ),
    "empathy": (
        "그런 게 계속되면 지치죠.",
        "누구라도 그런 건 고민될 거예요.",
        "그런 고민은 혼자 하면 더 커지더라고요.",
        "신경 쓰이시는 게 당연해요.",
        "저라도 그거 꽤 고민됐을 거예요.",
        "마음 한쪽이 계속 무거우셨겠어요.",
    ),
    "comfort": (
        "혼자 앓지 않고 털어놓으신 것만으로도 한 걸음이에요.",
        "답이 바로 보이지 않아도 괜찮아요.",
        "한 번에 다 해결하지 않으셔도 괜찮아요.",
        "조금씩 나아지면 그걸로 충분해요.",
        "천천히 같이 방법을 찾아봐요.",
        "그 고민, 저도 같이 들고 있을게요.",
    ),
    "advice": (
        "고민되는 걸 종이에 적고 지금 할 수 있는 것 하나만 골라 보세요.",
        "오늘은 고민을 잠깐 내려놓고 푹 쉬어 보세요.",
        "비슷한 일을 겪어 본 분의 이야기를 들어 보시면 도움이 될 거예요.",
        "작게 하나만 시도해 보시고 어땠는지 봐요.",
        "믿을 만한 분께 한 번 이야기해 보시면 생각이 정리될 거예요.",
        "너무 늦지 않게 주무시고 내일 맑은 머리로 다시 생각해 봐요.",
    ),
    "close": (
        "어떻게 됐는지 나중에 꼭 알려 주세요.",
        "또 고민되시면 언제든 이야기해 주세요.",
        "제가 여기 있을게요, 천천히 해 봐요.",
    ),
    "ask": (
        "해 보시고 어땠는지 알려 주실래요?",
        "제일 먼저 뭐부터 해 보실 것 같아요?",
        "그 이야기를 조금 더 자세히 해 주실래요?",
        "요즘 제일 마음에 걸리는 게 뭐예요?",
        "혹시 제가 더 도와드릴 수 있는 게 있을까요?",
        "언제부터 그러셨어요?",
    ),
}

_KO_POLITE_ANSWER: Mapping[str, Options] = {
    "sleep": (
        "주무시기 한 시간 전엔 휴대폰을 멀리 두시고, 매일 같은 시간에 일어나 보세요.",
        "오후엔 커피를 줄이시고, 잠이 안 오면 잠깐 일어나 책을 읽다가 다시 누워 보세요.",
        "낮에 햇볕을 보며 20분쯤 걷고, 주무시기 전엔 따뜻한 물로 씻어 보세요.",
    ),
    "work": (
        "할 일을 적고 제일 급한 것 하나부터 끝내 보세요, 나머지는 그다음이에요.",
        "상사나 동료와 부딪히셨다면 하루 지나 차분할 때 짧게 이야기해 보세요.",
        "점심시간엔 잠깐이라도 자리를 떠나 일 생각을 끊어 보세요.",
    ),
    "school": (
        "공부는 25분 집중하고 5분 쉬는 식으로 끊어서 해 보세요.",
        "시험 범위를 작게 나눠 날짜별로 적어 두시면 훨씬 덜 막막해요.",
        "모르는 부분은 혼자 붙잡지 마시고 선생님이나 친구에게 바로 물어보세요.",
    ),
    "friends": (
        "친구에게 서운하셨다면 탓하기보다 마음이 어땠는지부터 솔직하게 말해 보세요.",
        "먼저 짧게 연락해서 식사 한번 하자고 해 보시는 건 어때요?",
        "오해가 있다면 메시지보다 직접 만나서 이야기하시는 게 훨씬 나아요.",
    ),
    "family": (
        "가족에게 하고 싶은 말을 먼저 짧게 적어 보시고, 차분할 때 전해 보세요.",
        "이번 주에 가족과 식사 한 끼 함께하시며 이야기해 보시는 건 어때요?",
        "부딪힐 땐 잠깐 자리를 피했다가 마음이 가라앉은 뒤에 다시 이야기해 보세요.",
    ),
    "food": (
        "냉장고에 있는 재료로 볶음밥이나 달걀 요리를 해 보시는 건 어때요? 간단하고 든든해요.",
        "끼니는 거르지 마시고, 바쁘실 땐 바나나나 우유라도 챙겨 드세요.",
        "좋아하시는 음식 하나 정해서 천천히 맛있게 드셔 보세요.",
    ),
    "health": (
        "아프신 게 며칠 계속되면 참지 마시고 병원에 꼭 가 보세요.",
        "물을 자주 드시고 무리하지 마시고 일찍 쉬세요.",
        "하루 20분만 걸으셔도 몸이 훨씬 가벼워질 거예요.",
    ),
    "money": (
        "이번 달 쓴 돈을 한 번 적어 보시면 어디서 새는지 바로 보여요.",
        "월급날 조금이라도 먼저 따로 떼어 두시는 걸 추천해요.",
        "큰 지출은 바로 결제하지 마시고 하루만 미뤘다가 정해 보세요.",
    ),
    "love": (
        "마음이 궁금하시면 혼자 추측하기보다 솔직하게 한 번 물어보시는 게 제일 좋아요.",
        "서운한 건 쌓아 두지 마시고 차분할 때 짧게 말씀해 보세요.",
        "상대 마음보다 본인 마음이 어떤지 먼저 적어 보시면 답이 보일 거예요.",
    ),
    "weather": (
        "나가시기 전에 날씨 앱을 한 번 보시고 우산이나 겉옷을 챙기세요.",
        "날이 궂을 땐 실내에서 할 수 있는 작은 즐거움을 하나 정해 보세요.",
        "더운 날엔 물을 자주 드시고, 추운 날엔 목을 따뜻하게 감싸세요.",
    ),
}

_KO_POLITE_UNSURE: Options = (
    "잘은 모르지만, 그 일을 잘 아는 분께 한 번 여쭤보시는 게 제일 빠를 거예요.",
    "잘은 모르지만, 너무 혼자 결정하려고 하지 않으셔도 돼요.",
    "잘은 모르지만, 비슷한 경험을 한 분의 이야기를 찾아보시면 길이 보일 거예요.",
    "잘은 모르지만, 급하지 않다면 하루쯤 더 생각해 보셔도 괜찮아요.",
    "잘은 모르지만, 지금 할 수 있는 제일 작은 것 하나부터 해 보시면 좋겠어요.",
    "잘은 모르지만, 고민되는 걸 적어 보시면 뭐가 제일 중요한지 보일 거예요.",
)

_EN_CASUAL_WORRY: Mapping[str, Options] = {
    "open": (
        "Hey {voc}, sounds like that's been on your mind.",
        "Hey {voc}, I'm glad you brought this up.",
        "Oh {voc}, that's a real worry.",
        "Hey {voc}, thanks for telling me, let's think it through.",
        "{voc}, that kind of thing really nags at you, huh?",
        "Hey {voc}, that's been weighing on you lately, hasn't it?",
    ),
    "empathy": (
        "That wears you down when it keeps going.",
        "Anyone would be stuck on that one.",
        "Worries like that grow when you carry them alone.",
        "Of course it's on your mind.",
        "I'd be turning it over in my head too.",
        "It must've been sitting with you all day.",
    ),
    "comfort": (
        "Just saying it out loud is already a step.",
        "It's fine if the answer isn't clear yet.",
        "You don't have to fix it all at once.",
        "A little better each day is enough.",
        "Let's figure it out together, slowly.",
        "I'm carrying this one with you.",
    ),
    "advice": (
        "Write the worry down and pick one small thing you can do now.",
        "Put the worry down for tonight and get some rest.",
        "Hearing from someone who's been through it might help.",
        "Try one small step and see how it goes.",
        "Talking it over with someone you trust usually sorts it out a bit.",
        "Get some sleep and look at it again with a clear head.",
    ),
    "close": (
        "Let me know how it goes, okay?",
        "If it keeps bugging you, come talk anytime.",
        "I'm here, let's take it slow.",
    ),
    "ask": (
        "Will you tell me how it goes?",
        "What do you think you'll try first?",
        "Can you tell me a bit more about it?",
        "What's bothering you most about it?",
        "Is there anything else I can help with?",
        "How long has it been like this?",
    ),
}

_EN_CASUAL_ANSWER: Mapping[str, Options] = {
    "sleep": (
        "Put your phone away an hour before bed and get up at the same time every day.",
        "Skip coffee after lunch, and if sleep won't come, get up and read for a bit.",
        "Get twenty minutes of daylight on a walk, and take a warm shower before bed.",
    ),
    "work": (
        "List what's due and finish the most urgent thing first, the rest can wait.",
        "If you clashed with someone at work, talk briefly once you've both cooled off.",
        "Step away from your desk at lunch, even for ten minutes.",
    ),
    "school": (
        "Study in 25-minute blocks with 5-minute breaks.",
        "Split the exam material into small chunks and put a date on each.",
        "Don't sit stuck on what you don't get, ask a teacher or a friend right away.",
    ),
    "friends": (
        "Tell your friend how it felt for you instead of what they did wrong.",
        "Send a quick message and suggest grabbing a meal.",
        "If there's a misunderstanding, talk in person rather than by text.",
    ),
    "family": (
        "Jot down what you want to tell your family, then say it when things are calm.",
        "How about sharing a meal with your family this week and talking then?",
        "When it gets tense, step away for a bit and pick it up once you're calm.",
    ),
    "food": (
        "Try fried rice or eggs with whatever's in the fridge, quick and filling.",
        "Don't skip meals; when you're busy, at least grab a banana or some milk.",
        "Pick one food you love and eat it slowly.",
    ),
    "health": (
        "If it still hurts after a few days, don't tough it out, see a doctor.",
        "Drink plenty of water, don't push yourself and rest early.",
        "Even a 20-minute walk a day makes your body feel lighter.",
    ),
    "money": (
        "Write down what you spent this month and you'll see where it leaks.",
        "On payday, set a little aside first, before spending anything.",
        "Wait a day before any big purchase and decide then.",
    ),
    "love": (
        "If you're wondering how they feel, asking honestly beats guessing.",
        "Don't let hurt feelings pile up, say it briefly when you're calm.",
        "Write down how you feel first, and the answer may get clearer.",
    ),
    "weather": (
        "Check the forecast before you head out and grab an umbrella or a jacket.",
        "On gloomy days, plan one small indoor treat.",
        "Drink lots of water when it's hot and keep your neck warm when it's cold.",
    ),
}

_EN_CASUAL_UNSURE: Options = (
    "I'm not sure, but asking someone who knows this stuff might be the fastest way.",
    "I'm not sure, but you don't have to decide it all alone.",
    "I'm not sure, but hearing from someone who's been there might show the way.",
    "I'm not sure, but if it's not urgent, giving it another day is fine.",
    "I'm not sure, but starting with the smallest step you can take now might help.",
    "I'm not sure, but writing it down might show what matters most.",
)

_EN_POLITE_WORRY: Mapping[str, Options] = {
    "open": (
        "{voc}, it sounds like this has been on your mind.",
        "{voc}, I am glad you brought this up.",
        "{voc}, that is a real worry.",
        "{voc}, thank you for telling me; let us think it through.",
        "{voc}, that kind of thing can be hard to set aside.",
        "{voc}, this seems to have been weighing on you lately.",
    ),
    "empathy": (
        "It is tiring when something like that keeps going.",
        "Anyone would find that hard to decide.",
        "Worries like that grow when they are carried alone.",
        "Of course it is on your mind.",
        "I would be thinking it over too.",
        "It must have stayed with you all day.",
    ),
    "comfort": (
        "Saying it out loud is already a step.",
        "It is fine if the answer is not clear yet.",
        "You do not have to solve it all at once.",
        "A little better each day is enough.",
        "Let us find a way together, slowly.",
        "I am carrying this one with you.",
    ),
    "advice": (
        "You might write the worry down and choose one small thing to do now.",
        "Perhaps set the worry aside for tonight and rest.",
        "Hearing from someone who has been through it may help.",
        "You might try one small step and see how it goes.",
        "Talking it over with someone you trust may help you sort it out.",
        "Some rest may help you look at it again with a clear mind.",
    ),
    "close": (
        "Please let me know how it goes.",
        "If it keeps troubling you, please come and talk anytime.",
        "I am here; let us take it slowly.",
    ),
    "ask": (
        "Would you tell me how it goes?",
        "What do you think you will try first?",
        "Could you tell me a little more about it?",
        "What troubles you most about it?",
        "Is there anything else I can help with?",
        "How long has it been like this?",
    ),
}

_EN_POLITE_ANSWER: Mapping[str, Options] = {
    "sleep": (
        "You might set your phone aside an hour before bed and rise at the same time each day.",
        "Perhaps avoid coffee after lunch, and if sleep does not come, get up and read a little.",
        "A twenty-minute walk in daylight and a warm shower before bed may help.",
    ),
    "work": (
        "You might list what is due and finish the most urgent task first.",
        "If there was friction at work, a brief talk once everyone is calm may help.",
        "Please step away from your desk at lunch, even for ten minutes.",
    ),
    "school": (
        "You might study in 25-minute blocks with 5-minute breaks.",
        "Dividing the exam material into small parts, each with a date, may help.",
        "Please ask a teacher or a friend right away about what is unclear.",
    ),
    "friends": (
        "You might tell your friend how it felt for you rather than what they did wrong.",
        "Perhaps send a short message and suggest sharing a meal.",
        "If there is a misunderstanding, talking in person is better than by text.",
    ),
    "family": (
        "You might note what you wish to tell your family and share it when things are calm.",
        "Perhaps share a meal with your family this week and talk then.",
        "When it becomes tense, a short pause before talking again may help.",
    ),
    "food": (
        "Perhaps fried rice or eggs with what is in the fridge; it is quick and filling.",
        "Please do not skip meals; a banana or some milk is better than nothing.",
        "You might choose one dish you love and enjoy it slowly.",
    ),
    "health": (
        "If the pain lasts a few days, please see a doctor.",
        "Please drink plenty of water, avoid overdoing it and rest early.",
        "Even a 20-minute walk each day may make your body feel lighter.",
    ),
    "money": (
        "Writing down this month's spending may show where the money goes.",
        "On payday, setting a little aside first may help.",
        "Perhaps wait a day before any large purchase and decide then.",
    ),
    "love": (
        "If you wonder how they feel, asking honestly is better than guessing.",
        "Please do not let hurt feelings pile up; say it briefly when you are calm.",
        "Writing down how you feel first may make the answer clearer.",
    ),
    "weather": (
        "Please check the forecast before going out and take an umbrella or a jacket.",
        "On gloomy days, you might plan one small indoor pleasure.",
        "Please drink plenty of water on hot days and keep your neck warm on cold ones.",
    ),
}

_EN_POLITE_UNSURE: Options = (
    "I am not sure, but asking someone who knows this well may be the quickest way.",
    "I am not sure, but you do not have to decide it all alone.",
    "I am not sure, but hearing from someone who has been there may show the way.",
    "I am not sure, but if it is not urgent, another day of thought is fine.",
    "I am not sure, but beginning with the smallest step you can take now may help.",
    "I am not sure, but writing it down may show what matters most.",
)


_KO_NAMES = {A: "분노", H: "기쁨", P: "당황", S: "슬픔"}
_KO_LOOK = {H: "행복해", A: "화나", P: "당황해", S: "슬퍼"}
_KO_FEEL = {H: "즐겁게", A: "화난 것처럼", P: "놀란 것처럼", S: "슬프게"}

KO_CASUAL = Bank(
    opener={
        H: (
            "{voc} 오늘 얼굴에 웃음이 가득하다!",
            "{voc} 오늘 눈웃음이 제대로다!",
            "{voc} 얼굴에 좋은 일 있었다고 쓰여 있네!",
            "{voc} 사진 보자마자 나까지 기분 좋아졌어!",
            "{voc} 오늘 표정이 진짜 밝다!",
            "{voc} 오늘 완전 행복해 보여서 반가웠어!",
        ),
        S: (
            "{voc} 오늘 표정이 좀 지쳐 보여서 마음이 쓰였어.",
            "{voc} 오늘은 얼굴에 피곤함이 내려앉아 있네.",
            "{voc} 표정이 많이 가라앉아 보여서 걱정됐어.",
            "{voc} 사진 속 눈빛이 조금 가라앉아 있네.",
            "{voc} 오늘 많이 힘들었구나.",
            "{voc} 표정 보니까 오늘 하루가 무거웠나 봐.",
        ),
        A: (
            "{voc} 오늘 표정에 속상함이 그대로 보인다.",
            "{voc} 입술 꾹 다문 게 딱 보여.",
            "{voc} 오늘 얼굴에 열이 잔뜩 올라 있네.",
            "{voc} 사진만 봐도 화가 많이 났던 게 느껴져.",
            "{voc} 오늘 진짜 답답한 일이 있었나 보네.",
            "{voc} 표정이 잔뜩 굳어 있네.",
        ),
        P: (
            "{voc} 오늘 표정이 많이 놀란 것 같아.",
            "{voc} 표정에 정신없던 하루가 그대로 보여.",
            "{voc} 얼굴에 놀란 기색이 아직 남아 있네.",
            "{voc} 사진 보니까 정신없는 하루였나 봐.",
            "{voc} 오늘 뭔가 당황스러운 일이 있었구나.",
            "{voc} 눈이 동그래진 게 딱 보여.",
        ),
    },
    hook=(
        "‘{hook}’ 이 대목 읽는데 그 장면이 눈앞에 그려지더라.",
        "‘{hook}’ 이 얘기가 제일 마음에 남아.",
        "‘{hook}’ 이 부분에서 네 하루가 확 느껴졌어.",
        "‘{hook}’ 이 말이 계속 떠올라.",
    ),
    no_hook=("오늘 있었던 일, 글로 남겨 줘서 고마워.", "오늘 하루 얘기 들려줘서 고마워."),
    mismatch=(
        "그런데 사진 속 얼굴은 {look} 보이는데 글은 {feel} 느껴져. 실제로는 어떤 기분이었어?",
        "근데 표정은 {look} 보이는데 글에서는 {feel} 느껴져서 궁금해. 진짜 마음은 어때?",
        "얼굴은 {look} 보이는데 글은 {feel} 읽혀. 혹시 말 못 한 게 있어?",
        "표정은 {look} 보이는데 글은 {feel} 느껴져. 무슨 일이야?",
        "사진은 {look} 보이는데 글은 {feel} 느껴져. 어느 쪽이 진짜 네 마음이야?",
        "얼굴은 {look} 보이는데 글에서는 {feel} 느껴지네. 지금 기분은 어때?",
    ),
    intro=(
        "‘{kw}’ 얘기가 나오니까 딱 너다운 하루네.",
        "역시 ‘{kw}’ 하면 너지!",
        "소개에 쓴 ‘{kw}’ 이야기랑 이어져서 더 반가웠어.",
    ),
    parts={
        Part.EMPATHY: {
            H: (
                "이런 날은 나도 덩달아 신나!",
                "듣기만 해도 내 기분까지 환해져.",
                "그런 날은 오래 기억하고 싶지.",
                "좋은 일은 같이 기뻐해야 제맛이지!",
                "네가 웃으니까 나도 괜히 웃음이 나.",
                "그 설렘이 여기까지 전해져.",
            ),
            S: (
                "그런 날은 뭘 해도 마음이 무겁지.",
                "얘기만 들어도 마음이 먹먹해.",
                "그럴 땐 작은 일도 버겁게 느껴지지.",
                "나라도 그 상황이면 많이 속상했을 거야.",
                "그 마음 어떤지 알 것 같아.",
                "혼자 삼키느라 힘들었겠다.",
            ),
            A: (
                "그건 화날 만하지!",
                "그런 일 당하면 누구라도 열받지.",
                "나도 듣다가 울컥했어.",
                "나였어도 진짜 억울했을 거야.",
                "그 상황이면 누구라도 답답했을 거야.",
                "속이 부글부글했겠다.",
            ),
            P: (
                "갑자기 그러면 누구라도 놀라지.",
                "생각만 해도 나까지 가슴이 콩닥거려.",
                "그 순간 얼마나 당황했을지 알 것 같아.",
                "나라도 순간 머리가 하얘졌을 거야.",
                "그렇게 정신없으면 당황하는 게 당연해.",
                "심장이 쿵 내려앉았겠다.",
            ),
            None: (
                "그런 하루였구나, 어떤 느낌인지 알 것 같아.",
                "얘기만 들어도 그 마음이 전해져.",
                "어떤 하루였을지 그려져.",
            ),
        },
        Part.COMFORT: {
            H: (
                "이렇게 좋은 하루를 보낸 건 네가 잘 살아온 덕분이야.",
                "이런 날이 앞으로 더 자주 찾아올 거야.",
                "오늘의 좋은 기분은 네가 만든 거야.",
                "지금 이 기분 마음껏 즐겨.",
                "오늘 같은 날은 마음껏 누려도 돼.",
                "이 기분 오래오래 간직했으면 좋겠어.",
            ),
            S: (
                "오늘은 여기까지 버틴 것만으로도 충분해.",
                "울고 싶으면 울어도 괜찮아.",
                "천천히 괜찮아지면 돼.",
                "너무 자책하지 마, 넌 잘하고 있어.",
                "힘든 날도 지나가니까 오늘은 푹 쉬어.",
                "내가 늘 네 편인 거 잊지 마.",
            ),
            A: (
                "네 잘못이 아니니까 너무 담아 두지 마.",
                "화가 나는 건 자연스러운 거야.",
                "그 마음 억지로 누르지 않아도 돼.",
                "네 기분이 틀린 게 아니야.",
                "화가 나는 건 네가 그만큼 진심이었단 뜻이야.",
                "오늘 일로 네 가치가 달라지는 건 아니야.",
            ),
            P: (
                "놀란 마음은 금방 가라앉을 거야.",
                "이제 지나갔으니까 한숨 돌려도 돼.",
                "누구라도 그 상황이면 허둥댔을 거야.",
                "그만하면 침착하게 넘긴 거야.",
                "그 정도면 충분히 잘 대처한 거야.",
                "괜찮아, 다들 그런 순간이 있어.",
            ),
            None: (
                "뭐든 너라면 잘 해낼 거야.",
                "생각보다 훨씬 잘하고 있어.",
                "내가 늘 곁에 있을게.",
            ),
        },
        Part.ADVICE: {
            H: (
                "오늘 기분을 사진 한 장이랑 같이 적어 두면 나중에 큰 힘이 될 거야.",
                "좋아하는 노래 한 곡 틀어 놓고 이 기분을 즐겨 봐.",
                "이 기쁨을 같이 나눌 사람한테 소식 전해 봐.",
                "오늘 잘된 이유를 한 줄 적어 두면 다음에도 써먹을 수 있어.",
                "고마운 사람이 있다면 오늘 안에 짧게라도 연락해 봐.",
                "이 좋은 기운으로 미뤄 둔 일 하나만 끝내 보는 건 어때?",
            ),
            S: (
                "오늘 밤엔 따뜻한 물로 씻고 휴대폰은 멀리 두고 일찍 자 봐.",
                "따뜻한 차 한 잔 마시면서 잠깐 쉬어 가.",
                "좋아하는 음악 틀어 놓고 오늘은 아무것도 하지 말아 봐.",
                "마음이 무거우면 글로 한 번 다 쏟아내 봐.",
                "믿을 만한 사람한테 딱 한 줄이라도 털어놔 봐.",
                "내일 아침엔 10분만 밖에 나가서 걸어 보는 건 어때?",
            ),
            A: (
                "답장하기 전에 하룻밤만 묵혀 두는 건 어때?",
                "찬물 한 잔 마시고 열 번만 천천히 숨 쉬어 봐.",
                "하고 싶은 말은 메모장에 써 두고 내일 다시 읽어 봐.",
                "땀 날 만큼 운동하면 화가 좀 빠질 거야.",
                "화난 이유를 세 줄로 적어 보면 머리가 좀 정리될 거야.",
                "잠깐 밖에 나가서 빠르게 걷고 오면 열이 좀 식을 거야.",
            ),
            P: (
                "숨을 네 번 천천히 쉬고 할 일을 하나씩 적어 봐.",
                "따뜻한 물 한 잔 마시고 잠깐 앉아서 쉬어 봐.",
                "지금 당장 할 수 있는 것 하나만 먼저 해 봐.",
                "놀란 몸은 푹 자야 풀리니까 오늘은 일찍 누워.",
                "내일 할 일 딱 세 개만 정해 두면 훨씬 덜 막막할 거야.",
                "놀란 일은 믿을 만한 사람한테 한 번 얘기해 보면 금방 정리돼.",
            ),
            None: (
                "자기 전에 오늘 좋았던 순간 하나만 적어 보는 건 어때?",
                "잠깐 산책하면서 생각을 정리해 봐.",
                "오늘 밤엔 좋아하는 간식 하나 챙겨 먹어.",
            ),
        },
    },
    filler=(
        "이렇게 솔직하게 써 준 덕분에 네 하루가 더 가깝게 느껴져.",
        "네 얘기는 언제든 여기서 들을게.",
        "이런 얘기 나한테 들려줘서 고마워.",
        "어떤 마음으로 이 글을 썼을지 계속 생각하게 돼.",
        "한 줄 한 줄 천천히 읽었어.",
        "네 하루를 같이 곱씹어 보게 되네.",
        "다음 얘기도 여기서 기다리고 있을게.",
        "지금 마음 그대로 여기 남겨 둬도 괜찮아.",
        "읽으면서 나도 같이 하루를 보낸 기분이었어.",
    ),
    closing={
        H: (
            "내일도 이렇게 웃는 얼굴 보여 줘! 😊",
            "다음 얘기도 꼭 들려줘!",
            "오늘 밤은 좋은 꿈 꿔!",
        ),
        S: (
            "오늘은 푹 자고, 내일 또 얘기하자.",
            "언제든 여기 털어놔, 내가 읽을게.",
            "따뜻하게 자, 내일은 조금 더 가벼울 거야.",
        ),
        A: (
            "오늘은 맛있는 거 먹고 푹 쉬자.",
            "더 털어놓고 싶으면 언제든 말해 줘.",
            "내일은 오늘보다 훨씬 나을 거야.",
        ),
        P: (
            "천천히 숨 돌리고, 내일 또 얘기해 줘.",
            "정리되면 어떻게 됐는지 꼭 알려 줘!",
            "오늘은 일단 푹 쉬자.",
        ),
    },
    greeting={
        H: (
            "{voc} 오늘 무슨 좋은 일 있었어? 왜 이렇게 행복해 보여?",
            "{voc} 표정이 완전 밝다! 오늘 무슨 일 있었어?",
            "{voc} 웃는 얼굴 보니까 나도 좋다! 오늘 어땠어?",
        ),
        S: (
            "{voc} 오늘 표정이 좀 지쳐 보여. 무슨 일 있었어?",
            "{voc} 얼굴이 조금 슬퍼 보이네. 오늘 하루 어땠어?",
            "{voc} 오늘 힘든 일 있었어? 얘기해 줄래?",
        ),
        A: (
            "{voc} 표정이 잔뜩 굳어 있네. 무슨 일 있었어?",
            "{voc} 오늘 화나는 일 있었어? 왜 그렇게 속상해 보여?",
            "{voc} 뭔가 단단히 화난 얼굴인데? 오늘 어땠어?",
        ),
        P: (
            "{voc} 깜짝 놀란 얼굴이네! 오늘 무슨 일 있었어?",
            "{voc} 표정이 좀 당황한 것 같아. 무슨 일이야?",
            "{voc} 오늘 정신없었어? 어떤 하루였는지 들려줄래?",
        ),
    },
    chat_open={
        None: ("{voc} 얘기해 줘서 고마워.", "{voc} 그랬구나.", "{voc} 오, 그런 일이 있었구나!"),
        H: (
            "{voc} 와, 진짜 잘됐다!",
            "{voc} 대박, 너무 좋다!",
            "{voc} 축하해, 듣기만 해도 신난다!",
        ),
        S: (
            "{voc} 그랬구나, 많이 속상했겠다.",
            "{voc} 아이고, 마음 많이 쓰였겠다.",
            "{voc} 그 얘기 들으니까 나도 마음이 아파.",
        ),
        A: (
            "{voc} 와, 그건 진짜 화날 만하다.",
            "{voc} 듣기만 해도 답답하다.",
            "{voc} 그건 너무했네.",
        ),
        P: (
            "{voc} 헉, 진짜 놀랐겠다!",
            "{voc} 아이고, 많이 당황했겠다.",
            "{voc} 와, 정신없었겠다.",
        ),
    },
    chat_hook=(
        "‘{hook}’ 이 부분 더 듣고 싶어.",
        "‘{hook}’ 이 얘기가 제일 눈에 들어와.",
        "‘{hook}’ 이 말에서 네 마음이 느껴져.",
    ),
    chat_filler=(
        "네 얘기 들으니까 나도 그 자리에 있었던 것 같아.",
        "이렇게 바로 얘기해 줘서 좋다.",
        "요즘 네 하루가 어떻게 흘러가는지 궁금했거든.",
        "천천히 얘기해도 돼, 다 듣고 있어.",
    ),
    chat_question={
        None: ("그래서 그다음엔 어떻게 됐어?", "지금 기분은 좀 어때?", "그때 어떤 생각이 들었어?"),
        H: ("그걸로 뭐 할 계획이야?", "누구한테 제일 먼저 말했어?", "어떤 순간이 제일 좋았어?"),
        S: (
            "지금은 좀 괜찮아?",
            "더 얘기하고 싶은 거 있어?",
            "오늘 밤 조금이라도 도움 될 만한 거 있을까?",
        ),
        A: ("그다음엔 어떻게 됐어?", "지금은 그 일이 어떻게 느껴져?", "하고 싶은 말은 했어?"),
        P: ("지금은 다 괜찮아졌어?", "결국 어떻게 됐어?", "지금은 좀 진정됐어?"),
    },
    letter_open=(
        "{voc} {month} 한 달 동안 수고 많았어.",
        "{voc} 벌써 {month}이 다 지나갔네.",
        "{voc} {month}에도 여기 와 줘서 고마워.",
    ),
    letter_stats=(
        "이번 달엔 일기를 {total}번 썼고, 그중 {dom} 감정이 {n}번으로 제일 많았어.",
        "{total}번의 기록 중에서 {dom} 감정이 {n}번으로 가장 자주 보였어.",
    ),
    letter_empty=(
        "이번 달엔 일기가 없었네. 많이 바빴지?",
        "이번 달은 기록이 하나도 없어서 네 소식이 궁금했어.",
    ),
    letter_up=("지난달보다 {emo} 감정이 {diff}번 늘었어.",),
    letter_down=("지난달보다 {emo} 감정이 {diff}번 줄었어.",),
    letter_same=("지난달이랑 감정 흐름이 거의 비슷했어.",),
    letter_hook=(
        "이번 달 일기 중엔 ‘{hook}’ 이 대목이 기억에 남아.",
        "‘{hook}’ 이 기록이 특히 생각나.",
    ),
    letter_filler=(
        "한 달 동안 꾸준히 기록한 것만으로도 대단해.",
        "일기를 쭉 넘겨 보니 네 한 달이 한눈에 보였어.",
        "좋은 날도 힘든 날도 다 네 한 달의 소중한 조각이야.",
        "네 기록을 읽는 게 나한테도 큰 즐거움이었어.",
        "한 달을 돌아보니 네가 참 많은 일을 해냈더라.",
        "작은 순간들을 놓치지 않고 적어 둔 네가 멋져.",
        "이렇게 쌓인 기록이 나중에 큰 선물이 될 거야.",
        "네 한 달을 함께 지켜볼 수 있어서 고마웠어.",
        "가끔은 지난 일기를 다시 읽어 봐, 생각보다 힘이 될 거야.",
    ),
    letter_empty_filler=(
        "기록이 없어도 괜찮아, 바쁜 달도 있는 법이지.",
        "다음 달엔 셀카 한 장이랑 한 줄만 남겨 줘도 충분해.",
        "짧은 한 줄이라도 좋으니 네 하루를 들려주면 좋겠어.",
        "네가 어떻게 지냈는지 늘 궁금해하고 있을게.",
        "쉬어 가는 달도 너한테 소중한 시간이었을 거야.",
        "힘든 일이 있었다면 언제든 여기 와서 털어놔도 돼.",
        "새로운 달이 시작되면 작은 순간부터 같이 기록해 보자.",
        "웃은 날이든 울적한 날이든, 어떤 얘기든 반가울 거야.",
        "네 표정이 어떤지 셀카로 보여 주면 내가 제일 먼저 알아볼게.",
    ),
    letter_close=(
        "다음 달에도 여기서 기다릴게.",
        "다음 달도 네 얘기 많이 들려줘!",
        "새로운 달도 너답게 보내자.",
    ),
    worry=_KO_CASUAL_WORRY,
    answer=_KO_CASUAL_ANSWER,
    unsure=_KO_CASUAL_UNSURE,
    detail=(
        "‘{hook}’ 이 말도 계속 마음에 남아.",
        "‘{hook}’ 이 부분도 자꾸 생각나.",
        "‘{hook}’ 이 얘기도 그냥 지나칠 수가 없네.",
    ),
    letter_tie=(
        "이번 달엔 일기를 {total}번 썼고, {doms} 감정이 {n}번씩 똑같이 제일 많았어.",
        "{total}번의 기록 중에서 {doms} 감정이 {n}번씩 나란히 가장 자주 보였어.",
    ),
    look=_KO_LOOK,
    feel=_KO_FEEL,
    emotion_name=_KO_NAMES,
)

KO_POLITE = Bank(
    opener={
        H: (
            "{voc} 오늘 얼굴에 웃음이 가득하네요!",
            "{voc} 오늘 눈웃음이 정말 환하세요!",
            "{voc} 얼굴에 좋은 일이 있었다고 쓰여 있네요!",
            "{voc} 사진을 보자마자 저까지 기분이 좋아졌어요!",
            "{voc} 오늘 표정이 정말 밝으세요!",
            "{voc} 오늘 정말 행복해 보이세요!",
        ),
        S: (
            "{voc} 오늘 표정이 조금 지쳐 보여서 마음이 쓰였어요.",
            "{voc} 오늘은 얼굴에 피곤함이 내려앉아 있네요.",
            "{voc} 표정이 많이 가라앉아 보여서 걱정됐어요.",
            "{voc} 사진 속 눈빛이 조금 가라앉아 있네요.",
            "{voc} 오늘 많이 힘드셨군요.",
            "{voc} 표정을 보니 오늘 하루가 무거우셨나 봐요.",
        ),
        A: (
            "{voc} 오늘 표정에 속상함이 그대로 보여요.",
            "{voc} 입술을 꾹 다무신 게 보여요.",
            "{voc} 오늘 얼굴에 열이 잔뜩 올라 있네요.",
            "{voc} 사진만 봐도 화가 많이 나셨던 게 느껴져요.",
            "{voc} 오늘 정말 답답한 일이 있으셨나 봐요.",
            "{voc} 표정이 많이 굳어 있네요.",
        ),
        P: (
            "{voc} 오늘 표정이 많이 놀라신 것 같아요.",
            "{voc} 표정에 정신없던 하루가 그대로 보여요.",
            "{voc} 얼굴에 놀란 기색이 아직 남아 있네요.",
            "{voc} 사진을 보니 정신없는 하루였나 봐요.",
            "{voc} 오늘 뭔가 당황스러운 일이 있으셨군요.",
            "{voc} 눈이 동그래지신 게 딱 보여요.",
        ),
    },
    hook=(
        "‘{hook}’ 이 대목을 읽으니 그 장면이 눈앞에 그려져요.",
        "‘{hook}’ 이 이야기가 제일 마음에 남아요.",
        "‘{hook}’ 이 부분에서 오늘 하루가 확 느껴졌어요.",
        "‘{hook}’ 이 말이 계속 떠올라요.",
    ),
    no_hook=(
        "오늘 있었던 일을 글로 남겨 주셔서 고마워요.",
        "오늘 하루 이야기를 들려주셔서 고마워요.",
    ),
    mismatch=(
        "그런데 사진 속 얼굴은 {look} 보이는데 글은 {feel} 느껴져요. 실제로는 어떤 기분이셨어요?",
        "표정은 {look} 보이는데 글에서는 {feel} 느껴져서 궁금해요. 진짜 마음은 어떠세요?",
        "얼굴은 {look} 보이는데 글은 {feel} 읽혀요. 혹시 말하지 못한 게 있으세요?",
        "표정은 {look} 보이는데 글은 {feel} 느껴져요. 무슨 일 있으세요?",
        "사진은 {look} 보이는데 글은 {feel} 느껴져요. 어느 쪽이 진짜 마음이세요?",
        "얼굴은 {look} 보이는데 글에서는 {feel} 느껴지네요. 지금 기분은 어떠세요?",
    ),
    intro=(
        "‘{kw}’ 이야기가 나오니 정말 {given}님다운 하루네요.",
        "역시 ‘{kw}’ 하면 {given}님이죠!",
        "소개에 적어 두신 ‘{kw}’ 이야기와 이어져서 더 반가웠어요.",
    ),
    parts={
        Part.EMPATHY: {
            H: (
                "이런 날은 저도 덩달아 신나요!",
                "듣기만 해도 제 기분까지 환해져요.",
                "그런 날은 오래 기억하고 싶죠.",
                "좋은 일은 같이 기뻐해야 제맛이죠!",
                "웃으시니까 저도 괜히 웃음이 나요.",
                "그 설렘이 여기까지 전해져요.",
            ),
            S: (
                "그런 날은 뭘 해도 마음이 무겁죠.",
                "이야기만 들어도 마음이 먹먹해요.",
                "그럴 땐 작은 일도 버겁게 느껴지죠.",
                "저라도 그 상황이면 많이 속상했을 거예요.",
                "그 마음이 어떤지 알 것 같아요.",
                "혼자 삼키느라 힘드셨겠어요.",
            ),
            A: (
                "그건 화나실 만해요!",
                "그런 일을 당하면 누구라도 화가 나죠.",
                "저도 듣다가 울컥했어요.",
                "저였어도 정말 억울했을 거예요.",
                "그 상황이면 누구라도 답답했을 거예요.",
                "속이 많이 상하셨겠어요.",
            ),
            P: (
                "갑자기 그러면 누구라도 놀라죠.",
                "생각만 해도 제 가슴까지 콩닥거려요.",
                "그 순간 얼마나 당황하셨을지 알 것 같아요.",
                "저라도 순간 머리가 하얘졌을 거예요.",
                "그렇게 정신없으면 당황하시는 게 당연해요.",
                "심장이 쿵 내려앉으셨겠어요.",
            ),
            None: (
                "그런 하루였군요, 어떤 느낌인지 알 것 같아요.",
                "이야기만 들어도 그 마음이 전해져요.",
                "어떤 하루였을지 그려져요.",
            ),
        },
        Part.COMFORT: {
            H: (
                "이렇게 좋은 하루는 그동안 잘 살아오신 덕분이에요.",
                "이런 날이 앞으로 더 자주 찾아올 거예요.",
                "오늘의 좋은 기분은 스스로 만드신 거예요.",
                "지금 이 기분을 마음껏 즐기세요.",
                "오늘 같은 날은 마음껏 누리셔도 돼요.",
                "이 기분을 오래 간직하셨으면 좋겠어요.",
            ),
            S: (
                "오늘은 여기까지 버티신 것만으로도 충분해요.",
                "울고 싶으시면 울어도 괜찮아요.",
                "천천히 괜찮아지시면 돼요.",
                "너무 자책하지 마세요, 잘하고 계세요.",
                "힘든 날도 지나가니까 오늘은 푹 쉬세요.",
                "제가 늘 편이 되어 드릴게요.",
            ),
            A: (
                "잘못하신 게 아니니까 너무 담아 두지 마세요.",
                "화가 나는 건 자연스러운 거예요.",
                "그 마음을 억지로 누르지 않으셔도 돼요.",
                "느끼신 기분이 틀린 게 아니에요.",
                "화가 나는 건 그만큼 진심이셨다는 뜻이에요.",
                "오늘 일로 소중한 가치가 달라지지는 않아요.",
            ),
            P: (
                "놀란 마음은 금방 가라앉을 거예요.",
                "이제 지나갔으니 한숨 돌리셔도 돼요.",
                "누구라도 그 상황이면 허둥댔을 거예요.",
                "그만하면 침착하게 넘기신 거예요.",
                "그 정도면 충분히 잘 대처하신 거예요.",
                "괜찮아요, 누구에게나 그런 순간이 있어요.",
            ),
            None: (
                "무엇이든 잘 해내실 거예요.",
                "생각보다 훨씬 잘하고 계세요.",
                "제가 늘 곁에 있을게요.",
            ),
        },
        Part.ADVICE: {
            H: (
                "오늘 기분을 사진과 함께 적어 두시면 나중에 큰 힘이 될 거예요.",
                "좋아하시는 노래 한 곡 틀어 놓고 이 기분을 즐겨 보세요.",
                "이 기쁨을 함께 나눌 분께 소식을 전해 보세요.",
                "오늘 잘된 이유를 한 줄 적어 두시면 다음에도 도움이 될 거예요.",
                "고마운 분이 있다면 오늘 안에 짧게라도 연락해 보세요.",
                "이 좋은 기운으로 미뤄 둔 일 하나만 끝내 보시는 건 어때요?",
            ),
            S: (
                "오늘 밤엔 따뜻한 물로 씻고 휴대폰은 멀리 두고 일찍 주무셔 보세요.",
                "따뜻한 차 한 잔 드시면서 잠깐 쉬어 가세요.",
                "좋아하시는 음악을 틀어 놓고 오늘은 아무것도 하지 않으셔도 돼요.",
                "마음이 무거우시면 글로 한 번 다 쏟아내 보세요.",
                "믿을 만한 분께 딱 한 줄이라도 털어놓아 보세요.",
                "내일 아침엔 10분만 밖에 나가서 걸어 보시는 건 어때요?",
            ),
            A: (
                "답장하시기 전에 하룻밤만 묵혀 두시는 건 어때요?",
                "찬물 한 잔 드시고 열 번만 천천히 숨 쉬어 보세요.",
                "하고 싶은 말은 메모장에 써 두시고 내일 다시 읽어 보세요.",
                "땀이 날 만큼 운동하시면 화가 좀 빠질 거예요.",
                "화난 이유를 세 줄로 적어 보시면 머리가 좀 정리될 거예요.",
                "잠깐 밖에 나가서 빠르게 걷고 오시면 열이 좀 식을 거예요.",
            ),
            P: (
                "숨을 네 번 천천히 쉬고 할 일을 하나씩 적어 보세요.",
                "따뜻한 물 한 잔 드시고 잠깐 앉아서 쉬어 보세요.",
                "지금 당장 하실 수 있는 것 하나만 먼저 해 보세요.",
                "놀란 몸은 푹 자야 풀리니 오늘은 일찍 누우세요.",
                "내일 할 일을 딱 세 개만 정해 두시면 훨씬 덜 막막할 거예요.",
                "놀라신 일은 믿을 만한 분께 한 번 이야기해 보시면 금방 정리돼요.",
            ),
            None: (
                "주무시기 전에 오늘 좋았던 순간 하나만 적어 보시는 건 어때요?",
                "잠깐 산책하시면서 생각을 정리해 보세요.",
                "오늘 밤엔 좋아하는 간식 하나 챙겨 드세요.",
            ),
        },
    },
    filler=(
        "이렇게 솔직하게 써 주셔서 하루가 더 가깝게 느껴져요.",
        "이야기는 언제든 여기서 들을게요.",
        "이런 이야기를 들려주셔서 고마워요.",
        "어떤 마음으로 이 글을 쓰셨을지 계속 생각하게 돼요.",
        "한 줄 한 줄 천천히 읽었어요.",
        "하루를 같이 곱씹어 보게 되네요.",
        "다음 이야기도 여기서 기다리고 있을게요.",
        "지금 마음 그대로 여기 남겨 두셔도 괜찮아요.",
        "읽으면서 저도 같이 하루를 보낸 기분이었어요.",
    ),
    closing={
        H: (
            "내일도 이렇게 웃는 얼굴 보여 주세요! 😊",
            "다음 이야기도 꼭 들려주세요!",
            "오늘 밤은 좋은 꿈 꾸세요!",
        ),
        S: (
            "오늘은 푹 주무시고, 내일 또 이야기해요.",
            "언제든 여기 털어놓으세요, 제가 읽을게요.",
            "따뜻하게 주무세요, 내일은 조금 더 가벼울 거예요.",
        ),
        A: (
            "오늘은 맛있는 것 드시고 푹 쉬세요.",
            "더 털어놓고 싶으시면 언제든 말씀해 주세요.",
            "내일은 오늘보다 훨씬 나을 거예요.",
        ),
        P: (
            "천천히 숨 돌리시고, 내일 또 이야기해 주세요.",
            "정리되면 어떻게 됐는지 꼭 알려 주세요!",
            "오늘은 일단 푹 쉬세요.",
        ),
    },
    greeting={
        H: (
            "{voc} 오늘 무슨 좋은 일이 있었나요? 왜 이렇게 행복해 보이시죠?",
            "{voc} 표정이 정말 밝으세요! 오늘 무슨 일이 있었어요?",
            "{voc} 웃는 얼굴을 보니 저도 좋네요! 오늘 어떠셨어요?",
        ),
        S: (
            "{voc} 오늘 표정이 조금 지쳐 보여요. 무슨 일 있으셨어요?",
            "{voc} 얼굴이 조금 슬퍼 보이네요. 오늘 하루는 어떠셨어요?",
            "{voc} 오늘 힘든 일이 있으셨나요? 이야기해 주실래요?",
        ),
        A: (
            "{voc} 표정이 많이 굳어 있네요. 무슨 일 있으셨어요?",
            "{voc} 오늘 화나는 일이 있으셨나요? 왜 그렇게 속상해 보이세요?",
            "{voc} 뭔가 단단히 화나신 얼굴이에요. 오늘 어떠셨어요?",
        ),
        P: (
            "{voc} 깜짝 놀라신 얼굴이네요! 오늘 무슨 일 있으셨어요?",
            "{voc} 표정이 조금 당황하신 것 같아요. 무슨 일이에요?",
            "{voc} 오늘 정신없으셨어요? 어떤 하루였는지 들려주실래요?",
        ),
    },
    chat_open={
        None: (
            "{voc} 이야기해 주셔서 고마워요.",
            "{voc} 그러셨군요.",
            "{voc} 오, 그런 일이 있으셨군요!",
        ),
        H: ("{voc} 와, 정말 축하드려요!", "{voc} 정말 잘됐네요!", "{voc} 듣기만 해도 신나네요!"),
        S: (
            "{voc} 많이 속상하셨겠어요.",
            "{voc} 마음이 많이 쓰이셨겠어요.",
            "{voc} 그 이야기를 들으니 저도 마음이 아파요.",
        ),
        A: (
            "{voc} 그건 정말 화나실 만해요.",
            "{voc} 듣기만 해도 답답하네요.",
            "{voc} 그건 너무했네요.",
        ),
        P: ("{voc} 정말 놀라셨겠어요!", "{voc} 많이 당황하셨겠어요.", "{voc} 정신없으셨겠어요."),
    },
    chat_hook=(
        "‘{hook}’ 이 부분을 더 듣고 싶어요.",
        "‘{hook}’ 이 이야기가 제일 눈에 들어와요.",
        "‘{hook}’ 이 말에서 마음이 느껴져요.",
    ),
    chat_filler=(
        "이야기를 들으니 저도 그 자리에 있었던 것 같아요.",
        "이렇게 바로 이야기해 주셔서 좋아요.",
        "요즘 하루가 어떻게 흘러가는지 궁금했거든요.",
        "천천히 이야기하셔도 돼요, 다 듣고 있어요.",
    ),
    chat_question={
        None: (
            "그래서 그다음엔 어떻게 됐어요?",
            "지금 기분은 좀 어떠세요?",
            "그때 어떤 생각이 드셨어요?",
        ),
        H: (
            "그걸로 뭐 하실 계획이세요?",
            "누구에게 제일 먼저 알리셨어요?",
            "어떤 순간이 제일 좋으셨어요?",
        ),
        S: (
            "지금은 좀 괜찮으세요?",
            "더 이야기하고 싶으신 게 있으세요?",
            "오늘 밤 조금이라도 도움이 될 만한 게 있을까요?",
        ),
        A: (
            "그다음엔 어떻게 됐어요?",
            "지금은 그 일이 어떻게 느껴지세요?",
            "하고 싶은 말은 하셨어요?",
        ),
        P: ("지금은 다 괜찮아지셨어요?", "결국 어떻게 됐어요?", "지금은 좀 진정되셨어요?"),
    },
    letter_open=(
        "{voc} {month} 한 달 동안 수고 많으셨어요.",
        "{voc} 벌써 {month}이 다 지나갔네요.",
        "{voc} {month}에도 여기 와 주셔서 고마워요.",
    ),
    letter_stats=(
        "이번 달엔 일기를 {total}번 쓰셨고, 그중 {dom} 감정이 {n}번으로 제일 많았어요.",
        "{total}번의 기록 중에서 {dom} 감정이 {n}번으로 가장 자주 보였어요.",
    ),
    letter_empty=(
        "이번 달엔 일기가 없었네요. 많이 바쁘셨죠?",
        "이번 달은 기록이 없어서 소식이 궁금했어요.",
    ),
    letter_up=("지난달보다 {emo} 감정이 {diff}번 늘었어요.",),
    letter_down=("지난달보다 {emo} 감정이 {diff}번 줄었어요.",),
    letter_same=("지난달과 감정 흐름이 거의 비슷했어요.",),
    letter_hook=(
        "이번 달 일기 중엔 ‘{hook}’ 이 대목이 기억에 남아요.",
        "‘{hook}’ 이 기록이 특히 생각나요.",
    ),
    letter_filler=(
        "한 달 동안 꾸준히 기록하신 것만으로도 대단해요.",
        "일기를 쭉 넘겨 보니 한 달이 한눈에 보였어요.",
        "좋은 날도 힘든 날도 다 소중한 한 달의 조각이에요.",
        "기록을 읽는 게 저에게도 큰 즐거움이었어요.",
        "한 달을 돌아보니 정말 많은 일을 해내셨어요.",
        "작은 순간들을 놓치지 않고 적어 두신 게 멋져요.",
        "이렇게 쌓인 기록이 나중에 큰 선물이 될 거예요.",
        "한 달을 함께 지켜볼 수 있어서 고마웠어요.",
        "가끔은 지난 일기를 다시 읽어 보세요, 생각보다 힘이 될 거예요.",
    ),
    letter_empty_filler=(
        "기록이 없어도 괜찮아요, 바쁜 달도 있는 법이죠.",
        "다음 달엔 셀카 한 장과 한 줄만 남겨 주셔도 충분해요.",
        "짧은 한 줄이라도 좋으니 하루를 들려주시면 좋겠어요.",
        "어떻게 지내셨는지 늘 궁금해하고 있을게요.",
        "쉬어 가는 달도 소중한 시간이었을 거예요.",
        "힘든 일이 있으셨다면 언제든 여기 와서 털어놓으셔도 돼요.",
        "새로운 달이 시작되면 작은 순간부터 함께 기록해 봐요.",
        "웃은 날이든 울적한 날이든, 어떤 이야기든 반가울 거예요.",
        "표정이 어떤지 셀카로 보여 주시면 제가 제일 먼저 알아볼게요.",
    ),
    letter_close=(
        "다음 달에도 여기서 기다릴게요.",
        "다음 달에도 이야기 많이 들려주세요!",
        "새로운 달도 {given}님답게 보내세요.",
    ),
    worry=_KO_POLITE_WORRY,
    answer=_KO_POLITE_ANSWER,
    unsure=_KO_POLITE_UNSURE,
    detail=(
        "‘{hook}’ 이 말씀도 계속 마음에 남아요.",
        "‘{hook}’ 이 부분도 자꾸 생각나요.",
        "‘{hook}’ 이 이야기도 그냥 지나칠 수가 없네요.",
    ),
    letter_tie=(
        "이번 달엔 일기를 {total}번 쓰셨고, {doms} 감정이 {n}번씩 똑같이 제일 많았어요.",
        "{total}번의 기록 중에서 {doms} 감정이 {n}번씩 나란히 가장 자주 보였어요.",
    ),
    look=_KO_LOOK,
    feel=_KO_FEEL,
    emotion_name=_KO_NAMES,
)

_EN_NAMES = {A: "anger", H: "happiness", P: "panic", S: "sadness"}
_EN_LOOK = {H: "happy", A: "angry", P: "startled", S: "sad"}
_EN_FEEL = {H: "cheerful", A: "angry", P: "anxious", S: "sad"}

EN_CASUAL = Bank(
    opener={
        H: (
            "Hey {voc}, you're beaming!",
            "Hey {voc}, today's clearly a good one!",
            "Hey {voc}! You're glowing in this one!",
            "{voc}, that smile's everywhere today!",
            "Wow {voc}, you look so happy, it's contagious!",
            "Hey {voc}, I'm grinning just looking at this!",
        ),
        S: (
            "Oh {voc}, rough day, huh?",
            "Oh {voc}, your eyes look so tired today.",
            "Oh {voc}, you're looking a bit worn out today.",
            "Hey {voc}, today's clearly been heavy on you.",
            "{voc}, it's been a hard one, hasn't it?",
            "Hey {voc}, I can tell today's weighed on you.",
        ),
        A: (
            "Whoa {voc}, you're fuming!",
            "Ugh {voc}, someone clearly got on your nerves.",
            "Whoa {voc}, you're seriously fed up, aren't you?",
            "Hey {voc}, that face says it's been a rough day.",
            "{voc}, something's really gotten to you, huh?",
            "Hey {voc}, you look like you're about to explode!",
        ),
        P: (
            "Whoa {voc}, you're startled!",
            "Whoa {voc}, you still look a little shaken.",
            "Whoa {voc}, you're looking totally startled!",
            "Hey {voc}, looks like today's caught you off guard.",
            "{voc}, that's a wide-eyed face! What a day, huh?",
            "Hey {voc}, you look like you've had a shock.",
        ),
    },
    hook=(
        "“{hook}” stuck with me.",
        "I keep thinking about “{hook}”.",
        "“{hook}”, I could totally picture it.",
        "Reading “{hook}”, I felt like I was right there.",
    ),
    no_hook=("Thanks for putting today into words.", "Thanks for telling me about your day."),
    mismatch=(
        "But wait, your face looks {look} while your words sound {feel}. How are you really "
        "feeling?",
        "Your face says {look}, but your words feel {feel}. What's really going on?",
        "Hmm, you look {look} but write like you're {feel}. Is there something you haven't said?",
        "You look {look} but sound {feel}. What's up?",
        "Your photo looks {look}, but the words sound {feel}. Which one's the real you today?",
        "Hmm, {look} face, {feel} words. How are you actually doing?",
    ),
    intro=(
        "And of course “{kw}” shows up, that's so you!",
        "“{kw}” again, that's totally you!",
        "Love how this ties back to “{kw}”, it's so you.",
    ),
    parts={
        Part.EMPATHY: {
            H: (
                "So happy for you!",
                "Hearing this just brightens my day.",
                "Days like this make me happy too!",
                "I'm so glad you got a day like this.",
                "Your good mood's reaching me all the way here.",
                "That kind of joy's the best, isn't it?",
            ),
            S: (
                "Days like that make everything feel heavier.",
                "Some days just sit heavy on your chest.",
                "I get it, truly.",
                "I'd have been just as upset in your shoes.",
                "I get how that feels, I really do.",
                "Holding that in all day must've been hard.",
            ),
            A: (
                "That's so unfair!",
                "Honestly, I'd be steaming too.",
                "Honestly, that's worth being mad about!",
                "I'd have been furious too.",
                "Anyone would've been frustrated by that.",
                "No wonder you're boiling.",
            ),
            P: (
                "What a shock!",
                "Just reading it makes my heart race.",
                "Anyone would've been startled by that.",
                "My mind would've gone blank too.",
                "It's totally normal to panic when things move that fast.",
                "That must've made your heart skip.",
            ),
            None: (
                "I can picture how that felt.",
                "Sounds like quite a day.",
                "I get what you mean.",
            ),
        },
        Part.COMFORT: {
            H: (
                "You deserve it.",
                "More days like this are coming, I just know it.",
                "This good mood's all your doing.",
                "You earned a day like this, you really did.",
                "Enjoy every bit of it, you deserve it.",
                "I hope this feeling sticks around for a while.",
            ),
            S: (
                "You're doing fine.",
                "It's okay to cry if you need to.",
                "Getting through today is enough, truly.",
                "Don't be too hard on yourself, you're doing fine.",
                "Hard days pass, so rest up tonight.",
                "I'm always on your side, don't forget that.",
            ),
            A: (
                "It's not on you.",
                "Feeling angry about that is completely natural.",
                "Your feelings aren't wrong here.",
                "It's not your fault, so don't carry it all.",
                "Being this upset just shows how much you cared.",
                "One bad moment doesn't change who you are.",
            ),
            P: (
                "You did okay.",
                "It's over now, so you can breathe out.",
                "Anyone would've fumbled in that moment.",
                "The shock will fade sooner than you think.",
                "You handled it better than you think.",
                "It's okay, everyone has moments like that.",
            ),
            None: (
                "You've got this.",
                "Whatever it is, you've got this.",
                "You're doing better than you think.",
                "I'm right here with you.",
            ),
        },
        Part.ADVICE: {
            H: (
                "Write this day down!",
                "Put on your favourite song and soak this up!",
                "Tell someone who'll be just as happy for you.",
                "Jot this day down with the photo, it'll be gold later.",
                "If someone made today great, send them a quick thanks.",
                "Why not use this energy to finish one thing you've been putting off?",
            ),
            S: (
                "Try an early night.",
                "Make yourself a warm drink and take a breather.",
                "Put on some music and let yourself do nothing tonight.",
                "Take a warm shower, put your phone away and sleep early tonight.",
                "Try telling one person you trust, even just a line.",
                "How about a ten-minute walk outside tomorrow morning?",
            ),
            A: (
                "Sleep on it first.",
                "Drink some cold water and take ten slow breaths.",
                "Type out what you want to say, then reread it tomorrow.",
                "Maybe sleep on it before you reply to anyone.",
                "Try writing down why you're mad in three lines, it clears the head.",
                "A fast walk outside might cool things down.",
            ),
            P: (
                "Take a slow breath.",
                "Grab a glass of water and sit down for a minute.",
                "Do just the one thing you can do right now.",
                "Take four slow breaths and list what to do, one thing at a time.",
                "Pick just three things for tomorrow, it'll feel less overwhelming.",
                "Talking it through with someone you trust helps it settle.",
            ),
            None: (
                "Maybe take a short walk.",
                "Maybe write down one good moment from today before bed.",
                "A short walk could help you sort your thoughts.",
                "Try giving yourself a small treat tonight.",
            ),
        },
    },
    filler=(
        "Reading this felt like spending the day with you.",
        "Thanks for being this honest here.",
        "I'm always here to read about your days.",
        "Thanks for sharing this with me.",
        "I read every line slowly.",
        "I keep thinking about how you felt writing this.",
        "I'm glad you told me how things really are.",
        "I'll be here for the next part too.",
        "It's okay to leave your feelings here just as they are.",
    ),
    closing={
        H: (
            "Keep that smile coming tomorrow! 😊",
            "Tell me the next part too!",
            "Sweet dreams tonight!",
        ),
        S: (
            "Sleep well, and let's talk again tomorrow.",
            "Vent here anytime, I'll read it.",
            "Stay warm tonight, tomorrow'll be lighter.",
        ),
        A: (
            "Grab something tasty and rest up tonight.",
            "If you want to vent more, I'm here.",
            "Tomorrow's gonna be way better.",
        ),
        P: (
            "Catch your breath, and tell me more tomorrow.",
            "Let me know how it turns out!",
            "For now, just get some rest.",
        ),
    },
    greeting={
        H: (
            "Hey {voc}! Did something good happen today? Why do you look so happy?",
            "{voc}, you're beaming! What happened today?",
            "Hey {voc}, that smile's contagious! How was your day?",
        ),
        S: (
            "Hey {voc}, you look a bit down. What happened today?",
            "Oh {voc}, you seem tired. How was your day?",
            "Hey {voc}, rough day? Want to tell me about it?",
        ),
        A: (
            "Whoa {voc}, you look upset. What happened?",
            "Hey {voc}, did something get under your skin today?",
            "{voc}, that's an angry face! How did today go?",
        ),
        P: (
            "Whoa {voc}, you look startled! What happened today?",
            "Hey {voc}, you look a little rattled. What's going on?",
            "{voc}, what a face! Did something surprise you today, huh?",
        ),
    },
    chat_open={
        None: (
            "Hey {voc}, thanks for telling me.",
            "Oh {voc}, I see.",
            "Oh {voc}, that's quite something!",
        ),
        H: (
            "Wow {voc}, that's amazing!",
            "{voc}, no way, that's awesome!",
            "Congrats {voc}, I'm so happy for you!",
        ),
        S: (
            "Oh {voc}, that must've hurt.",
            "Aw {voc}, I'm sorry you're going through that.",
            "{voc}, that's really tough to hear.",
        ),
        A: (
            "Ugh {voc}, that's so frustrating.",
            "{voc}, I'd be mad too!",
            "Wow {voc}, that's just not okay.",
        ),
        P: (
            "Whoa {voc}, that must've been scary!",
            "Oh no {voc}, you must've panicked!",
            "{voc}, that's a lot to take in!",
        ),
    },
    chat_hook=(
        "Tell me more about “{hook}”.",
        "“{hook}”, that part really caught my eye.",
        "I can hear how you feel in “{hook}”.",
    ),
    chat_filler=(
        "Hearing this, I feel like I was right there.",
        "I'm glad you told me right away.",
        "I've been wondering how your days are going.",
        "Take your time, I'm listening.",
    ),
    chat_question={
        None: (
            "So what happened next?",
            "How are you feeling now?",
            "What went through your head then?",
        ),
        H: ("How are you going to celebrate?", "Who'd you tell first?", "What was the best part?"),
        S: (
            "How are you holding up now?",
            "Want to talk about it more?",
            "What would help a little tonight?",
        ),
        A: (
            "What happened after that?",
            "How do you feel about it now?",
            "Did you get to say anything?",
        ),
        P: ("Is everything okay now?", "How'd it turn out?", "Are you feeling calmer now?"),
    },
    letter_open=(
        "Hey {voc}, {month}'s a wrap!",
        "{voc}, can you believe {month}'s already over?",
        "Hey {voc}, thanks for sharing {month} with me.",
    ),
    letter_stats=(
        "You wrote {entries}, and {dom} showed up the most, {n} of them.",
        "Out of {entries}, {n} felt like {dom}, more than any other feeling.",
    ),
    letter_empty=(
        "No entries this month, you must've been busy!",
        "I didn't hear from you this month, and I missed you.",
    ),
    letter_up=("Compared with last month, {emo} went up by {diff}.",),
    letter_down=("Compared with last month, {emo} went down by {diff}.",),
    letter_same=("Your feelings looked a lot like last month's.",),
    letter_hook=(
        "One line I keep remembering: “{hook}”.",
        "“{hook}”, that entry really stayed with me.",
    ),
    letter_filler=(
        "Just showing up to write all month is huge.",
        "Flipping through your entries, I could see your whole month.",
        "Good days and hard days, they're all part of your story.",
        "Reading your entries was a joy for me too.",
        "Looking back, you got through so much this month.",
        "You caught so many small moments, and that matters.",
        "All these entries will be a gift to future you.",
        "Thanks for letting me follow along this month.",
        "Reread an old entry sometimes, it might cheer you up.",
    ),
    letter_empty_filler=(
        "No entries is totally fine, some months are just busy.",
        "Next month, one selfie and one line is plenty.",
        "Even a tiny line about your day would make me happy.",
        "I'm always curious how you're doing, you know.",
        "A quiet month can be a good rest too.",
        "If something's been hard, you can always vent here.",
        "When the new month starts, let's begin with the small moments.",
        "Happy day or gloomy day, I'd love to hear any of it.",
        "Send me a selfie and I'll be the first to read your face.",
    ),
    letter_close=(
        "Can't wait to hear about next month!",
        "See you next month, same place!",
        "Let's make next month yours too.",
    ),
    worry=_EN_CASUAL_WORRY,
    answer=_EN_CASUAL_ANSWER,
    unsure=_EN_CASUAL_UNSURE,
    detail=(
        "And “{hook}”, that part stuck with me too.",
        "“{hook}” too, I keep coming back to that.",
        "I can't stop thinking about “{hook}” either.",
    ),
    letter_tie=(
        "You wrote {entries}, and {doms} tied for the most, {n} each.",
        "Out of {entries}, {doms} tied at {n} each, more than any other feeling.",
    ),
    look=_EN_LOOK,
    feel=_EN_FEEL,
    emotion_name=_EN_NAMES,
)

EN_POLITE = Bank(
    opener={
        H: (
            "Hello {voc}, you look so happy.",
            "Hello {voc}, today is clearly a good one.",
            "Hello {voc}, you look truly happy today.",
            "{voc}, your smile brightens this whole photo.",
            "Good to see you, {voc}; you are glowing today.",
            "{voc}, what a joyful face today.",
        ),
        S: (
            "Hello {voc}, you look tired.",
            "Hello {voc}, your eyes look so tired today.",
            "{voc}, you look a little tired today.",
            "Hello {voc}, your eyes seem heavy today.",
            "{voc}, it seems today was a hard day.",
            "{voc}, I can see that today weighed on you.",
        ),
        A: (
            "Hello {voc}, you look upset.",
            "Hello {voc}, something seems to have troubled you.",
            "{voc}, you look quite upset today.",
            "Hello {voc}, your face tells me something bothered you.",
            "{voc}, it seems something really frustrated you today.",
            "{voc}, I can see that today was not an easy one.",
        ),
        P: (
            "Hello {voc}, you look startled.",
            "Hello {voc}, you still look a little shaken.",
            "{voc}, you look quite startled today.",
            "Hello {voc}, it seems today caught you off guard.",
            "{voc}, your face looks surprised today.",
            "{voc}, it looks like something shook you today.",
        ),
    },
    hook=(
        "The part about “{hook}” stayed with me.",
        "I keep thinking about “{hook}”.",
        "Reading “{hook}”, I could picture the moment.",
        "“{hook}” is the line that touched me most.",
    ),
    no_hook=("Thank you for putting today into words.", "Thank you for telling me about your day."),
    mismatch=(
        "May I ask something? Your face looks {look}, yet your words sound {feel}. How are you "
        "really feeling?",
        "Your face seems {look}, but your words feel {feel}. What is really on your mind?",
        "You look {look}, but you write as if you are {feel}. Is there something you have not "
        "said?",
        "You look {look}, yet sound {feel}. How are you, really?",
        "Your photo looks {look}, yet the words sound {feel}. Which is closer to how you feel?",
        "Your face appears {look}, but your words read as {feel}. How are you doing, truly?",
    ),
    intro=(
        "It is lovely to see “{kw}” here; it suits you so well.",
        "Of course “{kw}” appears, which is so like you.",
        "This connects beautifully with “{kw}” from your introduction.",
    ),
    parts={
        Part.EMPATHY: {
            H: (
                "I am so happy for you.",
                "Hearing this brightens my day.",
                "Days like this make me happy as well.",
                "I am so glad you had a day like this.",
                "Your good mood reaches me even here.",
                "That kind of joy is truly special.",
            ),
            S: (
                "I understand completely.",
                "Some days simply sit heavy on the heart.",
                "Days like that make everything feel heavier.",
                "I would have been just as upset in your place.",
                "I understand how that feels.",
                "Holding that in all day must have been hard.",
            ),
            A: (
                "That does seem unfair.",
                "I would be upset as well.",
                "That is truly worth being upset about.",
                "I would have been frustrated as well.",
                "Anyone would have been annoyed by that.",
                "It makes sense that you feel this way.",
            ),
            P: (
                "What a shock that was.",
                "Just reading it makes my heart race.",
                "Anyone would have been startled by that.",
                "My mind would have gone blank as well.",
                "It is natural to feel shaken when things move so fast.",
                "That must have made your heart skip.",
            ),
            None: (
                "I can imagine how that felt.",
                "That sounds like quite a day.",
                "I understand what you mean.",
            ),
        },
        Part.COMFORT: {
            H: (
                "You truly deserve it.",
                "More days like this will come, I am sure.",
                "This good mood is your own doing.",
                "You deserve a day like this.",
                "Please enjoy every moment of it.",
                "I hope this feeling stays with you for a while.",
            ),
            S: (
                "You are doing well.",
                "It is all right to cry if you need to.",
                "Getting through today is enough.",
                "Please do not be too hard on yourself; you are doing well.",
                "Hard days do pass, so please rest tonight.",
                "I am always on your side.",
            ),
            A: (
                "It is not on you.",
                "Feeling angry about that is completely natural.",
                "Your feelings are not wrong here.",
                "It is not your fault, so please do not carry it all.",
                "Being upset shows how much you cared.",
                "One hard moment does not change who you are.",
            ),
            P: (
                "You did just fine.",
                "It is over now, so you may breathe out.",
                "Anyone would have fumbled in that moment.",
                "The shock will fade sooner than you expect.",
                "You handled it better than you think.",
                "It is all right; everyone has moments like that.",
            ),
            None: (
                "I believe in you.",
                "Whatever comes, I believe in you.",
                "You are doing better than you think.",
                "I am right here with you.",
            ),
        },
        Part.ADVICE: {
            H: (
                "Please write this day down.",
                "You might play your favourite song and enjoy this feeling.",
                "You might share the news with someone who will be just as happy.",
                "You might write this day down with the photo; it will be a treasure later.",
                "If someone made today special, a short thank-you message would be lovely.",
                "Perhaps use this energy to finish one task you have been postponing.",
            ),
            S: (
                "An early night may help.",
                "A warm drink and a short rest may help.",
                "Perhaps play some music and allow yourself to do nothing tonight.",
                "Tonight, a warm shower, your phone set aside and an early night may help.",
                "You might share even one line with someone you trust.",
                "How about a ten-minute walk outside tomorrow morning?",
            ),
            A: (
                "Perhaps sleep on it first.",
                "A glass of cold water and ten slow breaths may help.",
                "You might write out what you wish to say and reread it tomorrow.",
                "Perhaps wait until tomorrow before replying to anyone.",
                "Writing down the reasons in three lines may clear your mind.",
                "A brisk walk outside may help you cool down.",
            ),
            P: (
                "Please take a slow breath.",
                "A glass of water and a minute sitting down may help.",
                "You might do just the one thing you can do right now.",
                "Please take four slow breaths, then list what to do, one step at a time.",
                "Choosing just three tasks for tomorrow may make it feel lighter.",
                "Talking it through with someone you trust may help it settle.",
            ),
            None: (
                "A short walk may help.",
                "You might write down one good moment from today before bed.",
                "A short walk may help you sort your thoughts.",
                "Perhaps treat yourself to something small tonight.",
            ),
        },
    },
    filler=(
        "Thank you for writing this down.",
        "Reading this felt like spending the day with you.",
        "Thank you for being so honest here.",
        "I am always here to read about your days.",
        "I read every line slowly.",
        "I keep thinking about how you felt as you wrote this.",
        "I am glad you told me how things really are.",
        "It means a lot that you share your days with me.",
        "I will be here for the next part too.",
        "It is all right to leave your feelings here just as they are.",
    ),
    closing={
        H: (
            "I hope to see that smile again tomorrow. 😊",
            "Please tell me what happens next.",
            "Sweet dreams tonight.",
        ),
        S: (
            "Please sleep well; we can talk again tomorrow.",
            "You can share anything here, anytime.",
            "Stay warm tonight; tomorrow will feel lighter.",
        ),
        A: (
            "Please have something delicious and rest tonight.",
            "If you would like to share more, I am here.",
            "Tomorrow will be much better.",
        ),
        P: (
            "Please take a breath, and tell me more tomorrow.",
            "Please let me know how it turns out.",
            "For now, please get some rest.",
        ),
    },
    greeting={
        H: (
            "Hello {voc}, you look so happy! Did something good happen today?",
            "{voc}, you are beaming! What happened today?",
            "{voc}, what a lovely smile. How was your day?",
        ),
        S: (
            "Hello {voc}, you look a little down. What happened today?",
            "{voc}, you seem tired. How was your day?",
            "{voc}, was today a hard day? Would you like to tell me about it?",
        ),
        A: (
            "{voc}, you look upset. What happened?",
            "Hello {voc}, did something bother you today?",
            "{voc}, you seem frustrated. How did today go?",
        ),
        P: (
            "{voc}, you look startled. What happened today?",
            "Hello {voc}, you seem a little shaken. What is going on?",
            "{voc}, did something surprise you today?",
        ),
    },
    chat_open={
        None: (
            "{voc}, thank you for telling me.",
            "I see, {voc}.",
            "{voc}, that is quite something.",
        ),
        H: (
            "{voc}, that is wonderful news!",
            "Congratulations, {voc}!",
            "{voc}, I am so happy for you!",
        ),
        S: (
            "{voc}, that must have hurt.",
            "I am sorry you are going through that, {voc}.",
            "{voc}, that is really hard to hear.",
        ),
        A: (
            "{voc}, that sounds truly frustrating.",
            "{voc}, I would be upset as well.",
            "{voc}, that is simply not fair.",
        ),
        P: (
            "{voc}, that must have been frightening.",
            "{voc}, you must have been so startled.",
            "{voc}, that is a lot to take in.",
        ),
    },
    chat_hook=(
        "I would love to hear more about “{hook}”.",
        "The part about “{hook}” caught my attention.",
        "I can sense how you feel in “{hook}”.",
    ),
    chat_filler=(
        "Hearing this, I feel as if I was right there.",
        "I am glad you told me right away.",
        "I have been wondering how your days are going.",
        "Please take your time; I am listening.",
    ),
    chat_question={
        None: (
            "What happened next?",
            "How are you feeling now?",
            "What went through your mind then?",
        ),
        H: ("How will you celebrate?", "Who did you tell first?", "What was the best part?"),
        S: (
            "How are you holding up now?",
            "Would you like to talk about it more?",
            "What would help a little tonight?",
        ),
        A: (
            "What happened after that?",
            "How do you feel about it now?",
            "Were you able to say anything?",
        ),
        P: ("Is everything all right now?", "How did it turn out?", "Are you feeling calmer now?"),
    },
    letter_open=(
        "Hello {voc}, {month} has come to an end.",
        "{voc}, {month} is already over.",
        "{voc}, thank you for sharing {month} with me.",
    ),
    letter_stats=(
        "You wrote {entries}, and {dom} appeared most often, in {n} of them.",
        "Of your {entries}, {n} felt like {dom}, more than any other feeling.",
    ),
    letter_empty=(
        "There were no entries this month; I hope you were well.",
        "I did not hear from you this month, and I missed you.",
    ),
    letter_up=("Compared with last month, {emo} rose by {diff}.",),
    letter_down=("Compared with last month, {emo} fell by {diff}.",),
    letter_same=("Your feelings were much like last month.",),
    letter_hook=(
        "One line I still remember: “{hook}”.",
        "“{hook}” is an entry that stayed with me.",
    ),
    letter_filler=(
        "Writing all month long is a real achievement.",
        "Reading your entries, I could see your whole month.",
        "Good days and hard days are all part of your story.",
        "Reading your entries was a joy for me as well.",
        "Looking back, you got through so much this month.",
        "You captured so many small moments, and that matters.",
        "All these entries will be a gift to your future self.",
        "Thank you for letting me follow along this month.",
        "Do reread an old entry sometimes; it may lift your spirits.",
    ),
    letter_empty_filler=(
        "It is perfectly fine to have no entries; some months are simply busy.",
        "Next month, a single selfie and one line would be plenty.",
        "Even one short line about your day would be lovely to read.",
        "I will keep wondering how you are doing.",
        "A quiet month can be a valuable rest as well.",
        "If anything has been difficult, you are always welcome to share it here.",
        "When the new month begins, we could start with the small moments.",
        "Whether a day is bright or gloomy, I would be glad to hear about it.",
        "Send me a selfie and I will be the first to read your expression.",
    ),
    letter_close=(
        "I look forward to hearing about next month.",
        "I will be here next month as well.",
        "I hope next month is kind to you.",
    ),
    worry=_EN_POLITE_WORRY,
    answer=_EN_POLITE_ANSWER,
    unsure=_EN_POLITE_UNSURE,
    detail=(
        "“{hook}” stayed with me as well.",
        "I also keep thinking about “{hook}”.",
        "“{hook}” is another part I will remember.",
    ),
    letter_tie=(
        "You wrote {entries}, and {doms} were tied as the most frequent, {n} each.",
        "Of your {entries}, {doms} were equally frequent, {n} each.",
    ),
    look=_EN_LOOK,
    feel=_EN_FEEL,
    emotion_name=_EN_NAMES,
)

BANKS: Mapping[tuple[Language, Attitude], Bank] = {
    ("ko", Attitude.CASUAL): KO_CASUAL,
    ("ko", Attitude.POLITE): KO_POLITE,
    ("en", Attitude.CASUAL): EN_CASUAL,
    ("en", Attitude.POLITE): EN_POLITE,
}
