"""The database itself refuses every bad row, however the write arrives.

Each named constraint of talent.models (and the extra foreign key of migration 0003) has an
entry in VIOLATIONS: a setup that writes valid neighbours, returning the one bad write. The
bad write bypasses ``Model.full_clean`` (``bulk_create``, ``QuerySet.update`` or raw SQL) and
the test asserts that PostgreSQL raises the expected error naming that very constraint.
A second test reads the catalogue so that a constraint added without a test fails the suite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from psycopg import errors as pg

from talent.models import (
    Assessment,
    Division,
    EligibilityFact,
    EligibilityRule,
    GraduateOfficial,
    Person,
    Post,
    Report,
    ReportFile,
    ServiceTerm,
    Training,
    Venture,
    VentureFounder,
)
from tests.factories import (
    assessment_build,
    assessment_make,
    division_build,
    division_make,
    division_tree,
    graduate_make,
    id_number_for,
    person_build,
    person_make,
    post_build,
    post_make,
    term_build,
    training_build,
    venture_build,
    venture_make,
    village_make,
)

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat

# Constraints that Django's model API does not declare by these names.
EXTRA_CONSTRAINTS = {
    # unique=True on Person.id_number: PostgreSQL's default name for an inline UNIQUE.
    "talent_person_id_number_key": "talent_person",
    # The second foreign key on talent_serviceterm.person_id (migration 0003).
    "term_person_is_graduate_official": "talent_serviceterm",
}

# name -> (psycopg error class, setup returning the bad write)
VIOLATIONS: dict[str, tuple[type[Exception], Callable[[], Callable[[], object]]]] = {}


def violation(name: str, error: type[Exception] = pg.CheckViolation):
    def register(setup: Callable[[], Callable[[], object]]):
        VIOLATIONS[name] = (error, setup)
        return setup

    return register


def constraint_of(exc: IntegrityError) -> str:
    return exc.__cause__.diag.constraint_name


def raw_insert(table: str, **values: object) -> None:
    columns = ", ".join(f'"{c}"' for c in values)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', list(values.values()))


# --- Division ------------------------------------------------------------------------------


@violation("division_code_digits")
def _division_code_digits():
    division_tree()
    # The level patterns also refuse a non-digit code; PostgreSQL checks CHECK constraints in
    # name order, so the digits rule is the one reported.
    bad = Division(code="43010410020A", name="坏代码", level="village", parent_id="430104100000", kind="village")
    return lambda: Division.objects.bulk_create([bad])


@violation("division_code_matches_level")
def _division_code_matches_level():
    division_tree()
    # A village code (non-zero last segment) stored as a township.
    bad = Division(code="430104100202", name="错级别", level="township", parent_id="430104100000")
    return lambda: Division.objects.bulk_create([bad])


@violation("division_parent_is_prefix")
def _division_parent_is_prefix():
    division_tree()
    division_make("430105000000", name="开福区")
    # A township of 岳麓区 hung under 开福区.
    bad = Division(code="430104200000", name="错上级乡", level="township", parent_id="430105000000")
    return lambda: Division.objects.bulk_create([bad])


@violation("division_kind_only_for_villages")
def _division_kind_only_for_villages():
    division_tree()
    return lambda: Division.objects.filter(code="430104100000").update(kind="village")


# --- Person --------------------------------------------------------------------------------


@violation("person_id_number_valid")
def _person_id_number_valid():
    person = person_build(id_number="11010519491231002X", birth_date=D("1949-12-31"), gender="female")
    person.id_number = "110105194912310021"  # the check character should be X
    return lambda: Person.objects.bulk_create([person])


@violation("person_id_number_birth_date")
def _person_id_number_birth_date():
    person = person_make(birth_date=D("1990-05-17"), gender="male")
    return lambda: Person.objects.filter(pk=person.pk).update(birth_date=D("1990-05-18"))


@violation("person_id_number_gender")
def _person_id_number_gender():
    person = person_make(gender="male")
    return lambda: Person.objects.filter(pk=person.pk).update(gender="female")


@violation("person_party_joined_after_birth")
def _person_party_joined_after_birth():
    person = person_make(birth_date=D("1990-05-17"))
    return lambda: Person.objects.filter(pk=person.pk).update(
        political_status="party_member", party_joined_on=D("1990-05-17")
    )


@violation("talent_person_id_number_key", pg.UniqueViolation)
def _person_id_number_unique():
    first = person_make()
    twin = person_build(birth_date=first.birth_date, gender=first.gender, id_number=first.id_number, name="同号人")
    return lambda: Person.objects.bulk_create([twin])


# --- Graduate official and service terms ---------------------------------------------------


@violation("graduate_batch_year_range")
def _graduate_batch_year_range():
    person = person_make()
    bad = GraduateOfficial(person=person, batch_year=1994, selected_on=D("1994-08-01"))
    return lambda: GraduateOfficial.objects.bulk_create([bad])


@violation("term_end_not_before_start")
def _term_end_not_before_start():
    bad = term_build(start="2010-08-01", end="2010-07-31")
    return lambda: ServiceTerm.objects.bulk_create([bad])


@violation("term_in_village")
def _term_in_village():
    tree = division_tree()
    bad = term_build(village=tree["township"])
    return lambda: ServiceTerm.objects.bulk_create([bad])


@violation("term_number_positive")
def _term_number_positive():
    # 0 passes the column's own PositiveSmallIntegerField check (>= 0) but not this one.
    bad = term_build(term_number=0)
    return lambda: ServiceTerm.objects.bulk_create([bad])


@violation("term_number_unique", pg.UniqueViolation)
def _term_number_unique():
    graduate = graduate_make(terms=[("2010-08-01", "2013-07-31")])
    bad = term_build(person=graduate.person, start="2013-08-01", end="2016-07-31", term_number=1)
    return lambda: ServiceTerm.objects.bulk_create([bad])


@violation("term_no_overlap", pg.ExclusionViolation)
def _term_no_overlap():
    graduate = graduate_make(terms=[("2010-08-01", "2013-07-31")])
    # Inclusive ends: starting on the last day of the first term is an overlap of one day.
    bad = term_build(person=graduate.person, start="2013-07-31", end="2016-07-30", term_number=2)
    return lambda: ServiceTerm.objects.bulk_create([bad])


@violation("term_person_is_graduate_official", pg.ForeignKeyViolation)
def _term_person_is_graduate_official():
    village = division_tree()["village"]
    person = person_make()  # no graduate-official record

    def write():
        raw_insert(
            "talent_serviceterm",
            person_id=person.pk,
            village_id=village.code,
            start=D("2010-08-01"),
            end=D("2013-07-31"),
            term_number=1,
        )
        # The key is DEFERRABLE INITIALLY DEFERRED: checked at commit, or now when asked.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS term_person_is_graduate_official IMMEDIATE")

    return write


# --- Posts ---------------------------------------------------------------------------------


@violation("post_end_not_before_start")
def _post_end_not_before_start():
    post = post_make(start="2012-01-01", end="2014-12-31", end_reason="term_ended")
    return lambda: Post.objects.filter(pk=post.pk).update(end=D("2011-12-31"))


@violation("post_in_village")
def _post_in_village():
    tree = division_tree()
    person = person_make()

    def write():
        raw_insert(
            "talent_post",
            person_id=person.pk,
            village_id=tree["township"].code,
            role="party_secretary",
            start=D("2012-01-01"),
            end=None,
            end_reason="",
        )

    return write


@violation("post_end_reason_only_when_ended")
def _post_end_reason_only_when_ended():
    post = post_make(start="2012-01-01", end=None)
    return lambda: Post.objects.filter(pk=post.pk).update(end_reason="resigned")


@violation("post_one_open_per_role", pg.UniqueViolation)
def _post_one_open_per_role():
    post = post_make(start="2012-01-01", end=None)
    # Two open posts of one role also overlap; the unique index (created first) reports it.
    bad = post_build(person=post.person, village=post.village, role=post.role, start="2014-01-01", end=None)
    return lambda: Post.objects.bulk_create([bad])


@violation("post_no_overlap_same_role", pg.ExclusionViolation)
def _post_no_overlap_same_role():
    post = post_make(start="2012-01-01", end="2013-06-30", end_reason="term_ended")
    bad = post_build(person=post.person, village=post.village, role=post.role, start="2013-06-30", end=None)
    return lambda: Post.objects.bulk_create([bad])


# --- Assessments, trainings, ventures ------------------------------------------------------


@violation("assessment_unique_per_year_kind", pg.UniqueViolation)
def _assessment_unique_per_year_kind():
    first = assessment_make(year=2012, kind="annual", grade="competent")
    bad = assessment_build(person=first.person, year=2012, kind="annual", grade="excellent")
    return lambda: Assessment.objects.bulk_create([bad])


@violation("assessment_year_range")
def _assessment_year_range():
    bad = assessment_build(year=1979)
    return lambda: Assessment.objects.bulk_create([bad])


@violation("training_end_not_before_start")
def _training_end_not_before_start():
    bad = training_build(start="2013-03-05", end="2013-03-01")
    return lambda: Training.objects.bulk_create([bad])


@violation("training_hours_not_negative")
def _training_hours_not_negative():
    bad = training_build(hours=Decimal("-0.5"))
    return lambda: Training.objects.bulk_create([bad])


@violation("venture_amounts_not_negative")
def _venture_amounts_not_negative():
    venture = venture_make()
    return lambda: Venture.objects.filter(pk=venture.pk).update(annual_revenue=Decimal("-1.00"))


@violation("venture_founder_unique", pg.UniqueViolation)
def _venture_founder_unique():
    founder = person_make()
    venture = venture_make(founders=[founder])
    return lambda: VentureFounder.objects.bulk_create([VentureFounder(venture=venture, person=founder)])


# --- Eligibility rules and facts ------------------------------------------------------------


@violation("rule_code_version_unique", pg.UniqueViolation)
def _rule_code_version_unique():
    rule = EligibilityRule.objects.get(code="township-institution-post")
    return lambda: EligibilityRule.objects.bulk_create(
        [EligibilityRule(code=rule.code, version=rule.version, is_current=False, name="重复版本")]
    )


@violation("rule_one_current_version", pg.UniqueViolation)
def _rule_one_current_version():
    rule = EligibilityRule.objects.get(code="township-institution-post")
    return lambda: EligibilityRule.objects.bulk_create(
        [EligibilityRule(code=rule.code, version=rule.version + 1, is_current=True, name="第二个现行版本")]
    )


@violation("rule_role_years_need_roles")
def _rule_role_years_need_roles():
    return lambda: EligibilityRule.objects.bulk_create(
        [EligibilityRule(code="no-roles", name="无职务", min_role_years=3, roles=[])]
    )


@violation("fact_rule_person_unique", pg.UniqueViolation)
def _fact_rule_person_unique():
    rule = EligibilityRule.objects.get(code="township-institution-post")
    person = graduate_make(terms=[("2010-08-01", None)]).person
    # The trigger on service terms has already written this person's fact for the rule.
    return lambda: EligibilityFact.objects.bulk_create([EligibilityFact(rule=rule, person=person)])


# --- Reports -------------------------------------------------------------------------------


@violation("report_progress_range")
def _report_progress_range():
    report = Report.objects.create(kind="mobility")
    return lambda: Report.objects.filter(pk=report.pk).update(progress=101)


@violation("report_file_one_per_format", pg.UniqueViolation)
def _report_file_one_per_format():
    report = Report.objects.create(kind="mobility")
    ReportFile.objects.create(report=report, format="csv", masked=True, file="reports/a.csv")
    return lambda: ReportFile.objects.bulk_create(
        [ReportFile(report=report, format="csv", masked=True, file="reports/b.csv")]
    )


# --- The tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_database_refuses_the_bad_row(name):
    error, setup = VIOLATIONS[name]
    write = setup()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        write()
    assert isinstance(excinfo.value.__cause__, error)
    assert constraint_of(excinfo.value) == name


@pytest.mark.parametrize("model", [Post, ServiceTerm])
def test_an_end_before_the_start_is_refused_by_the_named_check(model):
    """The generated period is NULL for a reversed range, so the named check is what refuses."""
    bad = post_build(start="2012-01-01", end="2011-12-31") if model is Post else term_build(end="2010-07-31")
    before = model.objects.count()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        model.objects.bulk_create([bad])
    assert constraint_of(excinfo.value).endswith("end_not_before_start")
    assert model.objects.count() == before


def _declared_constraints() -> dict[str, str]:
    declared = dict(EXTRA_CONSTRAINTS)
    for model in apps.get_app_config("talent").get_models():
        for constraint in model._meta.constraints:
            declared[constraint.name] = model._meta.db_table
    return declared


def test_every_declared_constraint_is_in_the_database_and_tested():
    declared = _declared_constraints()
    with connection.cursor() as cursor:
        # Partial unique constraints (post_one_open_per_role) are unique indexes, not
        # pg_constraint rows.
        cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text FROM pg_constraint c
            UNION
            SELECT i.relname, x.indrelid::regclass::text
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indisunique
            """
        )
        installed = dict(cursor.fetchall())
    missing = {name: table for name, table in declared.items() if installed.get(name) != table}
    assert missing == {}
    assert set(declared) == set(VIOLATIONS)


