"""Roster imports against the real database: every validation rule, the all-or-nothing
commit, upserts, history and eligibility facts (talent.roster)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection

from talent import eligibility, identity
from talent.models import (
    Assessment,
    EligibilityFact,
    GraduateOfficial,
    Person,
    PersonEvent,
    Post,
    PostEvent,
    Returnee,
    RuralTalent,
    ServiceTerm,
)
from talent.roster import columns as C
from talent.roster.engine import check_char_sql
from talent.roster.messages import MESSAGES, message
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
    xlsx_bytes,
)

pytestmark = pytest.mark.usefixtures("media")

D = dt.date.fromisoformat


# --- A valid roster ------------------------------------------------------------------------


def test_valid_roster_creates_people_with_groups_and_posts(user):
    rows = [
        person_row(1, 大学生村官选聘年度="2010", 选聘日期="2010年8月1日", 政治面貌="中共党员", 民族="土家"),
        person_row(2, 返乡前务工城市="深圳", 返乡时间="2012/3/1", 原从事职业="电子厂技术员"),
        person_row(3, 实用人才类别="生产型人才", 专长="柑橘种植、病虫害防治", 农民技术职称="初级", 职务=""),
    ]
    rows[2].update({"任职村(社区)代码": "", "任职开始日期": ""})
    rows.append({**rows[0], "职务": "村委会主任"})  # 一肩挑: a second row, a second post
    roster_import = run(rows, actor=user, commit=False)
    assert roster_import.status == "valid", roster_import.errors
    assert roster_import.summary | {"seconds": 0} == {
        "rows": 4, "new": 3, "updated": 0, "unchanged": 0, "errors": 0, "seconds": 0
    }  # fmt: skip
    assert not Person.objects.exists()  # a dry run writes nothing

    from talent.roster import service

    service.import_commit(roster_import=roster_import, actor=user)
    roster_import.refresh_from_db()
    assert roster_import.status == "committed"
    assert Person.objects.count() == 3
    first = Person.objects.get(id_number=rows[0]["居民身份证号码"])
    assert first.political_status == "party_member" and first.ethnicity == "tujia"
    assert first.home_division_id == VILLAGE and first.education == "high_school"
    assert GraduateOfficial.objects.get(person=first).selected_on == D("2010-08-01")
    assert set(Post.objects.filter(person=first).values_list("role", flat=True)) == {
        "party_secretary", "committee_director"
    }  # fmt: skip
    second = Person.objects.get(id_number=rows[1]["居民身份证号码"])
    assert Returnee.objects.get(person=second).returned_on == D("2012-03-01")
    third = Person.objects.get(id_number=rows[2]["居民身份证号码"])
    talent = RuralTalent.objects.get(person=third)
    assert talent.specialties == ["柑橘种植", "病虫害防治"] and talent.title_level == "junior"
    assert not Post.objects.filter(person=third).exists()
    assert roster_import.summary["written"]["post"] == {"new": 3, "updated": 0}


def test_one_bad_row_among_many_writes_nothing_and_names_row_and_column(user):
    rows = [person_row(n) for n in range(1, 301)]
    rows[156]["出生日期"] = "1980-02-30"
    roster_import = run(rows, actor=user)
    assert roster_import.status == "invalid"
    assert roster_import.summary["errors"] == 1
    [error] = roster_import.errors
    assert (error["row"], error["column"], error["value"], error["code"]) == (158, "出生日期", "1980-02-30",
                                                                               "date_invalid")  # fmt: skip
    assert error["message"] == MESSAGES["date_invalid"]
    assert not Person.objects.exists() and not Post.objects.exists()


# --- ID numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("430104850304123", "id_old_format"),
        ("43010419850304123", "id_malformed"),
        ("4301041985030412AB", "id_malformed"),
        ("4.30104198503041E+17", "id_excel_number"),
        ("430104198502301230", "id_birth_digits"),
    ],
)
def test_id_number_format(user, value, code):
    roster_import = run([person_row(1, 居民身份证号码=value)], actor=user)
    assert (2, "居民身份证号码", code) in codes(roster_import)


def test_id_number_checksum_names_the_expected_character(user):
    good = person_row(1)["居民身份证号码"]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    roster_import = run([person_row(1, 居民身份证号码=bad)], actor=user)
    [error] = roster_import.errors
    assert error["code"] == "id_checksum"
    assert error["message"] == message("id_checksum", good[17])


def test_id_number_is_folded_from_full_width_and_lower_case(user):
    good = identity.make_id_number("110105", D("1949-12-31"), 1, gender="female")
    assert good.endswith("X")
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in good[:17]) + " x"
    roster_import = run([person_row(2, 居民身份证号码=typed, 出生日期="1949-12-31", 性别="女")], actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert Person.objects.filter(id_number=good).exists()


def test_id_number_must_agree_with_birth_date_and_gender(user):
    row = person_row(1)
    wrong_gender = "女" if row["性别"] == "男" else "男"
    roster_import = run([person_row(1, 出生日期="1999-01-01", 性别=wrong_gender)], actor=user)
    assert codes(roster_import) == {(2, "出生日期", "id_birth_mismatch"), (2, "性别", "id_gender_mismatch")}


def test_flat_check_character_equals_the_sql_function(db):
    rng = random.Random(7)
    numbers = ["".join(rng.choice("0123456789") for _ in range(17)) + "0" for _ in range(300)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM unnest(%s::text[]) n, LATERAL (SELECT convert_to(n, 'UTF8') AS b) x "
            f"WHERE talent_id_check_char(left(n, 17)) <> {check_char_sql('x.b').replace('%', '%%')}",
            [numbers],
        )
        assert cursor.fetchone()[0] == 0


# --- Dates, enumerations, numbers --------------------------------------------------------------


@pytest.mark.parametrize("text", ["2011-01-05", "2011/1/5", "2011.01.05", "2011.1.5", "2011年1月5日", "2011年1月5",
                                  "20110105", " 2011-01-05 ", "２０１１－０１－０５"])  # fmt: skip
def test_accepted_date_forms(user, text):
    roster_import = run([person_row(1, 任职开始日期=text)], actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert Post.objects.get().start == D("2011-01-05")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2011.01", "date_month_only"),
        ("2011-1", "date_month_only"),
        ("2011年1月", "date_month_only"),
        ("2011-02-29", "date_invalid"),
        ("2011-13-01", "date_invalid"),
        ("01/05/2011", "date_invalid"),
        ("去年", "date_invalid"),
    ],
)
def test_refused_date_forms(user, text, code):
    roster_import = run([person_row(1, 任职开始日期=text)], actor=user)
    assert codes(roster_import) == {(2, "任职开始日期", code)}
    if code == "date_month_only":
        assert "2011-01-01" in roster_import.errors[0]["message"]


def test_enumerations_by_label_english_id_or_synonym(user):
    rows = [
        person_row(1, 学历="bachelor", 职务="committee_director", 性别=None),
        person_row(2, 学历="本科", 政治面貌="党员", 职务="村支部书记"),
    ]
    rows[0]["性别"] = "male" if person_row(1)["性别"] == "男" else "female"
    roster_import = run(rows, actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert set(Person.objects.values_list("education", flat=True)) == {"bachelor"}
    assert set(Post.objects.values_list("role", flat=True)) == {"committee_director", "party_secretary"}


def test_unknown_enumeration_lists_the_accepted_values(user):
    roster_import = run([person_row(1, 学历="大学")], actor=user)
    [error] = roster_import.errors
    assert error["code"] == "enum_invalid" and "大学本科" in error["message"] and "博士研究生" in error["message"]


def test_numbers_booleans_phones_and_lengths(user):
    rows = [
        person_row(1, 大学生村官选聘年度="1990", 选聘日期="2010-08-01"),
        person_row(2, 大学生村官选聘年度="二〇一〇", 选聘日期="2010-08-01"),
        person_row(3, 重点院校="也许"),
        person_row(4, 联系电话="1381234567"),
        person_row(5, 姓名="张" * 51),
    ]
    roster_import = run(rows, actor=user)
    assert codes(roster_import) == {
        (2, "大学生村官选聘年度", "out_of_range"),
        (3, "大学生村官选聘年度", "integer_invalid"),
        (4, "重点院校", "boolean_invalid"),
        (5, "联系电话", "phone_invalid"),
        (6, "姓名", "too_long"),
    }


def test_required_cells_and_group_columns(user):
    rows = [
        person_row(1, 姓名=""),
        person_row(2, 大学生村官选聘年度="2010"),  # no 选聘日期
        person_row(3, 职务=""),  # a post without its role
    ]
    roster_import = run(rows, actor=user)
    assert codes(roster_import) == {
        (2, "姓名", "required"),
        (3, "选聘日期", "group_required"),
        (4, "职务", "group_required"),
    }


def test_a_missing_required_column_is_reported_on_the_header(user):
    row = person_row(1)
    del row["学历"]
    roster_import = run([row], actor=user)
    assert roster_import.errors == [
        {"row": 1, "column": "学历", "field": "学历", "value": None, "code": "header_missing",
         "message": message("header_missing", "学历")}
    ]  # fmt: skip


def test_unknown_columns_and_blank_rows_are_ignored(user):
    rows = [{"序号": "1", **person_row(1)}, {"序号": ""}, {"序号": "2", **person_row(2)}]
    roster_import = run(rows, actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert roster_import.summary["rows"] == 2 and roster_import.summary["ignored_columns"] == ["序号"]


# --- Places and jurisdiction -------------------------------------------------------------------


def test_division_codes_exist_are_villages_and_lie_in_the_jurisdiction(user, world):
    rows = [
        person_row(1, **{"任职村(社区)代码": "430104100999"}),
        person_row(2, **{"任职村(社区)代码": "430104100000"}),
        person_row(3, **{"任职村(社区)代码": OTHER_VILLAGE}),
        person_row(4, **{"户籍所在地区划代码": "4301041002"}),
    ]
    roster_import = run(rows, actor=user)
    assert codes(roster_import) == {
        (2, "任职村(社区)代码", "division_unknown"),
        (3, "任职村(社区)代码", "division_not_village"),
        (4, "任职村(社区)代码", "outside_jurisdiction"),
        (5, "户籍所在地区划代码", "division_malformed"),
    }


def test_a_person_must_lie_within_the_jurisdiction(user, world):
    # Home elsewhere but a post here: within. Home elsewhere and no post: outside.
    inside = person_row(1, **{"户籍所在地区划代码": OTHER_VILLAGE})
    outside = person_row(
        2, **{"户籍所在地区划代码": OTHER_VILLAGE, "任职村(社区)代码": "", "职务": "", "任职开始日期": ""}
    )
    roster_import = run([inside, outside], actor=user)
    assert codes(roster_import) == {(3, "户籍所在地区划代码", "person_outside")}


def test_a_registered_person_is_placed_by_what_the_registry_holds_unless_the_row_moves_them(user, world):
    """Upserting registered people with no post on the row: the registry's posts place them
    within the jurisdiction whatever the row's home; the registry's home only while the row
    leaves the home blank (a home on the row replaces it)."""
    by_post = factories.person_make(home_division=world["other_village"])
    factories.post_make(person=by_post, village=world["village"])
    by_home = factories.person_make(home_division=world["village"])
    by_home_moved = factories.person_make(home_division=world["village"])
    no_post = {"任职村(社区)代码": "", "职务": "", "任职开始日期": ""}

    def row(person, home):
        gender = "男" if person.gender == "male" else "女"
        return person_row(居民身份证号码=person.id_number, 出生日期=person.birth_date.isoformat(), 性别=gender,
                          户籍所在地区划代码=home, **no_post)  # fmt: skip

    rows = [row(by_post, OTHER_VILLAGE), row(by_home, ""), row(by_home_moved, OTHER_VILLAGE)]
    assert codes(run(rows, mode="upsert", actor=user)) == {(4, "户籍所在地区划代码", "person_outside")}


def test_assessments_of_people_the_registry_places_within(user, world):
    """An assessment may be recorded for a person whose home division, post or service term
    lies within the jurisdiction; not for one with none of them there."""
    by_home = factories.person_make(home_division=world["village"])
    by_post = factories.person_make(home_division=world["other_village"])
    factories.post_make(person=by_post, village=world["village"])
    by_term = factories.person_make(home_division=world["other_village"])
    factories.graduate_make(by_term, terms=[("2010-08-01", "2013-07-31")], village=world["village"])
    stranger = factories.person_make(home_division=world["other_village"])
    factories.post_make(person=stranger, village=world["other_village"])
    rows = [
        {"居民身份证号码": person.id_number, "考核年度": "2014", "考核等次": "称职"}
        for person in (by_home, by_post, by_term, stranger)
    ]
    assert codes(run(rows, kind="assessments", actor=user)) == {(5, "居民身份证号码", "person_outside")}


def test_a_national_account_has_no_jurisdiction_limit(world):
    admin = factories.user_make(is_superuser=True)
    row = person_row(1, **{"户籍所在地区划代码": OTHER_VILLAGE, "任职村(社区)代码": OTHER_VILLAGE})
    assert run([row], actor=admin).status == "committed"


# --- Duplicates and what the database forbids --------------------------------------------------


def test_duplicates_within_the_file(user):
    a, b = person_row(1), person_row(2)
    rows = [a, b, dict(a), {**b, "姓名": "改了名字"}, {**a, "职务": "村委会主任"}]
    roster_import = run(rows, actor=user)
    assert codes(roster_import) == {
        (4, "任职开始日期", "duplicate_in_file"),
        (5, "任职开始日期", "duplicate_in_file"),  # the same post as row 3, too
        (5, "居民身份证号码", "person_conflict"),
    }
    assert roster_import.errors[0]["message"] == message("duplicate_in_file", "2")


def test_overlapping_and_open_posts_in_the_file(user):
    a = person_row(1, 任职开始日期="2011-01-01", 任职结束日期="2013-12-31", 离任原因="换届离任")
    rows = [a, {**a, "任职开始日期": "2013-06-01", "任职结束日期": "", "离任原因": ""},
            person_row(2), {**person_row(2), "任职开始日期": "2014-01-01"},
            {**a, "任职村(社区)代码": VILLAGE_2, "任职开始日期": "2012-01-01", "任职结束日期": "",
             "离任原因": ""}]  # fmt: skip
    roster_import = run(rows, actor=user)
    assert codes(roster_import) == {(3, "任职开始日期", "post_overlap"), (5, "任职开始日期", "post_open_duplicate")}


def test_posts_overlapping_the_registry(user, world):
    person = factories.person_make(home_division=world["village"])
    factories.post_make(person=person, village=world["village"], role="party_secretary", start="2011-01-01")
    rows = [
        {"居民身份证号码": person.id_number, "姓名": person.name, "任职村(社区)代码": VILLAGE, "职务": "村党组织书记",
         "任职开始日期": "2014-01-01"},
        {"居民身份证号码": person.id_number, "任职村(社区)代码": VILLAGE, "职务": "村党组织副书记",
         "任职开始日期": "2014-01-01"},
    ]  # fmt: skip
    roster_import = run(rows, kind="posts", mode="upsert", actor=user)
    assert codes(roster_import) == {(2, "任职开始日期", "post_open_duplicate")}
    assert "2011-01-01至今" in roster_import.errors[0]["message"]


def test_end_before_start_and_end_reason_without_end(user):
    rows = [
        person_row(1, 任职结束日期="2010-12-31", 离任原因="辞职"),
        person_row(2, 离任原因="辞职"),
    ]
    roster_import = run(rows, actor=user)
    assert codes(roster_import) == {(2, "任职结束日期", "end_before_start"), (3, "离任原因", "end_reason_without_end")}


def test_party_joining_date_after_birth(user):
    row = person_row(1)
    roster_import = run([{**row, "入党时间": row["出生日期"]}], actor=user)
    assert codes(roster_import) == {(2, "入党时间", "party_joined_before_birth")}


def test_service_terms_rules(user, world):
    graduate = factories.graduate_make(factories.person_make(home_division=world["village"]),
                                       terms=[("2010-08-01", "2013-07-31")], village=world["village"])  # fmt: skip
    plain = factories.person_make(home_division=world["village"])
    base = {"居民身份证号码": graduate.person.id_number, "服务村(社区)代码": VILLAGE}
    rows = [
        {**base, "第几聘期": "2", "聘期开始日期": "2013-08-01", "聘期结束日期": "2016-07-31"},
        {**base, "第几聘期": "3", "聘期开始日期": "2016-07-31"},  # overlaps term 2 in the file
        {**base, "第几聘期": "4", "聘期开始日期": "2012-01-01", "聘期结束日期": "2012-12-31"},  # overlaps term 1
        {**base, "第几聘期": "2", "聘期开始日期": "2013-08-01"},  # term 2 twice
        {"居民身份证号码": plain.id_number, "服务村(社区)代码": VILLAGE, "第几聘期": "1", "聘期开始日期": "2013-08-01"},
        {"居民身份证号码": person_row(9)["居民身份证号码"], "服务村(社区)代码": VILLAGE, "第几聘期": "1",
         "聘期开始日期": "2013-08-01"},
    ]  # fmt: skip
    roster_import = run(rows, kind="service_terms", mode="upsert", actor=user)
    assert codes(roster_import) == {
        (3, "聘期开始日期", "term_overlap"),
        (4, "聘期开始日期", "term_overlap"),
        (5, "第几聘期", "duplicate_in_file"),
        (6, "居民身份证号码", "not_graduate_official"),
        (7, "居民身份证号码", "person_unknown"),
    }
    roster_import = run(rows[:1], kind="service_terms", mode="upsert", actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert ServiceTerm.objects.filter(person=graduate.person).count() == 2


def test_assessments_rules(user, world):
    person = factories.person_make(home_division=world["village"])
    stranger = factories.person_make(home_division=world["other_village"])
    factories.assessment_make(person=person, year=2012)
    rows = [
        {"居民身份证号码": person.id_number, "姓名": person.name, "考核年度": "2012", "考核等次": "优秀"},
        {"居民身份证号码": person.id_number, "考核年度": "2013", "考核等次": "合格"},
        {"居民身份证号码": person.id_number, "考核年度": "2013", "考核类型": "年度考核", "考核等次": "优秀"},
        {"居民身份证号码": person.id_number, "姓名": "别人", "考核年度": "2014", "考核等次": "称职"},
        {"居民身份证号码": stranger.id_number, "考核年度": "2014", "考核等次": "称职"},
    ]
    roster_import = run(rows, kind="assessments", actor=user)
    assert codes(roster_import) == {
        (2, "考核年度", "record_exists"),
        (4, "考核年度", "duplicate_in_file"),
        (5, "姓名", "name_mismatch"),
        (6, "居民身份证号码", "person_outside"),
    }
    roster_import = run(rows[:2], kind="assessments", mode="upsert", actor=user)
    assert roster_import.status == "committed", roster_import.errors
    assert roster_import.summary | {"seconds": 0, "written": 0} == {
        "rows": 2, "new": 1, "updated": 1, "unchanged": 0, "errors": 0, "seconds": 0, "written": 0
    }  # fmt: skip
    assert dict(Assessment.objects.filter(person=person).values_list("year", "grade")) == {
        2012: "excellent", 2013: "competent"
    }  # fmt: skip


# --- Upsert ----------------------------------------------------------------------------------------


def test_create_mode_refuses_registered_people(user, world):
    existing = factories.person_make(home_division=world["village"])
    row = person_row(1, 居民身份证号码=existing.id_number, 出生日期=existing.birth_date.isoformat(),
                     性别="男" if existing.gender == "male" else "女")  # fmt: skip
    assert codes(run([row], actor=user)) == {(2, "居民身份证号码", "person_exists")}


def test_upsert_updates_and_counts_unchanged(user):
    rows = [person_row(n) for n in range(1, 4)]
    assert run(rows, actor=user).status == "committed"
    changed = [dict(r) for r in rows]
    changed[1]["学历"] = "大学本科"
    changed[2]["任职结束日期"] = "2014-01-04"
    changed[2]["离任原因"] = "换届离任"
    changed.append(person_row(4))
    roster_import = run(changed, mode="upsert", actor=user)
    assert roster_import.status == "committed", roster_import.errors
    summary = roster_import.summary
    assert (summary["new"], summary["updated"], summary["unchanged"]) == (1, 2, 1)
    assert summary["written"]["person"] == {"new": 1, "updated": 1}
    assert summary["written"]["post"] == {"new": 1, "updated": 1}
    assert Person.objects.get(id_number=rows[1]["居民身份证号码"]).education == "bachelor"
    assert Post.objects.get(person__id_number=rows[2]["居民身份证号码"]).end == D("2014-01-04")
    # A blank optional cell leaves the stored value alone; the same file again changes nothing.
    events = PersonEvent.objects.count()
    again = run(changed, mode="upsert", actor=user)
    assert (again.summary["new"], again.summary["updated"], again.summary["unchanged"]) == (0, 0, 4)
    assert PersonEvent.objects.count() == events


# --- Files -----------------------------------------------------------------------------------------


def test_xlsx_with_typed_cells(user):
    good = person_row(1)
    rows = [
        {**good, "出生日期": dt.datetime.fromisoformat(good["出生日期"]), "任职开始日期": dt.date(2011, 1, 5),
         "大学生村官选聘年度": 2010, "选聘日期": "2010.08.01"},
        {**person_row(2), "居民身份证号码": 430104198001010000.0},
    ]  # fmt: skip
    roster_import = validate(xlsx_bytes("people", rows), actor=user)
    assert codes(roster_import) == {(3, "居民身份证号码", "id_excel_number")}
    roster_import = validate(xlsx_bytes("people", rows[:1]), actor=user)
    assert roster_import.status == "valid", roster_import.errors


def test_gb18030_csv_as_excel_saves_it(user):
    roster_import = validate(csv_bytes("people", [person_row(1)], encoding="gb18030"), actor=user)
    assert roster_import.status == "valid", roster_import.errors


def test_ragged_csv_is_refused_with_its_row(user):
    content = csv_bytes("people", [person_row(1), person_row(2)]) + "多余,的,行\r\n".encode()
    roster_import = validate(content, actor=user)
    assert roster_import.status == "invalid"
    assert [(e["row"], e["code"]) for e in roster_import.errors] == [(4, "csv_columns")]


def test_unsupported_file_format(user):
    from django.core.exceptions import ValidationError

    from tests.talent.test_roster_support import upload

    with pytest.raises(ValidationError):
        upload(b"x", actor=user, name="roster.xls")


# --- History and eligibility facts -------------------------------------------------------------


def test_history_events_carry_the_importer(user):
    rows = [person_row(1, 大学生村官选聘年度="2010", 选聘日期="2010-08-01")]
    roster_import = run(rows, actor=user)
    person = Person.objects.get()
    events = [
        PersonEvent.objects.get(pgh_obj_id=person.pk),
        PostEvent.objects.get(pgh_obj_id=Post.objects.get().pk),
        GraduateOfficial.pgh_event_model.objects.get(pgh_obj_id=person.pk),
    ]
    for event in events:
        assert event.pgh_label == "insert"
        assert event.pgh_context.metadata == {"user": user.pk, "roster_import": roster_import.pk}


def test_eligibility_facts_are_current_after_an_import(user):
    rows = [
        person_row(
            1, 大学生村官选聘年度="2009", 选聘日期="2009-08-01", 职务="村党组织副书记", 任职开始日期="2010-01-01"
        ),
        person_row(2, 职务="村党组织书记", 任职开始日期="2008-01-01"),
    ]
    assert run(rows, actor=user).status == "committed"
    # Upsert: end a post, add another.
    rows[1]["任职结束日期"], rows[1]["离任原因"] = "2012-12-31", "换届离任"
    rows.append({**rows[0], "职务": "村委会主任", "任职开始日期": "2013-01-01"})
    assert run(rows, mode="upsert", actor=user).status == "committed"
    kept = set(EligibilityFact.objects.values_list("person_id", "rule_id", "service_met_on", "role_met_on"))
    assert kept
    eligibility.facts_rebuild()
    assert kept == set(EligibilityFact.objects.values_list("person_id", "rule_id", "service_met_on", "role_met_on"))


def test_every_error_code_is_documented():
    from pathlib import Path

    from django.conf import settings

    doc = (Path(settings.BASE_DIR) / "docs" / "import.md").read_text()
    missing = [code for code in MESSAGES if f"`{code}`" not in doc]
    assert not missing, missing


def test_template_columns_are_unique_per_kind():
    for kind in ("people", "posts", "service_terms", "assessments"):
        columns = C.roster_columns(kind)
        assert len({c.header for c in columns}) == len(columns)
        assert len({c.key for c in columns}) == len(columns)


def test_csv_with_blank_lines_keeps_the_row_numbers(user):
    content = csv_bytes("people", [person_row(1), person_row(2, 学历="大学")])
    header, first, second = content.split(b"\r\n")[:3]
    content = b"\r\n".join([header, first, b"", b"   ", second, b""])
    roster_import = validate(content, actor=user)
    assert codes(roster_import) == {(5, "学历", "enum_invalid")}
    assert roster_import.summary["rows"] == 2


def test_import_roster_command_reports_errors(user, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "花名册.csv"
    path.write_bytes(csv_bytes("people", [person_row(1), person_row(2, 出生日期="1985.3")]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_roster", str(path), "--as", user.username)
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "校验未通过" in out and "第3行 出生日期 “1985.3”" in out and "[date_month_only]" in out
    assert not Person.objects.exists()
