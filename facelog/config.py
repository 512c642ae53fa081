"""One ``Settings`` object, read from the environment (and ``.env``) once at start.

Names follow SPEC section 8; everything except the Telegram token has a working default, so a
fresh install runs offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DetectorName = Literal["seed", "dlib", "mtcnn"]
ClassifierName = Literal["fer", "keras"]


class Settings(BaseSettings):
    """Validated configuration; a wrong value stops the start with a message naming it."""

    model_config = SettingsConfigDict(
        env_prefix="FACELOG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Face pipeline (inference/README.md explains the choices).
    detector: DetectorName = "dlib"
    detect_max_side: int = Field(default=640, ge=160, le=4096)
    classifier: ClassifierName = "fer"
    classifier_path: Path | None = None
    classifier_classes: tuple[str, ...] = ("anger", "happy", "panic", "sadness")
    classifier_value_range: Literal["0..1", "-1..1", "0..255"] = "0..1"
    classifier_crop: float = Field(default=1.0, gt=0.2, le=1.0)
    inference_workers: int = Field(default=2, ge=1, le=64)
    max_batch: int = Field(default=32, ge=1, le=1024)
    batch_wait_ms: float = Field(default=4.0, ge=0.0, le=1000.0)

    @field_validator("classifier_classes", mode="before")
    @classmethod
    def _split_classes(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
