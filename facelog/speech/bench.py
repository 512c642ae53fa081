"""Benchmark of the offline voice stack: ``python -m facelog.speech.bench``.

Measures what a user waits for on this machine:

* an offline voice reply to a ~300-character comment (TTS + OGG/Opus encoding), English (Piper)
  and Korean (espeak-ng): seconds and real-time factor (seconds of work per second of audio),
  first call (voice loading included) and warm (median of three);
* a 10-second voice note: OGG/Opus decode + screening + Whisper base (faster-whisper, int8):
  seconds and real-time factor with the user's language as a hint (what the bot does) and with
  detection, greedy and beam 5, with the character error rate on the English it transcribes;
* peak resident memory of the process.

Targets on the 2-core CPU: voice reply for 300 characters ≤ 3 s; STT real-time factor ≤ 0.5.
Results go to ``facelog/speech/bench-results.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .config import SpeechConfig
from .factory import build_offline_synthesizer
from .metrics import character_error_rate
from .ogg import encode_voice_note
from .stt import Transcript
from .tts import ChunkedSynthesizer, RoutingSynthesizer
from .whisper_local import FasterWhisperTranscriber, WhisperOptions

COMMENT_EN = (
    "Mina, I can see how tired you look today, and honestly that makes sense. You carried a "
    "long week and still showed up for your friends. Tonight, maybe take a warm bath, put your "
    "phone away and sleep early. Tomorrow, tell me how you slept, okay? I'm proud of you, and "
    "I'm here whenever you want to talk."
)
COMMENT_KO = (
    "민아야, 오늘 얼굴을 보니까 많이 지쳐 보여. 이번 주 정말 길었잖아. 그래도 친구들 곁을 끝까지 "
    "지켜 준 너, 진짜 대단해. 오늘 밤은 따뜻한 물로 샤워하고 휴대폰은 잠깐 내려놓은 다음 일찍 "
    "자 보는 건 어때? 몸이 쉬어야 마음도 같이 쉴 수 있거든. 내일 아침에 잘 잤는지 꼭 알려 줘. "
    "힘든 날에도 이렇게 기록을 남기는 너를 보면 나도 힘이 나. 언제든 이야기하고 싶으면 말해 줘. "
    "나는 늘 여기 있을게. 내일은 오늘보다 조금 더 가벼운 하루가 되길 바랄게. 오늘도 수고 많았어, "
    "정말로. 푹 자."
)
#: About ten seconds of speech for the STT measurement.
NOTE_TEXT = (
    "Today was a long day at work, but I had lunch with an old friend and we laughed a lot. "
    "I feel tired but happy, and I think I will go to bed early tonight and read a little "
    "before I sleep."
)
DEFAULT_OUT = Path(__file__).with_name("bench-results.json")


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench_tts(synth: ChunkedSynthesizer, text: str, language: str) -> dict[str, Any]:
    runs: list[tuple[float, float]] = []
    for _ in range(4):
        started = time.perf_counter()
        note = await synth.synthesize(text, language)
        runs.append((time.perf_counter() - started, note.seconds))
    first, warm = runs[0], runs[1:]
    warm_s = statistics.median(run[0] for run in warm)
    audio_s = warm[0][1]
    return {
        "engine": synth.engine.name,
        "characters": len(text),
        "chunks": len(synth.chunks(text)),
        "audio_s": round(audio_s, 2),
        "first_call_s": round(first[0], 3),
        "warm_s": round(warm_s, 3),
        "warm_runs_s": [round(run[0], 3) for run in warm],
        "real_time_factor": round(warm_s / audio_s, 3),
        "target_s": 3.0,
        "meets_target": warm_s <= 3.0,
    }


async def bench_stt(
    transcriber: FasterWhisperTranscriber,
    ogg: bytes,
    seconds: float,
    reference: str,
    language: str | None,
) -> dict[str, Any]:
    timings: list[float] = []
    text = ""
    for _ in range(3):
        started = time.perf_counter()
        result = await transcriber.transcribe(ogg, language=language)
        timings.append(time.perf_counter() - started)
        text = result.text if isinstance(result, Transcript) else ""
    took = statistics.median(timings)
    return {
        "beam_size": transcriber.options.beam_size,
        "language": language or "auto-detect (ko/en)",
        "audio_s": round(seconds, 2),
        "decode_and_transcribe_s": round(took, 3),
        "runs_s": [round(value, 3) for value in timings],
        "real_time_factor": round(took / seconds, 3),
        "target_rtf": 0.5,
        "meets_target": took / seconds <= 0.5,
        "cer": round(character_error_rate(reference, text), 4),
    }


async def run(out: Path, data_dir: Path, machine_note: str | None = None) -> dict[str, Any]:
    """Measure, write ``out`` and return the results.

    ``machine_note`` (``--note``) records what else shared the machine during this run; it is
    stored only when given, because a fixed sentence would be false on every other run.
    """
    load_before = os.getloadavg()
    # espeak-ng's Korean is off by default (not intelligible); the bench still measures that floor.
    config = SpeechConfig(data_dir=data_dir, tts_cache_on_disk=False, korean_offline_voice="espeak")
    offline: RoutingSynthesizer = build_offline_synthesizer(config)
    english = offline.route("en")
    korean = offline.route("ko")
    assert isinstance(english, ChunkedSynthesizer) and isinstance(korean, ChunkedSynthesizer)

    machine: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in load_before],
    }
    if machine_note:
        machine["note"] = machine_note
    results: dict[str, Any] = {
        "machine": machine,
        "tts": {
            "en": await bench_tts(english, COMMENT_EN, "en"),
            "ko": await bench_tts(korean, COMMENT_KO, "ko"),
        },
    }

    # A ~10-second note, as Telegram would deliver it (OGG/Opus).
    pcm = await english.render(NOTE_TEXT, "en")
    note = encode_voice_note(pcm.samples, pcm.sample_rate)
    encode_started = time.perf_counter()
    encode_voice_note(pcm.samples, pcm.sample_rate)
    results["ogg_encode_s_per_audio_s"] = round(
        (time.perf_counter() - encode_started) / pcm.seconds, 4
    )
    stt_results = []
    model_root = config.model_dir
    base = FasterWhisperTranscriber(
        model_root=model_root,
        options=WhisperOptions(beam_size=1, cpu_threads=config.cpu_threads),
    )
    started = time.perf_counter()
    await base.warm_up()
    load_s = time.perf_counter() - started
    # The bot passes the user's language as a hint (one encoder pass); without it Whisper
    # first detects the language (a second pass over the same 30-second window).
    for beam, language in ((1, "en"), (1, None), (5, "en")):
        base.options = replace(base.options, beam_size=beam)
        stt_results.append(await bench_stt(base, note.ogg, note.seconds, NOTE_TEXT, language))
    results["stt"] = {
        "engine": base.name,
        "model_load_s": round(load_s, 2),
        "runs": stt_results,
    }
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    await base.aclose()
    await offline.aclose()
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the Whisper model is assembled (default: a temporary directory)",
    )
    parser.add_argument(
        "--note",
        default=None,
        help="what else ran on the machine during this run, stored with the results "
        "(e.g. 'a model was training on the same cores'); nothing by default",
    )
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        results = asyncio.run(run(args.out, args.data_dir, args.note))
    else:
        with tempfile.TemporaryDirectory(prefix="facelog-bench-") as tmp:
            results = asyncio.run(run(args.out, Path(tmp), args.note))
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
