"""The Whisper API (or any OpenAI-compatible transcription endpoint) through the ``openai`` SDK.

The note is checked locally first (limits, silence, noise: see ``stt``), so an empty or
oversized note never costs a request. Telegram's OGG/Opus, MP3, WAV, WebM and M4A are sent as
they are; anything else is re-encoded to OGG/Opus from the decoded PCM.

The SDK's own retries are off (``max_retries=0``): retries happen here with configurable delays,
so tests do not sleep, and every failure ends as a ``TranscriptionError`` with ``reason`` and
``retryable`` that ``FallbackTranscriber`` turns into the local Whisper.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import openai

from facelog.retry import retry_after

from .errors import TranscriptionError, reason_for_status, retry_or_raise
from .ogg import DecodedAudio, encode_voice_note
from .stt import NothingHeard, TranscriptionResult, VoiceLimits, finish, guess_language
from .stt import prepare_voice as _prepare

log = logging.getLogger(__name__)

SERVICE = "whisper-api"
#: Sent when no key is configured: local servers ignore it, and it stops the SDK from reading
#: OPENAI_API_KEY from the environment (configuration comes from Settings only).
NO_KEY = "not-needed"


def upload_name(data: bytes) -> tuple[str, str] | None:
    """File name and MIME type the API accepts for ``data``, from its magic bytes."""
    if data.startswith(b"OggS"):
        return "voice.ogg", "audio/ogg"
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "voice.wav", "audio/wav"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "voice.mp3", "audio/mpeg"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "voice.webm", "audio/webm"
    if data[4:8] == b"ftyp":
        return "voice.m4a", "audio/mp4"
    return None


class WhisperApiTranscriber:
    """One ``openai.AsyncOpenAI`` client used for ``audio.transcriptions``."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str = "whisper-1",
        timeout_s: float = 60.0,
        max_retries: int = 1,
        retry_base_s: float = 0.5,
        limits: VoiceLimits | None = None,
        languages: tuple[str, ...] = ("ko", "en"),
        silence_dbfs: float = -50.0,
    ) -> None:
        self.model = model
        self.max_retries = max_retries
        self.retry_base_s = retry_base_s
        self.limits = limits or VoiceLimits()
        self.languages = languages
        self.silence_dbfs = silence_dbfs
        # whisper-1 returns language and duration with verbose_json; the gpt-4o transcribe
        # models only answer json (text only).
        self.response_format = "verbose_json" if model.startswith("whisper") else "json"
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout_s, max_retries=0
        )

    @property
    def name(self) -> str:
        return f"{SERVICE}:{self.model}"

    def _prepare(self, data: bytes) -> tuple[DecodedAudio | NothingHeard, tuple[str, bytes, str]]:
        prepared = _prepare(data, self.limits, silence_dbfs=self.silence_dbfs, engine=self.name)
        known = upload_name(data)
        if known is not None:
            return prepared, (known[0], data, known[1])
        if isinstance(prepared, NothingHeard):
            return prepared, ("voice.ogg", b"", "audio/ogg")
        note = encode_voice_note(prepared.samples, prepared.sample_rate)
        return prepared, ("voice.ogg", note.ogg, "audio/ogg")

    async def _request(self, upload: tuple[str, bytes, str], hint: str | None) -> Any:
        options: dict[str, Any] = {"response_format": self.response_format}
        if hint:
            options["language"] = hint
        return await self._client.audio.transcriptions.create(
            model=self.model, file=upload, **options
        )

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> TranscriptionResult:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        prepared, upload = await loop.run_in_executor(None, self._prepare, audio)
        if isinstance(prepared, NothingHeard):
            log.info("stt engine=%s nothing-heard=%s", self.name, prepared.reason)
            return prepared
        hint = language.replace("_", "-").split("-")[0].lower() if language else None
        response = await self._with_retries(upload, hint)
        text = getattr(response, "text", None)
        if not isinstance(text, str):
            raise TranscriptionError(SERVICE, "bad-response")
        detected = getattr(response, "language", None)
        code = _language_code(detected) if isinstance(detected, str) else None
        result = finish(
            text,
            code or hint or guess_language(text, self.languages),
            prepared.duration_s,
            self.name,
        )
        log.info(
            "stt engine=%s audio_s=%.1f heard=%s took_s=%.2f",
            self.name,
            prepared.duration_s,
            not isinstance(result, NothingHeard),
            time.perf_counter() - started,
        )
        return result

    async def _with_retries(self, upload: tuple[str, bytes, str], hint: str | None) -> Any:
        attempt = 0
        while True:
            wait: float | None = None
            try:
                return await self._request(upload, hint)
            except openai.APITimeoutError as error:
                failure = TranscriptionError(SERVICE, "timeout", retryable=True)
                failure.__cause__ = error
            except openai.APIConnectionError as error:
                failure = TranscriptionError(SERVICE, "connection", retryable=True)
                failure.__cause__ = error
            except openai.APIStatusError as error:
                reason, retryable = reason_for_status(error.status_code)
                failure = TranscriptionError(
                    SERVICE, reason, status=error.status_code, retryable=retryable
                )
                failure.__cause__ = error
                wait = retry_after(dict(error.response.headers))
            except (openai.APIResponseValidationError, ValueError) as error:
                failure = TranscriptionError(SERVICE, "bad-response", retryable=True)
                failure.__cause__ = error
            await retry_or_raise(
                failure,
                attempt=attempt,
                max_retries=self.max_retries,
                wait=wait,
                base_s=self.retry_base_s,
            )
            attempt += 1

    async def warm_up(self) -> None:
        return None

    async def aclose(self) -> None:
        await self._client.close()


#: whisper-1's verbose_json names the language in English ("korean"); codes pass through.
_LANGUAGE_NAMES = {"korean": "ko", "english": "en", "japanese": "ja", "chinese": "zh"}


def _language_code(language: str) -> str | None:
    lowered = language.strip().lower()
    if not lowered:
        return None
    return _LANGUAGE_NAMES.get(lowered, lowered if len(lowered) <= 3 else None)
