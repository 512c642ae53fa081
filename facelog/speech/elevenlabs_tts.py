"""ElevenLabs through its SDK (``AsyncElevenLabs``), the production voice for Korean.

The SDK's base URL is configurable, so tests run it against a local aiohttp stub: real HTTP, the
SDK's own request building and error types. The requested format (MP3 by default, available on
every plan) is decoded with PyAV and re-encoded as OGG/Opus for Telegram.

Retries are done here, not by the SDK: its streaming endpoint does not retry, and the delays must
be configurable so tests do not sleep. Failures end as ``SynthesisError`` with a ``reason`` and
``retryable``, which ``FallbackSynthesizer`` turns into the offline voice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError

from facelog.retry import retry_after

from ._async import LoopSemaphore
from .errors import (
    AudioDecodeError,
    EngineUnavailable,
    SynthesisError,
    reason_for_status,
    retry_or_raise,
)
from .ogg import OPUS_RATE, decode_audio, pcm16_from_bytes
from .tts import Pcm

log = logging.getLogger(__name__)

SERVICE = "elevenlabs"
#: The longest wait for a Retry-After we accept before giving up at once (the bot owes an answer).


class ElevenLabsEngine:
    """One ``AsyncElevenLabs`` client; renders a chunk with one text-to-speech request."""

    min_chunk_chars: int
    max_chunk_chars: int

    def __init__(
        self,
        api_key: str,
        *,
        voice_id: str,
        model_id: str,
        base_url: str | None = None,
        output_format: str = "mp3_44100_128",
        send_language_code: bool = False,
        timeout_s: float = 30.0,
        max_retries: int = 1,
        retry_base_s: float = 0.5,
        concurrency: int = 2,
        max_chunk_chars: int = 1000,
    ) -> None:
        if not api_key:
            raise EngineUnavailable("no ElevenLabs API key configured")
        codec = output_format.split("_", 1)[0]
        if codec not in ("mp3", "opus", "wav", "pcm"):
            raise EngineUnavailable(f"cannot decode ElevenLabs output format {output_format!r}")
        self.voice_id = voice_id
        self.model_id = model_id
        self.output_format = output_format
        self.send_language_code = send_language_code
        self.max_retries = max_retries
        self.retry_base_s = retry_base_s
        self.min_chunk_chars = max_chunk_chars
        self.max_chunk_chars = max_chunk_chars
        self._limit = LoopSemaphore(concurrency)
        # Our own httpx client, so ``aclose`` can close its connections.
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._client = AsyncElevenLabs(
            api_key=api_key, base_url=base_url, timeout=timeout_s, httpx_client=self._http
        )

    @property
    def name(self) -> str:
        return f"elevenlabs:{self.voice_id}:{self.model_id}"

    def supports(self, language: str) -> bool:
        return True

    async def _request(
        self, chunk: str, language: str, previous: str | None, following: str | None
    ) -> bytes:
        options: dict[str, Any] = {"model_id": self.model_id, "output_format": self.output_format}
        if self.send_language_code:
            options["language_code"] = language.split("-")[0].lower()
        if previous:
            options["previous_text"] = previous
        if following:
            options["next_text"] = following
        stream = self._client.text_to_speech.convert(
            self.voice_id, text=chunk, request_options={"max_retries": 0}, **options
        )
        return b"".join([part async for part in stream])

    def _decode(self, audio: bytes) -> Pcm:
        if self.output_format.startswith("pcm_"):
            rate = int(self.output_format.split("_")[1])
            return Pcm(pcm16_from_bytes(audio), rate)
        decoded = decode_audio(audio, sample_rate=OPUS_RATE)
        return Pcm(decoded.samples, decoded.sample_rate)

    async def render(
        self, chunk: str, language: str, *, previous: str | None, following: str | None
    ) -> Pcm:
        attempt = 0
        while True:
            try:
                async with self._limit.get():
                    audio = await self._request(chunk, language, previous, following)
                if not audio:
                    raise SynthesisError(SERVICE, "bad-response")
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(None, self._decode, audio)
            except AudioDecodeError as error:
                raise SynthesisError(SERVICE, "bad-response") from error
            except ApiError as error:
                status = error.status_code or 0
                reason, retryable = reason_for_status(status)
                failure = SynthesisError(SERVICE, reason, status=status, retryable=retryable)
                wait = retry_after(error.headers)
            except httpx.TimeoutException as error:
                failure = SynthesisError(SERVICE, "timeout", retryable=True)
                failure.__cause__ = error
                wait = None
            except httpx.HTTPError as error:
                failure = SynthesisError(SERVICE, "connection", retryable=True)
                failure.__cause__ = error
                wait = None
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
        await self._http.aclose()
