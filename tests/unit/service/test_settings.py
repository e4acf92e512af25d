"""Settings: defaults, validation errors that name the variable."""

from __future__ import annotations

import pytest

from service.settings import Mode, Settings, SettingsError, WorkerClass


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.redis_url) == ("127.0.0.1", 8000, None)
    assert settings.mode is Mode.ENFORCE
    assert settings.worker_class is WorkerClass.GEVENT
    assert settings.secret_key_generated and len(settings.secret_key) == 64


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MODQ_PORT", "eighty"),
        ("MODQ_PORT", "70000"),
        ("MODQ_SPAM_REJECT", "1.5"),
        ("MODQ_MODE", "loud"),
        ("MODQ_WORKER_CLASS", "sync"),
        ("MODQ_REDIS_URL", "localhost:6379"),
        ("MODQ_MODERATOR_TOKENS", "alice"),
        ("MODQ_MODERATOR_TOKENS", "alice:short"),
        ("MODQ_TRUSTED_PROXIES", "not-an-ip"),
        ("MODQ_BANNED_WORDS", "viagra, !!!"),
        ("MODQ_SUSPECT_WORDS", "x" * 101),
    ],
)
def test_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_review_above_reject_is_refused() -> None:
    with pytest.raises(SettingsError, match="MODQ_SPAM_REVIEW"):
        Settings.from_env({"MODQ_SPAM_REVIEW": "0.9", "MODQ_SPAM_REJECT": "0.5"})


def test_moderator_tokens_parse() -> None:
    settings = Settings.from_env({"MODQ_MODERATOR_TOKENS": "alice:a" * 1 + "x" * 16})
    assert settings.moderator_tokens == {"alice": "a" + "x" * 16}


def test_word_lists_parse() -> None:
    settings = Settings.from_env(
        {"MODQ_BANNED_WORDS": " viagra, free money ,,", "MODQ_SUSPECT_WORDS": "crypto"}
    )
    assert settings.banned_words == ("viagra", "free money")
    assert settings.suspect_words == ("crypto",)
    assert Settings.from_env({}).banned_words == ()


def test_worker_class_parses() -> None:
    assert Settings.from_env({"MODQ_WORKER_CLASS": "GThread"}).worker_class is WorkerClass.GTHREAD


def test_scoring_is_coalesced_by_default_under_gevent_only() -> None:
    gevent = Settings.from_env({})
    assert (gevent.batch_max, gevent.batch_wait_ms) == (16, 2.0)
    gthread = Settings.from_env({"MODQ_WORKER_CLASS": "gthread"})
    assert (gthread.batch_max, gthread.batch_wait_ms) == (1, 0.0)
    chosen = Settings.from_env({"MODQ_BATCH_MAX": "1", "MODQ_BATCH_WAIT_MS": "0"})
    assert (chosen.batch_max, chosen.batch_wait_ms) == (1, 0.0)


def test_redis_cluster_waits_for_one_replica_by_default() -> None:
    url = "redis://10.0.0.5:7000/0"
    cluster = Settings.from_env({"MODQ_REDIS_URL": url, "MODQ_REDIS_CLUSTER": "true"})
    assert (cluster.redis_cluster, cluster.redis_wait_replicas) == (True, 1)
    single = Settings.from_env({"MODQ_REDIS_URL": url})
    assert (single.redis_cluster, single.redis_wait_replicas) == (False, 0)
    chosen = Settings.from_env(
        {"MODQ_REDIS_URL": url, "MODQ_REDIS_WAIT_REPLICAS": "2", "MODQ_REDIS_WAIT_TIMEOUT_MS": "50"}
    )
    assert (chosen.redis_wait_replicas, chosen.redis_wait_timeout_ms) == (2, 50)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODQ_REDIS_CLUSTER": "true"}, "MODQ_REDIS_URL"),
        ({"MODQ_REDIS_CLUSTER": "true", "MODQ_REDIS_URL": "unix:///tmp/r.sock"}, "TCP"),
        ({"MODQ_REDIS_CLUSTER": "maybe"}, "MODQ_REDIS_CLUSTER"),
        ({"MODQ_REDIS_CLUSTER": "1", "MODQ_REDIS_URL": "redis://10.0.0.5:7000/2"}, "database 0"),
        ({"MODQ_REDIS_WAIT_REPLICAS": "-1"}, "MODQ_REDIS_WAIT_REPLICAS"),
    ],
)
def test_redis_cluster_settings_are_checked(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)