def test_deferred_graduate_key_refuses_at_commit(transactional_db):
    """Without SET CONSTRAINTS the term is refused when the transaction commits."""
    village = division_tree()["village"]
    person = person_make()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        raw_insert(
            "talent_serviceterm",
            person_id=person.pk,
            village_id=village.code,
            start=D("2010-08-01"),
            end=None,
            term_number=1,
        )
    assert constraint_of(excinfo.value) == "term_person_is_graduate_official"
    assert not ServiceTerm.objects.exists()


def test_deleting_the_graduate_record_deletes_its_terms():
    graduate = graduate_make(terms=[("2010-08-01", "2013-07-31"), ("2013-08-01", None)])
    person = graduate.person
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM talent_graduateofficial WHERE person_id = %s", [person.pk])
    assert not ServiceTerm.objects.filter(person=person).exists()
    assert Person.objects.filter(pk=person.pk).exists()


# --- Valid neighbours are accepted ---------------------------------------------------------


def test_a_non_province_without_a_parent_is_refused():
    division_tree()
    orphan = Division(code="430104200000", name="无上级乡", level="township", parent=None)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Division.objects.bulk_create([orphan])
    assert constraint_of(excinfo.value) == "division_parent_is_prefix"


def test_a_province_with_a_parent_is_refused():
    division_tree()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Division.objects.filter(code="430000000000").update(parent_id="430000000000")
    assert constraint_of(excinfo.value) == "division_parent_is_prefix"


