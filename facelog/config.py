"""One ``Settings`` object, read from the environment (and ``.env``) once at start.

Names follow SPEC section 8; everything except the Telegram token has a working default, so a
fresh install runs offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DetectorName = Literal["seed", "dlib", "mtcnn"]
ClassifierName = Literal["ferplus", "fer", "keras"]


class Settings(BaseSettings):
    """Validated configuration; a wrong value stops the start with a message naming it."""

    model_config = SettingsConfigDict(
        env_prefix="FACELOG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    telegram_base_url: str | None = Field(
        default=None,
        description="Bot API base URL, e.g. http://127.0.0.1:8081/bot for a local Bot API server",
    )
    telegram_base_file_url: str | None = None
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Storage: the embedded nx-27017 server in data_dir unless a MongoDB URL is given.
    mongodb_uri: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MONGODB_URI", "FACELOG_MONGODB_URI")
    )
    mongodb_database: str = "facelog"
    chat_history_limit: int = Field(default=40, ge=2, le=1000)

    # Anna: any OpenAI-compatible endpoint; without a base URL the offline writer answers.
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_deadline_s: float = Field(default=60.0, gt=0)

    # Voice: ElevenLabs when a key is set, Piper/espeak-ng offline otherwise; Whisper listens.
    elevenlabs_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ELEVENLABS_API_KEY", "FACELOG_ELEVENLABS_API_KEY"),
    )
    elevenlabs_voice_id: str | None = None
    elevenlabs_model_id: str = "eleven_multilingual_v2"
    stt_engine: Literal["auto", "faster-whisper", "openai-whisper", "api"] = "auto"
    whisper_api_base_url: str | None = None
    whisper_api_key: SecretStr | None = None
    openai_whisper_checkpoint: Path | None = None
    max_voice_seconds: float = Field(default=120.0, gt=0, le=1200)

    # Face pipeline (inference/README.md explains the choices).
    detector: DetectorName = "dlib"
    detect_max_side: int = Field(default=640, ge=160, le=4096)
    classifier: ClassifierName = "ferplus"
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
