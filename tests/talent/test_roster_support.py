"""Helpers for roster import tests (no tests here): small files built in memory, imports run
as an account."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.files.base import ContentFile
from openpyxl import Workbook

from talent import identity, rules
from talent.models import Division, RosterImport
from talent.roster import columns as C
from talent.roster import service
from tests import factories

COUNTY = "430104000000"
OTHER_COUNTY = "430105000000"
VILLAGE = "430104100201"
VILLAGE_2 = "430104100202"
OTHER_VILLAGE = "430105100201"


def places() -> dict[str, Division]:
    tree = factories.division_tree()
    tree["village_2"] = factories.division_get_or_make(VILLAGE_2, name="枫林村")
    factories.division_get_or_make(OTHER_COUNTY, name="开福区")
    factories.division_get_or_make("430105100000", name="捞刀河镇")
    tree["other_village"] = factories.division_get_or_make(OTHER_VILLAGE, name="彭家巷村")
    return tree


def editor(jurisdiction: str = COUNTY, *, personal_data: bool = True, role: str = "editor"):
    user = factories.user_make()
    rules.staff_account_save(
        username=user.username,
        jurisdiction=Division.objects.get(code=jurisdiction),
        role=role,
        personal_data=personal_data,
    )
    return user


def id_number(birth: dt.date = dt.date(1985, 3, 4), gender: str = "male", n: int | None = None) -> str:
    return factories.id_number_for(birth_date=birth, gender=gender, n=n)


def person_row(n: int | None = None, **overrides: str) -> dict[str, str]:
    """A valid people-roster row (Chinese headers) for a male party secretary of 桐木村."""
    n = factories.next_number() if n is None else n
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n % 3000)
    gender = "male" if n % 2 else "female"
    row = {
        "姓名": f"村干部{n}",
        "性别": "男" if gender == "male" else "女",
        "居民身份证号码": identity.make_id_number("430104", birth, n % 400, gender=gender),
        "出生日期": birth.isoformat(),
        "学历": "高中",
        "户籍所在地区划代码": VILLAGE,
        "任职村(社区)代码": VILLAGE,
        "职务": "村党组织书记",
        "任职开始日期": "2011-01-05",
    }
    row.update(overrides)
    return row


def headers_for(kind: str, rows: list[dict[str, str]]) -> list[str]:
    known = [c.header for c in C.roster_columns(kind)]
    extra = [h for r in rows for h in r if h not in known]
    used = {h for r in rows for h in r}
    return [h for h in known if h in used] + list(dict.fromkeys(extra))


def csv_bytes(kind: str, rows: list[dict[str, str]], *, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers_for(kind, rows), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(kind: str, rows: list[dict[str, object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    headers = headers_for(kind, rows)
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, *, kind: str = "people", mode: str = "create", actor, name: str | None = None):
    name = name or ("roster.xlsx" if content[:2] == b"PK" else "roster.csv")
    return service.import_create(upload=ContentFile(content, name=name), original_name=name, kind=kind, mode=mode,
                                 actor=actor)  # fmt: skip


def validate(content: bytes, *, kind: str = "people", mode: str = "create", actor, name: str | None = None):
    roster_import = upload(content, kind=kind, mode=mode, actor=actor, name=name)
    service.import_validate(roster_import=roster_import)
    roster_import.refresh_from_db()
    return roster_import


def run(rows, *, kind: str = "people", mode: str = "create", actor, commit: bool = True) -> RosterImport:
    roster_import = validate(csv_bytes(kind, rows), kind=kind, mode=mode, actor=actor)
    if commit and roster_import.status == "valid":
        service.import_commit(roster_import=roster_import, actor=actor)
        roster_import.refresh_from_db()
    return roster_import


def codes(roster_import: RosterImport) -> set[tuple[int, str, str]]:
    """{(row, column header, code)} of an import's errors."""
    return {(e["row"], e["column"], e["code"]) for e in roster_import.errors}
