"""Configuration from the environment (prefix ``TANDEM_``); the defaults run everything locally."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "tandem"


# tandem.observability.logs: "auto" is text when stderr is a terminal, JSON lines otherwise.
LogFormat = Literal["auto", "json", "text"]
LogLevel = Literal["debug", "info", "warning", "error"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_")

    data_dir: Path = default_data_dir()
    database_url: str | None = None
    # PostgreSQL only: run in this schema (tests use one per run).
    database_schema: str | None = None
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "tandem"
    # Where people open the Temporal UI: its origin may call the payload codec endpoint (CORS).
    temporal_ui_url: str = "http://127.0.0.1:8233"
    # Workflow payloads are sealed with AES-GCM (tandem.usecases.payload_codec). Keys:
    # "id:base64key" entries, comma-separated, newest first; without them a key file in the
    # data folder is generated and used. Switching encryption off is for measuring its cost.
    payload_encryption: bool = True
    payload_keys: SecretStr | None = None
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Base of links sent to people (guest links); defaults to the API's own address.
    public_url: str | None = None
    # smtp://user:password@host:port or smtps://…; without it e-mails are written as .eml files.
    smtp_url: str | None = None
    mail_from: str = "Tandem <tandem@localhost>"
    # Signs guest links; generated once into the data folder when not given.
    secret_key: str | None = None
    # How long a web sign-in lasts before the person signs in again.
    web_session_days: int = 14
    # The largest request body outside uploads (413 past it; uploads: tandem.api.limits).
    max_json_body_bytes: int = 2**20
    # An API connection that has not sent a whole request head this long after connecting or
    # after its last response is closed: idle and slow clients cannot hoard file descriptors.
    client_idle_timeout_seconds: float = 30.0
    # How long the API waits for a workflow to confirm a change before answering 503.
    update_wait_seconds: float = 10.0
    # Connected calendars (tandem.calendars): the Fernet key sealing their passwords (a key
    # file in the data folder is generated when not given); networks a calendar server may be
    # in although private (comma-separated CIDRs: tests, on-premises servers); the most read.
    calendar_key: SecretStr | None = None
    calendar_allowed_networks: str = ""
    calendar_max_bytes: int = 5 * 2**20
    # How often a connected calendar is read again to follow its changes (K3).
    calendar_sync_seconds: int = Field(900, ge=5)
    # SPEC O2. Logs of `tandem worker` and `tandem api` (tandem.observability.logs).
    log_format: LogFormat = "auto"
    log_level: LogLevel = "info"
    # Where a worker serves Prometheus metrics (its own and the Temporal SDK's); 0 is off.
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = Field(0, ge=0, le=65535)

    @field_validator("worker_metrics_port", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return 0 if value in ("", None) else value

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tandem.db'}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    def signing_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
