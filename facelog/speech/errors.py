"""Typed failures of the speech layer.

Every error carries a short ``reason`` code that is safe to log and to map to a user-facing
message (the bot's i18n catalogue), and never the text being spoken or heard. Service errors say
whether retrying later may help (``retryable``) so callers can degrade: an offline voice instead
of ElevenLabs, the local Whisper instead of the API, or a text-only answer.
"""

from __future__ import annotations

import asyncio
import logging

from facelog.retry import backoff_delay

log = logging.getLogger(__name__)


class SpeechError(Exception):
    """Base of all speech failures; ``reason`` is a short, stable code."""

    reason: str = "speech-error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class AudioTooLarge(SpeechError):
    """The audio file is bigger than the configured limit; nothing was decoded."""

    reason = "too-large"

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        super().__init__(f"audio is {size_bytes} bytes, the limit is {limit_bytes}")
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes


class AudioTooLong(SpeechError):
    """The audio lasts longer than the configured limit; decoding stopped at the limit.

    ``duration_s`` is what the container declares, or how far decoding got before it stopped
    (a lower bound) when the container declares nothing.
    """

    reason = "too-long"

    def __init__(self, duration_s: float, limit_s: float) -> None:
        super().__init__(f"audio lasts {duration_s:.1f} s or more, the limit is {limit_s:.0f} s")
        self.duration_s = duration_s
        self.limit_s = limit_s


class AudioDecodeError(SpeechError):
    """The bytes are not audio that FFmpeg (through PyAV) can decode."""

    reason = "undecodable"


class EngineUnavailable(SpeechError):
    """An engine cannot run here: a package, binary, model file or configuration is missing."""

    reason = "unavailable"


class SpeechServiceError(SpeechError):
    """A remote speech service failed.

    ``reason`` is one of ``unauthorized``, ``rate-limited``, ``server-error``, ``timeout``,
    ``connection``, ``bad-request``, ``bad-response``; ``status`` is the HTTP status when there
    was one; ``retryable`` is True when the same request may succeed later.
    """

    def __init__(
        self, service: str, reason: str, *, status: int | None = None, retryable: bool = False
    ) -> None:
        detail = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{service}: {reason}{detail}", reason=reason)
        self.service = service
        self.status = status
        self.retryable = retryable


#: A server asking us to wait longer than this is not waited for: the user would be waiting.
MAX_RETRY_AFTER_S = 10.0


async def retry_or_raise(
    failure: SpeechServiceError,
    *,
    attempt: int,
    max_retries: int,
    wait: float | None,
    base_s: float,
) -> None:
    """After a failed call to a speech service: log it, then wait for the next attempt or raise.

    Waits what the server asked for (Retry-After) or an exponential backoff; raises ``failure``
    when it is not retryable, the retries are spent, or the server asks for too long a wait.
    """
    log.warning(
        "speech service=%s attempt=%d reason=%s status=%s",
        failure.service,
        attempt + 1,
        failure.reason,
        failure.status,
    )
    if not failure.retryable or attempt >= max_retries:
        raise failure
    if wait is not None and wait > MAX_RETRY_AFTER_S:
        raise failure
    await asyncio.sleep(wait if wait is not None else backoff_delay(attempt, base_s))


class SynthesisError(SpeechServiceError):
    """Text-to-speech through a remote service failed."""


class TranscriptionError(SpeechServiceError):
    """Speech-to-text through a remote service failed."""


def reason_for_status(status: int) -> tuple[str, bool]:
    """Map an HTTP status to ``(reason, retryable)`` the same way for every service."""
    if status in (401, 403):
        return "unauthorized", False
    if status == 429:
        return "rate-limited", True
    if status in (408, 409):
        return "timeout", True
    if status >= 500:
        return "server-error", True
    return "bad-request", False
