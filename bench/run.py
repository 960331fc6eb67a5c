"""``python -m bench``: the province-scale benchmark (issue 7; docs/benchmarks.md).

On the database of ``DATABASE_URL`` holding ``seed_demo --scale S`` (seeded first when it
holds nobody; ``--scratch`` uses a database of its own, created, migrated, seeded and dropped),
with the service under gunicorn on loopback and token auth and a Celery worker for reports, it
measures each figure beside a baseline taken in the same run on the same data, prints the
machine, the data, the commit and a table, and writes the JSON to ``bench/results/``.

Every figure is a median (p50) and, for requests, a p95 over repeated runs; every ratio is
between two medians of this run. The machine is shared and small (2 cores): ratios are what
carries over, absolute times drift.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
PROVINCE = "430000000000"


@dataclass(frozen=True)
class Plan:
    """How much each figure measures, by scale."""

    repeat: int  # samples per HTTP figure and its SQL baseline
    union_repeat: int  # runs of the on-the-fly union (seconds each at province scale)
    duration: float  # seconds of the throughput test
    reports: int  # mobility reports requested (and raw SQL runs)
    import_rows: int
    iie_rows: int
    import_repeat: int
    export_rows: int
    rebuild_repeat: int


PLANS = {
    "small": Plan(
        repeat=5,
        union_repeat=2,
        duration=3,
        reports=1,
        import_rows=1_000,
        iie_rows=200,
        import_repeat=1,
        export_rows=1_000,
        rebuild_repeat=1,
    ),
    "county": Plan(
        repeat=20,
        union_repeat=3,
        duration=15,
        reports=2,
        import_rows=20_000,
        iie_rows=2_000,
        import_repeat=2,
        export_rows=20_000,
        rebuild_repeat=2,
    ),
    "province": Plan(
        repeat=200,
        union_repeat=3,
        duration=30,
        reports=3,
        import_rows=100_000,
        iie_rows=5_000,
        import_repeat=3,
        export_rows=100_000,
        rebuild_repeat=3,
    ),
}


# --- Statistics ------------------------------------------------------------------------------


def p50(values) -> float | None:
    return statistics.median(values) if values else None


def p95(values) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def secs(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:,.2f} s"


# --- Setup -----------------------------------------------------------------------------------


def _django(scratch: str | None, keep: bool):
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.base")
    # The query counts go through Django's test client, whose static files middleware warns
    # that collectstatic has not run: the API's responses do not use static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django
    from django.conf import settings

    if scratch:
        name = settings.DATABASES["default"]["NAME"]
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{name}_{scratch}"
    django.setup()
    from django.db import connection

    if scratch:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep)
    return connection


def database_url(settings_dict: dict) -> str:
    quote = urllib.parse.quote
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "127.0.0.1", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def _seed_if_empty(scale: str, log) -> None:
    from talent.demo import demo_seed
    from talent.models import Person

    if Person.objects.exists():
        return
    log(f"数据库中没有人员:先生成演示数据 seed_demo --scale {scale}")
    demo_seed(scale=scale, progress=False)


def machine(connection) -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=PROJECT_DIR,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
        "postgresql": pg,
        "python": platform.python_version(),
        "commit": commit + ("+changes" if dirty else ""),
        "load_average": os.getloadavg(),
    }


def data_size(connection) -> dict:
    tables = [
        "talent_person",
        "talent_post",
        "talent_serviceterm",
        "talent_graduateofficial",
        "talent_assessment",
        "talent_eligibilityfact",
    ]
    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # the fixed names above
            out[table.removeprefix("talent_")] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        out["database_bytes"] = cursor.fetchone()[0]
    return out


def staff_tokens(n: int) -> list[str]:
    """Viewer accounts of the whole province without the personal-data right (the common
    reader: no audit row per response), one token each."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from talent import rules
    from talent.models import Division

    province = Division.objects.get(code=PROVINCE)
    tokens = []
    for i in range(n):
        username = f"bench-reader-{i}"
        user, _ = get_user_model().objects.get_or_create(username=username)
        rules.staff_account_save(username=username, jurisdiction=province, role="viewer", personal_data=False)
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return tokens


@dataclass
class Places:
    city: str
    county: str
    sample_ids: list[int] = field(default_factory=list)


