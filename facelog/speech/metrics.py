"""Character error rate, as used to measure STT (and TTS intelligibility through STT).

CER is the Levenshtein distance between reference and hypothesis characters divided by the
reference length. Case, spaces and punctuation are removed first: Korean spacing (띄어쓰기) and
Whisper's punctuation vary without changing what was said.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_for_cer(text: str) -> str:
    """Lower-cased letters and digits only, NFC (so Hangul syllables compare whole)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFC", text).casefold())


def edit_distance(reference: str, hypothesis: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_char in enumerate(reference, start=1):
        current = [i]
        for j, hyp_char in enumerate(hypothesis, start=1):
            current.append(
                min(
                    previous[j] + 1,
                    current[j - 1] + 1,
                    previous[j - 1] + (ref_char != hyp_char),
                )
            )
        previous = current
    return previous[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """CER of ``hypothesis`` against ``reference`` after normalisation (1.0+ for garbage)."""
    ref = normalize_for_cer(reference)
    hyp = normalize_for_cer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
