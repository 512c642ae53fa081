"""``kill -9`` of a real bot process, then a restart: nothing a person sent is lost or doubled.

Each test runs the bot as ``facelog run`` builds it in a child process (``bot.crashtest``), on
an embedded nx-27017 store and the fake Bot API server that both outlive it. The child dies by
SIGKILL — no cleanup, no lease handed back — at a named step of a post, or at random moments
while 20 people post. A fresh child then takes the inbox over and every post must end stored
once and confirmed.
"""

from __future__ import annotations

from pathlib import Path

from bot.crashtest import POINTS, POISON, BotProcess, CrashConfig, register, run, stage
from facelog.i18n import t
from fakebotapi.driver import TelegramUser
from storage import Repository


async def test_a_kill_at_each_step_of_a_post_loses_and_doubles_nothing() -> None:
    # One child per step, each killed there; the step where the reply went out unrecorded last,
    # as it is the one that may show a confirmation twice.
    steps = (*sorted(set(POINTS) - {"reply-unrecorded"}), "reply-unrecorded")
    report = await run(CrashConfig(users=3, posts=1, points=steps))
    outcome = report["outcome"]
    assert [k["how"] for k in outcome["kills"]] == list(steps)
    assert outcome["posts"] == 3 * len(steps)
    assert outcome["lost"] == 0 and outcome["duplicated"] == 0
    assert outcome["unconfirmed"] == 0 and outcome["parked"] == 0
    # The reply went out but the process died before writing that down: the one case where the
    # person may see a confirmation twice (the bot cannot know it was sent). At most the posts
    # that child had in flight; every earlier step showed none twice.
    assert 1 <= outcome["confirmed_twice"] <= 3


async def test_twenty_people_posting_through_five_random_kills() -> None:
    report = await run(CrashConfig(users=20, posts=1, cycles=5, seed=5))
    outcome = report["outcome"]
    assert len(outcome["kills"]) == 5
    assert outcome["posts"] == 20
    assert outcome["lost"] == 0 and outcome["duplicated"] == 0
    assert outcome["unconfirmed"] == 0 and outcome["parked"] == 0


async def test_a_poison_update_is_parked_and_the_person_is_served_after_it() -> None:
    photo = (Path(__file__).parents[2] / "inference" / "samples" / "selfie.jpg").read_bytes()
    async with stage("facelog-poison-") as (fake, args):
        person = TelegramUser(fake, first_name="Poe", language_code="en")
        await register(args.mongodb_uri, [person])
        await person.send_photo(photo, caption="POISON: this post kills its handler")
        # max_strikes=1: the first run dies among others, the lone re-run dies (strike 1), and
        # the third start parks the update instead of running it.
        for _ in range(2):
            bot = BotProcess(args, POISON, max_strikes=1)
            await bot.start()
            assert await bot.died(30)
        bot = BotProcess(args, POISON, max_strikes=1)
        await bot.start()
        parked = t("en", "update_parked")
        assert await fake.wait_until(
            lambda: any(parked in (c.text or "") for c in person.replies(since=0)), 30
        )
        await person.send_photo(photo, caption="the next post, a calm evening")
        assert await fake.wait_until(
            lambda: any("a calm evening" in (c.text or "") for c in person.replies(since=0)), 60
        )
        await bot.stop()
        repo = await Repository.connect(args.mongodb_uri, "facelog")
        try:
            assert [e.text for e in await repo.recent_entries(person.id, 5)] == [
                "the next post, a calm evening"
            ]
            counts = await repo.inbox_counts()
            assert counts.get("parked") == 1
            # Nothing is left to replay: it cannot crash-loop the bot.
            assert await repo.inbox_unfinished(expired_only=False) == []
        finally:
            await repo.close()
        assert len([c for c in person.replies(since=0) if parked in (c.text or "")]) == 1
