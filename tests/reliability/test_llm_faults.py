"""LLM down, slow or babbling: the post is stored and answered at once, Anna's comment follows.

Every case goes through the real bot and a real HTTP LLM server (``tests/anna/fake_llm.py``); the
follow-up policy is ``FAST`` (one second for the first answer, retries within a second).
"""

from __future__ import annotations

from fakebotapi.server import BotCall
from tests.anna.fake_llm import malformed, slow, status, wrong_shape
from tests.bot.test_diary_flows import onboard

from .conftest import Bot, is_late_comment, wait_for

SHORTLY_EN = "💬 Anna will answer shortly."
LLM_WORDS = "What a day you had, friend."  # the fake LLM's answer, repeated to length


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


async def test_llm_down_the_post_is_answered_at_once_and_the_comment_follows(
    llm_bot: Bot, face_photos: dict[str, bytes]
) -> None:
    llm = llm_bot.llm
    assert llm is not None
    llm.push(*[status(503)] * 3)  # the whole first try (request + 2 retries) fails
    user = llm_bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    update = await user.send_photo(face_photos["astronaut"], caption="Passed my driving test")
    first = await wait_for(user, is_post)
    assert SHORTLY_EN in first.text and "Emotion of the day: 😊 Happy" in first.text
    assert "Passed my driving test" in first.text
    [entry] = await llm_bot.repo.recent_entries(user.id, 5)
    assert entry.emotion.value == "happy"  # stored with its emotion before Anna answered

    late = await wait_for(user, is_late_comment, timeout=15)
    assert late.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert LLM_WORDS in late.text  # the LLM's own words once it came back, not the fallback
    [entry] = await llm_bot.repo.recent_entries(user.id, 5)
    assert entry.anna_comment and entry.anna_comment in late.text
    assert await llm_bot.followups.drain(5)
    assert len([c for c in user.replies(since=0) if "💬 Anna" in (c.text or "")]) == 2


async def test_a_slow_llm_is_not_asked_twice(llm_bot: Bot, face_photos: dict[str, bytes]) -> None:
    llm = llm_bot.llm
    assert llm is not None
    llm.push(slow(1.6))  # past the 1 s first-answer budget, within the 4 s request timeout
    user = llm_bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    before = len(llm.bodies)
    await user.send_photo(face_photos["astronaut"], caption="Long day at the lab")
    first = await wait_for(user, is_post, timeout=3)
    assert SHORTLY_EN in first.text
    late = await wait_for(user, is_late_comment, timeout=10)
    assert LLM_WORDS in late.text
    assert len(llm.bodies) - before == 1  # the same request finished; no retry was wasted
    [entry] = await llm_bot.repo.recent_entries(user.id, 5)
    assert entry.anna_comment and entry.anna_comment in late.text


async def test_garbage_from_the_llm_ends_in_the_offline_comment(
    llm_bot: Bot, face_photos: dict[str, bytes]
) -> None:
    llm = llm_bot.llm
    assert llm is not None
    user = llm_bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    before = len(llm.bodies)
    # Broken JSON, a body of the wrong shape, and one empty answer after another: nothing usable
    # in the first try nor in either of the two follow-up tries.
    llm.push(*[malformed(), wrong_shape(), status(500)] * 3)
    await user.send_photo(face_photos["grace_hopper"], caption="Finished the compiler")
    first = await wait_for(user, is_post)
    assert SHORTLY_EN in first.text
    late = await wait_for(user, is_late_comment, timeout=15)
    assert LLM_WORDS not in late.text  # the offline writer's comment after the retry budget
    assert "Mia" in late.text
    assert len(llm.bodies) - before == 9  # 3 tries × (1 request + 2 retries)
    [entry] = await llm_bot.repo.recent_entries(user.id, 5)
    assert entry.anna_comment and entry.anna_comment in late.text
    assert not llm.script  # every scripted failure was consumed


async def test_listen_before_the_comment_arrives_says_it_is_coming(
    llm_bot: Bot, face_photos: dict[str, bytes]
) -> None:
    llm = llm_bot.llm
    assert llm is not None
    llm.push(slow(1.8))
    user = llm_bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_photo(face_photos["astronaut"], caption="Waiting for Anna")
    first = await wait_for(user, is_post)
    update = await user.press("🔊 Listen", on=first)
    answer = await user.wait_for_answer(update)
    assert answer.get("show_alert") and "shortly" in answer.get("text", "")
    await wait_for(user, is_late_comment, timeout=10)
