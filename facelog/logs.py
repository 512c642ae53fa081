"""Logging that never carries a diary line, a photo or a token.

Facelog's own modules log sizes, kinds and timings only. Libraries are noisier: httpx logs every
request URL (Telegram's contain the bot token), python-telegram-bot logs message parameters at
DEBUG and PyMongo logs whole commands (diary text included) at DEBUG. Those loggers are capped
here whatever level the operator chooses.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

#: Library loggers and the most verbose level they may use.
CAPPED: dict[str, int] = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "pymongo": logging.WARNING,
    "telegram": logging.INFO,
    "openai": logging.WARNING,
    "elevenlabs": logging.WARNING,
    "faster_whisper": logging.WARNING,
    "piper": logging.WARNING,
    "aiohttp.access": logging.WARNING,
}


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log collectors (``FACELOG_LOG_FORMAT=json``).

    Carries exactly what the text format carries (time, level, logger, message, traceback):
    the rule that messages hold sizes, kinds and timings only is the callers', not the format's.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str | int = "INFO", fmt: Literal["text", "json"] = "text") -> None:
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    logging.basicConfig(format=TEXT_FORMAT)
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # basicConfig's, not a test's capture handler
            handler.setFormatter(formatter)
    logging.getLogger().setLevel(numeric)
    for name, cap in CAPPED.items():
        logging.getLogger(name).setLevel(max(int(numeric), cap))
