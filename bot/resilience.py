"""Every Bot API call rides out Telegram's bad moments: flood limits, 5xx, dropped connections.

python-telegram-bot funnels every request through one rate limiter, so this is the single place
where the handlers, the late comments and the scheduler all get the same treatment:

* ``AIORateLimiter`` keeps under Telegram's limits (30 messages a second overall, 20 a minute per
  group) and, on a 429, halts all requests for ``retry_after`` and tries again;
* on top of it, a 5xx answer or a network error (PTB raises ``NetworkError`` for both, and
  ``TimedOut`` for a timeout) is retried with exponential backoff and jitter;
* a 400 (``BadRequest``: the request itself is wrong) and a 403 (``Forbidden``: the user blocked
  the bot) are final and go straight back to the caller.

A request whose answer was lost (sent, then the connection dropped) is indistinguishable from one
that never arrived, so a retried send can show a message twice: delivery is at least once. The
diary itself stays exactly once: entries are keyed by the update, not by the reply. Scheduled
messages choose the other side (:func:`at_most_once`): there only failures that prove nothing
was sent are retried, because a second reminder is worse than a missing one.

``getUpdates`` is left alone: the updater has its own backoff for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

from facelog.retry import backoff_delay

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]
#: Not retried here: long polling (the updater retries it) and the webhook calls made at start.
_NOT_RETRIED = frozenset({"getUpdates", "setWebhook", "deleteWebhook"})
_AT_MOST_ONCE: ContextVar[bool] = ContextVar("facelog_at_most_once", default=False)


@contextlib.contextmanager
def at_most_once() -> Iterator[None]:
    """Bot calls made inside (in this task) are retried only when certainly not sent."""
    token = _AT_MOST_ONCE.set(True)
    try:
        yield
    finally:
        _AT_MOST_ONCE.reset(token)


def certainly_not_sent(error: NetworkError) -> bool:
    """True when Telegram cannot have acted on the request.

    python-telegram-bot raises ``NetworkError`` both for Telegram's 5xx answers (the request
    was refused: safe to repeat) and for transport failures, keeping httpx's exception as the
    cause. Only a failure to connect (or to get a pooled connection) proves nothing was sent;
    a timeout or a connection lost after the request went out may hide a delivered message.
    """
    cause = error.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True
    return not (isinstance(error, TimedOut) or isinstance(cause, httpx.HTTPError))


class ResilientRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` plus backoff retries for 5xx and network errors (module docstring).

    ``flood_retries`` is how often a 429 is waited out and retried, ``network_retries`` how often
    a 5xx or network error is; delays are ``backoff_base_s * 2**n`` (capped, with jitter).
    """

    def __init__(
        self,
        *,
        flood_retries: int = 3,
        network_retries: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        overall_max_rate: float = 30,
    ) -> None:
        super().__init__(max_retries=flood_retries, overall_max_rate=overall_max_rate)
        self.network_retries = network_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as error:
                if endpoint in _NOT_RETRIED or attempt >= self.network_retries:
                    raise
                if _AT_MOST_ONCE.get() and not certainly_not_sent(error):
                    raise
                delay = backoff_delay(attempt, self.backoff_base_s, self.backoff_max_s)
                log.info(
                    "telegram %s failed (%s); retry %d in %.1fs",
                    endpoint,
                    type(error).__name__,
                    attempt + 1,
                    delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
