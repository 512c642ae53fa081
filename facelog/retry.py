"""Retry timing shared by the remote services Facelog calls (LLM, ElevenLabs, Whisper API)."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping


def backoff_delay(attempt: int, base_s: float, cap_s: float = 8.0) -> float:
    """``base_s * 2**attempt`` capped at ``cap_s``, with up to 20% jitter (0 when base is 0)."""
    delay = min(cap_s, base_s * (2.0**attempt))
    return delay * (1.0 + 0.2 * random.random())


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After-Ms, Retry-After seconds or HTTP date)."""
    if not headers:
        lowered: dict[str, str] = {}
    else:
        lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())
