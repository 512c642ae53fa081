"""``Anna``: the one object the diary service, the bot and the scheduler talk to.

She asks the configured LLM and falls back to the offline writer whenever it cannot give a usable
answer, so every call returns text: the bot never stays silent because a model is down (SPEC
section 1). Without a configuration she is the offline writer alone.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Literal

from .llm import AnnaConfig, LLMAnswer, LLMClient, LLMError
from .offline import OfflineAnna
from .prompt import build_prompt
from .text import fit_telegram
from .values import (
    AnnaReply,
    AnnaRequest,
    ChatRequest,
    CommentRequest,
    GreetingRequest,
    LetterRequest,
)

log = logging.getLogger(__name__)


class Anna:
    """Writes Anna's comments, greetings, chat answers and monthly letters.

    ``config`` None means offline only (no network, no key). The LLM client is created here and
    closed by :meth:`aclose` (or ``async with``); it opens no connection until the first call.
    """

    def __init__(self, config: AnnaConfig | None = None) -> None:
        self.config = config
        self.offline = OfflineAnna()
        self._llm = LLMClient(config) if config is not None else None

    async def __aenter__(self) -> Anna:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release the LLM client's connections."""
        if self._llm is not None:
            await self._llm.aclose()

    async def comment(self, request: CommentRequest) -> AnnaReply:
        """A friend's comment on the day's post."""
        return await self.reply(request)

    async def greeting(self, request: GreetingRequest) -> AnnaReply:
        """A greeting for a photo without a caption: reflects the face, asks about the day."""
        return await self.reply(request)

    async def chat(self, request: ChatRequest) -> AnnaReply:
        """An answer in the realtime chat (typed text or a transcribed voice note)."""
        return await self.reply(request)

    async def letter(self, request: LetterRequest) -> AnnaReply:
        """The monthly letter that comes with the summary."""
        return await self.reply(request)

    async def reply(self, request: AnnaRequest) -> AnnaReply:
        """Any kind of request: the LLM when configured and usable, the offline writer otherwise.

        Only sizes, status codes and timings are logged, never the diary text or the answer.
        """
        started = time.perf_counter()
        reason: str | None = None
        attempts = 0
        if self._llm is not None:
            answer, reason, attempts = await self._ask(request, None)
            if answer is not None:
                return self._done(request, answer.text, "llm", answer.attempts, None, started)
            log.warning(
                "anna falls back to the offline writer kind=%s reason=%s attempts=%d",
                request.kind,
                reason,
                attempts,
            )
        text = self.offline.write(request)
        return self._done(request, text, "offline", attempts, reason, started)

    async def attempt(
        self, request: AnnaRequest, *, deadline_s: float | None = None
    ) -> AnnaReply | None:
        """One try at the LLM's answer, without the offline fallback: None when it gave none.

        For callers that would rather wait and try again later than settle for the offline
        writer at once (a post's comment, see ``facelog.followups``). Without an LLM configured
        the offline writer is the answer, so this never returns None then.
        """
        started = time.perf_counter()
        if self._llm is None:
            return self._done(request, self.offline.write(request), "offline", 0, None, started)
        answer, reason, attempts = await self._ask(request, deadline_s)
        if answer is None:
            log.warning(
                "anna llm gave no answer kind=%s reason=%s attempts=%d",
                request.kind,
                reason,
                attempts,
            )
            return None
        return self._done(request, answer.text, "llm", answer.attempts, None, started)

    def offline_reply(self, request: AnnaRequest, reason: str | None = None) -> AnnaReply:
        """The offline writer's answer (after the LLM's retry budget is spent)."""
        started = time.perf_counter()
        return self._done(request, self.offline.write(request), "offline", 0, reason, started)

    async def _ask(
        self, request: AnnaRequest, deadline_s: float | None
    ) -> tuple[LLMAnswer | None, str | None, int]:
        """The LLM's checked answer, or None with the reason code and the attempts it took."""
        assert self._llm is not None
        prompt = build_prompt(request, context_tokens=self._llm.config.context_tokens)
        try:
            return await self._llm.answer(prompt, deadline_s=deadline_s), None, 0
        except LLMError as error:
            return None, error.reason, error.attempts
        except Exception as error:  # a bug must degrade the reply, not lose it
            # A bug is fixed from its traceback. The message and its arguments name only the
            # kind of request, never its text (the traceback shows code, not local variables).
            log.error("anna's llm client raised unexpectedly kind=%s", request.kind, exc_info=error)
            return None, f"error-{type(error).__name__}", 0

    @staticmethod
    def _done(
        request: AnnaRequest,
        text: str,
        source: Literal["llm", "offline"],
        attempts: int,
        reason: str | None,
        started: float,
    ) -> AnnaReply:
        latency_ms = (time.perf_counter() - started) * 1000
        text = fit_telegram(text)
        log.info(
            "anna reply kind=%s source=%s chars=%d attempts=%d latency_ms=%.1f",
            request.kind,
            source,
            len(text),
            attempts,
            latency_ms,
        )
        return AnnaReply(
            text=text,
            source=source,
            attempts=attempts,
            fallback_reason=reason,
            latency_ms=latency_ms,
        )
