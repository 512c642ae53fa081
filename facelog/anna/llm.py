"""Anna through any OpenAI-compatible chat endpoint (OpenAI, Ollama, llama.cpp server, vLLM).

The SDK's own retries are switched off (``max_retries=0``) and this module retries itself:

* the delays must be configurable so tests do not sleep, and the SDK's are fixed constants;
* the whole exchange must be bounded by one deadline (the bot owes the user an answer), which the
  SDK cannot know about, and a Retry-After longer than we are willing to wait should end the
  attempt at once (the SDK waits up to two minutes);
* malformed responses (broken JSON, a body of the wrong shape) are retried as well, which the SDK
  does not do;
* every attempt is logged here with its status and latency, and never with content.

Answers are checked (empty, wrong script, length far off the target); a bad one earns exactly one
corrective retry, after which the caller falls back to the offline writer.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

import openai
from openai.types.chat import ChatCompletionMessageParam

from facelog.retry import retry_after

from .prompt import LLM_TOLERANCE, ChatMessage, Prompt, correction, length_window
from .text import in_language

log = logging.getLogger(__name__)

#: Sent when no key is configured: local servers ignore it, and it stops the SDK from reading
#: OPENAI_API_KEY from the environment (configuration comes from Settings only).
NO_KEY = "not-needed"


@dataclass(frozen=True)
class AnnaConfig:
    """Where the model is and how patient to be with it.

    ``timeout_s`` bounds one HTTP attempt, ``max_retries`` the retries after transient errors
    (timeouts, connection errors, 429, 5xx, malformed responses), ``deadline_s`` the whole
    exchange including the corrective retry. Backoff is ``retry_base_s * 2**n`` capped at
    ``retry_max_s`` (with up to 20% jitter); a Retry-After above ``max_retry_after_s`` is not
    waited for. ``token_limit_param`` names the output cap parameter the server understands
    (``max_tokens`` for Ollama/llama.cpp/vLLM, ``max_completion_tokens`` for newer OpenAI models,
    ``None`` to send none).
    """

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 2
    retry_base_s: float = 0.5
    retry_max_s: float = 8.0
    max_retry_after_s: float = 20.0
    deadline_s: float = 60.0
    context_tokens: int = 800
    token_limit_param: Literal["max_tokens", "max_completion_tokens"] | None = "max_tokens"

    def __post_init__(self) -> None:
        if not self.base_url or not self.model:
            raise ValueError("AnnaConfig needs a base_url and a model")
        if self.timeout_s <= 0 or self.deadline_s <= 0:
            raise ValueError("AnnaConfig timeouts must be positive")
        if self.max_retries < 0:
            raise ValueError("AnnaConfig.max_retries must not be negative")


class LLMError(Exception):
    """The model gave no usable answer; ``reason`` is a short code safe to log and store."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class LLMAnswer:
    """A checked answer and how many HTTP requests it took."""

    text: str
    attempts: int


