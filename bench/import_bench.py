"""Roster import benchmark: rows/s validated and committed for a CSV of people with posts, side
by side with django-import-export's default import of the same rows, and the cost of history
triggers in one big transaction with and without the settings fix (docs/import.md).

    DATABASE_URL=postgres://… .venv/bin/python bench/import_bench.py [--rows 100000] [--iie-rows 5000]
        [--repeat 3] [--no-commit] [--no-history]

Runs in a scratch database of its own (<name>_import_bench, created and migrated, dropped at
the end unless --keep), so the registry's data is never touched. Prints rows/s (median and
best of the runs) and the ratio, with the machine's load average before and after: on a
shared machine, figures mean little without it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.base")

COUNTY = "430104000000"
TOWNSHIP = "430104100000"
VILLAGES = 200
ROLES = ["村党组织书记", "村委会主任", "村党组织委员", "村委会委员"]


def setup_database(keep: bool):
    import django
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{name}_import_bench"
    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep)
    return connection


def make_places_and_user():
    from talent import rules
    from talent.models import Division

    def division(code, name, level, parent=None, **kw):
        return Division.objects.get_or_create(code=code, defaults={"name": name, "level": level,
                                                                   "parent_id": parent, **kw})[0]  # fmt: skip

    division("430000000000", "湖南省", "province")
    division("430100000000", "长沙市", "city", "430000000000")
    division(COUNTY, "岳麓区", "county", "430100000000")
    division(TOWNSHIP, "莲花镇", "township", COUNTY)
    for n in range(VILLAGES):
        division(f"430104100{200 + n:03d}", f"第{n}村", "village", TOWNSHIP, kind="village")
    from django.contrib.auth import get_user_model

    get_user_model().objects.get_or_create(username="bench")
    rules.staff_account_save(username="bench", jurisdiction=Division.objects.get(code=COUNTY), role="editor",
                             personal_data=True)  # fmt: skip
    return get_user_model().objects.get(username="bench")


def roster_csv(rows: int, *, offset: int = 0) -> bytes:
    """A people roster with a post on every row; one in five a graduate official."""
    from talent import identity
    from talent.roster import columns as C

    headers = [c.header for c in C.input_columns("people")]
    index = {h: i for i, h in enumerate(headers)}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for k in range(offset, offset + rows):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=k // 500)
        gender = "male" if k % 2 else "female"
        row = [""] * len(headers)
        village = f"430104100{200 + k % VILLAGES:03d}"
        row[index["姓名"]] = f"张{k}"
        row[index["性别"]] = "男" if gender == "male" else "女"
        row[index["居民身份证号码"]] = identity.make_id_number("430104", birth, (k % 500) // 2, gender=gender)
        row[index["出生日期"]] = birth.isoformat()
        row[index["政治面貌"]] = "中共党员"
        row[index["学历"]] = "高中"
        row[index["联系电话"]] = f"138{k:08d}"
        row[index["户籍所在地区划代码"]] = village
        row[index["任职村(社区)代码"]] = village
        row[index["职务"]] = ROLES[k % 4]
        row[index["任职开始日期"]] = "2011/1/5"
        if k % 5 == 0:
            row[index["大学生村官选聘年度"]] = "2010"
            row[index["选聘日期"]] = "2010年8月1日"
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def new_import(content: bytes, user, name: str = "bench.csv", mode: str = "create"):
    from django.core.files.base import ContentFile

    from talent.roster import service

    return service.import_create(upload=ContentFile(content, name=name), original_name=name, kind="people",
                                 mode=mode, actor=user)  # fmt: skip


def bench_validate(content: bytes, user, repeat: int, mode: str = "create") -> tuple[float, dict]:
    from talent.roster import service

    roster_import = new_import(content, user, mode=mode)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        service.import_validate(roster_import=roster_import)
        times.append(time.perf_counter() - started)
        roster_import.refresh_from_db()
        assert roster_import.status == "valid", roster_import.errors[:5]
    return statistics.median(times), {"times": times, "summary": roster_import.summary, "import": roster_import}


def bench_commit(roster_import, user) -> float:
    from talent.roster import service

    started = time.perf_counter()
    service.import_commit(roster_import=roster_import, actor=user)
    seconds = time.perf_counter() - started
    roster_import.refresh_from_db()
    assert roster_import.status == "committed", (roster_import.stage, roster_import.errors[:5])
    return seconds


def bench_import_export(content: bytes, *, clean: bool) -> float:
    """django-import-export's default import (dry run, as its admin's first step) of the
    people in the same rows: a ModelResource keyed by ID number, the roster's Chinese headers
    as column names, enumerations through a label widget."""
    import tablib
    from import_export import fields, resources, widgets

    from talent.choices import Education, Gender, PoliticalStatus
    from talent.models import Division, Person

    class LabelWidget(widgets.Widget):
        def __init__(self, choices):
            super().__init__()
            self.lookup = {str(label): value for value, label in choices.choices}

        def clean(self, value, row=None, **kwargs):
            return self.lookup.get(value, value)

    class PersonResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="姓名")
        gender = fields.Field(attribute="gender", column_name="性别", widget=LabelWidget(Gender))
        id_number = fields.Field(attribute="id_number", column_name="居民身份证号码")
        birth_date = fields.Field(attribute="birth_date", column_name="出生日期", widget=widgets.DateWidget("%Y-%m-%d"))
        political_status = fields.Field(attribute="political_status", column_name="政治面貌",
                                        widget=LabelWidget(PoliticalStatus))  # fmt: skip
        education = fields.Field(attribute="education", column_name="学历", widget=LabelWidget(Education))
        phone = fields.Field(attribute="phone", column_name="联系电话")
        home_division = fields.Field(attribute="home_division", column_name="户籍所在地区划代码",
                                     widget=widgets.ForeignKeyWidget(Division, "code"))  # fmt: skip

        class Meta:
            model = Person
            import_id_fields = ["id_number"]
            fields = ["name", "gender", "id_number", "birth_date", "political_status", "education", "phone",
                      "home_division"]  # fmt: skip
            clean_model_instances = clean

    dataset = tablib.Dataset().load(content.decode("utf-8-sig"), format="csv")
    started = time.perf_counter()
    result = PersonResource().import_data(dataset, dry_run=True)
    seconds = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors(), (
        result.base_errors[:1] or [r.errors for r in result.rows if r.errors][:1] or result.invalid_rows[:1]
    )
    return seconds


def history_cost(connection, sizes=(10_000, 40_000)) -> list[tuple[int, float, float]]:
    """People inserted with INSERT … SELECT in one rolled-back transaction, the history
    triggers on: without and with pgtrigger.ignore set for the transaction."""
    out = []
    for n in sizes:
        seconds = []
        for fix in (False, True):
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                if fix:
                    cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
                cursor.execute(
                    "SELECT set_config('pghistory.context_id', gen_random_uuid()::text, true), "
                    "set_config('pghistory.context_metadata', '{\"user\": 0}', true)"
                )
                started = time.perf_counter()
                cursor.execute(
                    """
                    INSERT INTO talent_person (name, gender, birth_date, id_number, ethnicity, political_status,
                        education, school, major, key_university, phone, notes, home_division_id, created_at,
                        updated_at)
                    SELECT 'p' || g, CASE WHEN g %% 2 = 1 THEN 'male' ELSE 'female' END, d,
                        x || talent_id_check_char(x),
                        'han', 'masses', 'bachelor', '', '', false, '', '', '430104100200', now(), now()
                    FROM (SELECT g, date '1950-01-01' + g / 450 AS d FROM generate_series(1, %s) g) s,
                    LATERAL (SELECT '430104' || to_char(d, 'YYYYMMDD') ||
                             lpad(((g %% 450) * 2 + CASE WHEN g %% 2 = 1 THEN 1 ELSE 0 END)::text, 3, '0') AS x) i
                    """,
                    [n],
                )
                seconds.append(time.perf_counter() - started)
                cursor.execute("ROLLBACK")
        out.append((n, seconds[0], seconds[1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the roster (default 100,000)")
    parser.add_argument("--iie-rows", type=int, default=5_000,
                        help="rows given to django-import-export (its rows/s is steady; default 5,000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="validation runs (the median counts)")
    parser.add_argument("--no-commit", action="store_true", help="skip the commit measurement")
    parser.add_argument("--no-history", action="store_true", help="skip the history-trigger measurement")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    connection = setup_database(args.keep)
    from django.conf import settings

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="import-bench-")
    try:
        user = make_places_and_user()
        print(f"数据库 {connection.settings_dict['NAME']}; PostgreSQL {connection.pg_version // 10000}; "
              f"CPU {os.cpu_count()}; 负载 load average {_load()}")  # fmt: skip
        content = roster_csv(args.rows)
        seconds, info = bench_validate(content, user, args.repeat)
        ours = args.rows / seconds
        best = min(info["times"])
        print(f"本系统 校验 {args.rows:,} 行(人员+职务,CSV):中位 {seconds:.2f} 秒 → {ours:,.0f} 行/秒;"
              f"最好 {best:.2f} 秒 → {args.rows / best:,.0f} 行/秒"
              f"  (各次 {', '.join(f'{t:.2f}' for t in info['times'])};负载 {_load()})")  # fmt: skip

        small = roster_csv(args.iie_rows, offset=10_000_000)
        iie_seconds = bench_import_export(small, clean=False)
        iie = args.iie_rows / iie_seconds
        print(f"django-import-export 默认导入(dry_run){args.iie_rows:,} 行人员:{iie_seconds:.2f} 秒 → {iie:,.0f} 行/秒")
        iie_clean = args.iie_rows / bench_import_export(small, clean=True)
        print(f"django-import-export(clean_model_instances=True):{iie_clean:,.0f} 行/秒")
        print(f"倍数 ratio:{ours / iie:,.1f}×(默认) / {ours / iie_clean:,.1f}×(含模型校验)")

        if not args.no_commit:
            commit_seconds = bench_commit(info["import"], user)
            print(f"本系统 提交 {args.rows:,} 行(含重新校验、历史记录与资格预计算):{commit_seconds:.2f} 秒 → "
                  f"{args.rows / commit_seconds:,.0f} 行/秒;写入 {info['import'].summary.get('written')}")  # fmt: skip
            again, _ = bench_validate(content, user, 1, mode="upsert")
            print(f"本系统 再次校验同一文件(新增或更新方式下应全部无变化):{args.rows / again:,.0f} 行/秒")

        if not args.no_history:
            for n, without, with_fix in history_cost(connection):
                print(f"历史触发器 INSERT … SELECT {n:,} 人:未设置 pgtrigger.ignore {without:.2f} 秒,"
                      f"设置后 {with_fix:.2f} 秒")  # fmt: skip
        print(f"负载 load average {_load()}")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def _load() -> str:
    """The load average over 1, 5 and 15 minutes (as ``uptime`` shows it)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
