"""The staging statements of a roster import, compared with plain-Python statements of the
documented rules (docs/import.md, "Accepted values"): the dates and division codes that are
parsed once per distinct cell and joined back (``Staging.lookups``), columns left empty in
every row, the ID-number, phone and whole-number forms, and the CSV bytes handed to COPY."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import unicodedata

import pytest
from django.db import connection, transaction

from talent.models import Division, GraduateOfficial, Person, Post
from talent.roster import files
from talent.roster.engine import WS, Staging
from talent.roster.files import FileError
from tests import factories
from tests.talent.test_roster_support import (
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE_2,
    codes,
    csv_bytes,
    person_row,
    run,
    validate,
)

pytestmark = pytest.mark.usefixtures("media")

# --- The documented rules, in Python -----------------------------------------------------------

DIGITS = "0123456789"


def tight(cell: str | None) -> str | None:
    """A code, number or date cell cleaned: full-width characters folded (NFKC) and every space
    removed; empty is None."""
    if cell is None:
        return None
    text = cell if cell.isascii() else unicodedata.normalize("NFKC", cell.strip(WS))
    return text.replace(" ", "") or None


def documented_date(text: str | None) -> dt.date | None:
    """2014-12-06, 2014/12/6, 2014.12.06, 2014年12月6日 (日 optional, separators mixed),
    20141206; years 1900–2100; a day that exists."""
    if text is None:
        return None
    if len(text) == 8 and all(c in DIGITS for c in text):
        parts = [text[:4], text[4:6], text[6:]]
    else:
        parts = text.translate(str.maketrans("/.年月", "----")).rstrip("日").split("-")
    if len(parts) != 3 or len(parts[0]) != 4 or not all(len(p) in (1, 2) for p in parts[1:]):
        return None
    if not all(c in DIGITS for c in "".join(parts)):
        return None
    year, month, day = (int(p) for p in parts)
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_cells(seed: int = 11) -> list[str | None]:
    """Every documented form, every refused form of the documentation and the tests, and
    generated cells: well-formed and nearly well-formed dates with any separators, and noise."""
    cells: list[str | None] = [
        "2011-01-05", "2011/1/5", "2011.01.05", "2011.1.5", "2011年1月5日", "2011年1月5", "20110105",
        " 2011-01-05 ", "２０１１－０１－０５", "２０１１年１月５日", "2011 - 01 - 05", "2011-01-05日日", "2011年1.5",
        "2011.01", "2011-1", "2011年1月", "2011-02-29", "2012-02-29", "1900-02-29", "2000-02-29", "2100-02-28",
        "1899-12-31", "2101-01-01", "2011-13-01", "2011-00-10", "2011-01-00", "2011-04-31", "01/05/2011",
        "去年", "2011-01-05-", "2011--01-05", "2011-001-05", "20110230", "201101051", "2011-1-5月", "日2011-1-5",
        "2011-01-05 10:00:00", "\u30002011-01-05\u3000", "2011\t-01-05", "x", "", None,
    ]  # fmt: skip
    rng = random.Random(seed)
    separators = ["-", "/", ".", "年", "月", "日", "－", "／", "．", " ", ""]
    for _ in range(1500):
        year = rng.choice([f"{rng.randint(1895, 2105)}", f"{rng.randint(0, 999):03d}", f"{rng.randint(10000, 20300)}"])
        month = rng.choice([str(rng.randint(0, 13)), f"{rng.randint(0, 13):02d}", f"{rng.randint(0, 13):03d}"])
        day = rng.choice([str(rng.randint(0, 32)), f"{rng.randint(0, 32):02d}", ""])
        first, second = rng.choice(separators), rng.choice(separators)
        cells.append(year + first + month + second + day + rng.choice(["", "", "日", "日日", "月", " "]))
    for _ in range(300):
        cells.append(f"{rng.randint(18990101, 21011231)}")
        cells.append("".join(rng.choice("0123456789-/.年月日 １２a") for _ in range(rng.randint(1, 12))))
    return cells


def stage(columns: dict[str, list[str | None]], *, kind: str = "people", tmp_path) -> list[dict]:
    """The rows of roster_stage for a CSV of ``columns`` (header -> cells, None an empty cell),
    in a transaction that is rolled back."""
    width = max(len(cells) for cells in columns.values())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(columns))
    for i in range(width):
        writer.writerow(["" if cells[i] is None else cells[i] for cells in columns.values()])
    path = tmp_path / "roster.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    out: list[dict] = []
    with pytest.raises(_Rollback), transaction.atomic(), connection.cursor() as cursor:
        staging = Staging(cursor, kind=kind, mode="create", prefix="", jurisdiction=None)
        staging.load(files.open_upload(path, "roster.csv"), max_rows=10**6)
        staging.build()
        cursor.execute("SELECT * FROM roster_stage ORDER BY _row")
        names = [c.name for c in cursor.description]
        out = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        raise _Rollback
    return out


class _Rollback(Exception):
    pass


# --- Dates and codes, parsed once per distinct cell ---------------------------------------------

PEOPLE_HEADERS = ["姓名", "性别", "居民身份证号码", "学历"]


def test_every_date_cell_is_parsed_as_documented(db, tmp_path):
    cells = date_cells()
    # Three date columns, the same cells in other rows and columns (each distinct cell is
    # parsed once and joined back to every row and column that has it).
    birth = cells
    start = cells[7:] + cells[:7]
    selected = [cells[i // 2] for i in range(len(cells))]
    rows = stage({"姓名": ["x"] * len(cells), **{h: [None] * len(cells) for h in PEOPLE_HEADERS[1:]},
                  "出生日期": birth, "任职开始日期": start, "选聘日期": selected}, tmp_path=tmp_path)  # fmt: skip
    assert len(rows) == len(cells)
    for row, *texts in zip(rows, birth, start, selected, strict=True):
        for key, text in zip(("birth_date", "post_start", "selected_on"), texts, strict=True):
            cleaned = tight(text)
            assert (row[f"r_{key}"], row[f"v_{key}"]) == (cleaned, documented_date(cleaned)), (key, text)


def test_division_codes_are_cleaned_checked_and_found_once_per_cell(world, tmp_path):
    cells = [VILLAGE, f" {VILLAGE} ", "４３０１０４１００２０１", "430104 100201", VILLAGE_2, OTHER_VILLAGE,
             "430104100000", "430104000000", "430104100999", "4301041002", "43010410020１", "43010410020a",
             "4301041002011", "", None, "\u3000430104100202\u3000"]  # fmt: skip
    home = cells * 3
    post = (cells[5:] + cells[:5]) * 3
    rows = stage({"姓名": ["x"] * len(home), **{h: [None] * len(home) for h in PEOPLE_HEADERS[1:]},
                  "出生日期": [None] * len(home), "户籍所在地区划代码": home, "任职村(社区)代码": post},
                 tmp_path=tmp_path)  # fmt: skip
    levels = dict(Division.objects.values_list("code", "level"))
    assert len(rows) == len(home)
    for row, *texts in zip(rows, home, post, strict=True):
        for key, text in zip(("home_division", "village"), texts, strict=True):
            cleaned = tight(text)
            code = cleaned if cleaned and len(cleaned) == 12 and all(c in DIGITS for c in cleaned) else None
            assert (row[f"r_{key}"], row[f"v_{key}"], row[f"lv_{key}"]) == (cleaned, code, levels.get(code)), text


def test_one_village_on_many_rows_of_a_posts_roster(user, world):
    # A posts roster has one code column: each distinct code is looked up once, and each row
    # keeps its one post (and each bad cell its one error).
    people = [factories.person_make(home_division=world["village"]) for _ in range(3)]
    post = {"职务": "村委会委员", "任职开始日期": "2011-01-05"}
    rows = [{"居民身份证号码": p.id_number, "任职村(社区)代码": code, **post}
            for p in people for code in (VILLAGE, " 430104100202 ")]  # fmt: skip
    roster_import = run(rows, kind="posts", mode="upsert", actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert roster_import.summary["written"]["post"] == {"new": 6, "updated": 0}
    assert Post.objects.filter(village_id=VILLAGE).count() == 3
    bad = [{**row, "任职村(社区)代码": "430104100999", "任职开始日期": "2012-01-05"} for row in rows[::2]]
    roster_import = run(bad, kind="posts", mode="upsert", actor=user)
    assert codes(roster_import) == {(r, "任职村(社区)代码", "division_unknown") for r in (2, 3, 4)}
    assert roster_import.summary["errors"] == 3


def test_dates_repeated_across_rows_and_columns_reach_the_registry(user):
    rows = [person_row(n, 任职开始日期=start, 大学生村官选聘年度="2010", 选聘日期=start)
            for n, start in enumerate(["2011-01-05", "2011/1/5", " 2011.01.05", "20110105"] * 2, start=1)]  # fmt: skip
    roster_import = run(rows, actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert set(Post.objects.values_list("start", flat=True)) == {dt.date(2011, 1, 5)}
    assert set(GraduateOfficial.objects.values_list("selected_on", flat=True)) == {dt.date(2011, 1, 5)}
    refused = [person_row(20 + n, 任职开始日期=text) for n, text in enumerate(["2011.01", "2011-02-29", "2011.01"])]
    assert codes(run(refused, actor=user)) == {
        (2, "任职开始日期", "date_month_only"),
        (3, "任职开始日期", "date_invalid"),
        (4, "任职开始日期", "date_month_only"),
    }


# --- Columns left empty in every row ------------------------------------------------------------


def test_a_required_column_left_empty_is_reported_on_every_row(user):
    rows = [person_row(1, 学历=""), person_row(2, 学历="")]
    assert codes(run(rows, actor=user)) == {(2, "学历", "required"), (3, "学历", "required")}


def test_optional_columns_left_empty_everywhere_change_nothing(user):
    rows = [person_row(1, 民族="", 政治面貌="", 联系电话="", 毕业院校="", 入党时间="", 备注="", 大学生村官选聘年度="",
                       选聘日期="", 任职结束日期="", 离任原因="")]  # fmt: skip
    roster_import = run(rows, actor=user)
    assert roster_import.status == "committed", roster_import.errors
    person = Person.objects.get()
    assert (person.ethnicity, person.political_status, person.phone, person.party_joined_on) == ("han", "masses", "",
                                                                                                  None)  # fmt: skip
    Person.objects.update(phone="13812345678", ethnicity="miao")
    roster_import = run(rows, mode="upsert", actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert roster_import.summary["unchanged"] == 1
    person.refresh_from_db()
    assert (person.phone, person.ethnicity) == ("13812345678", "miao")  # a blank cell leaves the stored value


def test_a_file_of_blank_rows_is_empty(user):
    content = csv_bytes("people", [person_row(1)]).split(b"\r\n")[0] + b"\r\n,,,,,,,,\r\n"
    roster_import = validate(content, actor=user)
    assert [e["code"] for e in roster_import.errors] == ["file_empty"]


# --- ID numbers, phones and whole numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda good: good[:16] + "X" + good[17], "id_malformed"),
        (lambda good: good + "1", "id_malformed"),
        (lambda good: good[:17] + "XX", "id_malformed"),
        (lambda good: good[:17] + "Y", "id_malformed"),
        (lambda good: good[:17] + "", "id_malformed"),
        (lambda good: "".join(chr(ord(c) + 0xFEE0) for c in good), None),
        (lambda good: good[:6] + " " + good[6:], None),
        (lambda good: good[:6] + "19851304" + good[14:], "id_birth_digits"),
        (lambda good: good[:6] + "18991231" + good[14:], "id_birth_digits"),
    ],
)
def test_id_number_forms(user, mangle, code):
    row = person_row(1)
    row["居民身份证号码"] = mangle(row["居民身份证号码"])
    roster_import = run([row], actor=user, commit=False)
    assert codes(roster_import) == ({(2, "居民身份证号码", code)} if code else set())


@pytest.mark.parametrize(
    ("phone", "ok"),
    [("13812345678", True), ("１３８１２３４５６７８", True), ("138 1234 5678", True), ("19912345678", True),
     ("0731-88888888", True), ("073188888888", True), ("010-1234567", True), ("12812345678", False),
     ("1381234567", False), ("138123456789", False), ("0731-888", False), ("+8613812345678", False),
     ("1381234567a", False)],
)  # fmt: skip
def test_phone_forms(user, phone, ok):
    roster_import = run([person_row(1, 联系电话=phone)], actor=user, commit=False)
    assert codes(roster_import) == (set() if ok else {(2, "联系电话", "phone_invalid")})


@pytest.mark.parametrize(
    ("year", "code"),
    [("2010", None), ("2010.0", None), ("2010.", None), ("2010.000", None), ("２０１０", None), (" 2010 ", None),
     ("2010.5", "integer_invalid"), ("2010..0", "integer_invalid"), ("2010.0.0", "integer_invalid"),
     (".5", "integer_invalid"), ("1234567", "integer_invalid"), ("20a0", "integer_invalid"),
     ("1994", "out_of_range"), ("002010", None)],
)  # fmt: skip
def test_whole_number_forms(user, year, code):
    roster_import = run([person_row(1, 大学生村官选聘年度=year, 选聘日期="2010-08-01")], actor=user, commit=False)
    assert codes(roster_import) == ({(2, "大学生村官选聘年度", code)} if code else set())


# --- The CSV bytes handed to COPY -------------------------------------------------------------------


def _reference_upload(data: bytes) -> tuple[list[str], int, bytes]:
    """What the reader did before it kept the bytes: decode, strip, split off the header, fill
    blank lines; (header, rows, COPY data)."""
    text = files.decode_csv(data).rstrip("\r\n\t ")
    if not text:
        raise FileError("file_empty")
    first, _, body = text.partition("\n")
    newline = "\r\n" if first.endswith("\r") else "\n"
    header = next(csv.reader([first.rstrip("\r")]))
    if any(mark in body for mark in ("\n\n", "\n\r\n", "\n ", "\n\t")):
        body = re.sub(r"^[ \t]*(?=\r?$)", "," * (len(header) - 1), body, flags=re.MULTILINE)
    body = body + newline if body else ""
    return header, body.count("\n"), body.encode("utf-8")


CSV_FILES = [
    "姓名,学历\r\n张三,高中\r\n李四,大专\r\n",
    "姓名,学历\n张三,高中\n\n李四,大专\n\n\n",
    "姓名,学历\r\n张三,高中\r\n\r\n   \r\n\t\r\n李四,大专\r\n  \r\n",
    "姓名,学历\n 张三,高中\n\t李四,大专",
    '姓名,学历\r\n"张\r\n三","高,中"\r\n',
    "姓名,学历\r\n",
    "姓名,学历",
    "姓名,学历\r\n\r\n张三,高中",
    "  \r\n\t",
    "",
]


@pytest.mark.parametrize("text", CSV_FILES)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_bytes_are_what_the_decoded_text_was(tmp_path, text, encoding):
    data = text.encode(encoding)
    _check_upload(tmp_path, data)


@pytest.mark.parametrize(
    "data",
    [b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d\n\xff\xfe,x\n", b"\xd0\xd5\xc3\xfb\n\xff\n", b"a,b\r\n\xe5\xa7,1\r\n"],
)
def test_csv_that_is_not_utf8_is_decoded_as_before(tmp_path, data):
    _check_upload(tmp_path, data)


def _check_upload(tmp_path, data: bytes) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    try:
        expected = _reference_upload(data)
    except FileError as exc:
        with pytest.raises(FileError) as raised:
            files.open_upload(path, "roster.csv")
        assert raised.value.code == exc.code
        return
    upload = files.open_upload(path, "roster.csv")
    sent = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in upload.chunks())
    assert (upload.header, upload.rows_estimate, sent) == expected
    assert [cells for _number, cells in files.read_rows(path, "roster.csv")] == [
        expected[0], *csv.reader(io.StringIO(expected[2].decode("utf-8")))
    ]  # fmt: skip


def test_new_people_are_counted_once_however_many_rows_they_have(user):
    first = person_row(1)
    rows = [first, {**first, "职务": "村委会主任"}, person_row(2), {**person_row(3), "居民身份证号码": "123"}]
    roster_import = validate(csv_bytes("people", rows), actor=user)
    assert roster_import.summary["rows"] == 4 and roster_import.summary["new"] == 2
    roster_import = run(rows[:3], actor=user)
    assert (roster_import.status, roster_import.summary["new"]) == ("committed", 2)
    roster_import = run(rows[:3], mode="upsert", actor=user)
    assert [roster_import.summary[k] for k in ("rows", "new", "updated", "unchanged")] == [3, 0, 0, 2]