def test_touching_posts_of_the_same_role_are_accepted():
    first = post_make(start="2012-01-01", end="2013-06-30", end_reason="term_ended")
    second = post_build(person=first.person, village=first.village, role=first.role, start="2013-07-01", end=None)
    second.full_clean()
    Post.objects.bulk_create([second])
    assert Post.objects.filter(person=first.person, role=first.role).count() == 2


def test_overlapping_posts_of_different_roles_are_accepted():
    """一肩挑: one person is party secretary and committee director at once."""
    secretary = post_make(role="party_secretary", start="2012-01-01", end=None)
    director = post_build(
        person=secretary.person, village=secretary.village, role="committee_director", start="2012-01-01", end=None
    )
    director.full_clean()
    Post.objects.bulk_create([director])
    assert set(Post.objects.filter(person=secretary.person).values_list("role_class", flat=True)) == {"chief"}


def test_a_closed_post_and_a_later_open_post_are_accepted():
    closed = post_make(start="2008-01-01", end="2010-12-31", end_reason="term_ended")
    later = post_make(person=closed.person, village=closed.village, role=closed.role, start="2014-01-01", end=None)
    assert later.pk is not None


def test_reopening_a_closed_post_is_refused_when_a_later_post_is_open():
    closed = post_make(start="2008-01-01", end="2010-12-31", end_reason="term_ended")
    post_make(person=closed.person, village=closed.village, role=closed.role, start="2014-01-01", end=None)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Post.objects.filter(pk=closed.pk).update(end=None, end_reason="")
    assert constraint_of(excinfo.value) in {"post_one_open_per_role", "post_no_overlap_same_role"}


