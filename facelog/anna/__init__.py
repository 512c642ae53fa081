"""Anna, Facelog's AI friend, outside the Telegram layer.

``Anna`` answers every request with text: through an OpenAI-compatible LLM when one is configured
(``AnnaConfig``), with the rule-based offline writer otherwise or when the LLM fails. The request
values carry no photo: only the emotion read from the face reaches Anna.
"""

from __future__ import annotations

from .llm import AnnaConfig, LLMClient, LLMError
from .offline import Draft, OfflineAnna, Sentence
from .prompt import Prompt, build_prompt, select_context, target_chars, temperature_for
from .service import Anna
from .text import TELEGRAM_LIMIT, estimate_tokens, fit_telegram
from .values import (
    AnnaReply,
    AnnaRequest,
    Attitude,
    ChatRequest,
    ChatTurn,
    CommentRequest,
    CorrectionRequest,
    GreetingRequest,
    History,
    Intensity,
    Kind,
    Language,
    Length,
    LetterRequest,
    Part,
    PastEntry,
    Profile,
)

__all__ = [
    "TELEGRAM_LIMIT",
    "Anna",
    "AnnaConfig",
    "AnnaReply",
    "AnnaRequest",
    "Attitude",
    "ChatRequest",
    "ChatTurn",
    "CommentRequest",
    "CorrectionRequest",
    "Draft",
    "GreetingRequest",
    "History",
    "Intensity",
    "Kind",
    "LLMClient",
    "LLMError",
    "Language",
    "Length",
    "LetterRequest",
    "OfflineAnna",
    "Part",
    "PastEntry",
    "Profile",
    "Prompt",
    "Sentence",
    "build_prompt",
    "estimate_tokens",
    "fit_telegram",
    "select_context",
    "target_chars",
    "temperature_for",
]
