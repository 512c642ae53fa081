"""Anna's voice and ears for the diary: which text is spoken, which note is heard, and caching.

Voice is optional everywhere: when synthesis or transcription fails, the caller still has the
text, and the user still gets an answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from facelog.config import Settings
from facelog.domain import Account, Entry
from facelog.speech import (
    CachedSynthesizer,
    NothingHeard,
    SpeechConfig,
    Transcriber,
    Transcript,
    VoiceLimits,
    VoiceNote,
    build_synthesizer,
    build_transcriber,
)
from storage import Repository

log = logging.getLogger(__name__)


def speech_config(settings: Settings) -> SpeechConfig:
    """Map the application settings onto the speech package's own configuration."""
    extra: dict[str, object] = {}
    if settings.elevenlabs_voice_id:
        extra["elevenlabs_voice_id"] = settings.elevenlabs_voice_id
    return SpeechConfig(
        data_dir=settings.data_dir,
        elevenlabs_api_key=(
            settings.elevenlabs_api_key.get_secret_value() if settings.elevenlabs_api_key else None
        ),
        elevenlabs_model_id=settings.elevenlabs_model_id,
        korean_offline_voice=settings.korean_offline_voice,
        stt_engine=settings.stt_engine,
        whisper_api_base_url=settings.whisper_api_base_url,
        whisper_api_key=(
            settings.whisper_api_key.get_secret_value() if settings.whisper_api_key else None
        ),
        openai_whisper_checkpoint=settings.openai_whisper_checkpoint,
        max_voice_seconds=settings.max_voice_seconds,
        # With encryption at rest, Anna's spoken words must not sit in plain files on disk:
        # the cache stays in memory (the entry's voice note is stored, encrypted, with it).
        tts_cache_on_disk=settings.encryption_keys is None,
        **extra,  # type: ignore[arg-type]
    )


@dataclass
class Voice:
    synthesizer: CachedSynthesizer
    transcriber: Transcriber
    limits: VoiceLimits

    @classmethod
    def from_settings(cls, settings: Settings) -> Voice:
        config = speech_config(settings)
        return cls(
            build_synthesizer(config),
            build_transcriber(config),
            VoiceLimits(max_seconds=config.max_voice_seconds, max_bytes=config.max_voice_bytes),
        )

    def speaks(self, language: str) -> bool:
        """Whether Anna has a voice for ``language`` here. Callers ask first, so a language
        without one (Korean with no ElevenLabs key, by default) gets its text answer and no
        "recording voice…" or error notes."""
        return self.synthesizer.supports(language)

    async def entry_comment(self, repo: Repository, account: Account, entry: Entry) -> VoiceNote:
        """Anna's comment on ``entry`` as a voice note: synthesised once, then cached and kept
        with the entry (so /export carries it)."""
        assert entry.anna_comment
        note = await self.synthesizer.synthesize(
            entry.anna_comment, account.user.language, cache_key=f"entry:{entry.id}"
        )
        if entry.voice_id is None and not note.degraded:
            await repo.set_entry_voice(account.user.id, entry.id, note.ogg)
        return note

    async def say(self, account: Account, text: str) -> VoiceNote:
        return await self.synthesizer.synthesize(text, account.user.language)

    async def hear(self, account: Account, audio: bytes) -> Transcript | NothingHeard:
        return await self.transcriber.transcribe(audio, language=account.user.language)

    async def warm_up(self) -> None:
        await self.synthesizer.warm_up()

    async def aclose(self) -> None:
        await self.synthesizer.aclose()
        await self.transcriber.aclose()
