"""Facelog's voice: text to speech (Anna's voice notes) and speech to text (the user's),
Telegram-free.

``build_synthesizer(config)`` and ``build_transcriber(config)`` pick the engines from a
``SpeechConfig``; the results speak and listen through two small interfaces:

* ``await synthesizer.synthesize(text, language)`` → ``VoiceNote`` (OGG/Opus bytes and the
  whole-second duration ``sendVoice`` wants); the cached synthesizer also takes ``cache_key=``
  (e.g. the entry id) so the 🔊 button never synthesises twice.
* ``await transcriber.transcribe(ogg_bytes, language=hint)`` → ``Transcript`` or
  ``NothingHeard``; ``AudioTooLong``/``AudioTooLarge`` for notes over the limits.
"""

from .cache import CachedSynthesizer, VoiceCache
from .config import SpeechConfig
from .errors import (
    AudioDecodeError,
    AudioTooLarge,
    AudioTooLong,
    EngineUnavailable,
    SpeechError,
    SpeechServiceError,
    SynthesisError,
    TranscriptionError,
)
from .factory import build_offline_synthesizer, build_synthesizer, build_transcriber
from .ogg import DecodedAudio, VoiceNote, decode_audio, encode_voice_note
from .stt import NothingHeard, Transcriber, Transcript, TranscriptionResult, VoiceLimits
from .tts import Synthesizer

__all__ = [
    "AudioDecodeError",
    "AudioTooLarge",
    "AudioTooLong",
    "CachedSynthesizer",
    "DecodedAudio",
    "EngineUnavailable",
    "NothingHeard",
    "SpeechConfig",
    "SpeechError",
    "SpeechServiceError",
    "SynthesisError",
    "Synthesizer",
    "Transcriber",
    "Transcript",
    "TranscriptionError",
    "TranscriptionResult",
    "VoiceCache",
    "VoiceLimits",
    "VoiceNote",
    "build_offline_synthesizer",
    "build_synthesizer",
    "build_transcriber",
    "decode_audio",
    "encode_voice_note",
]
