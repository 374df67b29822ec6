"""The Celery app, configured from the environment (see worker/settings.py).

`celery -A worker.celery_app beat` and `celery -A worker.celery_app worker` in deployment;
`claimwatch run` starts a worker with beat inside it. With no CELERY_BROKER_URL (or REDIS_URL) the
broker is kombu's filesystem transport under CLAIMWATCH_BROKER_DIR: no server to run, for one
machine. The app and its per-process runtime are the only module-level state of the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import beat_init, celeryd_init, worker_process_init

from worker.runtime import Runtime, settle_process
from worker.settings import Settings, load_settings

EMBEDDED_BROKER = "filesystem://localhost/"  # kombu warns about a URL without a host
REDIS_TRANSPORT = "worker.redis_transport:Transport"  # kombu's, with a fix for lost connections


def _is_redis(url: str | None) -> bool:
    return url is not None and url.split("://", 1)[0] in ("redis", "rediss")


def broker_options(settings: Settings) -> dict[str, Any]:
    """Transport options for the configured broker."""
    if settings.broker_url is None:
        folder = settings.broker_dir.resolve()
        # Producer and consumer share one folder; the control folder holds fanout bindings.
        return {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
                "control_folder": str(folder / "control"), "polling_interval": 0.2}
    options: dict[str, Any] = {
        # A message taken but not acknowledged (its worker died) goes back to the queue after this.
        "visibility_timeout": settings.visibility_timeout,
        "unacked_restore_interval": max(1, min(10, settings.visibility_timeout // 5)),
        "unacked_restore_throttle": 1,
    }
    if settings.broker_prefix:
        options["global_keyprefix"] = settings.broker_prefix
    return options


def celery_config(settings: Settings) -> dict[str, Any]:
    return {
        "broker_url": settings.broker_url or EMBEDDED_BROKER,
        "broker_transport": REDIS_TRANSPORT if _is_redis(settings.broker_url) else None,
        "broker_transport_options": broker_options(settings),
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # a broker restart is waited out, never fatal
        "task_default_queue": settings.queue,
        "task_ignore_result": True,  # results live in the database, not in a result backend
        "task_acks_late": True,  # acknowledged when done: a worker killed mid-task loses nothing
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,  # redelivered, idempotent
        "worker_send_task_events": True,  # for Flower and `celery events`
        "task_send_sent_event": True,
        "beat_scheduler": "worker.schedule:WatchlistScheduler",
        "beat_max_loop_interval": 5,  # how soon beat sees an edited watchlist
        "beat_enable_remote_control": True,  # `celery inspect ping` reaches beat: a healthcheck
        "timezone": "UTC",
        "enable_utc": True,
    }


def make_broker_folders(settings: Settings) -> None:
    """The embedded broker's folders; kombu expects them to exist."""
    if settings.broker_url is None:
        for name in ("data_folder_in", "control_folder"):
            Path(broker_options(settings)[name]).mkdir(parents=True, exist_ok=True)


_settings = load_settings()
app = Celery("claimwatch", include=["worker.tasks"])
app.conf.update(celery_config(_settings))
runtime = Runtime(_settings.config)


def _prepare_broker(**_: Any) -> None:
    make_broker_folders(load_settings())


def _new_worker_process(**_: Any) -> None:
    runtime.reset()
    settle_process()


celeryd_init.connect(_prepare_broker, weak=False)
beat_init.connect(_prepare_broker, weak=False)
worker_process_init.connect(_new_worker_process, weak=False)