def places(connection) -> Places:
    """The city with the most people at home, its county with the most, and a fixed sample
    of people in that county (for details)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT left(home_division_id, 4), count(*) FROM talent_person GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        )
        city = cursor.fetchone()[0]
        cursor.execute(
            "SELECT left(home_division_id, 6), count(*) FROM talent_person WHERE home_division_id LIKE %s "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
            [city + "%"],
        )
        county = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM talent_person WHERE home_division_id LIKE %s ORDER BY md5(id::text) LIMIT 400",
            [county + "%"],
        )
        ids = [r[0] for r in cursor.fetchall()]
    return Places(city=city.ljust(12, "0"), county=county.ljust(12, "0"), sample_ids=ids)


# --- HTTP ------------------------------------------------------------------------------------


class Client:
    """Plain http.client (little client-side work, so the timings are the server's)."""

    def __init__(self, url: str):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response.status, data, time.perf_counter() - started

    def get(self, path: str, token: str) -> tuple[int, bytes, float]:
        return self.request("GET", path, token)


def _ok(status: int, body: bytes, what: str) -> dict:
    if status != 200:
        raise RuntimeError(f"{what}: HTTP {status} {body[:300]!r}")
    return json.loads(body)


# --- SQL -------------------------------------------------------------------------------------


class Sql:
    """Baselines through psycopg directly, on a connection of their own."""

    def __init__(self, url: str):
        import psycopg
        from django.conf import settings

        # Client-side parameter binding, as Django's own connections use, and the sessions'
        # settings of the service (DB_PARALLEL_WORKERS): page reads plan as the API's do.
        self.connection = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
        self.parallel = str(settings.DB_PARALLEL_WORKERS)
        self._set_parallel(self.parallel)

    def _set_parallel(self, workers: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, false)", [workers])

    def timed(self, sql: str, params=None, *, parallel: str | None = None) -> tuple[list, float]:
        """Run ``sql`` once; ``parallel``: the parallel workers of a whole-registry aggregate
        (as talent.statistics gives its statement), set outside the timing."""
        if parallel is not None:
            self._set_parallel(parallel)
        try:
            started = time.perf_counter()
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.description else []
            return rows, time.perf_counter() - started
        finally:
            if parallel is not None:
                self._set_parallel(self.parallel)

    def close(self) -> None:
        self.connection.close()


# --- Figures ---------------------------------------------------------------------------------


def figure_candidates(client, sql: Sql, token: str, plan: Plan, where: Places, as_of: dt.date) -> list[dict]:
    from bench.baselines import candidates_bare_sql, candidates_union_sql
    from talent.eligibility import _uses_facts
    from talent.models import EligibilityRule
    from talent.statistics import AGGREGATE_PARALLEL_WORKERS

    out = []
    for rule in EligibilityRule.objects.filter(is_current=True, active=True).order_by("code"):
        if not _uses_facts(rule):
            continue
        path = f"/api/v1/eligibility-rules/{rule.code}/candidates/?as_of={as_of}&within={where.city}&page_size=50"
        bare, bare_params = candidates_bare_sql(rule, as_of=as_of, within=where.city, page_size=50)
        union, union_params = candidates_union_sql(rule, as_of=as_of, within=where.city, page_size=50)
        for _ in range(2):  # warm the worker processes and the cache
            client.get(path, token)
            sql.timed(bare, bare_params)
        api_times, bare_times = [], []
        for _ in range(plan.repeat):
            status, body, seconds = client.get(path, token)
            page = [row["person"]["id"] for row in _ok(status, body, path)["results"]]
            api_times.append(seconds)
            rows, seconds = sql.timed(bare, bare_params)
            bare_times.append(seconds)
        union_times = []
        for _ in range(plan.union_repeat):
            # An aggregate over everybody: the parallel workers the service gives its own
            # aggregates, the most favourable plan for the baseline.
            union_rows, seconds = sql.timed(union, union_params, parallel=AGGREGATE_PARALLEL_WORKERS)
            union_times.append(seconds)
        same = page == [r[0] for r in rows] == [r[0] for r in union_rows]
        out.append(
            {
                "rule": rule.code,
                "page_rows": len(page),
                "same_answer": same,
                "api": api_times,
                "bare_sql": bare_times,
                "union_sql": union_times,
            }
        )
    return out


def figure_floor(client, token: str, plan: Plan) -> dict:
    """The API root with a token: middleware, routing, authentication and the rate count, a
    small JSON answer, no query. What any request of the service costs before it reads
    anything, against which a baseline of a millisecond or less leaves little room."""
    for _ in range(5):
        client.get("/api/v1/", token)
    times = []
    for _ in range(plan.repeat):
        status, body, seconds = client.get("/api/v1/", token)
        _ok(status, body, "API root")
        times.append(seconds)
    return {"api": times}


def figure_people(client, sql: Sql, token: str, plan: Plan, where: Places, as_of: dt.date) -> dict:
    from bench.baselines import POSTS_OF, people_page_sql

    query = f"within={where.county}&group=village_cadre&role=party_secretary&on={as_of}"
    path = f"/api/v1/people/?{query}&page_size=50"
    page_sql, page_params = people_page_sql(
        within=where.county, group="village_cadre", role="party_secretary", on=as_of, page_size=50
    )
    for _ in range(2):
        client.get(path, token)
    api_times, sql_times, page = [], [], []
    for _ in range(plan.repeat):
        status, body, seconds = client.get(path, token)
        page = [row["id"] for row in _ok(status, body, path)["results"]]
        api_times.append(seconds)
        rows, first = sql.timed(page_sql, page_params)
        _, second = sql.timed(POSTS_OF, {"ids": [r[0] for r in rows]})
        sql_times.append(first + second)
    return {
        "query": query,
        "page_rows": len(page),
        "same_answer": page == [r[0] for r in rows],
        "api": api_times,
        "raw_sql": sql_times,
        "queries": query_counts(token, query),
    }


def query_counts(token: str, query: str) -> dict:
    """Queries per request for pages of 10 and 50 (in process, Django's test client)."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    counts = {}
    for size in (10, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/people/?{query}&page_size={size}")
        assert response.status_code == 200, response.content[:300]
        counts[size] = len(captured.captured_queries)
    return counts


def figure_detail(client, sql: Sql, token: str, plan: Plan, where: Places) -> dict:
    """A province viewer's person details against the SQL of the same answer (the row, its
    group records and versions, its current posts with their villages: bench.baselines)."""
    from bench.baselines import person_detail_sql

    ids = where.sample_ids[: max(plan.repeat, 10)]
    statements, params = person_detail_sql(within=PROVINCE, on=dt.date.today())
    # Warm the workers and every sampled person's rows, both ways, as the other figures warm
    # theirs: timed, the request would otherwise be the first to read each person's pages
    # and the SQL that follows it would find them cached.
    for pid in ids:
        client.get(f"/api/v1/people/{pid}/", token)
        for statement in statements:
            sql.timed(statement, {**params, "id": pid})
    api_times, sql_times, same = [], [], True
    for i in range(plan.repeat):
        pid = ids[i % len(ids)]
        status, body, seconds = client.get(f"/api/v1/people/{pid}/", token)
        shown = _ok(status, body, "person detail")
        api_times.append(seconds)
        (row, *_), first = sql.timed(statements[0], {**params, "id": pid})
        posts, second = sql.timed(statements[1], {**params, "id": pid})
        sql_times.append(first + second)
        same = same and shown["id"] == row[0] and [p["id"] for p in shown["current_posts"]] == [p[0] for p in posts]
    return {"api": api_times, "raw_sql": sql_times, "same_answer": same}


def figure_throughput(url: str, tokens: list[str], plan: Plan, where: Places, as_of: dt.date) -> dict:
    """Readers in threads, each with its own token, for ``plan.duration`` seconds: person
    details (60%), a county's people list (30%), a city's candidates page (10%)."""
    from talent.models import EligibilityRule

    rules = list(EligibilityRule.objects.filter(is_current=True, active=True).values_list("code", flat=True))
    mix = [
        ("detail", 0.6, lambda rng: f"/api/v1/people/{rng.choice(where.sample_ids)}/"),
        (
            "people",
            0.3,
            lambda rng: (
                f"/api/v1/people/?within={where.county}&group=village_cadre&page={rng.randint(1, 5)}&page_size=20"
            ),
        ),
        (
            "candidates",
            0.1,
            lambda rng: f"/api/v1/eligibility-rules/{rng.choice(rules)}/candidates/?as_of={as_of}&within={where.city}",
        ),
    ]
    client = Client(url)
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + plan.duration

    def reader(index: int) -> None:
        rng = random.Random(index)
        local = []
        while time.perf_counter() < deadline:
            name, make = _pick(mix, rng.random())
            try:
                status, _, seconds = client.get(make(rng), tokens[index])
            except OSError:
                status, seconds = 0, 0.0
            local.append((name, seconds, status))
        with lock:
            results.extend(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=reader, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times = [s for _, s, status in results if status == 200]
    by_kind = {
        name: {
            "count": sum(1 for n, _, _ in results if n == name),
            "p50": p50([s for n, s, st in results if n == name and st == 200]),
            "p95": p95([s for n, s, st in results if n == name and st == 200]),
        }
        for name, _, _ in mix
    }
    return {
        "readers": len(tokens),
        "seconds": elapsed,
        "requests": len(results),
        "errors": sum(1 for _, _, status in results if status != 200),
        "rps": len(results) / elapsed,
        "p50": p50(times),
        "p95": p95(times),
        "by_kind": by_kind,
    }


def _pick(mix, x: float):
    acc = 0.0
    for name, weight, make in mix:
        acc += weight
        if x < acc:
            return name, make
    return mix[-1][0], mix[-1][2]


def figure_mobility(client, sql: Sql, token: str, plan: Plan, as_of: dt.date) -> dict:
    """The province's mobility report through the API until its files are ready, and the
    statement of talent.statistics run directly (the same figures, no worker, no files)."""
    from talent import statistics as figures
    from talent.models import Report

    report_times, sql_times, ids = [], [], []
    params = {"as_of": as_of, "prefix": "43%", "batch_years": None}
    try:
        for _ in range(plan.reports):
            _, seconds = sql.timed(figures.COMBINED_SQL, params, parallel=figures.AGGREGATE_PARALLEL_WORKERS)
            sql_times.append(seconds)

            started = time.perf_counter()
            status, body, _ = client.request(
                "POST", "/api/v1/reports/", token, {"kind": "mobility", "as_of": str(as_of)}
            )
            if status != 202:
                raise RuntimeError(f"report request: HTTP {status} {body[:300]!r}")
            report_id = json.loads(body)["id"]
            ids.append(report_id)
            while True:
                status, body, _ = client.get(f"/api/v1/reports/{report_id}/", token)
                state = _ok(status, body, "report")["status"]
                if state == "succeeded":
                    break
                if state == "failed":
                    raise RuntimeError(f"report failed: {json.loads(body)['error']}")
                if time.perf_counter() - started > 600:
                    raise RuntimeError("report not ready after 600 s")
                time.sleep(0.1)
            report_times.append(time.perf_counter() - started)
    finally:
        for report in Report.objects.filter(pk__in=ids):
            for stored in report.files.all():
                stored.file.delete(save=False)
            report.delete()
    return {"api_report": report_times, "raw_sql": sql_times}


def figure_facts(sql: Sql, plan: Plan) -> dict:
    """The precomputed facts rebuilt for everybody, and refreshed for 10,000 people in one
    statement (what one write of a roster import costs), each in a transaction rolled back."""
    rebuild, refresh = [], []
    conn = sql.connection
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM talent_person")
        people = cursor.fetchone()[0]
    for _ in range(plan.rebuild_repeat):
        with conn.transaction(force_rollback=True), conn.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("SELECT talent_refresh_facts(NULL, NULL)")
            rebuild.append(time.perf_counter() - started)
    n = min(10_000, people)
    step = max(1, people // n)
    for k in range(6 + plan.rebuild_repeat):  # the first six let the session settle on its plan
        with conn.transaction(force_rollback=True), conn.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(id) FROM (SELECT id FROM talent_person WHERE id %% %s = %s LIMIT %s) s",
                [step, k % step, n if k >= 6 else 1],
            )
            ids = cursor.fetchone()[0]
            started = time.perf_counter()
            cursor.execute("SELECT talent_refresh_facts(%s::bigint[], NULL)", [ids])
            if k >= 6:
                refresh.append(time.perf_counter() - started)
    with conn.cursor() as cursor:
        # Each rolled-back rebuild leaves every fact's new row dead (600,000 at province
        # scale): the candidates pages of later runs would read through them until autovacuum.
        cursor.execute("VACUUM (ANALYZE) talent_eligibilityfact")
    return {"rebuild": rebuild, "refresh_people": n, "refresh": refresh}


def _child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.roster", *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.roster {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def figure_import(plan: Plan, env: dict[str, str]) -> dict:
    return _child(
        [
            "import",
            "--rows",
            str(plan.import_rows),
            "--iie-rows",
            str(plan.iie_rows),
            "--repeat",
            str(plan.import_repeat),
        ],
        env,
    )


def figure_export(plan: Plan, env: dict[str, str], people: int) -> dict:
    rows = min(plan.export_rows, people)
    out = {}
    for fmt in ("xlsx", "csv"):
        out[fmt] = {
            size: _child(["export", "--rows", str(size), "--format", fmt], env) for size in (max(1, rows // 10), rows)
        }
    return out


# --- Report ----------------------------------------------------------------------------------


def table_rows(results: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, measured, baseline, ratio, target, verdict) per line."""
    rows = []

    def verdict(ok: bool | None) -> str:
        return "—" if ok is None else ("met" if ok else "MISSED")

    floor50 = p50(results["floor"]["api"]) if "floor" in results else None
    for c in results.get("candidates", []):
        api50, api95 = p50(c["api"]), p95(c["api"])
        union50, bare50, bare95 = p50(c["union_sql"]), p50(c["bare_sql"]), p95(c["bare_sql"])
        faster = union50 / api50
        same = "" if c["same_answer"] else " (ANSWERS DIFFER)"
        rows.append(
            (
                f"候选人页 candidates {c['rule']} ({c['page_rows']} rows){same}",
                f"p50 {ms(api50)} / p95 {ms(api95)}",
                f"on-the-fly union {ms(union50)}",
                # The bound: no answer is faster than the database's least read of the page.
                f"{faster:,.0f}× faster (the bare SQL itself: {union50 / bare50:,.0f}×)",
                "≥ 100× faster",
                verdict(faster >= 100 and c["same_answer"]),
            )
        )
        ratio, ratio95 = api50 / bare50, api95 / bare95
        floor = f"; the floor alone {floor50 / bare50:.1f}×" if floor50 else ""
        rows.append(
            (
                "  same, against the bare indexed SQL",
                f"p50 {ms(api50)} / p95 {ms(api95)}",
                f"p50 {ms(bare50)} / p95 {ms(bare95)}",
                f"{ratio:.1f}× (p95 {ratio95:.1f}×{floor})",
                "≤ 3×",
                verdict(ratio <= 3),
            )
        )
    if "floor" in results:
        rows.append(
            (
                "请求下限 request floor: the API root (token, rate count, no query)",
                f"p50 {ms(floor50)} / p95 {ms(p95(results['floor']['api']))}",
                "—",
                "—",
                "—",
                "—",
            )
        )
    if "people" in results:
        r = results["people"]
        api50, raw50 = p50(r["api"]), p50(r["raw_sql"])
        queries = {int(size): n for size, n in r["queries"].items()}  # JSON keys are strings
        constant = queries[10] == queries[50]
        rows.append(
            (
                f"人员列表 people list ({r['page_rows']} rows)",
                f"p50 {ms(api50)} / p95 {ms(p95(r['api']))}",
                f"raw SQL {ms(raw50)}",
                f"{api50 / raw50:.1f}×; queries {queries[10]}/{queries[50]}",
                "≤ 3×; queries constant",
                verdict(api50 / raw50 <= 3 and constant),
            )
        )
    if "detail" in results:
        r = results["detail"]
        api50, raw50 = p50(r["api"]), p50(r["raw_sql"])
        same = r.get("same_answer", True)
        rows.append(
            (
                "人员详情 person detail" + ("" if same else " (ANSWERS DIFFER)"),
                f"p50 {ms(api50)} / p95 {ms(p95(r['api']))}",
                f"raw SQL {ms(raw50)}",
                f"{api50 / raw50:.1f}× (p95 {p95(r['api']) / p95(r['raw_sql']):.1f}×)",
                "≤ 3×",
                verdict(api50 / raw50 <= 3 and same),
            )
        )
    if "throughput" in results:
        r = results["throughput"]
        ok = r["rps"] >= 150 and r["p95"] is not None and r["p95"] < 0.05 and r["errors"] == 0
        rows.append(
            (
                f"吞吐 throughput, {r['readers']} readers, {r['seconds']:.0f} s",
                f"{r['rps']:,.0f} req/s; p50 {ms(r['p50'])} / p95 {ms(r['p95'])}; {r['errors']} errors",
                "—",
                "—",
                "≥ 150 req/s, p95 < 50 ms, 0 errors",
                verdict(ok),
            )
        )
    if "import" in results:
        r = results["import"]
        n = r["rows"]
        copy50 = p50([x["copy"] for x in r["runs"]])
        validate50 = p50([x["validate"] for x in r["runs"]])
        commit50 = p50([x["commit"] for x in r["runs"]])
        total = validate50 + commit50
        iie_rate = r["iie_rows"] / p50(r["iie"])
        rows.append(
            (
                f"花名册导入 roster import {n:,} rows: upload (dry run) + commit",
                f"{secs(validate50)} + {secs(commit50)} = {n / total:,.0f} rows/s",
                f"raw COPY {secs(copy50)} = {n / copy50:,.0f} rows/s",
                f"{copy50 / total:.3f}× COPY",
                "≥ 0.5× COPY",
                verdict(copy50 / total >= 0.5),
            )
        )
        rows.append(
            (
                "  commit alone (checks again, history, facts)",
                f"{n / commit50:,.0f} rows/s",
                f"raw COPY {n / copy50:,.0f} rows/s",
                f"{copy50 / commit50:.2f}× COPY",
                "—",
                "—",
            )
        )
        rows.append(
            (
                "  dry run, against django-import-export's",
                f"{n / validate50:,.0f} rows/s",
                f"{iie_rate:,.0f} rows/s (dry run, {r['iie_rows']:,} rows)",
                f"{n / validate50 / iie_rate:,.0f}×",
                "≥ 25×",
                verdict(n / validate50 / iie_rate >= 25),
            )
        )
    if "mobility" in results:
        r = results["mobility"]
        api50, raw50 = p50(r["api_report"]), p50(r["raw_sql"])
        rows.append(
            (
                "流动报表 province mobility report, API until the files are ready",
                secs(api50),
                f"raw SQL {secs(raw50)}",
                f"{api50 / raw50:.2f}×",
                "≤ 1.5×",
                verdict(api50 / raw50 <= 1.5),
            )
        )
    for fmt, by_size in results.get("export", {}).items():
        sizes = sorted(by_size, key=int)
        big, small = by_size[sizes[-1]], by_size[sizes[0]]
        peak, peak_small = big["rss_peak"] / 2**20, small["rss_peak"] / 2**20
        rows.append(
            (
                f"导出 {fmt.upper()} {big['people']:,} people ({big['rows']:,} rows)",
                f"{big['seconds']:.1f} s = {big['rows'] / big['seconds']:,.0f} rows/s",
                f"peak memory {peak:,.0f} MB ({small['people']:,} people: {peak_small:,.0f} MB)",
                "—",
                "rows/s; memory bounded",
                verdict(peak <= peak_small * 1.25),
            )
        )
    if "facts" in results:
        r = results["facts"]
        rows.append(("资格预计算 facts rebuilt for everybody", secs(p50(r["rebuild"])), "—", "—", "seconds", "—"))
        rows.append(
            (
                f"  facts refreshed for {r['refresh_people']:,} people (one statement)",
                ms(p50(r["refresh"])),
                "—",
                "—",
                "—",
                "—",
            )
        )
    return rows


