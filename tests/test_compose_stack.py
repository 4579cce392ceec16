"""docker-compose.yml agrees with the settings: there is no Docker engine here to run it, so
this test reads the file and checks what a `docker compose up` would depend on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _env_example_keys() -> set[str]:
    keys = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keys.add(line.split("=", 1)[0])
    return keys


def _settings_variables() -> set[str]:
    source = (ROOT / "elvis" / "settings.py").read_text()
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def _gunicorn_variables() -> set[str]:
    source = (ROOT / "gunicorn.conf.py").read_text()
    return set(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]*)\"", source))


def _command(service: str) -> str:
    command = SERVICES[service]["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_the_stack_has_the_six_services():
    assert set(SERVICES) == {"postgres", "redis", "web", "worker", "webhook-worker", "beat"}


def test_a_worker_per_queue_group_so_webhooks_never_hold_up_e_mail():
    groups = {
        SERVICES[name]["environment"]["WORKER_QUEUES"] for name in ("worker", "webhook-worker")
    }
    assert groups == {"default", "webhooks"}
    assert "-Q" not in _command("worker") + _command("webhook-worker")  # the groups decide


def test_web_tier_settings_are_the_documented_production_ones():
    env = SERVICES["web"]["environment"]
    assert {"WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT"} <= set(env) & _gunicorn_variables()
    # A statement is cancelled (503) well before gunicorn restarts a silent worker.
    assert int(env["DB_STATEMENT_TIMEOUT_MS"]) < int(env["WEB_TIMEOUT"]) * 1000
    assert "--workers" not in _command("web")  # gunicorn.conf.py reads them


def test_web_runs_gunicorn_on_the_wsgi_application_after_migrating():
    command = _command("web")
    assert "gunicorn elvis.wsgi:application" in command
    assert command.index("migrate") < command.index("gunicorn")


@pytest.mark.parametrize("service", ["worker", "webhook-worker", "beat"])
def test_worker_and_beat_run_celery_on_the_project_app(service):
    assert _command(service).startswith(f"celery -A elvis {service.split('-')[-1]}")


@pytest.mark.parametrize("service", ["postgres", "redis", "web", "worker", "webhook-worker"])
def test_long_running_services_have_health_checks(service):
    assert SERVICES[service]["healthcheck"]["test"]


@pytest.mark.parametrize("service", ["web", "worker", "webhook-worker", "beat"])
def test_app_services_use_postgres_and_redis_and_wait_for_them(service):
    config = SERVICES[service]
    env = config["environment"]
    assert (
        env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["DEBUG"] == "0"
    assert config["env_file"] == ".env"
    assert config["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert config["depends_on"]["redis"]["condition"] == "service_healthy"


def test_web_health_check_probes_the_readiness_endpoint():
    assert "/readyz/" in " ".join(SERVICES["web"]["healthcheck"]["test"])


@pytest.mark.parametrize("service", ["worker", "webhook-worker"])
def test_worker_health_check_pings_its_own_worker(service):
    assert "inspect ping -d celery@$$HOSTNAME" in " ".join(SERVICES[service]["healthcheck"]["test"])


def test_every_variable_the_settings_read_is_documented_in_env_example():
    missing = _settings_variables() - _env_example_keys()
    assert not missing, f"add to .env.example: {sorted(missing)}"


@pytest.mark.parametrize("service", ["web", "worker", "webhook-worker", "beat"])
def test_every_app_variable_in_compose_is_one_the_settings_read(service):
    # PROMETHEUS_MULTIPROC_DIR is prometheus_client's own variable, read by the library; WEB_*
    # are gunicorn's, read by gunicorn.conf.py.
    unknown = set(SERVICES[service]["environment"]) - _settings_variables() - _gunicorn_variables()
    assert not unknown - {"PROMETHEUS_MULTIPROC_DIR"}


def test_every_gunicorn_variable_is_documented_in_env_example():
    assert _gunicorn_variables() <= _env_example_keys()


def test_web_and_worker_write_metrics_to_their_own_folders_that_the_web_merges():
    web, worker, webhook_worker = (
        SERVICES[name]["environment"] for name in ("web", "worker", "webhook-worker")
    )
    folders = {
        web["PROMETHEUS_MULTIPROC_DIR"],
        worker["PROMETHEUS_MULTIPROC_DIR"],
        webhook_worker["PROMETHEUS_MULTIPROC_DIR"],
    }
    assert len(folders) == 3
    assert all(Path(folder).parent == Path(web["METRICS_DIR"]) for folder in folders)
    # On the volume the two containers share, so the web's /metrics reads the worker's files.
    shared = {volume.split(":")[1] for volume in SERVICES["web"]["volumes"]}
    assert shared & {volume.split(":")[1] for volume in SERVICES["worker"]["volumes"]}
    assert any(Path(web["METRICS_DIR"]).is_relative_to(folder) for folder in shared)


def test_the_dockerfile_serves_the_same_wsgi_application():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "elvis.wsgi:application" in dockerfile
    assert "requirements.txt" in dockerfile


def test_the_image_compiles_the_apps_bytecode_after_copying_it():
    """PYTHONDONTWRITEBYTECODE stops every process writing bytecode, so the image compiles
    the app once at build; otherwise each process compiles it from source as it starts."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    copied = next(i for i, line in enumerate(lines) if line.startswith("COPY --chown=elvis . ."))
    compiled = next(i for i, line in enumerate(lines) if "python -m compileall" in line)
    assert "PYTHONDONTWRITEBYTECODE=1" in "\n".join(lines)
    assert copied < compiled
    assert "/srv/elvis/app" in lines[compiled]
    assert lines[compiled].lstrip().startswith("RUN")