def test_overlapping_posts_of_the_same_role_are_refused_by_full_clean_too():
    first = post_make(start="2012-01-01", end="2013-06-30", end_reason="term_ended")
    second = post_build(person=first.person, village=first.village, role=first.role, start="2013-06-30", end=None)
    with pytest.raises(ValidationError) as excinfo:
        second.full_clean()
    assert "同一人在同一村的同一职务任期不能重叠。" in excinfo.value.messages


def test_touching_service_terms_are_accepted_and_an_open_term_blocks_later_ones():
    graduate = graduate_make(terms=[("2010-08-01", "2013-07-31"), ("2013-08-01", None)])
    assert graduate.person.service_terms.count() == 2
    bad = term_build(person=graduate.person, start="2020-01-01", end=None, term_number=3)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        ServiceTerm.objects.bulk_create([bad])
    assert constraint_of(excinfo.value) == "term_no_overlap"


def test_terms_of_different_officials_may_overlap_in_one_village():
    village = village_make()
    graduate_make(terms=[("2010-08-01", "2013-07-31")], village=village)
    graduate_make(terms=[("2010-08-01", "2013-07-31")], village=village)
    assert ServiceTerm.objects.filter(village=village).count() == 2


def test_assessments_of_one_year_but_different_kinds_are_accepted():
    annual = assessment_make(year=2012, kind="annual")
    assessment_make(person=annual.person, year=2012, kind="term")
    assert annual.person.assessments.count() == 2


