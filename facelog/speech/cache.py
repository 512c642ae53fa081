"""Voice notes cached per (entry, text, voice) so the 🔊 button never synthesises twice.

A bounded in-memory LRU in front of an optional directory (``data_dir/voice-cache``) that keeps
notes across restarts. Keys are SHA-256 of the caller's key (e.g. the entry id), the
synthesizer's signature (engine, voice, bitrate), the language and the text, so a changed comment
or voice never returns stale audio, and file names reveal nothing about the diary. Concurrent
requests for the same key (a double tap) share one synthesis.

Notes spoken by a fallback engine (``degraded``) are returned but not stored: the next tap tries
the configured voice again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

from .ogg import VoiceNote
from .tts import Synthesizer

log = logging.getLogger(__name__)


def make_cache_key(signature: str, language: str, text: str, namespace: str | None = None) -> str:
    """Hex SHA-256 naming one note; ``namespace`` is the caller's key (an entry id)."""
    digest = hashlib.sha256()
    for part in (namespace or "", signature, language, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


class VoiceCache:
    """In-memory LRU (bounded by entries and bytes) over an optional directory."""

    def __init__(
        self,
        *,
        max_entries: int = 256,
        max_bytes: int = 32 * 1024 * 1024,
        directory: Path | None = None,
        max_dir_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.directory = directory
        self.max_dir_bytes = max_dir_bytes
        self._memory: OrderedDict[str, VoiceNote] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._memory)

    def _remember(self, key: str, note: VoiceNote) -> None:
        if key in self._memory:
            self._bytes -= len(self._memory.pop(key).ogg)
        if len(note.ogg) > self.max_bytes or self.max_entries < 1:
            return
        self._memory[key] = note
        self._bytes += len(note.ogg)
        while len(self._memory) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._memory.popitem(last=False)
            self._bytes -= len(evicted.ogg)

    def _paths(self, key: str) -> tuple[Path, Path]:
        assert self.directory is not None
        return self.directory / f"{key}.ogg", self.directory / f"{key}.json"

    def _read(self, key: str) -> VoiceNote | None:
        audio_path, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            audio = audio_path.read_bytes()
            note = VoiceNote(
                ogg=audio,
                duration_s=int(meta["duration_s"]),
                seconds=float(meta["seconds"]),
                engine=str(meta.get("engine", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(audio_path)  # recently used: pruned last
        return note

    def _write(self, key: str, note: VoiceNote) -> None:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        audio_path, meta_path = self._paths(key)
        meta = {"duration_s": note.duration_s, "seconds": note.seconds, "engine": note.engine}
        # Audio first, metadata last: a note counts as cached only once both are complete.
        for path, data in ((audio_path, note.ogg), (meta_path, json.dumps(meta).encode())):
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                Path(tmp).replace(path)
            except BaseException:
                with contextlib.suppress(OSError):
                    Path(tmp).unlink()
                raise
        self._prune()

    def _prune(self) -> None:
        """Delete the least recently used notes while the directory is over its byte budget."""
        assert self.directory is not None
        files = []
        total = 0
        for path in self.directory.glob("*.ogg"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
                total += stat.st_size
        for _, size, path in sorted(files):
            if total <= self.max_dir_bytes:
                break
            for victim in (path, path.with_suffix(".json")):
                with contextlib.suppress(OSError):
                    victim.unlink()
            total -= size

    async def get(self, key: str) -> VoiceNote | None:
        note = self._memory.get(key)
        if note is not None:
            self._memory.move_to_end(key)
            return note
        if self.directory is None:
            return None
        note = await asyncio.to_thread(self._read, key)
        if note is not None:
            self._remember(key, note)
        return note

    async def put(self, key: str, note: VoiceNote) -> None:
        self._remember(key, note)
        if self.directory is not None:
            try:
                await asyncio.to_thread(self._write, key, note)
            except OSError as error:
                log.warning("voice cache write failed: %s", type(error).__name__)


class CachedSynthesizer:
    """A ``Synthesizer`` that asks ``VoiceCache`` first and shares in-flight syntheses."""

    def __init__(self, inner: Synthesizer, cache: VoiceCache) -> None:
        self.inner = inner
        self.cache = cache
        self._inflight: dict[str, asyncio.Future[VoiceNote]] = {}

    @property
    def signature(self) -> str:
        return self.inner.signature

    def supports(self, language: str) -> bool:
        return self.inner.supports(language)

    async def synthesize(
        self, text: str, language: str, *, cache_key: str | None = None
    ) -> VoiceNote:
        """The cached note for ``(cache_key, text, language)``, synthesised at most once."""
        key = make_cache_key(self.inner.signature, language, text, cache_key)
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        pending = self._inflight.get(key)
        if pending is not None and pending.get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(pending)
        future: asyncio.Future[VoiceNote] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            note = await self.inner.synthesize(text, language)
            if not note.degraded:
                await self.cache.put(key, note)
            future.set_result(note)
            return note
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]

    async def warm_up(self) -> None:
        await self.inner.warm_up()

    async def aclose(self) -> None:
        await self.inner.aclose()
