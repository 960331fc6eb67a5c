"""Helpers for tests that run the project's programs as child processes: where the project
and its virtualenv are, and the environment a child needs."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

PROJECT_DIR = Path(settings.BASE_DIR)
BIN_DIR = Path(sys.executable).parent


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process of the test run: the virtualenv's tools first on
    PATH (CI runs ``.venv/bin/python -m pytest`` without activating it)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN_DIR), env.get("PATH", "")])
    env.update(overrides)
    return env


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for Django's connection settings (a socket folder as host works too)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "127.0.0.1", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
