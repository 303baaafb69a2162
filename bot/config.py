"""Settings for every process, built once from the environment and `.env`.

`load_settings()` validates each variable and raises `ConfigError` naming the variable and the
accepted form, so a typo stops start-up with a clear message instead of a wrong promise to a
customer later. `ensure_secrets()` writes missing secrets into `.env` on first run.
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain.orders import DEFAULT_ORDER_PATTERNS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = PROJECT_ROOT / ".env"

# Secrets generated into .env when missing; never committed.
SECRET_NAMES = ("BOT_API_TOKEN", "RASA_AUTH_TOKEN", "SESSION_SECRET", "SHOP_SECRET", "ACTION_SERVER_TOKEN",
                "IDENTITY_SECRET")

REDIS_URL = re.compile(r"^redis://(?::[^@/\s]*@)?[A-Za-z0-9.\-_]+(?::\d{1,5})?(?:/\d{1,2})?$")


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    shop_name: str = "本店"
    timezone: str = "Asia/Shanghai"
    business_hours: str = "mon-fri 09:00-18:00; sat-sun 10:00-18:00"
    weekly_hours: Mapping[int, list[tuple[time, time]]] = field(
        default_factory=lambda: _default_weekly_hours())
    follow_china_holidays: bool = True
    closed_days: frozenset[date] = frozenset()
    open_days: frozenset[date] = frozenset()
    sla_first_response_minutes: Mapping[str, int] = field(
        default_factory=lambda: {"urgent": 5, "high": 10, "normal": 15})
    sla_resolution_hours: Mapping[str, int] = field(
        default_factory=lambda: {"normal": 24, "complex": 48})

    bot_host: str = "0.0.0.0"
    bot_port: int = 8000
    public_url: str = "http://localhost:8000"
    rasa_port: int = 5005
    rasa_url: str = "http://127.0.0.1:5005"
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    bot_service_url: str = "http://127.0.0.1:8000"
    rasa_timeout_seconds: float = 10.0

    bot_api_token: str = ""
    rasa_auth_token: str = ""
    session_secret: str = ""
    shop_secret: str = ""
    action_server_token: str = ""  # Rasa → action server (endpoints.yml; actions/server.py checks it)
    identity_secret: str = ""  # bot service → action server, through Rasa (bot.domain.identity)

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'desk.sqlite3'}"
    # Rasa's conversations (SQLTrackerStore): a SQLite file on one machine, PostgreSQL for replicas.
    tracker_store_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'rasa_tracker.sqlite3'}"
    # Redis (optional): Rasa's RedisLockStore, needed as soon as there are several Rasa servers.
    redis_url: str = ""
    # Written by `python -m bot up` for its children: restarts shown in /healthz.
    supervisor_status_file: str = ""
    outbox_path: str = str(PROJECT_ROOT / "var" / "outbox.sqlite3")
    model_path: str = str(PROJECT_ROOT / "models" / "current.tar.gz")
    order_api_url: str = ""
    order_api_timeout_seconds: float = 3.0
    order_number_patterns: tuple[str, ...] = DEFAULT_ORDER_PATTERNS

    max_message_chars: int = 2000
    attachments_dir: str = str(PROJECT_ROOT / "var" / "attachments")  # evidence photos (bot.services.attachments)
    # Issue 13: how long a request waits for the database; where chat messages wait when it fails.
    store_timeout_seconds: float = 5.0
    chat_spool_path: str = str(PROJECT_ROOT / "var" / "chat_spool.jsonl")
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments_per_session: int = 20
    rate_limit_per_minute: int = 30
    webhook_url: str = ""
    webhook_format: str = "json"
    log_level: str = "INFO"
    desk_session_hours: int = 12
    # Early warning: a type spikes at ≥ alert_min_count today and ≥ alert_factor × its daily average.
    alert_min_count: int = 5
    alert_factor: float = 3.0
    digest_time: time | None = time(9, 0)  # shop-local; None: no daily digest
    # Issue 11: a complaint still being collected is filed as it stands after this quiet time.
    intake_idle_minutes: float = 10.0
    faq_path: str = str(PROJECT_ROOT / "faq.yml")  # the shop's FAQ (bot.faq_file)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def faq(self):
        """The shop's FAQ entries (bot.domain.faq.FaqEntry), read again when the file changes."""
        from bot.faq_file import load_faq

        return load_faq(self.faq_path)

    def calendar(self):
        """The shop's business calendar (built on demand; pure, cheap)."""
        from bot.domain.calendar import BusinessCalendar

        return BusinessCalendar(
            dict(self.weekly_hours), tz=self.timezone, closed_days=set(self.closed_days),
            open_days=set(self.open_days), follow_china_holidays=self.follow_china_holidays)


