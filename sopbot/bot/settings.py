"""The one typed Settings object, read from the environment and `.env` at the entry point.

Nothing below the composition root reads the environment: settings are passed down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sopbot.delivery.flood import FloodLimits
from sopbot.storage.audit_key import AuditKey

# The seed definitions shipped inside the wheel (see pyproject.toml), for installs that are not
# run from a checkout.
BUNDLED_SOP_DIR = Path(__file__).resolve().parent.parent / "bundled_sop_defs"
# An editable install (a checkout) keeps them beside the package instead.
CHECKOUT_SOP_DIR = Path(__file__).resolve().parents[2] / "sop_defs"


class Settings(BaseSettings):
    """sopbot's configuration; every field is documented in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    sop_dir: Path | None = Field(
        default=None,
        validation_alias="SOPBOT_SOP_DIR",
        description="Folder of SOP definitions, one folder per agency.",
    )
    database_url: str = Field(
        default="sqlite:///var/sopbot.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL: a SQLite file (default) or postgresql+psycopg://...",
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias="TELEGRAM_BOT_TOKEN",
        description="The bot's token from @BotFather; never logged.",
    )
    telegram_bot_username: str | None = Field(
        default=None,
        validation_alias="TELEGRAM_BOT_USERNAME",
        description="The bot's @username, for invitation links printed by the CLI.",
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org",
        validation_alias="TELEGRAM_API_BASE_URL",
        description="Bot API server (a local Bot API server, or the emulator); its address "
        "only, without /bot.",
    )
    webhook_url: str | None = Field(
        default=None,
        validation_alias="WEBHOOK_URL",
        description="Public HTTPS URL for webhook mode; polling when unset.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias="WEBHOOK_SECRET",
        description="Secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token: 32-256 "
        "letters, digits, '_' and '-' (checked by `sopbot run`).",
    )
    webhook_listen: str = Field(default="127.0.0.1", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, validation_alias="WEBHOOK_PORT")
    documents_dir: Path = Field(
        default=Path("var/documents"),
        validation_alias="SOPBOT_DOCUMENTS_DIR",
        description="Folder of the document store (uploaded step outputs).",
    )
    flood_per_second: float = Field(
        default=FloodLimits().overall_per_second,
        validation_alias="SOPBOT_FLOOD_PER_SECOND",
        description="Messages a second overall (Telegram allows 30; keep the default there).",
    )
    flood_per_chat_per_second: float = Field(
        default=1.0,
        validation_alias="SOPBOT_FLOOD_PER_CHAT_PER_SECOND",
        description="Messages a second to one private chat (Telegram: about 1).",
    )
    inbound_burst: float = Field(
        default=30.0,  # InboundLimits' own default (a test keeps them equal)
        gt=0,
        validation_alias="SOPBOT_INBOUND_BURST",
        description="Updates one person may send at once before the bot asks them to slow down.",
    )
    inbound_per_second: float = Field(
        default=1.0,  # likewise
        gt=0,
        validation_alias="SOPBOT_INBOUND_PER_SECOND",
        description="Updates a second one person may send after that burst.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="SOPBOT_LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias="SOPBOT_LOG_FORMAT",
        description="text (readable lines) or json (one JSON object a line, for a collector).",
    )
    health_listen: str = Field(
        default="127.0.0.1",
        validation_alias="SOPBOT_HEALTH_LISTEN",
        description="Address of the health and metrics server (/healthz, /readyz, /metrics).",
    )
    health_port: int = Field(
        default=9180,
        ge=0,
        le=65535,
        validation_alias="SOPBOT_HEALTH_PORT",
        description="Port of the health and metrics server; 0: no such server.",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        validation_alias="SOPBOT_AUDIT_KEY",
        description="The secret that keys the audit trail's hash chains; kept out of the "
        "database, never changed.",
    )
    audit_anchor_file: Path = Field(
        default=Path("var/audit-anchors.jsonl"),
        validation_alias="SOPBOT_AUDIT_ANCHOR_FILE",
        description="File the daily anchors of the audit trail are appended to (keep it "
        "outside the database's reach).",
    )

    def checked_audit_key(self) -> AuditKey:
        """The audit key; InvalidAuditKey, saying what to do, when it is unset or unusable."""
        return AuditKey.from_text(
            None if self.audit_key is None else self.audit_key.get_secret_value()
        )

    def definitions_dir(self) -> Path:
        """The configured folder, else ./sop_defs, else the seeds shipped with sopbot."""
        if self.sop_dir is not None:
            return self.sop_dir
        local = Path("sop_defs")
        if local.is_dir():
            return local
        if BUNDLED_SOP_DIR.is_dir():
            return BUNDLED_SOP_DIR
        return CHECKOUT_SOP_DIR
