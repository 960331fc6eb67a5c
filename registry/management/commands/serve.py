"""``manage.py serve``: set up and run the whole service on one machine.

Applies migrations, loads the GB/T 2260 divisions and the demo registry when the database is
empty, collects static files, makes sure an administrator account exists, then runs the web
server (gunicorn) and a Celery worker with beat until interrupted. With no DATABASE_URL and
no CELERY_BROKER_URL this is the embedded PostgreSQL and the file-system broker; with them set,
the real servers.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from talent.models import Division, Person


class Command(BaseCommand):
    help = "初始化数据库并启动服务(Web 服务与后台任务)。Set up the database and run the web server and worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"), help="host:port for gunicorn")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--scale", default="small", choices=["small", "county", "province"], help="demo data size")
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty registry")
        parser.add_argument("--no-worker", action="store_true", help="do not start the Celery worker")
        parser.add_argument("--setup-only", action="store_true", help="prepare the database and exit")

    def handle(self, *args, **options):
        self._setup(options)
        if options["setup_only"]:
            return
        self._run(options)

    def _setup(self, options) -> None:
        call_command("migrate", interactive=False, verbosity=1)
        if not Division.objects.exists():
            call_command("load_divisions")
        if not options["no_demo"] and not Person.objects.exists():
            call_command("seed_demo", scale=options["scale"], seed=1)
        call_command("collectstatic", interactive=False, verbosity=0)
        self._ensure_admin()

    def _ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", password=password)
        self.stdout.write(self.style.SUCCESS(f"已创建管理员账号 admin,密码:{password}(仅显示这一次)"))

    def _run(self, options) -> None:
        python = sys.executable
        children: list[subprocess.Popen] = []
        web = [
            python, "-m", "gunicorn", "registry.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--graceful-timeout", "10",
        ]  # fmt: skip
        children.append(subprocess.Popen(web))
        if not options["no_worker"]:
            # Beat runs inside the worker here (one machine), reading its schedules from the
            # database (django-celery-beat); production runs it as its own process.
            worker = [
                python, "-m", "celery", "-A", "registry", "worker", "--beat", "-Q", "default,reports",
                "--loglevel", "INFO", "--concurrency", "2",
            ]  # fmt: skip
            children.append(subprocess.Popen(worker))
        host, _, port = options["bind"].rpartition(":")
        self.stdout.write(
            self.style.SUCCESS(f"服务已启动:http://{host}:{port}/api/docs/  管理后台:http://{host}:{port}/admin/")
        )
        self.stdout.write("按 Ctrl-C 停止。")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [child.args[2] for child in children if child.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(f"a service process exited unexpectedly: {failed}")