def _default_weekly_hours():
    from bot.domain.calendar import parse_weekly_hours

    return parse_weekly_hours(Settings.business_hours)


def _env_source(env: Mapping[str, str] | None, env_file: Path | None) -> dict[str, str]:
    values: dict[str, str] = {}
    source = os.environ if env is None else env
    path = DEFAULT_ENV_FILE if env_file is None else env_file
    # DOTENV_DISABLED=1 (tests) keeps a developer's own .env out of the picture.
    if path and Path(path).exists() and source.get("DOTENV_DISABLED") != "1":
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(source)  # the real environment wins over .env
    return values


def _get(values: Mapping[str, str], name: str, default: str) -> str:
    raw = values.get(name)
    return default if raw is None or raw.strip() == "" else raw.strip()


def _int(values, name: str, default: int, low: int, high: int) -> int:
    raw = _get(values, name, str(default))
    try:
        number = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number between {low} and {high}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}={raw!r}: expected a whole number between {low} and {high}")
    return number


def _float(values, name: str, default: float, low: float, high: float) -> float:
    raw = _get(values, name, str(default))
    try:
        number = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number of seconds between {low} and {high}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}={raw!r}: expected a number of seconds between {low} and {high}")
    return number


def _bool(values, name: str, default: bool) -> bool:
    raw = _get(values, name, "true" if default else "false").lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r}: expected true or false")


def _url(values, name: str, default: str, allow_empty: bool = False) -> str:
    raw = _get(values, name, default)
    if allow_empty and raw == "":
        return ""
    if not re.match(r"^https?://[^\s/]+", raw):
        raise ConfigError(f"{name}={raw!r}: expected an http:// or https:// URL")
    return raw.rstrip("/")


def _priority_map(values, name: str, default: dict[str, int], keys: tuple[str, ...]) -> dict[str, int]:
    raw = _get(values, name, ",".join(f"{k}={v}" for k, v in default.items()))
    form = f"expected {','.join(f'{k}=N' for k in keys)} with whole numbers, e.g. " + \
        ",".join(f"{k}={v}" for k, v in default.items())
    result = dict(default)
    for part in raw.split(","):
        key, sep, number = part.partition("=")
        key = key.strip()
        if not sep or key not in keys or not number.strip().isdigit() or int(number) <= 0:
            raise ConfigError(f"{name}={raw!r}: {form}")
        result[key] = int(number)
    return result


def _parsed(name: str, raw: str, parse: Callable, form: str):
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}. Accepted form: {form}") from None


def _patterns(values) -> tuple[str, ...]:
    raw = _get(values, "ORDER_NUMBER_PATTERNS", "")
    if not raw:
        return DEFAULT_ORDER_PATTERNS
    patterns = tuple(p.strip() for p in raw.split(";;") if p.strip())
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"ORDER_NUMBER_PATTERNS: {pattern!r} is not a valid regular expression ({exc}); "
                "separate several patterns with ';;'") from None
    return patterns


