"""Text as it should be spoken: no emoji or markup, cut into sentence-sized chunks.

Engines read emoji aloud by name (espeak-ng says "smiling face with heart eyes") or choke on
them, and Anna's comments use them; markdown asterisks and URLs are noise in a voice. Chunks are
whole sentences so that synthesising them in parallel and joining the audio keeps natural pauses;
a sentence too long for one chunk is cut at a comma, then at a space.
"""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MARKUP = re.compile(r"[*_`~#>|\[\]{}<>]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?…;:。！？，、])")
# A sentence ends at . ! ? … (or their full-width forms) followed by space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*\s+|\n+")
_CLAUSE_END = re.compile(r"(?<=[,;:，、])\s+")
_SKIP_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf"}


def speakable(text: str) -> str:
    """``text`` without URLs, markup, emoji and other symbols, with single spaces.

    Line breaks are kept (they end sentences); letters, digits and punctuation of every script
    are kept.
    """
    text = _URL.sub(" ", unicodedata.normalize("NFC", text))
    text = _MARKUP.sub(" ", text)
    kept = [ch for ch in text if ch == "\n" or unicodedata.category(ch) not in _SKIP_CATEGORIES]
    lines = (
        _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", line)).strip()
        for line in "".join(kept).split("\n")
    )
    return "\n".join(line for line in lines if line)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order, stripped, empty ones dropped."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def _cut(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than ``max_chars`` cut at clause ends, then at spaces, then anywhere."""
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        words = clause.split(" ")
        current = ""
        for word in words:
            while len(word) > max_chars:
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(word[:max_chars])
                word = word[max_chars:]
            candidate = f"{current} {word}" if current else word
            if len(candidate) > max_chars:
                pieces.append(current)
                current = word
            else:
                current = candidate
        if current:
            pieces.append(current)
    return _merge([p for p in pieces if p.strip()], max_chars)


def _merge(parts: list[str], max_chars: int) -> list[str]:
    """Join neighbours while they fit in ``max_chars`` (fewer, fuller chunks)."""
    merged: list[str] = []
    for part in parts:
        if merged and len(merged[-1]) + 1 + len(part) <= max_chars:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def chunk_text(text: str, max_chars: int, *, min_chars: int = 0) -> list[str]:
    """Speakable chunks of at most ``max_chars``, cut at sentence ends where possible.

    A chunk keeps taking whole sentences while it is shorter than ``min_chars`` (a lone "Okay."
    is a poor unit of parallel work and sounds clipped on its own), and a short last sentence
    joins the one before; with ``min_chars == max_chars`` the chunks are as full as possible (one
    request per chunk for remote engines).
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    pieces: list[str] = []
    for sentence in split_sentences(speakable(text)):
        pieces.extend(_cut(sentence, max_chars))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) < min_chars and len(chunks[-1]) + 1 + len(piece) <= max_chars:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            chunks.append(piece)
    # A short last sentence joins the one before it rather than standing alone.
    if (
        len(chunks) > 1
        and len(chunks[-1]) < min_chars
        and len(chunks[-2]) + 1 + len(chunks[-1]) <= max_chars
    ):
        chunks[-2:] = [f"{chunks[-2]} {chunks[-1]}"]
    return chunks
