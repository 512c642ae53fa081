"""How Anna degrades: every fault is retried (bounded), then the offline writer answers.

Faults come from the fake server over real HTTP; retry delays are milliseconds so the whole file
runs in a few seconds. Where a test is about not waiting, it bounds its wall time by the wait it
must avoid (a 5 s slow answer, an hour's Retry-After), never by how fast this machine is: the
evidence of bounded retrying is the number of requests the server saw.
"""

from __future__ import annotations

import logging
import socket
import time
from datetime import date
from typing import Any

import pytest

from facelog.anna import Anna, AnnaConfig, AnnaReply, CommentRequest, History, Profile
from facelog.anna.llm import LLMClient, clean_answer
from facelog.retry import retry_after
from inference.labels import Emotion

from .fake_llm import (
    FakeLLM,
    fast_config,
    html,
    malformed,
    reply,
    slow,
    status,
    wrong_shape,
)

DIARY = "오늘 회사에서 발표를 망쳐서 너무 속상했어. 팀장님 표정이 계속 생각나."
GOOD_KO = "주성아, 발표 때문에 많이 속상했구나. " * 8  # ≈ 300 characters of Korean
#: Seconds a "slow" fake answer takes: a client that finishes sooner did not wait for it.
SLOW = 5.0


def _request() -> CommentRequest:
    return CommentRequest(
        profile=Profile(name="박주성"),
        emotion=Emotion.SADNESS,
        confidence=0.9,
        text=DIARY,
        day=date(2024, 6, 2),
        history=History(),
    )


async def _run(config: AnnaConfig) -> tuple[AnnaReply, float]:
    started = time.perf_counter()
    async with Anna(config) as anna:
        result = await anna.comment(_request())
    return result, time.perf_counter() - started


async def test_timeouts_are_retried_then_fall_back(fake_llm: FakeLLM) -> None:
    fake_llm.push(slow(SLOW), slow(SLOW), slow(SLOW))
    config = fast_config(fake_llm.base_url, timeout_s=0.3, max_retries=2)
    result, elapsed = await _run(config)
    assert result.source == "offline"
    assert result.fallback_reason == "timeout"
    assert result.attempts == 3
    assert len(fake_llm.bodies) == 3
    assert "주성" in result.text
    assert elapsed < SLOW  # no attempt waited for its slow answer


async def test_one_timeout_then_success(fake_llm: FakeLLM) -> None:
    fake_llm.push(slow(SLOW), reply(GOOD_KO))
    result, elapsed = await _run(fast_config(fake_llm.base_url, timeout_s=0.3))
    assert result.source == "llm"
    assert result.attempts == 2
    assert elapsed < SLOW  # the first attempt gave up instead of waiting for it


async def test_429_honours_retry_after(fake_llm: FakeLLM) -> None:
    fake_llm.push(status(429, **{"Retry-After": "0.4"}), reply(GOOD_KO))
    result, elapsed = await _run(fast_config(fake_llm.base_url))
    assert result.source == "llm"
    assert len(fake_llm.bodies) == 2
    assert elapsed >= 0.4  # the server's wait, not the 10 ms backoff


async def test_429_with_a_long_retry_after_falls_back_at_once(fake_llm: FakeLLM) -> None:
    fake_llm.push(status(429, **{"Retry-After": "3600"}))
    result, elapsed = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline"
    assert result.fallback_reason == "status-429-retry-after-too-long"
    assert len(fake_llm.bodies) == 1
    assert elapsed < 60  # not the hour the server asked for


async def test_429_without_retry_after_backs_off(fake_llm: FakeLLM) -> None:
    fake_llm.push(status(429), status(429), status(429))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline"
    assert result.fallback_reason == "status-429"
    assert len(fake_llm.bodies) == 3


@pytest.mark.parametrize("code", [500, 502, 503])
async def test_5xx_retried_then_fall_back(fake_llm: FakeLLM, code: int) -> None:
    fake_llm.push(status(code), status(code), status(code))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline"
    assert result.fallback_reason == f"status-{code}"
    assert len(fake_llm.bodies) == 3


async def test_500_then_success(fake_llm: FakeLLM) -> None:
    fake_llm.push(status(500), reply(GOOD_KO))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "llm"
    assert result.attempts == 2


@pytest.mark.parametrize("fault", [malformed, html, wrong_shape], ids=["json", "html", "shape"])
async def test_malformed_responses_retried_then_fall_back(fake_llm: FakeLLM, fault: object) -> None:
    fake_llm.push(fault(), fault(), fault())  # type: ignore[operator]
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline"
    assert result.fallback_reason == "malformed"
    assert len(fake_llm.bodies) == 3


async def test_malformed_then_success(fake_llm: FakeLLM) -> None:
    fake_llm.push(malformed(), reply(GOOD_KO))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "llm"


@pytest.mark.parametrize("code", [400, 401, 404])
async def test_client_errors_are_not_retried(fake_llm: FakeLLM, code: int) -> None:
    fake_llm.push(status(code))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline"
    assert result.fallback_reason == f"status-{code}"
    assert len(fake_llm.bodies) == 1  # not retried