def print_table(rows, out=sys.stdout) -> None:
    headers = ("figure", "measured", "baseline", "ratio", "target", "")
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        out.write("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def markdown(rows) -> str:
    lines = ["| figure | measured | baseline | ratio | target | |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# --- Main ------------------------------------------------------------------------------------

FIGURES = ("candidates", "people", "detail", "throughput", "mobility", "facts", "import", "export")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=list(PLANS), default="province", help="demo data scale (default province)")
    parser.add_argument(
        "--scratch",
        action="store_true",
        help="run in a scratch database of its own (<name>_bench_<scale>), seeded, then dropped",
    )
    parser.add_argument("--keep", action="store_true", help="with --scratch: keep the scratch database")
    parser.add_argument("--only", default="", help=f"comma-separated figures to run: {','.join(FIGURES)}")
    parser.add_argument("--repeat", type=int, help="samples per request figure (default by scale)")
    parser.add_argument("--duration", type=float, help="seconds of the throughput test (default by scale)")
    parser.add_argument("--readers", type=int, default=4, help="concurrent readers (default 4)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn sync workers (default one per core, as on a machine that also runs PostgreSQL:"
        " docs/deploy.md, 'Capacity notes')",
    )
    parser.add_argument("--as-of", default=None, help="as-of date (default the demo's, 2015-06-30)")
    parser.add_argument("--json", type=Path, help="where to write the results (default bench/results/…)")
    parser.add_argument("--table", type=Path, help="print the table of an earlier run's JSON and stop")
    args = parser.parse_args(argv)
    if args.table:
        rows = table_rows(json.loads(args.table.read_text()))
        print_table(rows)
        print()
        print(markdown(rows))
        return 0
    only = set(filter(None, args.only.split(","))) or set(FIGURES)
    unknown = only - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")

    plan = PLANS[args.scale]
    overrides = {k: v for k, v in (("repeat", args.repeat), ("duration", args.duration)) if v is not None}
    plan = Plan(**{**plan.__dict__, **overrides})

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    connection = _django(f"bench_{args.scale}" if args.scratch else None, args.keep)
    try:
        return _run(args, plan, only, connection, log)
    finally:
        if args.scratch and not args.keep:
            connection.close()
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def _run(args, plan: Plan, only: set[str], connection, log) -> int:
    from bench import servers
    from talent.demo import AS_OF

    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else AS_OF
    _seed_if_empty(args.scale, log)
    url = database_url(connection.settings_dict)
    results: dict = {
        "scale": args.scale,
        "as_of": str(as_of),
        "plan": plan.__dict__,
        "machine": machine(connection),
        "data": data_size(connection),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }
    where = places(connection)
    results["places"] = {"city": where.city, "county": where.county}
    tokens = staff_tokens(max(1, args.readers))
    m, d = results["machine"], results["data"]
    log(
        f"机器 machine: {m['cores']} cores, {m['memory_gb']} GB, PostgreSQL {m['postgresql']}, Python {m['python']}, "
        f"commit {m['commit']}, load {', '.join(f'{x:.2f}' for x in m['load_average'])}"
    )
    log(
        f"数据 data ({args.scale}): {d['person']:,} people, {d['post']:,} posts, {d['serviceterm']:,} terms, "
        f"{d['assessment']:,} assessments, {d['eligibilityfact']:,} facts; database "
        f"{d['database_bytes'] / 2**30:.1f} GB; city {where.city}, county {where.county}, as of {as_of}"
    )

    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="registry.settings.base")
    sql = Sql(url)
    try:
        http_figures = only & {"candidates", "people", "detail", "throughput", "mobility"}
        if http_figures:
            with servers.service(url, workers=args.workers) as service:
                results["service"] = {"gunicorn_workers": args.workers, "broker": service.broker}
                client = Client(service.url)
                if "candidates" in only:
                    log("候选人页 candidates …")
                    results["candidates"] = figure_candidates(client, sql, tokens[0], plan, where, as_of)
                    results["floor"] = figure_floor(client, tokens[0], plan)
                if "people" in only:
                    log("人员列表 people list …")
                    results["people"] = figure_people(client, sql, tokens[0], plan, where, as_of)
                if "detail" in only:
                    log("人员详情 person detail …")
                    results["detail"] = figure_detail(client, sql, tokens[0], plan, where)
                if "throughput" in only:
                    log(f"吞吐 throughput, {len(tokens)} readers for {plan.duration:.0f} s …")
                    results["throughput"] = figure_throughput(service.url, tokens, plan, where, as_of)
                if "mobility" in only:
                    log("流动报表 mobility report …")
                    results["mobility"] = figure_mobility(client, sql, tokens[0], plan, as_of)
        if "facts" in only:
            log("资格预计算 facts …")
            results["facts"] = figure_facts(sql, plan)
        if "export" in only:
            log("导出 export …")
            results["export"] = figure_export(plan, env, results["data"]["person"])
        if "import" in only:
            log("花名册导入 roster import (scratch database) …")
            results["import"] = figure_import(plan, env)
    finally:
        sql.close()
    results["machine"]["load_average_end"] = os.getloadavg()
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    rows = table_rows(results)
    results["table"] = [list(row) for row in rows]
    path = args.json or RESULTS_DIR / f"bench-{args.scale}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str, ensure_ascii=False))
    print()
    print_table(rows)
    print()
    print(markdown(rows))
    print(f"\nJSON: {path}")
    return 0
