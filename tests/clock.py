"""One clock for a test: the diary's, the repository's, the guard's and the fake Telegram's.

Product code takes "now" from an injected clock (``DiaryService(clock=...)``,
``Repository.connect(clock=...)``, ``Guard(clock=...)``, ``Scheduler(clock=...)``); the fake Bot
API server dates messages with ``FakeTelegram(clock=...)``. The test fixtures hand all of them the
same :class:`TestClock`, so "today" in the bot, the day of a message and the expectations a test
computes can never disagree.

By default the clock is the real one. ``FACELOG_TEST_NOW=2026-12-31T16:00:00Z`` pins it: every
test then starts at that instant and the clock runs on from there with the monotonic clock, so
timeouts, leases and rate windows still advance. That runs the whole suite on a risky day (a
month's end in Seoul, a DST change in New York) without patching ``datetime`` globally, which
would also fool the libraries (TLS certificates, MongoDB, asyncio) that must keep real time.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

#: The environment variable that pins every test's clock (an ISO 8601 instant, ``Z`` allowed).
ENV = "FACELOG_TEST_NOW"


def parse_instant(text: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pinned_start() -> datetime | None:
    """The instant ``FACELOG_TEST_NOW`` pins tests to, or None for the real clock."""
    text = os.environ.get(ENV, "").strip()
    return parse_instant(text) if text else None


class TestClock:
    """ "Now" as an aware UTC datetime: real time, or a pinned start plus elapsed monotonic time.

    Call it for a ``datetime`` (the product's clocks) or use :meth:`timestamp` for epoch seconds
    (the fake Telegram server's). :meth:`set` re-pins it mid-test, for tests about one instant.
    """

    __test__ = False  # not a test class, whatever its name says

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self._origin = time.monotonic()
        self._running = True

    @property
    def pinned(self) -> bool:
        return self._start is not None

    def set(self, instant: datetime, *, running: bool = True) -> None:
        """From now on the clock reads ``instant`` plus the time elapsed since this call, or
        exactly ``instant`` with ``running=False`` (a test about one instant ± 1 s must not
        depend on how long the bot took to answer; the bot's own timeouts use monotonic time)."""
        if instant.tzinfo is None:
            raise ValueError("pin the clock to an aware datetime")
        self._start = instant.astimezone(UTC)
        self._origin = time.monotonic()
        self._running = running

    def __call__(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        if not self._running:
            return self._start
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def timestamp(self) -> float:
        return self().timestamp()


_current: TestClock | None = None


def new_clock() -> TestClock:
    """A fresh clock for one test, pinned by ``FACELOG_TEST_NOW`` or real; it becomes
    :func:`current` (tests/conftest.py makes one per test)."""
    global _current
    _current = TestClock(pinned_start())
    return _current


def current() -> TestClock:
    """This test's clock, for helpers that are not fixtures (``serve_bot``, rigs)."""
    return _current if _current is not None else new_clock()
