"""Small text measurements shared by the prompt, the LLM answer checks and the offline writer.

Kept in one place so the three agree on what "Korean", "300 characters" and "a sentence" mean.
"""

from __future__ import annotations

import math
import re
import unicodedata

#: Telegram's limit for one text message (counted in UTF-16 code units, as Telegram counts).
TELEGRAM_LIMIT = 4096

_SENTENCE_END = re.compile(r"(?<=[.!?。…~])([\"'”’)\]]*)\s+|\n+")


def is_hangul(ch: str) -> bool:
    """Hangul syllables and jamo (ㅋㅋ, ㅠㅠ count: they are Korean writing)."""
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def is_latin(ch: str) -> bool:
    """ASCII letters and accented Latin letters."""
    return ch.isalpha() and (ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"))


def script_share(text: str) -> tuple[float, float]:
    """(Hangul share, Latin share) among the letters of ``text``; (0, 0) when it has none.

    The language check uses shares, not "any Hangul at all", so an English reply that names a
    Korean friend still counts as English, and a Korean reply with one English word as Korean.
    """
    hangul = sum(1 for ch in text if is_hangul(ch))
    latin = sum(1 for ch in text if is_latin(ch))
    total = hangul + latin
    if total == 0:
        return 0.0, 0.0
    return hangul / total, latin / total


def in_language(text: str, language: str) -> bool:
    """Whether ``text`` is mostly written in ``language``'s script ("ko" Hangul, "en" Latin)."""
    hangul, latin = script_share(text)
    return hangul >= 0.5 if language == "ko" else latin >= 0.5


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate that works across tokenizers.

    Korean is expensive and tokenizers differ a lot (o200k ~1 token per syllable, Llama-style byte
    fallback up to 3): the seed slides already hit "API 입력 토큰 수 과다". Counting 2 tokens per
    non-ASCII character and one per 3 ASCII characters over-estimates for the common models, so a
    budget computed with it is never exceeded in practice.
    """
    ascii_chars = sum(1 for ch in text if ch.isascii())
    other = len(text) - ascii_chars
    return math.ceil(ascii_chars / 3) + 2 * other


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_sentences(text: str) -> list[str]:
    """Split after ., !, ?, …, ~ (Korean casual endings often end in ~) and at line breaks."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        cut = match.end(1) if match.group(1) is not None else match.start()
        parts.append(text[start:cut])
        start = match.end()
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def fit_telegram(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Trim ``text`` to at most ``limit`` UTF-16 units, cutting after a sentence when possible.

    A cut mid-sentence reads like a bug, so the text ends at the last sentence end that fits; only
    one giant sentence is cut at a space (or hard) with an ellipsis.
    """
    text = text.strip()
    if utf16_len(text) <= limit:
        return text
    # Longest prefix that fits (code points; UTF-16 may need fewer than `limit` of them).
    end = min(len(text), limit)
    while end > 0 and utf16_len(text[:end]) > limit:
        end -= 1
    head = text[:end]
    best = -1
    for match in _SENTENCE_END.finditer(head):
        best = match.end(1) if match.group(1) is not None else match.start()
    if best > 0:
        return head[:best].rstrip()
    # One sentence longer than the limit: cut at a word boundary, leave room for the ellipsis.
    head = text[:end]
    while head and utf16_len(head) > limit - 1:
        head = head[:-1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + "…"
