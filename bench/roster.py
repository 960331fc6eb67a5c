"""Roster import and export figures, each run in a child process of its own (``python -m
bench.roster import|export …``) that prints one JSON object on its last line:

- ``import``: in a scratch database of its own (bench/import_bench.py's: created, migrated,
  dropped at the end), the roster of N people with a post each (one in five a graduate
  official) validated (the dry run) and committed (checked again, written with history and
  eligibility facts), beside two baselines on the same rows: a raw ``COPY`` of the same people,
  posts and graduate records into the same tables (constraints, indexes and history triggers
  on, nothing checked beforehand; rolled back), and django-import-export's default import
  (``import_data(dry_run=True)``, people only, on fewer rows: its rate is steady).
- ``export``: N people of the benchmark database written as the people roster (the masked
  copy a viewer's report holds) to XLSX or CSV by the report writers, streamed from a
  server-side cursor; rows/s and the process's peak memory above what it held before.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("party_secretary", "committee_director", "party_committee_member", "committee_member")


def _copy_lines(rows: int, offset: int, first_id: int) -> dict[str, list[str]]:
    """The rows of ``import_bench.roster_csv(rows, offset)`` as COPY text for the tables."""
    from bench.import_bench import VILLAGES
    from talent import identity

    now = "2015-07-01 09:00:00+08"
    people, posts, graduates = [], [], []
    for n, k in enumerate(range(offset, offset + rows)):
        pid = first_id + n
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=k // 500)
        gender = "male" if k % 2 else "female"
        village = f"430104100{200 + k % VILLAGES:03d}"
        number = identity.make_id_number("430104", birth, (k % 500) // 2, gender=gender)
        people.append(
            f"{pid}\t张{k}\t{gender}\t{birth}\t{number}\than\tparty_member\t\\N\thigh_school\t\t\tf\t"
            f"138{k:08d}\t{village}\t\t{now}\t{now}\n"
        )
        posts.append(f"{pid}\t{village}\t{ROLES[k % 4]}\t2011-01-05\t\\N\t\n")
        if k % 5 == 0:
            graduates.append(f"{pid}\t2010\t2010-08-01\tserving\n")
    return {"people": people, "posts": posts, "graduates": graduates}


PERSON_COLUMNS = (
    "id, name, gender, birth_date, id_number, ethnicity, political_status, party_joined_on, education, school, "
    "major, key_university, phone, home_division_id, notes, created_at, updated_at"
)


def raw_copy_seconds(connection, rows: int, offset: int) -> float:
    """COPY the same people, posts and graduate records into the registry's tables in one
    transaction (history triggers and constraints on, the settings defined as the commit
    defines them), then roll back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) + 1000000 FROM talent_person")
        first_id = cursor.fetchone()[0]
    lines = _copy_lines(rows, offset, first_id)
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
            cursor.execute(
                "SELECT set_config('pghistory.context_id', gen_random_uuid()::text, true), "
                "set_config('pghistory.context_metadata', '{\"user\": 0}', true)"
            )
            started = time.perf_counter()
            for table, columns, key in (
                ("talent_person", PERSON_COLUMNS, "people"),
                ("talent_graduateofficial", "person_id, batch_year, selected_on, status", "graduates"),
                ("talent_post", 'person_id, village_id, role, start, "end", end_reason', "posts"),
            ):
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for i in range(0, len(lines[key]), 20000):
                        copy.write("".join(lines[key][i : i + 20000]))
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign keys, checked now
            return time.perf_counter() - started
        finally:
            cursor.execute("ROLLBACK")


def run_import(args) -> dict:
    from bench import import_bench

    connection = import_bench.setup_database(keep=False)
    from django.conf import settings

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-import-")
    out: dict = {"rows": args.rows, "iie_rows": args.iie_rows, "runs": []}
    try:
        user = import_bench.make_places_and_user()
        for run in range(args.repeat):
            offset = run * 1_000_000
            content = import_bench.roster_csv(args.rows, offset=offset)
            copy_seconds = raw_copy_seconds(connection, args.rows, offset)
            validate_seconds, info = import_bench.bench_validate(content, user, 1)
            commit_seconds = import_bench.bench_commit(info["import"], user)
            out["runs"].append(
                {"copy": copy_seconds, "validate": validate_seconds, "commit": commit_seconds,
                 "written": info["import"].summary.get("written")}
            )  # fmt: skip
        small = import_bench.roster_csv(args.iie_rows, offset=90_000_000)
        out["iie"] = [import_bench.bench_import_export(small, clean=False) for _ in range(args.iie_repeat)]
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    return out


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def run_export(args) -> dict:
    import django

    django.setup()
    from talent.models import Person
    from talent.roster import export_headers, export_rows
    from workers.reports.writers import Table, write_csv, write_xlsx

    people = Person.objects.filter(pk__in=Person.objects.order_by("id").values("pk")[: args.rows]).order_by("id")
    writer = {"xlsx": write_xlsx, "csv": write_csv}[args.format]
    before = _peak_rss_bytes()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        path = Path(folder) / f"roster.{args.format}"
        table = Table("人员花名册", export_headers("people"), lambda: export_rows("people", people, masked=True))
        started = time.perf_counter()
        rows = writer(path, [table])
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    return {"people": args.rows, "rows": rows, "seconds": seconds, "bytes": size,
            "rss_before": before, "rss_peak": _peak_rss_bytes()}  # fmt: skip


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.base")
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    imp = sub.add_parser("import")
    imp.add_argument("--rows", type=int, default=100_000)
    imp.add_argument("--iie-rows", type=int, default=5_000)
    imp.add_argument("--repeat", type=int, default=3)
    imp.add_argument("--iie-repeat", type=int, default=3)
    exp = sub.add_parser("export")
    exp.add_argument("--rows", type=int, default=100_000)
    exp.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    args = parser.parse_args()
    result = run_import(args) if args.what == "import" else run_export(args)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