async def test_connection_refused_falls_back() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result, _ = await _run(fast_config(f"http://127.0.0.1:{port}/v1"))
    assert result.source == "offline"
    assert result.fallback_reason == "connection"
    assert result.attempts == 3


async def test_deadline_bounds_everything(fake_llm: FakeLLM) -> None:
    fake_llm.push(*[slow(SLOW)] * 10)
    config = fast_config(fake_llm.base_url, timeout_s=0.3, max_retries=9, deadline_s=0.8)
    result, elapsed = await _run(config)
    assert result.source == "offline"
    assert len(fake_llm.bodies) <= 3  # 0.8 s hold at most three 0.3 s attempts, not ten
    assert elapsed < SLOW  # and no attempt waited for its slow answer


# --- answer checks: one corrective retry, then the fallback ------------------------------------


@pytest.mark.parametrize(
    ("bad", "problem", "hint"),
    [
        (None, "empty", "it was empty"),
        ("   ", "empty", "it was empty"),
        ("Hey Joo-sung, sorry about the presentation! " * 7, "language", "not written in Korean"),
        ("주성아, 힘내!", "too-short", "far too short"),
        ("주성아, 발표 때문에 많이 속상했구나. " * 40, "too-long", "far too long"),
    ],
    ids=["null", "blank", "english", "short", "long"],
)
async def test_bad_answer_gets_one_corrective_retry(
    fake_llm: FakeLLM, bad: str | None, problem: str, hint: str
) -> None:
    fake_llm.push(reply(bad), reply(GOOD_KO))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "llm"
    assert result.attempts == 2
    first, second = fake_llm.bodies
    assert second["messages"][:2] == first["messages"]
    correction = second["messages"][-1]
    assert correction["role"] == "user" and hint in correction["content"]
    assert "between 240 and 360 characters" in correction["content"]
    if bad and bad.strip():  # the rejected answer is shown so the model can fix it
        assert second["messages"][2] == {"role": "assistant", "content": bad.strip()}
    else:
        assert len(second["messages"]) == 3


@pytest.mark.parametrize(
    ("bad", "problem"),
    [(None, "empty"), ("Hello there, this is all English! " * 9, "language")],
    ids=["empty", "english"],
)
async def test_two_bad_answers_fall_back(fake_llm: FakeLLM, bad: str | None, problem: str) -> None:
    fake_llm.push(reply(bad), reply(bad))
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline"
    assert result.fallback_reason == f"bad-answer-{problem}"
    assert len(fake_llm.bodies) == 2


async def test_no_configuration_means_offline_without_network() -> None:
    async with Anna() as anna:
        result = await anna.comment(_request())
    assert result.source == "offline"
    assert result.fallback_reason is None and result.attempts == 0
    assert "주성" in result.text


async def test_authorization_header(fake_llm: FakeLLM) -> None:
    await _run(fast_config(fake_llm.base_url))
    await _run(fast_config(fake_llm.base_url, api_key=None))
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test"
    assert fake_llm.headers[1]["Authorization"] == "Bearer not-needed"


async def test_logs_carry_no_content(fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture) -> None:
    secret_answer = "주성아, 비밀스러운 답장이야. " * 17
    fake_llm.push(reply(secret_answer), status(500), status(500), status(500))
    caplog.set_level(logging.DEBUG)
    await _run(fast_config(fake_llm.base_url))  # llm answer
    await _run(fast_config(fake_llm.base_url))  # fallback
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "anna reply" in logged and "source=llm" in logged and "source=offline" in logged
    for fragment in ("발표를 망쳐서", "비밀스러운", "팀장님", "주성"):
        assert fragment not in logged


async def test_a_bug_in_the_llm_client_is_logged_with_its_traceback_and_no_diary_text(
    fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A programming error is not a fault of the server: the offline writer still answers, and
    the operator gets the traceback to fix it, with none of the person's words around it."""

    async def broken(*args: object, **kwargs: object) -> str:
        parts: Any = None  # the bug: parts were never filled in
        return "".join(parts)  # TypeError: can only join an iterable

    monkeypatch.setattr(LLMClient, "_request", broken)
    caplog.set_level(logging.DEBUG)
    result, _ = await _run(fast_config(fake_llm.base_url))
    assert result.source == "offline" and result.fallback_reason == "error-TypeError"
    [record] = [r for r in caplog.records if r.exc_info and r.exc_info[0] is TypeError]
    assert record.levelno == logging.ERROR
    formatted = logging.Formatter().format(record)
    assert "Traceback" in formatted and "in broken" in formatted  # where the bug is
    for fragment in ("발표를 망쳐서", "팀장님", "주성"):
        assert fragment not in record.getMessage()
        assert fragment not in formatted
        assert fragment not in caplog.text


def test_clean_answer_strips_wrappers() -> None:
    assert clean_answer("<think>plan it</think>\n댓글 내용: 와, 좋다!") == "와, 좋다!"
    assert clean_answer('"Hey Alex!"') == "Hey Alex!"
    assert clean_answer("Anna: hi") == "hi"


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None
