"""The voice cache: 🔊 never synthesises twice, even across restarts or on a double tap."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from facelog.speech.cache import CachedSynthesizer, VoiceCache
from facelog.speech.ogg import VoiceNote, encode_voice_note

from .conftest import tone


class CountingSynth:
    """A synthesizer that counts calls and can be slow or degraded."""

    signature = "counting|v1"

    def __init__(self, *, delay_s: float = 0.0, degraded: bool = False) -> None:
        self.calls = 0
        self.delay_s = delay_s
        self.degraded = degraded
        self.note = encode_voice_note(tone(1.2, 16_000), 16_000)

    def supports(self, language: str) -> bool:
        return True

    async def synthesize(self, text: str, language: str) -> VoiceNote:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        return replace(self.note, engine="counting", degraded=self.degraded)

    async def warm_up(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_second_request_is_served_from_memory() -> None:
    inner = CountingSynth()
    synth = CachedSynthesizer(inner, VoiceCache())
    first = await synth.synthesize("안녕, 민아야.", "ko", cache_key="entry-1")
    second = await synth.synthesize("안녕, 민아야.", "ko", cache_key="entry-1")
    assert inner.calls == 1
    assert second == first
    await synth.synthesize("안녕, 민아야.", "ko", cache_key="entry-2")  # another entry
    await synth.synthesize("안녕, 민아야!", "ko", cache_key="entry-1")  # an edited comment
    assert inner.calls == 3


async def test_notes_survive_a_restart_on_disk(tmp_path: Path) -> None:
    first = CountingSynth()
    note = await CachedSynthesizer(first, VoiceCache(directory=tmp_path)).synthesize(
        "Hello.", "en", cache_key="e1"
    )
    files = sorted(path.suffix for path in tmp_path.iterdir())
    assert files == [".json", ".ogg"]
    assert "Hello" not in "".join(path.name for path in tmp_path.iterdir())
    second = CountingSynth()
    again = await CachedSynthesizer(second, VoiceCache(directory=tmp_path)).synthesize(
        "Hello.", "en", cache_key="e1"
    )
    assert second.calls == 0
    assert (again.ogg, again.duration_s, again.engine) == (note.ogg, note.duration_s, "counting")


async def test_a_double_tap_shares_one_synthesis() -> None:
    inner = CountingSynth(delay_s=0.05)
    synth = CachedSynthesizer(inner, VoiceCache())
    notes = await asyncio.gather(
        *(synth.synthesize("Hello.", "en", cache_key="e1") for _ in range(5))
    )
    assert inner.calls == 1
    assert len({note.ogg for note in notes}) == 1


async def test_degraded_notes_are_not_cached() -> None:
    inner = CountingSynth(degraded=True)
    synth = CachedSynthesizer(inner, VoiceCache())
    await synth.synthesize("Hello.", "en", cache_key="e1")
    await synth.synthesize("Hello.", "en", cache_key="e1")
    assert inner.calls == 2


async def test_memory_is_bounded() -> None:
    inner = CountingSynth()
    cache = VoiceCache(max_entries=3)
    synth = CachedSynthesizer(inner, cache)
    for i in range(6):
        await synth.synthesize(f"Note {i}.", "en")
    assert len(cache) == 3
    await synth.synthesize("Note 5.", "en")  # recent: still cached
    assert inner.calls == 6
    await synth.synthesize("Note 0.", "en")  # evicted: synthesised again
    assert inner.calls == 7


async def test_disk_is_bounded(tmp_path: Path) -> None:
    inner = CountingSynth()
    size = len(inner.note.ogg)
    synth = CachedSynthesizer(inner, VoiceCache(directory=tmp_path, max_dir_bytes=size * 3))
    for i in range(6):
        await synth.synthesize(f"Note {i}.", "en")
    assert len(list(tmp_path.glob("*.ogg"))) <= 3
