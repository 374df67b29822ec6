"""docker-compose.yml, Procfile and Dockerfile, checked the way `docker compose config` cannot be
here: the YAML parsed, every service and command named checked against what exists."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli

REPO = Path(__file__).parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
PROCFILE = dict(line.split(":", 1) for line in
                (REPO / "Procfile").read_text(encoding="utf-8").splitlines() if line.strip())


def celery_command(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """Parse a `celery …` command line as celery itself would; its subcommand and options."""
    from worker.celery_app import app

    assert argv[0] == "celery", argv
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # click's protected_args
        context = celery_cli.make_context("celery", argv[1:])
        context.obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
        name, *rest = [*context.protected_args, *context.args]
    command = celery_cli.get_command(context, name)
    assert command is not None, f"celery has no command {name!r}"
    options = command.make_context(name, rest, parent=context).params
    return name, {**context.params, **options}


def argv_of(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_names_the_services_an_operator_needs() -> None:
    assert {"redis", "postgres", "beat", "worker", "flower"} <= SERVICES.keys()
    assert SERVICES["flower"]["profiles"] == ["flower"]  # optional
    for name, service in SERVICES.items():
        if name != "migrate":  # a one-shot job: it exits when the schema is current
            assert "healthcheck" in service and service["healthcheck"]["test"], name


@pytest.mark.parametrize("name", ["beat", "worker"])
def test_beat_and_worker_run_celery_on_redis_and_postgresql(name: str) -> None:
    service = SERVICES[name]
    command, options = celery_command(argv_of(service["command"]))
    assert command == name and options["app"] == "worker.celery_app"
    env = service["environment"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    password = r"\$\{POSTGRES_PASSWORD[^}]*\}"  # from the environment, never written here
    assert re.match(rf"postgresql\+psycopg://claimwatch:{password}@postgres:5432/", env["DATABASE_URL"])
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (REPO / service["build"] / "Dockerfile").is_file()
    check = service["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL"
    probe, probe_options = celery_command(shlex.split(check[1].replace("$$", "$")))
    assert probe == "inspect" and probe_options["command"] == "ping"
    assert probe_options["destination"] == [f"{'celerybeat' if name == 'beat' else 'celery'}@$HOSTNAME"]


def test_workers_can_be_scaled() -> None:
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker  # both would clash at --scale
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1  # one beat, or polls double


def test_migrate_runs_a_command_that_exists() -> None:
    argv = argv_of(SERVICES["migrate"]["command"])
    assert argv[0] == "claimwatch"
    result = subprocess.run([sys.executable, "-m", "worker.cli", *argv[1:], "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_redis_keeps_queued_messages_across_restarts() -> None:
    assert "--appendonly" in argv_of(SERVICES["redis"]["command"])
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert SERVICES["postgres"]["healthcheck"]["test"][1] == "pg_isready"


def test_flower_reads_the_same_broker() -> None:
    argv = argv_of(SERVICES["flower"]["command"])
    assert "--broker=redis://redis:6379/0" in argv and "flower" in argv
    assert SERVICES["beat"]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"


def test_procfile_has_beat_and_worker_lines_that_celery_accepts() -> None:
    assert set(PROCFILE) == {"beat", "worker"}
    for name, line in PROCFILE.items():
        command, options = celery_command(shlex.split(line))
        assert command == name and options["app"] == "worker.celery_app"


def test_a_misspelt_option_is_caught() -> None:
    with pytest.raises(click.UsageError):
        celery_command(["celery", "-A", "worker.celery_app", "worker", "--concurency", "4"])


def test_dockerfile_installs_the_package_and_copies_what_exists() -> None:
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    assert any(re.match(r"RUN pip install \.( |$)", line) for line in lines)
    for line in lines:
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            assert all((REPO / source).exists() for source in sources), line
    cmd = next(line for line in lines if line.startswith("CMD "))
    command, options = celery_command(yaml.safe_load(cmd.removeprefix("CMD ")))
    assert command == "worker" and options["app"] == "worker.celery_app"
    assert "USER claimwatch" in lines
