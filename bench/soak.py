"""Load and soak: concurrent editors and readers against gunicorn and PostgreSQL for a given
time, then proof that every write each editor made is present exactly once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry .venv/bin/python bench/soak.py \
        [--duration 120] [--editors 4] [--readers 4] [--workers 4] [--json] [--keep]

It starts its own gunicorn (``registry.settings.base``) on a free loopback port, against a
scratch database of its own (``<name>_soak``, created and migrated, dropped at the end unless
``--keep``), so the registry's data is never touched; ``--in-place`` uses the database named by
DATABASE_URL as it is (it must be migrated; the test suite runs it so on its test database).
Loopback only: the database must be on this machine (localhost, 127.0.0.1, ::1 or a Unix
socket; the embedded server when DATABASE_URL is unset), and all traffic goes to 127.0.0.1.
Bounded: at most one hour, and every request has a timeout.

Editors, each in a loop until the time is up:
- create a training record with a title of their own (``soak-<run>-e<editor>-<n>``);
- append ``e<editor>:<n>;`` to the notes of a shared person by reading it (ETag) and writing it
  back with If-Match; a 412 means another editor wrote first: read again and retry.
Readers: people lists and searches, a person, trainings, a history.

Then it checks in the database: each acknowledged training exists exactly once and no other;
each shared person's notes hold each acknowledged append exactly once, no other, and the
person's history has exactly one update per acknowledged append. Errors are any transport
failure, any 5xx, and any answer other than those expected (201, 200, and 412 on a
conditional write). Prints requests/s, p50/p95/p99 and the counts; exits 1 unless there were
0 errors and 0 lost or duplicated writes.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.base")

MAX_DURATION = 3600
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 60.0
COUNTY = "430104000000"
TOWNSHIP = "430104100000"
VILLAGE = "430104100201"
APPEND_RETRIES = 50


# --- Checks before anything runs ---------------------------------------------------------------


def is_local_database(url: str) -> bool:
    if not url:
        return True  # the embedded server: a Unix socket in .pgdata
    host = urlparse(url).hostname or ""
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def database_url(settings_dict: dict) -> str:
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


# --- Database: scratch or in place, and the run's data -----------------------------------------


def setup_database(*, in_place: bool, keep: bool):
    import django
    from django.conf import settings

    if not in_place:
        name = settings.DATABASES["default"]["NAME"]
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{name}_soak"
    django.setup()
    from django.db import connection

    if not in_place:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep)
    return connection


def teardown_database(connection, *, in_place: bool, keep: bool, original_name: str) -> None:
    if not in_place and not keep:
        connection.creation.destroy_test_db(original_name, verbosity=0)


@dataclass
class Fixture:
    run: str
    editors: list[str]
    readers: list[str]
    shared: list[int]
    reader_person: int


def make_fixture(*, run: str, editors: int, readers: int, shared: int) -> Fixture:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from talent import identity, rules
    from talent.models import Division, Person

    def division(code, name, level, parent=None, **extra):
        return Division.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent, **extra}
        )[0]

    division("430000000000", "湖南省", "province")
    division("430100000000", "长沙市", "city", "430000000000")
    county = division(COUNTY, "岳麓区", "county", "430100000000")
    division(TOWNSHIP, "莲花镇", "township", COUNTY)
    village = division(VILLAGE, "桐木村", "village", TOWNSHIP, kind="village")

    def account(role: str, n: int, personal_data: bool) -> str:
        username = f"soak-{run}-{role}-{n}"
        get_user_model().objects.create_user(username=username)
        rules.staff_account_save(username=username, jurisdiction=county, role=role, personal_data=personal_data)
        return Token.objects.create(user=get_user_model().objects.get(username=username)).key

    people = []
    seed = int(run[:6], 16) % 300
    for n in range(shared + 1):
        gender = "male" if n % 2 else "female"
        birth = dt.date(1985, 1, 1) + dt.timedelta(days=seed + n)
        person = Person(
            name=f"测试{run[:4]}{n}",
            gender=gender,
            birth_date=birth,
            id_number=identity.make_id_number("430104", birth, (seed * 7 + n) % 500, gender=gender),
            education="bachelor",
            phone=f"139{seed:04d}{n:04d}",
            home_division=village,
        )
        person.full_clean()
        person.save()
        people.append(person.pk)
    return Fixture(
        run=run,
        editors=[account("editor", n, False) for n in range(editors)],
        # Half the readers see personal data in full (each such answer is audited: one INSERT).
        readers=[account("viewer", n, n % 2 == 0) for n in range(readers)],
        shared=people[:shared],
        reader_person=people[-1],
    )


# --- The server -----------------------------------------------------------------------------


def start_gunicorn(db_url: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        DJANGO_SETTINGS_MODULE="registry.settings.base",
        DATABASE_URL=db_url,
        # The soak measures the registry, not its rate limits.
        THROTTLE_RATE_USER="",
        THROTTLE_RATE_ANON="",
        THROTTLE_RATE_LOGIN="",
        LOG_LEVEL="WARNING",
    )
    command = [
        sys.executable, "-m", "gunicorn", "registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--timeout", "60",
    ]  # fmt: skip
    out = log.open("wb")
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            status, _, _ = request(port, "GET", "/healthz", None, None, timeout=2)
            if status == 200:
                return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start in time")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def request(port: int, method: str, path: str, token: str | None, body, *, headers=None, timeout=REQUEST_TIMEOUT):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = {"Accept": "application/json", **(headers or {})}
        payload = None
        if token:
            sent["Authorization"] = f"Token {token}"
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# --- Load ------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    created: list[str] = field(default_factory=list)
    appended: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, port, kind, method, path, token, body=None, *, expect=(200,), headers=None):
        started = time.perf_counter()
        try:
            status, answer_headers, data = request(port, method, path, token, body, headers=headers)
        except OSError as exc:
            with self.lock:
                self.errors.append(f"{kind} {method} {path}: {exc!r}")
            return None, {}, b""
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[kind].append(elapsed)
            self.statuses[status] += 1
            if status not in expect:
                self.errors.append(f"{kind} {method} {path}: {status} {data[:200]!r}")
        return status, answer_headers, data


def editor_loop(port, token, n, fixture: Fixture, tally: Tally, stop_at: float, rng: random.Random) -> None:
    seq = 0
    while time.monotonic() < stop_at:
        seq += 1
        if rng.random() < 0.5:
            title = f"soak-{fixture.run}-e{n}-{seq}"
            body = {"person": fixture.shared[0], "title": title, "organizer": "压力测试", "start": "2024-01-01",
                    "hours": "1.0", "mode": "remote"}  # fmt: skip
            status, _, _ = tally.call(port, "create", "POST", "/api/v1/trainings/", token, body, expect=(201,))
            if status == 201:
                with tally.lock:
                    tally.created.append(title)
            continue
        person = rng.choice(fixture.shared)
        mark = f"e{n}:{seq};"
        url = f"/api/v1/people/{person}/"
        for _ in range(APPEND_RETRIES):
            if time.monotonic() >= stop_at + 30:
                break
            status, headers, data = tally.call(port, "read", "GET", url, token)
            if status != 200:
                break
            notes = json.loads(data)["notes"]
            status, _, _ = tally.call(
                port, "update", "PATCH", url, token, {"notes": notes + mark},
                expect=(200, 412), headers={"If-Match": headers["etag"]},
            )  # fmt: skip
            if status == 200:
                with tally.lock:
                    tally.appended[person].append(mark)
                break
            if status != 412:
                break
            with tally.lock:
                tally.conflicts += 1
            time.sleep(rng.random() * 0.01)


def reader_loop(port, token, fixture: Fixture, tally: Tally, stop_at: float, rng: random.Random) -> None:
    paths = [
        f"/api/v1/people/?within={COUNTY}&page_size=20",
        "/api/v1/people/?q=%E6%B5%8B%E8%AF%95",  # 测试: a search
        f"/api/v1/people/{fixture.reader_person}/",
        f"/api/v1/people/{fixture.reader_person}/history/",
        f"/api/v1/trainings/?person={fixture.shared[0]}&page_size=50",
        f"/api/v1/divisions/?within={COUNTY}",
    ]
    while time.monotonic() < stop_at:
        tally.call(port, "read", "GET", rng.choice(paths), token)


# --- Verification ------------------------------------------------------------------------------


def verify(fixture: Fixture, tally: Tally) -> dict:
    from talent.models import Person, PersonEvent, Training

    titles = Counter(Training.objects.filter(title__startswith=f"soak-{fixture.run}-").values_list("title", flat=True))
    created = Counter(tally.created)
    lost = sum(1 for title in created if titles[title] == 0)
    duplicated = sum(count - 1 for count in titles.values() if count > 1)
    unexpected = sum(1 for title in titles if title not in created)
    appends_lost = appends_duplicated = appends_unexpected = history_mismatch = 0
    for pk in fixture.shared:
        present = Counter(mark + ";" for mark in Person.objects.get(pk=pk).notes.split(";") if mark)
        acknowledged = Counter(tally.appended[pk])
        appends_lost += sum(1 for mark in acknowledged if present[mark] == 0)
        appends_duplicated += sum(count - 1 for count in present.values() if count > 1)
        appends_unexpected += sum(1 for mark in present if mark not in acknowledged)
        updates = PersonEvent.objects.filter(pgh_obj_id=pk, pgh_label="update").count()
        history_mismatch += abs(updates - len(tally.appended[pk]))
    return {
        "creates_acknowledged": len(tally.created),
        "creates_lost": lost,
        "creates_duplicated": duplicated,
        "creates_unacknowledged": unexpected,
        "appends_acknowledged": sum(len(v) for v in tally.appended.values()),
        "appends_lost": appends_lost,
        "appends_duplicated": appends_duplicated,
        "appends_unacknowledged": appends_unexpected,
        "history_mismatch": history_mismatch,
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(tally: Tally, seconds: float) -> dict:
    kinds = {}
    everything = [v for values in tally.latencies.values() for v in values]
    for kind, values in [*sorted(tally.latencies.items()), ("all", everything)]:
        kinds[kind] = {
            "requests": len(values),
            "per_second": round(len(values) / seconds, 1),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else 0.0,
        }
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120, at most 3600)")
    parser.add_argument("--editors", type=int, default=4, help="concurrent editors (default 4)")
    parser.add_argument("--readers", type=int, default=4, help="concurrent readers (default 4)")
    parser.add_argument("--shared", type=int, default=2, help="people whose notes all editors append to (default 2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--in-place", action="store_true", help="use DATABASE_URL's database as it is (migrated)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--seed", type=int, default=1, help="seed of the editors' and readers' choices")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 0 and {MAX_DURATION} seconds")
    if not (1 <= args.editors <= 64 and 0 <= args.readers <= 64 and 1 <= args.shared <= 16 and 1 <= args.workers <= 32):
        parser.error("editors 1-64, readers 0-64, shared 1-16, workers 1-32")
    if not is_local_database(os.environ.get("DATABASE_URL", "")):
        parser.error("loopback only: DATABASE_URL must name a database on this machine")

    from django.conf import settings

    original_name = settings.DATABASES["default"]["NAME"]
    connection = setup_database(in_place=args.in_place, keep=args.keep)
    run = uuid.uuid4().hex[:8]
    log = Path(os.environ.get("SOAK_LOG", f"/tmp/soak-{run}-gunicorn.log"))
    server = None
    try:
        fixture = make_fixture(run=run, editors=args.editors, readers=args.readers, shared=args.shared)
        connection.close()  # the server's workers take the connections from here
        server, address = start_gunicorn(database_url(connection.settings_dict), args.workers, log)
        port = int(address.rsplit(":", 1)[1])
        tally = Tally()
        started = time.monotonic()
        stop_at = started + args.duration
        threads = [
            threading.Thread(
                target=editor_loop,
                args=(port, token, n, fixture, tally, stop_at, random.Random(args.seed * 1000 + n)),
            )
            for n, token in enumerate(fixture.editors)
        ] + [
            threading.Thread(
                target=reader_loop, args=(port, token, fixture, tally, stop_at, random.Random(args.seed * 2000 + n))
            )
            for n, token in enumerate(fixture.readers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.duration + REQUEST_TIMEOUT * 3 + 60)
        seconds = time.monotonic() - started
        stop(server)
        server = None
        checks = verify(fixture, tally)
        result = {
            "duration_s": round(seconds, 1),
            "editors": args.editors,
            "readers": args.readers,
            "gunicorn_workers": args.workers,
            "figures": figures(tally, seconds),
            "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
            "conflicts_412": tally.conflicts,
            "errors": len(tally.errors),
            "error_samples": tally.errors[:10],
            **checks,
        }
    finally:
        if server is not None:
            stop(server)
        teardown_database(connection, in_place=args.in_place, keep=args.keep, original_name=original_name)
    ok = result["errors"] == 0 and all(
        result[k] == 0
        for k in ("creates_lost", "creates_duplicated", "creates_unacknowledged", "appends_lost",
                  "appends_duplicated", "appends_unacknowledged", "history_mismatch")
    )  # fmt: skip
    result["ok"] = ok
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_report(result)
    return 0 if ok else 1


def print_report(result: dict) -> None:
    print(
        f"soak: {result['duration_s']} s, {result['editors']} editors, {result['readers']} readers, "
        f"{result['gunicorn_workers']} gunicorn workers"
    )
    print(f"{'kind':<8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, row in result["figures"].items():
        print(
            f"{kind:<8}{row['requests']:>10}{row['per_second']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
        )
    print(f"statuses: {result['statuses']}; 412 conflicts retried: {result['conflicts_412']}")
    print(f"errors: {result['errors']}")
    for sample in result["error_samples"]:
        print(f"  {sample}")
    print(
        f"creates: {result['creates_acknowledged']} acknowledged, {result['creates_lost']} lost, "
        f"{result['creates_duplicated']} duplicated, {result['creates_unacknowledged']} unacknowledged"
    )
    print(
        f"appends: {result['appends_acknowledged']} acknowledged, {result['appends_lost']} lost, "
        f"{result['appends_duplicated']} duplicated, {result['appends_unacknowledged']} unacknowledged; "
        f"history mismatches: {result['history_mismatch']}"
    )
    print("OK" if result["ok"] else "FAILED")


if __name__ == "__main__":
    sys.exit(main())