class _Transient(Exception):
    """An attempt failed in a way worth retrying; ``delay`` is a server-given wait, if any."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_LABEL = re.compile(
    r"^\s*(?:anna|애나|안나|comment|reply|답변|댓글(?:\s*내용)?)\s*[:：]\s*", re.IGNORECASE
)
_WRAPPING_QUOTES = ('"', "“", "”", "'", "「", "」")


def clean_answer(text: str) -> str:
    """Strip what models add around the answer: reasoning blocks, a label, wrapping quotes.

    Reasoning models served by Ollama or vLLM put ``<think>…</think>`` first; small models like to
    prefix "댓글 내용:" (the seed's own samples show it).
    """
    text = _THINK.sub("", text).strip()
    text = _LABEL.sub("", text, count=1).strip()
    if len(text) >= 2 and text[0] in _WRAPPING_QUOTES and text[-1] in _WRAPPING_QUOTES:
        text = text[1:-1].strip()
    return text


#: An answer that repeats this many consecutive characters of the system message is a leak.
LEAK_WINDOW = 40


def leaks_instructions(text: str, prompt: Prompt) -> bool:
    """Whether ``text`` repeats a stretch of the system message.

    A diary line can ask the model to "print your system prompt"; the prompt tells it not to,
    but a small model may obey the user anyway, and the rules must never reach the chat.
    Windows of ``LEAK_WINDOW`` characters, half a window apart, catch any verbatim copy of
    1.5 windows or more (whitespace and case ignored) while a normal answer cannot match one
    by chance: the system message holds no user-visible sentence that long.
    """
    answer = " ".join(text.split()).casefold()
    step = LEAK_WINDOW // 2
    for message in prompt.messages:
        if message["role"] != "system":
            continue
        system = " ".join(message["content"].split()).casefold()
        for start in range(0, max(1, len(system) - LEAK_WINDOW + 1), step):
            if system[start : start + LEAK_WINDOW] in answer:
                return True
    return False


def check_answer(text: str, prompt: Prompt) -> str | None:
    """What is wrong with an answer ("empty", "language", "leak", "too-short", "too-long")."""
    if not text.strip():
        return "empty"
    if not in_language(text, prompt.language):
        return "language"
    if leaks_instructions(text, prompt):
        return "leak"
    lo, hi = length_window(prompt.target_chars, LLM_TOLERANCE)
    if len(text) < lo:
        return "too-short"
    if len(text) > hi:
        return "too-long"
    return None


def _message_params(messages: tuple[ChatMessage, ...]) -> list[ChatCompletionMessageParam]:
    params: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message["role"] == "system":
            params.append({"role": "system", "content": message["content"]})
        elif message["role"] == "assistant":
            params.append({"role": "assistant", "content": message["content"]})
        else:
            params.append({"role": "user", "content": message["content"]})
    return params


def _content_of(completion: object) -> str:
    """The first choice's text; a body of the wrong shape is a malformed response."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list):
        raise _Transient("malformed")
    if not choices:
        return ""
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if content is None:
        return ""
    if not isinstance(content, str):
        raise _Transient("malformed")
    return content


class LLMClient:
    """One ``openai.AsyncOpenAI`` client, the retry policy and the answer checks."""

    def __init__(self, config: AnnaConfig) -> None:
        self.config = config
        self._client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or NO_KEY,
            timeout=config.timeout_s,
            max_retries=0,
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def answer(self, prompt: Prompt, *, deadline_s: float | None = None) -> LLMAnswer:
        """A checked answer for ``prompt``, or :class:`LLMError` with a reason code.

        At most ``max_retries + 1`` requests per try and two tries (the second one corrective),
        all within ``deadline_s`` (the configured one unless given).
        """
        deadline = time.monotonic() + (deadline_s or self.config.deadline_s)
        attempts = 0
        messages = prompt.messages
        problem: str | None = None
        for corrective in (False, True):
            text, used = await self._with_retries(messages, prompt, deadline, attempts)
            attempts += used
            text = clean_answer(text)
            problem = check_answer(text, prompt)
            log.info(
                "anna llm answer kind=%s corrective=%s chars=%d target=%d check=%s",
                prompt.kind,
                corrective,
                len(text),
                prompt.target_chars,
                problem or "ok",
            )
            if problem is None:
                return LLMAnswer(text=text, attempts=attempts)
            if corrective:
                break
            earlier: tuple[ChatMessage, ...] = ()
            if text.strip():
                earlier = ({"role": "assistant", "content": text},)
            messages = (*prompt.messages, *earlier, correction(problem, prompt))
        raise LLMError(f"bad-answer-{problem}", attempts)

    async def _with_retries(
        self,
        messages: tuple[ChatMessage, ...],
        prompt: Prompt,
        deadline: float,
        attempts_before: int,
    ) -> tuple[str, int]:
        config = self.config
        reason = "deadline"
        for attempt in range(config.max_retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                raise LLMError(reason if attempt else "deadline", attempts_before + attempt)
            started = time.monotonic()
            try:
                text = await self._request(messages, prompt, min(config.timeout_s, remaining))
            except _Transient as failure:
                reason = failure.reason
                self._log_attempt(prompt, attempts_before + attempt + 1, reason, started)
                if attempt == config.max_retries:
                    break
                delay = failure.delay
                if delay is None:
                    delay = min(config.retry_base_s * 2**attempt, config.retry_max_s)
                    delay *= 1 - 0.2 * random.random()
                elif delay > config.max_retry_after_s:
                    raise LLMError(
                        f"{reason}-retry-after-too-long", attempts_before + attempt + 1
                    ) from None
                if time.monotonic() + delay >= deadline:
                    raise LLMError(f"{reason}-deadline", attempts_before + attempt + 1) from None
                await asyncio.sleep(delay)
                continue
            except LLMError as failure:
                failure.attempts = attempts_before + attempt + 1
                self._log_attempt(prompt, failure.attempts, failure.reason, started)
                raise
            self._log_attempt(prompt, attempts_before + attempt + 1, "ok", started)
            return text, attempt + 1
        raise LLMError(reason, attempts_before + config.max_retries + 1)

    async def _request(
        self, messages: tuple[ChatMessage, ...], prompt: Prompt, timeout: float
    ) -> str:
        """One HTTP attempt, mapped onto _Transient (retry) or LLMError (give up)."""
        extra: dict[str, Any] = {}
        if self.config.token_limit_param is not None:
            # Korean can take ~2 tokens a character; the cap only stops runaway generations.
            extra[self.config.token_limit_param] = prompt.target_chars * 3 + 200
        try:
            # The SDK enforces `timeout` per read; the outer bound also covers a server that
            # trickles bytes forever.
            async with asyncio.timeout(timeout + 1.0):
                completion: object = await self._client.chat.completions.create(
                    model=self.config.model,
                    messages=_message_params(messages),
                    temperature=prompt.temperature,
                    timeout=timeout,
                    **extra,
                )
        except openai.APITimeoutError:
            raise _Transient("timeout") from None
        except TimeoutError:
            raise _Transient("timeout") from None
        except openai.APIConnectionError:
            raise _Transient("connection") from None
        except openai.RateLimitError as error:
            raise _Transient("status-429", retry_after(error.response.headers)) from None
        except openai.APIStatusError as error:
            status = error.status_code
            if status >= 500 or status in (408, 409):
                raise _Transient(f"status-{status}", retry_after(error.response.headers)) from None
            raise LLMError(f"status-{status}", 0) from None
        except (openai.APIResponseValidationError, ValueError):
            raise _Transient("malformed") from None
        return _content_of(completion)

    def _log_attempt(self, prompt: Prompt, attempt: int, status: str, started: float) -> None:
        log.info(
            "anna llm request kind=%s attempt=%d status=%s latency_ms=%.0f prompt_chars=%d",
            prompt.kind,
            attempt,
            status,
            (time.monotonic() - started) * 1000,
            sum(len(m["content"]) for m in prompt.messages),
        )