def load_settings(env: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Builds and validates the settings; raises ConfigError naming the bad variable."""
    from bot.domain.calendar import parse_dates, parse_weekly_hours

    values = _env_source(env, env_file)
    timezone = _get(values, "SHOP_TIMEZONE", "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"SHOP_TIMEZONE={timezone!r}: expected an IANA time zone such as Asia/Shanghai") from None
    hours = _get(values, "BUSINESS_HOURS", Settings.business_hours)
    weekly = _parsed("BUSINESS_HOURS", hours, parse_weekly_hours,
                     "'mon-fri 09:00-18:00; sat 10:00-16:00' (days mon..sun or daily, HH:MM-HH:MM ranges)")
    date_form = "comma-separated YYYY-MM-DD dates or ranges YYYY-MM-DD..YYYY-MM-DD"
    closed = _parsed("SHOP_CLOSED_DAYS", _get(values, "SHOP_CLOSED_DAYS", ""), _dates(parse_dates), date_form)
    opened = _parsed("SHOP_OPEN_DAYS", _get(values, "SHOP_OPEN_DAYS", ""), _dates(parse_dates), date_form)
    bot_port = _int(values, "BOT_PORT", 8000, 1, 65535)
    rasa_port = _int(values, "RASA_PORT", 5005, 1, 65535)
    action_port = _int(values, "ACTION_PORT", 5055, 1, 65535)
    if len({bot_port, rasa_port, action_port}) < 3:
        raise ConfigError(
            f"BOT_PORT, RASA_PORT and ACTION_PORT must differ (got {bot_port}, {rasa_port}, {action_port})")
    webhook_format = _get(values, "WEBHOOK_FORMAT", "json").lower()
    if webhook_format not in {"json", "wecom", "dingtalk", "feishu"}:
        raise ConfigError(f"WEBHOOK_FORMAT={webhook_format!r}: expected one of json, wecom, dingtalk, feishu")
    log_level = _get(values, "LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL={log_level!r}: expected DEBUG, INFO, WARNING or ERROR")
    database_url = _get(values, "DATABASE_URL", Settings.database_url)
    if not re.match(r"^(sqlite|postgresql(\+\w+)?)://", database_url):
        raise ConfigError(f"DATABASE_URL={database_url!r}: expected sqlite:///path/to/file.sqlite3 "
                          "or postgresql://user:password@host:5432/dbname")
    tracker_store_url = _get(values, "TRACKER_STORE_URL", Settings.tracker_store_url)
    if not re.match(r"^(sqlite:///.+|postgresql(\+\w+)?://.+)$", tracker_store_url):
        raise ConfigError(f"TRACKER_STORE_URL={tracker_store_url!r}: expected sqlite:///path/to/file.sqlite3 "
                          "or postgresql://user:password@host:5432/dbname")
    redis_url = _get(values, "REDIS_URL", "")
    if redis_url and not REDIS_URL.match(redis_url):
        raise ConfigError(f"REDIS_URL={redis_url!r}: expected redis://[:password@]host[:port][/db], "
                          "e.g. redis://127.0.0.1:6379/0, or empty for none")
    return Settings(
        shop_name=_get(values, "SHOP_NAME", "本店"),
        timezone=timezone,
        business_hours=hours,
        weekly_hours=weekly,
        follow_china_holidays=_bool(values, "FOLLOW_CHINA_HOLIDAYS", True),
        closed_days=frozenset(closed),
        open_days=frozenset(opened),
        sla_first_response_minutes=_priority_map(
            values, "SLA_FIRST_RESPONSE_MINUTES", {"urgent": 5, "high": 10, "normal": 15},
            ("urgent", "high", "normal")),
        sla_resolution_hours=_priority_map(
            values, "SLA_RESOLUTION_HOURS", {"normal": 24, "complex": 48}, ("normal", "complex")),
        bot_host=_get(values, "BOT_HOST", "0.0.0.0"),
        bot_port=bot_port,
        public_url=_url(values, "PUBLIC_URL", f"http://localhost:{bot_port}"),
        rasa_port=rasa_port,
        rasa_url=_url(values, "RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        action_host=_get(values, "ACTION_HOST", "127.0.0.1"),
        action_port=action_port,
        action_server_url=_url(values, "ACTION_SERVER_URL", f"http://127.0.0.1:{action_port}/webhook"),
        bot_service_url=_url(values, "BOT_SERVICE_URL", f"http://127.0.0.1:{bot_port}"),
        rasa_timeout_seconds=_float(values, "RASA_TIMEOUT_SECONDS", 10.0, 0.5, 120),
        bot_api_token=_get(values, "BOT_API_TOKEN", ""),
        rasa_auth_token=_get(values, "RASA_AUTH_TOKEN", ""),
        session_secret=_get(values, "SESSION_SECRET", ""),
        shop_secret=_get(values, "SHOP_SECRET", ""),
        action_server_token=_get(values, "ACTION_SERVER_TOKEN", ""),
        identity_secret=_get(values, "IDENTITY_SECRET", ""),
        database_url=database_url,
        tracker_store_url=tracker_store_url,
        redis_url=redis_url,
        supervisor_status_file=_get(values, "SUPERVISOR_STATUS_FILE", ""),
        outbox_path=_get(values, "OUTBOX_PATH", Settings.outbox_path),
        model_path=_get(values, "MODEL_PATH", Settings.model_path),
        order_api_url=_url(values, "ORDER_API_URL", "", allow_empty=True),
        order_api_timeout_seconds=_float(values, "ORDER_API_TIMEOUT_SECONDS", 3.0, 0.1, 60),
        order_number_patterns=_patterns(values),
        max_message_chars=_int(values, "MAX_MESSAGE_CHARS", 2000, 20, 100000),
        attachments_dir=_get(values, "ATTACHMENTS_DIR", _beside_database(database_url, "attachments")),
        store_timeout_seconds=_float(values, "STORE_TIMEOUT_SECONDS", 5.0, 0.1, 60),
        chat_spool_path=_get(values, "CHAT_SPOOL_PATH", _beside_database(database_url, "chat_spool.jsonl")),
        max_attachment_bytes=_int(values, "MAX_ATTACHMENT_MB", 10, 1, 100) * 1024 * 1024,
        max_attachments_per_session=_int(values, "MAX_ATTACHMENTS_PER_SESSION", 20, 1, 1000),
        rate_limit_per_minute=_int(values, "RATE_LIMIT_PER_MINUTE", 30, 1, 10000),
        webhook_url=_url(values, "WEBHOOK_URL", "", allow_empty=True),
        webhook_format=webhook_format,
        log_level=log_level,
        desk_session_hours=_int(values, "DESK_SESSION_HOURS", 12, 1, 24 * 30),
        alert_min_count=_int(values, "ALERT_MIN_COUNT", 5, 1, 100000),
        alert_factor=_factor(values, "ALERT_FACTOR", 3.0),
        digest_time=_clock_time(values, "DIGEST_TIME", "09:00"),
        intake_idle_minutes=_minutes(values, "INTAKE_IDLE_MINUTES", 10.0, 0.01, 24 * 60),
        faq_path=_faq_path(values),
    )


def _beside_database(database_url: str, name: str) -> str:
    """Next to the SQLite database (the data directory), else in var/."""
    if database_url.startswith("sqlite:///") and len(database_url) > len("sqlite:///"):
        return str(Path(database_url[len("sqlite:///"):]).parent / name)
    return str(PROJECT_ROOT / "var" / name)


def _minutes(values, name: str, default: float, low: float, high: float) -> float:
    raw = _get(values, name, str(default))
    try:
        number = float(raw)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # also false for nan
        raise ConfigError(f"{name}={raw!r}: expected a number of minutes between {low} and {high:g}, e.g. 10 or 2.5")
    return number


def _faq_path(values) -> str:
    """FAQ_PATH (relative to the project), checked now so a broken shop edit stops start-up with
    the entry named (a process that read a good version keeps it: bot.faq_file). The default file
    may be absent (no FAQ answers); a named one must exist."""
    from bot.faq_file import FaqFileError, load_faq

    raw = _get(values, "FAQ_PATH", "")
    path = Path(raw) if raw else Path(Settings.faq_path)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    try:
        load_faq(path, required=bool(raw))
    except FaqFileError as exc:
        raise ConfigError(f"FAQ_PATH={raw or str(path)!r}: {exc} (a YAML list of id, question, keywords, answer)") \
            from None
    return str(path)


def _factor(values, name: str, default: float) -> float:
    raw = _get(values, name, str(default))
    try:
        number = float(raw)
    except ValueError:
        number = float("nan")
    if not 1 <= number <= 1000:  # also false for nan
        raise ConfigError(f"{name}={raw!r}: expected a number between 1 and 1000, e.g. 3 or 2.5")
    return number


def _clock_time(values, name: str, default: str) -> time | None:
    raw = _get(values, name, default)
    if raw.lower() in {"off", "none", "false", "0"}:
        return None
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw)
    if match is None:
        raise ConfigError(f"{name}={raw!r}: expected a shop-local time HH:MM such as 09:00, or off")
    return time(int(match.group(1)), int(match.group(2)))


def _dates(parse_dates: Callable) -> Callable:
    return lambda raw: set() if raw == "" else parse_dates(raw)


def require_secrets(settings: Settings) -> None:
    """Services that authenticate refuse to start without their secrets."""
    missing = [name for name in SECRET_NAMES if not getattr(settings, name.lower())]
    if missing:
        raise ConfigError(f"{', '.join(missing)} not set: run `make run` once to generate them into .env, "
                          "or set them in the environment")
    for name in SECRET_NAMES:
        if len(getattr(settings, name.lower())) < 16:
            raise ConfigError(f"{name}: expected a secret of at least 16 characters")


def ensure_secrets(env_file: Path = DEFAULT_ENV_FILE) -> list[str]:
    """Generates missing secrets into `.env` (created if absent). Returns the names written."""
    existing = dotenv_values(env_file) if env_file.exists() else {}
    missing = [n for n in SECRET_NAMES if not (os.environ.get(n) or existing.get(n))]
    if missing:
        with open(env_file, "a", encoding="utf-8") as handle:
            if env_file.stat().st_size and not env_file.read_text(encoding="utf-8").endswith("\n"):
                handle.write("\n")
            handle.write("# generated on first run; keep private, never commit\n")
            for name in missing:
                handle.write(f"{name}={secrets.token_urlsafe(32)}\n")
        env_file.chmod(0o600)
    return missing
