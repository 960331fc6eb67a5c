"""Templates, the roster export in the import's own columns (export → edit in Excel → import
round-trips), and the annotated copy of an upload."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from talent.models import Assessment, Person, Post, ServiceTerm
from talent.roster import columns as C
from talent.roster import roster_rows, roster_template, roster_workbook, service
from tests import factories
from tests.talent.test_roster_support import (
    codes,
    csv_bytes,
    editor,
    person_row,
    places,
    run,
    validate,
    xlsx_bytes,
)

pytestmark = pytest.mark.usefixtures("media")


@pytest.fixture
def user(db):
    places()
    return editor()


@pytest.mark.parametrize("kind", ["people", "posts", "service_terms", "assessments"])
def test_template_has_the_headers_and_an_explanation_sheet(kind):
    workbook = load_workbook(io.BytesIO(roster_template(kind)))
    roster, notes = workbook.worksheets
    assert [c.value for c in roster[1]] == [c.header for c in C.roster_columns(kind)]
    assert roster.max_row == 1 or all(c.value is None for row in roster.iter_rows(min_row=2) for c in row)
    explained = {row[0].value: row for row in notes.iter_rows(min_row=2) if row[0].value}
    for column in C.roster_columns(kind):
        assert column.header in explained
    if kind == "people":
        gender = explained["性别"]
        assert gender[1].value == "必填" and "男(male)" in gender[3].value
        assert "2014年12月6日" in explained["出生日期"][3].value and "2014.12" in explained["出生日期"][3].value


def _people_world(user):
    village = places()["village"]
    graduate = factories.graduate_make(
        factories.person_make(home_division=village, phone="13812345678", ethnicity="miao"),
        terms=[("2010-08-01", "2013-07-31")],
        village=village,
    )
    person = graduate.person
    factories.post_make(person=person, village=village, role="secretary_assistant", start="2010-08-01",
                        end="2012-12-31", end_reason="promoted")  # fmt: skip
    factories.post_make(person=person, village=village, role="party_deputy_secretary", start="2013-01-01")
    other = factories.person_make(home_division=village, notes="多行\n备注")
    factories.assessment_make(person=person, year=2012, grade="excellent")
    return person, other


def test_people_export_round_trips_through_excel(user):
    _person, other = _people_world(user)
    rows = list(roster_rows("people", Person.objects.order_by("id")))
    assert len(rows) == 3  # two posts of one person, one row for the person without posts
    data = roster_workbook("people", rows)

    # Edit in "Excel": change one person's education, leave the rest as exported.
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    assert header == [c.header for c in C.roster_columns("people")]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("居民身份证号码")].value == other.id_number:
            row[header.index("学历")].value = "硕士研究生"
    buffer = io.BytesIO()
    workbook.save(buffer)

    roster_import = validate(buffer.getvalue(), mode="upsert", actor=user)
    assert roster_import.status == "valid", roster_import.errors
    summary = roster_import.summary
    assert (summary["rows"], summary["new"], summary["updated"], summary["unchanged"]) == (3, 0, 1, 1)
    events_before = Person.pgh_event_model.objects.count()
    service.import_commit(roster_import=roster_import, actor=user)
    other.refresh_from_db()
    assert other.education == "master" and other.notes == "多行\n备注"
    assert Person.pgh_event_model.objects.count() == events_before + 1  # only the edited person


@pytest.mark.parametrize(
    ("kind", "queryset"),
    [("posts", Post.objects.all), ("service_terms", ServiceTerm.objects.all), ("assessments", Assessment.objects.all)],
)
def test_record_exports_round_trip_unchanged(user, kind, queryset):
    _people_world(user)
    rows = list(roster_rows(kind, queryset()))
    assert rows
    roster_import = validate(roster_workbook(kind, rows), kind=kind, mode="upsert", actor=user)
    assert roster_import.status == "valid", roster_import.errors
    assert roster_import.summary["unchanged"] == len(rows)
    assert roster_import.summary["new"] == roster_import.summary["updated"] == 0


def _comments(data: bytes) -> dict[str, str]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return {cell.coordinate: cell.comment.text for row in sheet.iter_rows() for cell in row if cell.comment}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_annotated_copy_comments_exactly_the_bad_cells(user, fmt):
    rows = [person_row(n) for n in range(1, 6)]
    rows[1]["出生日期"] = "1980.02"  # B? column of 出生日期, row 3
    rows[3]["学历"] = "大学"  # row 5
    rows[3]["任职开始日期"] = "2011-02-30"
    content = csv_bytes("people", rows) if fmt == "csv" else xlsx_bytes("people", rows)
    roster_import = validate(content, actor=user)
    assert codes(roster_import) == {
        (3, "出生日期", "date_month_only"), (5, "学历", "enum_invalid"), (5, "任职开始日期", "date_invalid")
    }  # fmt: skip
    stored = service.annotated_store(roster_import)
    data = stored.open("rb").read()
    header = list(rows[0])
    letter = {h: chr(ord("A") + i) for i, h in enumerate(header)}
    comments = _comments(data)
    assert set(comments) == {f"{letter['出生日期']}3", f"{letter['学历']}5", f"{letter['任职开始日期']}5"}
    assert "只填写了年月" in comments[f"{letter['出生日期']}3"]
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert sheet[f"{letter['学历']}5"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet[f"{letter['居民身份证号码']}2"].value == rows[0]["居民身份证号码"]  # kept as text
    assert workbook.worksheets[-1].title == "错误清单" and workbook.worksheets[-1].max_row == 4


def test_no_annotated_copy_without_errors(user):
    roster_import = validate(csv_bytes("people", [person_row(1)]), actor=user)
    assert service.annotated_store(roster_import) is None


def test_export_dates_and_labels_read_as_the_import_accepts(user):
    person, _ = _people_world(user)
    rows = list(roster_rows("people", Person.objects.filter(pk=person.pk)))
    columns = C.roster_columns("people")
    first = dict(zip([c.header for c in columns], rows[0], strict=True))
    assert first["民族"] == "苗族" and first["职务"] == "村党组织书记助理" and first["离任原因"] == "提拔"
    assert first["任职开始日期"] == "2010-08-01" and first["户籍所在地"] == "桐木村"
    assert dt.date.fromisoformat(first["出生日期"]) == person.birth_date
    assert run([dict(zip([c.header for c in columns], r, strict=True)) for r in rows], mode="upsert",
               actor=user).summary["unchanged"] == 1  # fmt: skip


def test_export_rows_for_reports_mask_personal_data(user):
    from talent.roster import export_headers, export_rows

    person, _ = _people_world(user)
    headers = export_headers("people")
    plain = next(export_rows("people", Person.objects.filter(pk=person.pk)))
    masked = next(export_rows("people", Person.objects.filter(pk=person.pk), masked=True))
    i, p = headers.index("居民身份证号码"), headers.index("联系电话")
    assert plain[i] == person.id_number and masked[i] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert masked[p] == "138****5678"
    assert [a for j, a in enumerate(plain) if j not in (i, p)] == [b for j, b in enumerate(masked) if j not in (i, p)]
