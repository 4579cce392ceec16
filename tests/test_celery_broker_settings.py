"""The broker is chosen by URL: Redis, RabbitMQ (amqp://) or the embedded filesystem; each gets
the transport options and the result store that suit it, never another broker's."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SETTINGS = Path(__file__).resolve().parent.parent / "elvis" / "settings.py"
RABBITMQ = "amqp://elvis:secret@rabbitmq:5672//"
REDIS = "redis://redis:6379/0"


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """The production settings module as the given environment makes it."""

    def load(**environment: str) -> dict:
        for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ELVIS_DATA_DIR", str(tmp_path))
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load


#: Publishing tries the broker once (no reconnection loop holding a request): every network broker.
ONE_TRY = {"max_retries": 0}
#: kombu's Redis sockets would otherwise wait for ever on a Redis that stopped answering.
REDIS_SOCKETS = {"socket_connect_timeout": 2, "socket_timeout": 3}


def test_amqp_broker_gets_no_redis_options_and_replies_over_amqp(load_settings):
    settings = load_settings(CELERY_BROKER_URL=RABBITMQ)
    assert settings["CELERY_BROKER_URL"] == RABBITMQ
    assert settings["CELERY_BROKER_TRANSPORT_OPTIONS"] == ONE_TRY
    assert settings["CELERY_RESULT_BACKEND"] == "rpc://"


def test_amqp_broker_keeps_redis_for_results_and_cache_when_there_is_one(load_settings):
    settings = load_settings(CELERY_BROKER_URL=RABBITMQ, REDIS_URL=REDIS)
    assert settings["CELERY_BROKER_URL"] == RABBITMQ
    assert settings["CELERY_BROKER_TRANSPORT_OPTIONS"] == ONE_TRY
    assert settings["CELERY_RESULT_BACKEND"] == REDIS
    assert settings["CACHES"]["default"]["LOCATION"] == REDIS


def test_redis_url_alone_is_broker_and_result_store_with_a_visibility_timeout(load_settings):
    settings = load_settings(REDIS_URL=REDIS, REDIS_VISIBILITY_TIMEOUT="7200")
    assert settings["CELERY_BROKER_URL"] == REDIS
    assert settings["CELERY_RESULT_BACKEND"] == REDIS
    assert settings["CELERY_BROKER_TRANSPORT_OPTIONS"] == {
        "visibility_timeout": 7200,
        **REDIS_SOCKETS,
        **ONE_TRY,
    }


def test_an_empty_broker_variable_falls_back_to_redis_url(load_settings):
    settings = load_settings(CELERY_BROKER_URL="", CELERY_RESULT_BACKEND="", REDIS_URL=REDIS)
    assert settings["CELERY_BROKER_URL"] == REDIS
    assert settings["CELERY_RESULT_BACKEND"] == REDIS


def test_no_broker_at_all_is_the_embedded_filesystem_transport(load_settings, tmp_path):
    settings = load_settings()
    assert settings["CELERY_BROKER_URL"] == "filesystem://"
    assert settings["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(
        tmp_path / "celery" / "in"
    )
    assert settings["CELERY_RESULT_BACKEND"] == f"file://{tmp_path / 'celery' / 'results'}"
