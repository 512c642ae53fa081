"""Logging that never carries a diary line, a photo or a token.

Facelog's own modules log sizes, kinds and timings only. Libraries are noisier: httpx logs every
request URL (Telegram's contain the bot token), python-telegram-bot logs message parameters at
DEBUG and PyMongo logs whole commands (diary text included) at DEBUG. Those loggers are capped
here whatever level the operator chooses.
"""

from __future__ import annotations

import logging

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


def configure_logging(level: str | int = "INFO") -> None:
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(numeric)
    for name, cap in CAPPED.items():
        logging.getLogger(name).setLevel(max(int(numeric), cap))
