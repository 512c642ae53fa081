"""JSON logs for collectors, and the metrics the scheduler reports into."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from facelog.logs import CAPPED, configure_logging
from facelog.metrics import Metrics


@pytest.fixture
def json_stream() -> Iterator[io.StringIO]:
    """A plain stream handler on the root logger, as basicConfig makes one, then JSON logging."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ["", *CAPPED]}
    root.addHandler(handler)
    configure_logging("DEBUG", "json")
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_json_logs_are_one_object_per_line(json_stream: io.StringIO) -> None:
    log = logging.getLogger("facelog.test")
    log.info("post stored bytes=%d", 1234)
    try:
        raise TimeoutError("the LLM took too long")
    except TimeoutError:
        log.warning("anna falls back", exc_info=True)
    first, second = (json.loads(line) for line in json_stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "facelog.test"
    assert first["message"] == "post stored bytes=1234" and first["time"].endswith("+00:00")
    assert second["error"] == "TimeoutError" and "Traceback" in second["traceback"]


def test_json_logs_keep_the_caps_on_chatty_libraries(json_stream: io.StringIO) -> None:
    # httpx logs request URLs at INFO, and Telegram's carry the bot token.
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123:SECRET/x")
    assert "SECRET" not in json_stream.getvalue()


def test_scheduler_counters_show_up_in_the_exposition() -> None:
    metrics = Metrics(process=False)
    metrics.scheduler_run("reminders", "ok")
    metrics.scheduler_run("reminders", "ok")
    metrics.scheduler_sent("reminders", 3)
    text = metrics.render().decode()
    assert 'facelog_scheduler_runs_total{job="reminders",outcome="ok"} 2.0' in text
    assert 'facelog_scheduler_messages_total{job="reminders"} 3.0' in text
    assert "process_resident_memory_bytes" not in text  # process=False: only our own numbers
