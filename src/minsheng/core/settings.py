"""One settings class for the whole platform; every field is documented in docs/settings.md."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """Configuration read from ``MINSHENG_*`` environment variables (and an optional ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="MINSHENG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Directory for the SQLite database, uploaded files, models and other local state.",
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL of the database. Empty means a SQLite file `minsheng.db` under the data "
            "directory; use `postgresql+psycopg://user@host/db` for PostgreSQL."
        ),
    )
    secret_key: str = Field(
        default="",
        description=(
            "Key that signs session cookies and CSRF tokens. Empty means a random key generated once "
            "and kept in `secret_key` under the data directory."
        ),
    )
    jurisdiction_code: str = Field(
        default="371500",
        description=(
            "GB/T 2260 code of the jurisdiction root (province, city or county) whose regions are loaded."
        ),
    )
    default_locale: str = Field(
        default="zh", description="Interface language when the user chose none: `zh` or `en`."
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="Time zone in which times are shown and schedules run."
    )
    session_max_age: int = Field(
        default=8 * 3600, description="Seconds a login session lasts without activity."
    )
    cookie_secure: bool = Field(
        default=False, description="Mark cookies Secure (set to true when served over HTTPS)."
    )
    forwarded_allow_ips: str = Field(
        default="",
        description=(
            "Comma-separated addresses of trusted reverse proxies whose X-Forwarded-For/-Proto headers "
            "give the client address (for rate limits and the audit log); empty trusts none."
        ),
    )
    login_max_failures: int = Field(
        default=5,
        description="Failed logins for one account within the lockout window that lock the account.",
    )
    login_lockout_minutes: int = Field(
        default=15, description="Minutes an account stays locked after too many failed logins."
    )
    login_rate_limit: str = Field(
        default="20/minute",
        description="Login attempts allowed per client IP (limits notation, e.g. `20/minute`).",
    )
    public_rate_limit: str = Field(
        default="30/minute", description="Requests allowed per client IP on public (no login) endpoints."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Storage for rate-limit counters; `memory://` per process or `redis://host:6379` shared.",
    )
    max_body_mb: int = Field(
        default=20, description="Largest request body accepted, in megabytes (uploads included)."
    )
    password_min_length: int = Field(default=10, description="Minimum length of a user password.")
    api_token_days: int = Field(default=365, description="Default lifetime in days of a new API token.")
    api_token_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description=(
            "Seconds a server process reuses an API token it has checked; a token revoked or a user disabled "
            "in another process (a second worker, the command line) is refused after at most this long, in "
            "the same process at once. 0 checks the database on every request."
        ),
    )
    jobs_inprocess: bool = Field(
        default=True,
        description=(
            "On SQLite, run background jobs inside `minsheng serve` "
            "(a separate `minsheng worker` also works)."
        ),
    )
    jobs_concurrency: int = Field(default=1, description="Jobs a worker process runs at once.")
    jobs_poll_seconds: float = Field(
        default=1.0, description="Seconds between queue polls of an idle worker."
    )
    jobs_stalled_seconds: int = Field(
        default=60,
        description=(
            "Seconds without a heartbeat after which a running job is considered abandoned and retried."
        ),
    )
    jobs_retention_days: int = Field(
        default=7,
        description="Days finished jobs are kept before the nightly `jobs.prune` task deletes them.",
    )
    job_modules: list[str] = Field(
        default_factory=list,
        description=(
            "Extra Python modules holding task definitions, imported by workers besides those listed in "
            '`minsheng.jobs.catalog` (JSON list in the environment, e.g. `["site_tasks"]`).'
        ),
    )
    office_hours: str = Field(
        default="09:00-12:00,13:30-17:30",
        description=(
            "Office hours on working days, as comma-separated periods; case deadlines in working hours "
            "count only these periods, and working-day deadlines fall at the end of the last one."
        ),
    )
    case_duplicate_days: int = Field(
        default=7,
        description="Days back in which a new case is compared with earlier ones for duplicates.",
    )
    case_duplicate_threshold: float = Field(
        default=0.5,
        description=(
            "Character 3-gram Jaccard similarity at or above which an earlier case is proposed as a "
            "duplicate (0.3 suffices when place and category also agree)."
        ),
    )
    case_attachment_mb: int = Field(
        default=10,
        description=(
            "Largest attachment in megabytes; files are kept under `attachments/` in the data directory and "
            "accepted only as images, PDF, Word, Excel or UTF-8 text, judged by their content."
        ),
    )
    open311_contact: str = Field(
        default="如需帮助，请拨打 12345 政务服务便民热线",
        description="Who Open311 client developers should contact, shown as `contact` in Open311 discovery.",
    )
    open311_key_service: str = Field(
        default="请向本单位系统管理员申请 Open311 api_key",
        description="How an Open311 client obtains an `api_key`, shown as `key_service` in discovery.",
    )
    fetch_user_agent: str = Field(
        default="MinshengBot/0.1 (+public-feed monitor of a local internet-affairs office)",
        description=(
            "User-Agent sent when fetching public sources; robots.txt rules are matched against its product "
            "name."
        ),
    )
    fetch_host_delay_seconds: float = Field(
        default=2.0,
        description="Minimum pause between two requests to the same host (only one runs at a time).",
    )
    fetch_concurrency: int = Field(
        default=4, description="Sources fetched at once (on different hosts) by one ingest run."
    )
    fetch_robots_ttl_minutes: int = Field(
        default=60, description="Minutes a host's robots.txt is kept before it is read again."
    )
    fetch_timeout_seconds: float = Field(
        default=20.0, description="Default read timeout in seconds of a new source."
    )
    fetch_max_kb: int = Field(
        default=5120,
        description="Default size cap in KB of one fetched (decompressed) response of a new source.",
    )
    source_key_interval_minutes: int = Field(
        default=10, description="Default polling interval in minutes of a new 重点 (key) source."
    )
    source_normal_interval_minutes: int = Field(
        default=30, description="Default polling interval in minutes of a new 一般 (normal) source."
    )
    source_max_backoff_minutes: int = Field(
        default=24 * 60,
        description="Longest wait in minutes before retrying a failing source (the wait doubles each time).",
    )
    source_disable_after_failures: int = Field(
        default=20,
        description="Consecutive failures after which a source is disabled automatically (0 never disables).",
    )
    source_articles_per_round: int = Field(
        default=30,
        description=(
            "Most articles a sitemap or html source fetches in one round (unless the source sets its own); "
            "the rest wait for later rounds."
        ),
    )
    source_sitemap_max_files: int = Field(
        default=20,
        description="Most sitemap files (an index and the sitemaps it names) read per source per round.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address staff reach Minsheng at; notifications link back to alerts and cases under it.",
    )
    burst_window_minutes: int = Field(
        default=15, description="Length in minutes of the window compared with its baseline to find bursts."
    )
    burst_history_hours: int = Field(
        default=24, description="Hours of history before the window that make a burst's baseline."
    )
    burst_min_items: int = Field(
        default=5, description="Fewest items in the window for an event, keyword, category or place to burst."
    )
    burst_min_ratio: float = Field(
        default=3.0, description="How many times its expected count a window must reach to be a burst."
    )
    burst_max_p_value: float = Field(
        default=0.001,
        description="Largest Poisson tail probability of the window's count under the baseline for a burst.",
    )
    burst_min_history_items: int = Field(
        default=200,
        description="Items the history must hold before bursts are judged (a new deployment has none).",
    )
    alert_digest_hour: int = Field(
        default=8,
        description="Local hour (Asia/Shanghai by default) at which the daily alert digest goes out.",
    )
    event_window_hours: float = Field(
        default=72.0,
        description=(
            "Hours before or after an item in which copies and events are looked for when it is clustered."
        ),
    )
    event_quiet_hours: float = Field(
        default=48.0,
        description="Hours without a new item after which the `events.close_quiet` job closes an event.",
    )
    office_name: str = Field(
        default="网信办",
        description="Name of the office, printed on upward reports (上报) exported from event pages.",
    )
    channel_timeout_seconds: float = Field(
        default=10.0,
        description=(
            "Timeout in seconds of each step (connect, send, read) of one notification to a mail server, "
            "webhook or chat robot."
        ),
    )
    case_reminder_channel_ids: list[int] = Field(
        default_factory=list,
        description=(
            "Notification channels that also carry the deadline sweep's reminders, urges and supervision "
            "notices (JSON list of channel ids, e.g. `[1, 3]`); empty keeps them inside Minsheng."
        ),
    )
    log_level: str = Field(default="INFO", description="Python logging level.")

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("default_locale must be zh or en")
        return value

    @property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'minsheng.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """Return the signing key, creating a persistent random one on first use."""
        if self.secret_key:
            return self.secret_key
        import secrets

        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def settings_reference() -> str:
    """Render every setting with its default and description as the Markdown of docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable with the prefix `MINSHENG_` (or a line in `.env`).",
        "This page is generated by `minsheng settings --markdown`.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "(empty)" if default in ("", None, []) else f"`{default}`"
        lines.append(f"| `MINSHENG_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings read from the environment."""
    return Settings()
