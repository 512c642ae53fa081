"""One ``Settings`` object, read from the environment (and ``.env``) once at start.

Names follow SPEC section 8; everything except the Telegram token has a working default, so a
fresh install runs offline.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DetectorName = Literal["seed", "dlib", "mtcnn"]
ClassifierName = Literal["realface", "lite0", "ferplus", "fer", "keras"]


class Settings(BaseSettings):
    """Validated configuration; a wrong value stops the start with a message naming it."""

    model_config = SettingsConfigDict(
        env_prefix="FACELOG_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # A refused value is never echoed: it may be a token or an encryption key.
        hide_input_in_errors=True,
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
    # A post is answered within this many seconds whatever the LLM does; a late comment follows
    # as a reply (up to llm_followup_retries more tries, llm_followup_delay_s apart and doubling),
    # and entries of the last llm_followup_window_h hours left without one are finished at start.
    llm_first_answer_s: float = Field(default=12.0, gt=0, le=600)
    llm_followup_retries: int = Field(default=3, ge=0, le=20)
    llm_followup_delay_s: float = Field(default=20.0, ge=0, le=3600)
    llm_followup_window_h: float = Field(default=24.0, ge=0, le=24 * 30)

    # Voice: ElevenLabs when a key is set, Piper (English) offline otherwise; Whisper listens.
    elevenlabs_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ELEVENLABS_API_KEY", "FACELOG_ELEVENLABS_API_KEY"),
    )
    elevenlabs_voice_id: str | None = None
    elevenlabs_model_id: str = "eleven_multilingual_v2"
    # Korean without ElevenLabs: "none" answers in text only, because espeak-ng's Korean cannot be
    # understood (Whisper hears gibberish); "espeak" sends that robotic voice anyway.
    korean_offline_voice: Literal["none", "espeak"] = "none"
    stt_engine: Literal["auto", "faster-whisper", "openai-whisper", "api"] = "auto"
    whisper_api_base_url: str | None = None
    whisper_api_key: SecretStr | None = None
    openai_whisper_checkpoint: Path | None = None
    max_voice_seconds: float = Field(default=120.0, gt=0, le=1200)

    # Face pipeline (inference/README.md explains the choices).
    detector: DetectorName = "dlib"
    detect_max_side: int = Field(default=640, ge=160, le=4096)
    classifier: ClassifierName = "realface"
    # FER+ model runtime: auto = LiteRT (int8 weights) on CPU, Keras/TensorFlow on a GPU.
    classifier_runtime: Literal["auto", "keras", "tflite"] = "auto"
    classifier_path: Path | None = None
    # NoDecode: the environment gives "anger,happy,…", not JSON (the validator below splits it).
    classifier_classes: Annotated[tuple[str, ...], NoDecode] = (
        "anger",
        "happy",
        "panic",
        "sadness",
    )
    classifier_value_range: Literal["0..1", "-1..1", "0..255"] = "0..1"
    classifier_crop: float = Field(default=1.0, gt=0.2, le=1.0)
    inference_workers: int = Field(default=2, ge=1, le=64)
    max_batch: int = Field(default=32, ge=1, le=1024)
    batch_wait_ms: float = Field(default=4.0, ge=0.0, le=1000.0)

    # Learning from corrections: a per-language community prior under each person's own bias
    # (docs/security.md says what it is). "off" keeps only the personal calibration.
    community_prior: Literal["on", "off"] = "on"

    # Scheduler (daily reminders, monthly summaries): every instance ticks, one leads (a lease).
    scheduler_enabled: bool = True
    scheduler_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    # Processes drawing the monthly charts (≈50 ms of CPU each) while the summaries go out.
    chart_workers: int = Field(default=2, ge=1, le=64)

    # Deployment (docs/deploy.md). A webhook URL switches `facelog run` from polling to webhooks;
    # every replica behind the load balancer needs the same URL and secret.
    webhook_url: str | None = Field(default=None, pattern=r"^https://")
    webhook_secret: SecretStr | None = None
    listen_host: str = "0.0.0.0"  # where the webhook (or, in polling mode, metrics) server binds
    listen_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # polling mode: off unless set
    log_format: Literal["text", "json"] = "text"
    # Comma-separated inference workers (`facelog serve-inference`); empty: in-process pipeline.
    inference_url: str | None = None
    inference_timeout_s: float = Field(default=30.0, gt=0, le=600)

    @field_validator("webhook_url", "inference_url", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """compose passes ``${VAR:-}`` through as an empty string: that means "not set"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _check_secret(cls, value: object) -> object:
        if isinstance(value, str) and not value:
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text):
            # Telegram's own rule for secret_token; the value itself is never echoed.
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    # Privacy and abuse limits (docs/security.md).
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="Fernet keys, newest first (NEW,OLD); photos, voice and text sealed at rest",
    )
    allowed_users: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), description="Telegram user ids allowed to use the bot; empty = all"
    )
    posts_per_hour: int = Field(default=20, ge=0, description="per user; 0 = no limit")
    messages_per_minute: int = Field(default=60, ge=0, description="per user; 0 = no limit")

    @field_validator("encryption_keys")
    @classmethod
    def _check_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from storage.crypto import parse_keys  # only when a key is set: keeps --help instant

        parse_keys(value.get_secret_value())  # InvalidKeys names the position, never the key
        return value

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(" ", "").split(",") if part]
            if not all(part.isdigit() for part in parts):
                raise ValueError("comma-separated Telegram user ids, e.g. 12345,67890")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("classifier_classes", mode="before")
    @classmethod
    def _split_classes(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    # Backups (docs/deploy.md): the scheduler's leader writes one every ``backup_every`` into
    # ``backup_dir`` (default DATA/backups) and keeps the newest ``backup_keep``. "0" turns the
    # scheduled backups off; `facelog backup` still works.
    backup_every: timedelta = Field(default=timedelta(hours=24))
    backup_dir: Path | None = None
    backup_keep: int = Field(default=7, ge=1, le=1000)

    @field_validator("backup_every", mode="before")
    @classmethod
    def _parse_every(cls, value: object) -> object:
        """``24h``, ``90m``, ``1d``, ``3600s``, or a bare number of hours."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return timedelta(hours=value)
        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", text)
        if match is None:
            raise ValueError("a duration such as 24h, 90m, 1d or 3600s")
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "": "hours"}
        return timedelta(**{unit[match.group(2)]: float(match.group(1))})

    @property
    def backups_path(self) -> Path:
        """Where backups go: ``FACELOG_BACKUP_DIR``, or ``DATA/backups``."""
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"
