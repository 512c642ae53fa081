"""Facelog learns each face: the person's labels refit their calibration, everyone's labels the
community prior. Telegram-free, so the bot, the scheduler, the CLI and the tests share it.

The reading shown for a new photo is ``argmax(log p + bias)`` where ``bias`` is, in order:

1. the person's learned bias, once they have named at least one entry's emotion (it was fitted
   starting from, and pulled toward, the community prior);
2. otherwise the community prior of their language, when it is on and computed from at least
   :data:`inference.calibration.MIN_CONTRIBUTORS` people;
3. otherwise nothing: the model's reading unchanged.

Refits run in a worker thread (``asyncio.to_thread``) under a per-person lock: the Newton solve
takes well under a millisecond, but a long diary's readings are still CPU work that must never
hold the event loop, and two quick corrections must not race each other's writes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from facelog.domain import LANGUAGES, Account, LabelledReading, LearnedBias
from inference.calibration import Calibration, Example, FitOptions, calibrate, community, fit
from inference.labels import EMOTIONS, Emotion
from storage import Repository

log = logging.getLogger(__name__)

Bias = tuple[float, float, float, float]
ZERO: Bias = (0.0, 0.0, 0.0, 0.0)


class _Miss:
    """Nothing cached (distinct from a cached "no bias of their own", which is None)."""


MISS = _Miss()
#: How long a bias read from storage is reused, and how many are kept.
CACHE_S = 300.0
CACHE_SIZE = 100_000


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Calibrated:
    """A photo's reading after the person's calibration: what the reply shows."""

    emotion: Emotion
    confidence: float
    probabilities: Mapping[Emotion, float]


def _own(learned: LearnedBias | None) -> LearnedBias | None:
    """A stored bias counts as the person's own once they named at least one emotion (a reset
    record has none)."""
    return learned if learned is not None and learned.corrections > 0 else None


def _examples(readings: Sequence[LabelledReading]) -> list[Example]:
    return [Example.of(r.probabilities, r.label, person=r.person) for r in readings]


def apply(probabilities: Mapping[str, float], bias: Sequence[float]) -> Calibrated:
    """The shown reading for raw four-class ``probabilities`` under ``bias``."""
    if not any(bias):  # unchanged, down to the last digit
        probs = {e: float(probabilities.get(e.value, 0.0)) for e in EMOTIONS}
    else:
        probs = calibrate(probabilities, bias)
    emotion = max(EMOTIONS, key=lambda e: probs[e])
    return Calibrated(emotion, probs[emotion], probs)


class Learning:
    """Per-person calibration and the community prior over one repository."""

    def __init__(
        self,
        repo: Repository,
        *,
        community_prior: bool = True,
        options: FitOptions | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.repo = repo
        self.community_prior = community_prior
        self.options = options or FitOptions()
        self.clock = clock
        self._locks: dict[int, asyncio.Lock] = {}
        #: Biases read recently: a post must not pay two database reads for four numbers. This
        #: process's own refits update it; another replica's show within ``CACHE_S``.
        self._cache: dict[tuple[str, object], tuple[float, Bias | None]] = {}
        self._background: dict[int, asyncio.Task[None]] = {}

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    def _cached(self, key: tuple[str, object]) -> Bias | _Miss | None:
        hit = self._cache.get(key)
        if hit is None or hit[0] < time.monotonic():
            return MISS
        return hit[1]

    def _remember(self, key: tuple[str, object], bias: Bias | None) -> Bias | None:
        if len(self._cache) > CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + CACHE_S, bias)
        return bias

    async def prior(self, account: Account) -> Bias:
        """Everyone's starting point in the person's language (zeros when off or not yet)."""
        if not self.community_prior:
            return ZERO
        key = ("prior", account.user.language)
        cached = self._cached(key)
        if isinstance(cached, tuple):
            return cached
        stored = await self.repo.get_community_prior(account.user.language)
        prior = stored.bias if stored is not None else ZERO
        self._remember(key, prior)
        return prior

    async def own(self, account: Account) -> Bias | None:
        """The person's own learned bias; None when they never named an emotion (or reset)."""
        key = ("person", account.user.id)
        cached = self._cached(key)
        if not isinstance(cached, _Miss):
            return cached
        learned = _own(await self.repo.get_learned(account.user.id))
        return self._remember(key, learned.bias if learned is not None else None)

    async def bias(self, account: Account) -> Bias:
        """The bias a new reading of this person gets (module docstring: which and why)."""
        own = await self.own(account)
        return own if own is not None else await self.prior(account)

    async def learned(self, account: Account) -> LearnedBias | None:
        """What ``/settings`` reports: None until the person has named an emotion."""
        return _own(await self.repo.get_learned(account.user.id))

    async def refit(self, account: Account) -> LearnedBias | None:
        """Fit the person's bias again from all their labelled entries (after a correction, a
        deletion, a new post, or a new community prior). Entries written before a reset are
        left out. Someone with no label of their own keeps no bias at all."""
        user_id = account.user.id
        async with self._lock(user_id):
            previous = await self.repo.get_learned(user_id)
            reset_at = previous.reset_at if previous is not None else None
            readings = await self.repo.labelled_readings(user_id, since=reset_at)
            if previous is None and not any(r.person for r in readings):
                return None
            prior = await self.prior(account)
            fitted: Calibration = await asyncio.to_thread(
                fit, _examples(readings), prior, self.options
            )
            learned = LearnedBias(
                bias=fitted.bias if fitted.corrections else ZERO,
                corrections=fitted.corrections,
                confirmations=fitted.confirmations,
                updated_at=self.clock(),
                reset_at=reset_at,
            )
            await self.repo.set_learned(user_id, learned)
            self._remember(("person", user_id), learned.bias if _own(learned) else None)
            return learned

    async def after_post(self, account: Account) -> None:
        """A new reading was shown: for someone who has corrected before it is a weak
        confirmation, so their fit takes it in (in the background: the person's next message
        need not wait for it); for anyone else nothing is learned."""
        if await self.own(account) is None:
            return  # never corrected (or reset): nothing personal to refit
        user_id = account.user.id
        running = self._background.get(user_id)
        if running is not None and not running.done():
            return  # a refit is on its way and will read this entry too
        task = asyncio.create_task(self._quiet_refit(account))
        self._background[user_id] = task
        task.add_done_callback(lambda _: self._background.pop(user_id, None))

    async def _quiet_refit(self, account: Account) -> None:
        try:
            await self.refit(account)
        except Exception as exc:  # the post is answered; the next refit catches up
            log.warning("background calibration refit failed: %s", type(exc).__name__)

    async def drain(self) -> None:
        """Wait for background refits (tests, benchmarks and a clean shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background.values()), return_exceptions=True)

    async def reset(self, account: Account) -> None:
        """Forget what was learned: labels given until now no longer count (they stay the
        entries' emotions; only the calibration starts over)."""
        async with self._lock(account.user.id):
            await self.repo.set_learned(
                account.user.id,
                LearnedBias(ZERO, 0, 0, updated_at=self.clock(), reset_at=self.clock()),
            )
            self._remember(("person", account.user.id), None)

    async def recompute_community(self) -> dict[str, int]:
        """The nightly job: each language's prior from everyone's labels, then every learner
        refitted on it. Returns contributors per language (0 where the prior is withdrawn)."""
        people: dict[str, dict[object, list[Example]]] = {language: {} for language in LANGUAGES}
        learners: list[Account] = []
        async for account in self.repo.iter_accounts(active_only=False):
            learned = await self.repo.get_learned(account.user.id)
            since = learned.reset_at if learned is not None else None
            readings = await self.repo.labelled_readings(account.user.id, since=since)
            if any(r.person for r in readings):
                people[account.user.language][account.user.id] = _examples(readings)
                learners.append(account)
        contributors: dict[str, int] = {}
        for language, examples in people.items():
            # The community's own pull toward zero (COMMUNITY_STRENGTH), not a person's: one
            # group's habits must not become everyone's start.
            pooled = await asyncio.to_thread(community, examples)
            stored = None
            if pooled is not None and self.community_prior:
                stored = LearnedBias(
                    pooled.bias, pooled.corrections, pooled.confirmations, self.clock()
                )
            await self.repo.set_community_prior(language, stored, len(examples))
            self._cache.pop(("prior", language), None)
            contributors[language] = len(examples) if stored is not None else 0
        for account in learners:
            await self.refit(account)
        log.info("community prior recomputed: %s contributors", contributors)
        return contributors
