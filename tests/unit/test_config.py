"""Settings: defaults work with no configuration; every bad value names its variable."""
from datetime import time
from pathlib import Path

import pytest

from bot.config import SECRET_NAMES, ConfigError, ensure_secrets, load_settings, require_secrets

NO_FILE = Path("/nonexistent/.env")


def test_defaults_work_without_any_configuration():
    settings = load_settings({}, env_file=NO_FILE)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.bot_port == 8000 and settings.rasa_port == 5005 and settings.action_port == 5055
    assert settings.action_host == "127.0.0.1"  # Rasa, its only caller, runs on the same machine
    assert settings.weekly_hours[0] == [(time(9), time(18))]
    assert settings.sla_first_response_minutes == {"urgent": 5, "high": 10, "normal": 15}
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/desk.sqlite3")


@pytest.mark.parametrize("name, value", [
    ("BOT_PORT", "eighty"), ("BOT_PORT", "70000"), ("SHOP_TIMEZONE", "Mars/Olympus"),
    ("BUSINESS_HOURS", "weekdays nine to five"), ("BUSINESS_HOURS", "mon 18:00-09:00"),
    ("FOLLOW_CHINA_HOLIDAYS", "maybe"), ("SHOP_CLOSED_DAYS", "2026-13-01"),
    ("SLA_FIRST_RESPONSE_MINUTES", "urgent=five"), ("SLA_RESOLUTION_HOURS", "slow=3"),
    ("RASA_URL", "localhost:5005"), ("DATABASE_URL", "mysql://x"), ("WEBHOOK_FORMAT", "slack"),
    ("ORDER_NUMBER_PATTERNS", r"(\d{18,19}"), ("RASA_TIMEOUT_SECONDS", "0"), ("LOG_LEVEL", "LOUD"),
    ("ALERT_MIN_COUNT", "0"), ("ALERT_MIN_COUNT", "five"), ("ALERT_FACTOR", "0.5"), ("ALERT_FACTOR", "nan"),
    ("ALERT_FACTOR", "three"), ("DIGEST_TIME", "9am"), ("DIGEST_TIME", "24:00"),
    ("INTAKE_IDLE_MINUTES", "ten"), ("INTAKE_IDLE_MINUTES", "0"), ("INTAKE_IDLE_MINUTES", "nan"),
    ("INTAKE_IDLE_MINUTES", "-5"), ("FAQ_PATH", "/nonexistent/faq.yml"),
])
def test_bad_values_stop_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError) as error:
        load_settings({name: value}, env_file=NO_FILE)
    assert name in str(error.value)


def test_intake_idle_minutes_take_fractions():
    assert load_settings({}, env_file=NO_FILE).intake_idle_minutes == 10.0
    assert load_settings({"INTAKE_IDLE_MINUTES": "0.05"}, env_file=NO_FILE).intake_idle_minutes == 0.05  # 3 s


def test_early_warning_and_digest_settings():
    defaults = load_settings({}, env_file=NO_FILE)
    assert (defaults.alert_min_count, defaults.alert_factor, defaults.digest_time) == (5, 3.0, time(9))
    custom = load_settings({"ALERT_MIN_COUNT": "8", "ALERT_FACTOR": "2.5", "DIGEST_TIME": "8:30"}, env_file=NO_FILE)
    assert (custom.alert_min_count, custom.alert_factor, custom.digest_time) == (8, 2.5, time(8, 30))
    assert load_settings({"DIGEST_TIME": "off"}, env_file=NO_FILE).digest_time is None


def test_ports_must_differ():
    with pytest.raises(ConfigError, match="must differ"):
        load_settings({"BOT_PORT": "5005"}, env_file=NO_FILE)


def test_environment_wins_over_dotenv_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SHOP_NAME=文件里的店\nBOT_PORT=9000\n", encoding="utf-8")
    settings = load_settings({"SHOP_NAME": "环境里的店"}, env_file=env_file)
    assert settings.shop_name == "环境里的店"
    assert settings.bot_port == 9000


def test_missing_secrets_are_generated_once_and_kept(tmp_path, monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("SHOP_NAME=小店", encoding="utf-8")
    written = ensure_secrets(env_file)
    assert set(written) == {"BOT_API_TOKEN", "RASA_AUTH_TOKEN", "SESSION_SECRET", "SHOP_SECRET",
                            "ACTION_SERVER_TOKEN", "IDENTITY_SECRET"}
    first = env_file.read_text(encoding="utf-8")
    assert ensure_secrets(env_file) == []
    assert env_file.read_text(encoding="utf-8") == first
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    settings = load_settings({}, env_file=env_file)
    require_secrets(settings)  # does not raise
    assert settings.shop_name == "小店" and len(settings.bot_api_token) >= 32
    assert len(settings.action_server_token) >= 32 and len(settings.identity_secret) >= 32
    assert len({getattr(settings, name.lower()) for name in SECRET_NAMES}) == len(SECRET_NAMES)  # one each


def test_services_refuse_to_start_without_secrets():
    with pytest.raises(ConfigError, match="BOT_API_TOKEN"):
        require_secrets(load_settings({}, env_file=NO_FILE))


def test_custom_order_patterns_replace_the_defaults():
    settings = load_settings({"ORDER_NUMBER_PATTERNS": r"SO\d{8};;\d{18,19}"}, env_file=NO_FILE)
    assert settings.order_number_patterns == (r"SO\d{8}", r"\d{18,19}")


def test_env_example_documents_every_secret_and_the_action_host():
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name in (*SECRET_NAMES, "ACTION_HOST", "INTAKE_IDLE_MINUTES", "FAQ_PATH"):
        assert f"\n{name}=" in example, name
