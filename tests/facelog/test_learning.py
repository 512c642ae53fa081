"""Facelog learns each face: corrections refit the person's calibration on the real store, and
the community prior pools everyone's labels (facelog/learning.py over storage/)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from facelog.domain import Account, Emotion, Entry, User
from facelog.learning import ZERO, Learning, apply
from inference.calibration import MIN_CONTRIBUTORS
from storage import Repository

#: A reading the FER+-trained models give East Asian anger: sadness a little ahead of anger.
BORDERLINE = {"anger": 0.38, "happy": 0.04, "panic": 0.08, "sadness": 0.50, "other": 0.1}
#: A clear reading nobody should ever see flipped by calibration.
CLEAR_HAPPY = {"anger": 0.01, "happy": 0.96, "panic": 0.02, "sadness": 0.01}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def person(repo: Repository, user_id: int, language: str = "ko") -> Account:
    await repo.save_user(User(id=user_id, name="민지", created_at=NOW, language=language))  # type: ignore[arg-type]
    account = await repo.get_account(user_id)
    assert account is not None
    return account


async def post(
    repo: Repository, account: Account, probabilities: dict[str, float], shown: Emotion
) -> Entry:
    return await repo.create_entry(
        account.user.id,
        day=date(2026, 12, 1),
        emotion=shown,
        probabilities=probabilities,
        faces=1,
        text="오늘",
        photo=b"\xff\xd8 not really a jpeg",
        face_emotion=shown,
    )


async def correct(repo: Repository, learning: Learning, account: Account, entry: Entry) -> None:
    await repo.update_entry(account.user.id, entry, emotion=Emotion.ANGER, emotion_source="person")
    await learning.refit(account)


async def test_someone_who_never_corrects_gets_the_models_reading(repo: Repository) -> None:
    learning = Learning(repo)
    account = await person(repo, 1)
    for _ in range(10):
        await post(repo, account, BORDERLINE, Emotion.SADNESS)
    await learning.after_post(account)
    assert await learning.refit(account) is None
    assert await learning.bias(account) == ZERO
    assert await repo.get_learned(1) is None
    assert apply(BORDERLINE, await learning.bias(account)).emotion == Emotion.SADNESS


async def test_one_correction_does_not_flip_a_borderline_call_but_a_pattern_does(
    repo: Repository,
) -> None:
    learning = Learning(repo)
    account = await person(repo, 2)
    entries = [await post(repo, account, BORDERLINE, Emotion.SADNESS) for _ in range(6)]
    await correct(repo, learning, account, entries[0])
    learned = await learning.learned(account)
    assert learned is not None and learned.corrections == 1 and learned.confirmations == 5
    assert apply(BORDERLINE, learned.bias).emotion == Emotion.SADNESS  # one label: not yet

    for entry in entries[1:4]:
        await correct(repo, learning, account, entry)
    bias = await learning.bias(account)
    assert apply(BORDERLINE, bias).emotion == Emotion.ANGER  # the person's pattern is learned
    assert apply(CLEAR_HAPPY, bias).emotion == Emotion.HAPPY  # a clear face stays itself


async def test_deleting_the_corrected_entries_removes_their_influence(repo: Repository) -> None:
    learning = Learning(repo)
    account = await person(repo, 3)
    entries = [await post(repo, account, BORDERLINE, Emotion.SADNESS) for _ in range(5)]
    for entry in entries[:4]:
        await correct(repo, learning, account, entry)
    assert apply(BORDERLINE, await learning.bias(account)).emotion == Emotion.ANGER
    for entry in entries[:4]:
        assert await repo.delete_entry(account.user.id, entry.id)
    await learning.refit(account)
    assert await learning.bias(account) == ZERO
    assert await learning.learned(account) is None  # /settings: nothing learned any more


async def test_reset_forgets_earlier_labels(repo: Repository) -> None:
    learning = Learning(repo)
    account = await person(repo, 4)
    entries = [await post(repo, account, BORDERLINE, Emotion.SADNESS) for _ in range(4)]
    for entry in entries:
        await correct(repo, learning, account, entry)
    assert await learning.bias(account) != ZERO
    await learning.reset(account)
    await learning.refit(account)  # a later refit (e.g. a post) must not relearn them
    assert await learning.bias(account) == ZERO
    assert await learning.learned(account) is None


async def test_delete_me_erases_the_learned_bias(repo: Repository) -> None:
    learning = Learning(repo)
    account = await person(repo, 5)
    entry = await post(repo, account, BORDERLINE, Emotion.SADNESS)
    await correct(repo, learning, account, entry)
    assert await repo.get_learned(5) is not None
    assert (await repo.export_user(5)).learned is not None  # /export carries it
    await repo.delete_user(5)
    assert await repo.get_learned(5) is None


async def test_community_prior_needs_enough_people_and_is_everyones_start(
    repo: Repository,
) -> None:
    learning = Learning(repo)
    people = [await person(repo, 100 + i) for i in range(MIN_CONTRIBUTORS)]
    newcomer = await person(repo, 999)
    english = await person(repo, 998, language="en")
    for account in people[:-1]:
        for entry in [await post(repo, account, BORDERLINE, Emotion.SADNESS) for _ in range(3)]:
            await correct(repo, learning, account, entry)
    assert (await learning.recompute_community())["ko"] == 0  # one person short: no prior
    assert await learning.bias(newcomer) == ZERO

    last = people[-1]
    for entry in [await post(repo, last, BORDERLINE, Emotion.SADNESS) for _ in range(3)]:
        await correct(repo, learning, last, entry)
    contributors = await learning.recompute_community()
    assert contributors == {"ko": MIN_CONTRIBUTORS, "en": 0}
    prior = await learning.bias(newcomer)
    assert apply(BORDERLINE, prior).emotion == Emotion.ANGER  # from the very first post
    assert await learning.bias(english) == ZERO  # per language

    off = Learning(repo, community_prior=False)
    assert await off.bias(newcomer) == ZERO
    assert (await off.recompute_community())["ko"] == 0
    assert await repo.get_community_prior("ko") is None