def test_boundary_years_are_accepted():
    assessment_make(year=1980)
    assessment_make(year=2100)
    graduate_make(batch_year=1995, selected_on=D("1995-08-01"))
    graduate_make(batch_year=2100, selected_on=D("2100-08-01"))
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        GraduateOfficial.objects.bulk_create(
            [GraduateOfficial(person=person_make(), batch_year=2101, selected_on=D("2100-08-01"))]
        )
    assert constraint_of(excinfo.value) == "graduate_batch_year_range"


def test_zero_hours_and_zero_amounts_are_accepted():
    Training.objects.bulk_create([training_build(hours=Decimal("0"))])
    Venture.objects.bulk_create([venture_build(investment=Decimal("0"), annual_revenue=Decimal("0"))])
    assert Training.objects.filter(hours=0).exists()
    assert Venture.objects.filter(investment=0, annual_revenue=0).exists()


def test_negative_investment_is_refused():
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Venture.objects.bulk_create([venture_build(investment=Decimal("-0.01"))])
    assert constraint_of(excinfo.value) == "venture_amounts_not_negative"


def test_a_venture_may_have_several_founders():
    venture_make(founders=[person_make(), person_make()])
    assert VentureFounder.objects.count() == 2


def test_party_joined_the_day_after_birth_is_accepted():
    person = person_make(birth_date=D("1990-05-17"))
    Person.objects.filter(pk=person.pk).update(political_status="party_member", party_joined_on=D("1990-05-18"))
    person.refresh_from_db()
    assert person.party_joined_on == D("1990-05-18")


def test_database_refuses_a_lower_case_check_character():
    """The stored form is upper case; full_clean normalizes, the database insists."""
    person = person_build(id_number="11010519491231002x", birth_date=D("1949-12-31"), gender="female")
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Person.objects.bulk_create([person])
    assert constraint_of(excinfo.value) == "person_id_number_valid"


@pytest.mark.parametrize(
    "id_number",
    [
        "11010A19491231002X",  # a letter in the address code
        "1101051949A231002X",  # a letter in the birth date
        "1101051949123100AX",  # a letter in the sequence
        "110105194912310",  # 15-digit old number
        "11010519491231002",  # 17 characters
        "110105194913310029",  # month 13 (checksum right for these digits)
    ],
)
def test_database_refuses_malformed_id_numbers_with_a_check_violation(id_number):
    """Malformed numbers are refused by one of the ID constraints (never a type error from
    the check-character function)."""
    person = person_build(id_number=id_number, birth_date=D("1949-12-31"), gender="female")
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Person.objects.bulk_create([person])
    assert isinstance(excinfo.value.__cause__, pg.CheckViolation)
    assert constraint_of(excinfo.value) in {
        "person_id_number_valid",
        "person_id_number_birth_date",
        "person_id_number_gender",
    }


def test_copy_is_held_to_the_same_constraints():
    """A bulk load with COPY meets the same wall as the ORM."""
    good = id_number_for(birth_date=D("1988-02-29"), gender="male")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        ("甲", "male", D("1988-02-29"), good, "bachelor"),
        ("乙", "male", D("1988-02-29"), bad, "bachelor"),
    ]
    columns = "name, gender, birth_date, id_number, education, ethnicity, political_status, school, major, "
    columns += "key_university, phone, notes, created_at, updated_at"
    now = dt.datetime.now(dt.UTC)
    # cursor.copy is psycopg's own method (Django does not wrap it), so psycopg's error arrives.
    with pytest.raises(pg.CheckViolation) as excinfo, transaction.atomic():
        with connection.cursor() as cursor, cursor.copy(f"COPY talent_person ({columns}) FROM STDIN") as copy:
            for name, gender, birth, number, education in rows:
                copy.write_row(
                    [name, gender, birth, number, education, "han", "masses", "", "", False, "", "", now, now]
                )
    assert excinfo.value.diag.constraint_name == "person_id_number_valid"
    assert not Person.objects.filter(id_number=good).exists()


def test_township_directly_under_a_city_without_counties_is_accepted():
    """东莞市 has no counties: its towns (441900003000) hang directly under the city."""
    province = division_make("440000000000", name="广东省")
    city = division_make("441900000000", name="东莞市")
    town = division_build("441900003000", name="东城街道")
    assert town.parent_id == city.code
    Division.objects.bulk_create([town])
    village = division_make("441900003001", name="东城社区")
    assert village.parent_id == town.code
    assert province.children.get() == city
