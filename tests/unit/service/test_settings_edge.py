"""The public edge's settings: limits, timeouts, sessions, retention."""

from __future__ import annotations

import pytest

from service.settings import (
    DEFAULT_AUTH_RATE_LIMIT,
    DEFAULT_RATE_LIMIT,
    DEFAULT_REDIS_TIMEOUT_MS,
    Settings,
    SettingsError,
)


def test_defaults_for_users_are_sane_limits() -> None:
    settings = Settings.from_env({})
    assert settings.rate_limit == DEFAULT_RATE_LIMIT == "10/minute;100/hour"
    assert settings.auth_rate_limit == DEFAULT_AUTH_RATE_LIMIT
    assert settings.site_rate_limit
    assert settings.session_idle_minutes == 60
    assert settings.redis_timeout_ms == DEFAULT_REDIS_TIMEOUT_MS == 500
    assert settings.retention_days == 90
    assert settings.body_timeout_s == 5.0 and settings.body_readers == 100


def test_limits_can_be_set_or_turned_off() -> None:
    settings = Settings.from_env(
        {"MODQ_RATE_LIMIT": "5/second; 20/minute", "MODQ_SITE_RATE_LIMIT": "off"}
    )
    assert settings.rate_limit == "5/second; 20/minute"
    assert settings.site_rate_limit is None
    assert Settings.from_env({"MODQ_RETENTION_DAYS": "off"}).retention_days is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MODQ_RATE_LIMIT", "ten per minute"),
        ("MODQ_AUTH_RATE_LIMIT", "10/fortnight"),
        ("MODQ_REDIS_TIMEOUT_MS", "5"),
        ("MODQ_SESSION_IDLE_MINUTES", "0"),
        ("MODQ_RETENTION_DAYS", "-1"),
        ("MODQ_BODY_TIMEOUT_S", "0"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
