"""Promotion eligibility: the exact service arithmetic (every shared test vector), the
precomputed facts against a from-scratch computation after every kind of write, and a
randomized comparison with an independent plain-Python computation."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from django.db import connection

from talent import eligibility
from talent.choices import ROLE_CLASS, Role
from talent.models import Assessment, EligibilityFact, EligibilityRule, Person, Post, ServiceTerm
from tests.factories import (
    graduate_make,
    id_number_for,
    person_make,
    post_make,
    posts_copy,
    term_make,
    village_make,
)

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "eligibility-vectors.json").read_text())["cases"]
D = dt.date.fromisoformat


def _d(value):
    return D(value) if value else None


# --- The SQL arithmetic, case by case ------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS, ids=[c["name"] for c in VECTORS])
def test_vector_in_sql(db, case):
    starts = [p["start"] for p in case["posts"]]
    ends = [p["end"] for p in case["posts"]]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT talent_years_met_on(
                   (SELECT range_agg(daterange(s::date, e::date, '[]')) FROM unnest(%s::text[], %s::text[]) AS x(s, e)),
                   %s)""",
            [starts, ends, case["years"]],
        )
        met_on = cursor.fetchone()[0]
    assert met_on == _d(case["first_eligible_day_if_nothing_changes"])
    assert (met_on is not None and met_on <= D(case["as_of"])) == case["expected"]


@pytest.mark.parametrize("case", VECTORS, ids=[c["name"] for c in VECTORS])
def test_vector_through_posts_and_candidates(db, case):
    """The same cases as village posts (overlapping ones as 一肩挑: secretary and director)
    under a rule counting chief posts: facts, candidates and the explanation agree."""
    rule = eligibility.rule_save(
        code=None,
        data={"code": "vector", "name": "向量", "min_role_years": case["years"], "roles": ["chief"]},
        actor=None,
    )
    person = person_make()
    roles = [Role.PARTY_SECRETARY, Role.COMMITTEE_DIRECTOR]
    for index, post in enumerate(case["posts"]):
        post_make(person=person, role=roles[index % 2], start=post["start"], end=post["end"])
    fact = EligibilityFact.objects.filter(rule=rule, person=person).first()
    expected_first = _d(case["first_eligible_day_if_nothing_changes"])
    assert (fact.role_met_on if fact else None) == expected_first

    as_of = D(case["as_of"])
    assert eligibility.eligible_people(rule, as_of=as_of).filter(pk=person.pk).exists() == case["expected"]
    explained = eligibility.rule_evaluate(rule, as_of=as_of, person_ids=[person.pk])[person.pk]
    assert explained.eligible == case["expected"]
    if case["expected"]:
        assert explained.eligible_on == expected_first


def test_vector_through_service_terms(db):
    """Service terms cannot overlap, so the non-overlapping vectors run through terms too."""
    rule = eligibility.rule_save(code=None, data={"code": "terms", "name": "聘期", "min_service_years": 6}, actor=None)
    graduate = graduate_make(terms=[("2009-08-01", "2012-07-31"), ("2012-08-01", None)])
    fact = EligibilityFact.objects.get(rule=rule, person=graduate.person)
    assert fact.service_met_on == D("2015-07-31")
    assert not eligibility.eligible_people(rule, as_of=D("2015-07-30")).filter(pk=graduate.pk).exists()
    assert eligibility.eligible_people(rule, as_of=D("2015-07-31")).filter(pk=graduate.pk).exists()


def test_explanation_gives_figures_and_shortfall(db):
    rule = EligibilityRule.objects.get(code="township-institution-post", is_current=True)
    graduate = graduate_make(terms=[("2009-08-01", "2012-07-31"), ("2012-08-01", None)])
    person = graduate.person
    post_make(person=person, role=Role.SECRETARY_ASSISTANT, start="2009-08-01", end="2012-03-31")
    post_make(person=person, role=Role.PARTY_DEPUTY_SECRETARY, start="2012-04-01")
    as_of = D("2014-12-01")
    result = eligibility.rule_evaluate(rule, as_of=as_of, person_ids=[person.pk])[person.pk]
    by_key = {c.criterion: c for c in result.criteria}
    assert not result.eligible
    service = by_key["service"]
    assert service.days == (as_of - D("2009-08-01")).days + 1
    assert not service.met and service.met_on == D("2015-07-31")
    assert service.value == f"5年4个月1天({service.days:,}天)"  # the as-of day counts
    role = by_key["role"]
    assert role.days == (as_of - D("2012-04-01")).days + 1  # 2 years 8 months
    assert role.value.startswith("2年8个月")
    assert role.shortfall == "正职、副职任职年限2年8个月1天:还差3个月30天(120天)"  # docs/eligibility.md
    # On the day both hold, the explanation agrees with the candidates query.
    later = D("2015-07-31")
    assert eligibility.rule_evaluate(rule, as_of=later, person_ids=[person.pk])[person.pk].eligible
    assert eligibility.eligible_people(rule, as_of=later).filter(pk=person.pk).exists()


def test_candidates_of_each_status_selected_and_explained(db):
    """talent.eligibility.candidates and candidates_explain, status by status: who is selected,
    in id order, the day shown (eligible: the first day all criteria held; upcoming: the day they
    will), the criteria shown (not eligible: only the unmet ones) and the fields read."""
    rule = EligibilityRule.objects.get(code="township-institution-post", is_current=True)
    ready = graduate_make(terms=[("2009-08-01", None)]).person  # 6 years on 2015-07-31
    post_make(person=ready, role=Role.PARTY_DEPUTY_SECRETARY, start="2009-08-01")
    soon = graduate_make(terms=[("2009-10-01", None)]).person  # 6 years on 2015-09-30
    post_make(person=soon, role=Role.PARTY_DEPUTY_SECRETARY, start="2009-10-01")
    short = graduate_make(terms=[("2013-01-01", None)]).person
    post_make(person=short, role=Role.PARTY_DEPUTY_SECRETARY, start="2013-01-01")
    person_make()  # not a graduate official: in no status
    as_of = D("2015-08-01")

    def shown(status, horizon_days=180):
        selected = eligibility.candidates(rule, status=status, as_of=as_of, horizon_days=horizon_days, fields=["name"])
        page = list(selected)
        assert all("name" in p.__dict__ and "id_number" not in p.__dict__ for p in page)  # only what was asked
        explained = eligibility.candidates_explain(rule, page, status=status, as_of=as_of)
        return [(c.person.pk, c.eligible, c.eligible_on, [r.criterion for r in c.criteria]) for c in explained]

    every = ["group", "service", "role"]
    assert shown("eligible") == [(ready.pk, True, D("2015-07-31"), every)]
    assert shown("upcoming") == [(soon.pk, False, D("2015-09-30"), every)]
    assert shown("upcoming", horizon_days=30) == []
    assert shown("not_eligible") == [(soon.pk, False, None, ["service"]), (short.pk, False, None, ["service", "role"])]
    with pytest.raises(ValueError, match="status"):
        eligibility.candidates(rule, status="maybe", as_of=as_of, horizon_days=180)


def test_explanation_reads_each_union_of_periods_in_order(db):
    """The terms, the role's posts and the class's posts as the explanation reads them: each
    union in order, adjacent periods merged, an open one open, none at all empty."""
    rule = EligibilityRule(
        code="spans", applies_to="graduate_official", min_service_years=6, roles=["chief"], min_role_years=3,
        current_role_class="chief",
    )  # fmt: skip
    graduate = graduate_make(terms=[("2009-08-01", "2010-07-31"), ("2010-08-01", "2012-07-31"), ("2013-01-01", None)])
    person = graduate.person
    post_make(person=person, role=Role.PARTY_SECRETARY, start="2008-01-01", end="2009-12-31")
    post_make(person=person, role=Role.PARTY_DEPUTY_SECRETARY, start="2010-01-01", end="2010-06-30")
    post_make(person=person, role=Role.COMMITTEE_DIRECTOR, start="2010-01-01", end="2010-02-28")
    post_make(person=person, role=Role.PARTY_SECRETARY, start="2011-03-01")
    nobody = person_make()
    rows = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[person.pk, nobody.pk]).annotate(**eligibility.explanation_columns(rule))
    }
    read = rows[person.pk]
    assert eligibility._spans(read.explain_terms) == [(D("2009-08-01"), D("2012-07-31")), (D("2013-01-01"), None)]
    chief = [(D("2008-01-01"), D("2010-02-28")), (D("2011-03-01"), None)]
    assert eligibility._spans(read.explain_role_spans) == chief
    assert eligibility._spans(read.explain_class_spans) == chief
    assert read.explain_in_group is True and rows[nobody.pk].explain_in_group is False
    for name in ("explain_terms", "explain_role_spans", "explain_class_spans"):
        assert eligibility._spans(getattr(rows[nobody.pk], name)) == []
    # On a candidates page the group is known: not read, and met.
    assert "explain_in_group" not in eligibility.explanation_columns(rule, group_known=True)
    page = Person.objects.filter(pk=nobody.pk).annotate(**eligibility.explanation_columns(rule, group_known=True))
    explained = eligibility.rule_explain(rule, as_of=D("2015-06-30"), people=page, group_known=True)[nobody.pk]
    assert explained.criteria[0].criterion == "group" and explained.criteria[0].met


def test_point_in_time_ignores_what_happened_later(db):
    rule = EligibilityRule.objects.get(code="township-civil-servant-directed", is_current=True)
    person = person_make(birth_date=D("1980-01-01"), education="high_school")
    post_make(person=person, role=Role.PARTY_SECRETARY, start="2008-01-01", end="2010-12-31")
    post_make(person=person, role=Role.COMMITTEE_DIRECTOR, start="2012-01-01")
    for year in range(2008, 2016):
        Assessment.objects.create(person=person, year=year, grade="competent")
    # By 2011-06-01 only the first post had happened: 3 years (2008-2010) are complete.
    assert eligibility.eligible_people(rule, as_of=D("2011-06-01")).filter(pk=person.pk).exists()
    # A later assessment below the grade does not change the past.
    Assessment.objects.filter(person=person, year=2012).update(grade="basic")
    assert eligibility.eligible_people(rule, as_of=D("2012-06-01")).filter(pk=person.pk).exists()
    assert not eligibility.eligible_people(rule, as_of=D("2013-06-01")).filter(pk=person.pk).exists()
    # Over the age limit from the 41st birthday on.
    assert eligibility.eligible_people(rule, as_of=D("2016-12-31")).filter(pk=person.pk).exists()
    assert not eligibility.eligible_people(rule, as_of=D("2021-01-01")).filter(pk=person.pk).exists()


def test_rule_edit_adds_a_version_and_rebuilds_facts(db):
    graduate = graduate_make(terms=[("2009-08-01", None)])
    old = EligibilityRule.objects.get(code="township-institution-post", is_current=True)
    new = eligibility.rule_save(code=old.code, data={"min_service_years": 5}, actor=None)
    old.refresh_from_db()
    assert (old.is_current, new.is_current, new.version) == (False, True, old.version + 1)
    assert not EligibilityFact.objects.filter(rule=old).exists()
    assert EligibilityFact.objects.get(rule=new, person=graduate.person).service_met_on == D("2014-07-31")
    # Saving the same values again changes nothing.
    assert eligibility.rule_save(code=old.code, data={"min_service_years": 5}, actor=None).pk == new.pk


def test_current_rule_reads_what_the_queryset_reads(db):
    """current_rule, written out, gives the instance the ORM gives: every field of every
    seeded rule, the new version after an edit (roles and all), None for an unknown code."""

    def fields(rule):
        return {f.attname: getattr(rule, f.attname) for f in EligibilityRule._meta.concrete_fields}

    codes = list(EligibilityRule.objects.filter(is_current=True).values_list("code", flat=True))
    assert len(codes) >= 3
    eligibility.rule_save(
        code=codes[0], data={"max_age": 44, "roles": [Role.PARTY_SECRETARY, Role.COMMITTEE_DIRECTOR]}, actor=None
    )
    for code in codes:
        read = eligibility.current_rule(code)
        expected = EligibilityRule.objects.filter(code=code, is_current=True).first()
        assert type(read) is EligibilityRule and not read._state.adding and read._state.db == "default"
        assert fields(read) == fields(expected)
    assert eligibility.current_rule(codes[0]).version == 2
    assert eligibility.current_rule("no-such-rule") is None


# --- Facts equal a from-scratch computation after every kind of write -----------------------


def _facts() -> set[tuple]:
    return set(
        EligibilityFact.objects.values_list("person_id", "rule_id", "service_met_on", "role_met_on", "met_during")
    )


def _assert_facts_fresh():
    kept = _facts()
    eligibility.facts_rebuild()
    assert kept == _facts()


def test_facts_stay_current_after_every_kind_of_write(db):
    village = village_make()
    graduate = graduate_make(terms=[("2009-08-01", "2012-07-31")], village=village)
    person = graduate.person
    _assert_facts_fresh()
    # create
    post = post_make(person=person, role=Role.PARTY_DEPUTY_SECRETARY, start="2010-01-01")
    term = term_make(person=person, village=village, start="2012-08-01", end=None, term_number=2)
    _assert_facts_fresh()
    assert EligibilityFact.objects.get(person=person, rule__code="township-institution-post").role_met_on
    # edit (one row, and a bulk update)
    post.end = D("2011-12-31")
    post.save()
    _assert_facts_fresh()
    ServiceTerm.objects.filter(person=person).update(village=village)
    Post.objects.filter(person=person).update(start=D("2009-01-01"))
    _assert_facts_fresh()
    # delete
    term.delete()
    _assert_facts_fresh()
    Post.objects.filter(person=person).delete()
    _assert_facts_fresh()
    # bulk load (COPY)
    posts_copy([
        (person.pk, village.code, "party_secretary", D("2013-01-01"), None, ""),
        (person.pk, village.code, "committee_director", D("2012-06-01"), D("2014-01-01"), "other"),
    ])  # fmt: skip
    _assert_facts_fresh()
    # rule edit
    eligibility.rule_save(code="township-institution-post", data={"role_service_continuous": True}, actor=None)
    _assert_facts_fresh()
    # the age limit (met_during ends with it), then the birth date it counts from
    rule = eligibility.rule_save(code="township-civil-servant-directed", data={"max_age": 45}, actor=None)
    _assert_facts_fresh()
    assert EligibilityFact.objects.get(person=person, rule=rule).met_during.lower == D("2015-05-31")
    born = D("1965-03-01")
    Person.objects.filter(pk=person.pk).update(
        birth_date=born, id_number=id_number_for(birth_date=born, gender=person.gender)
    )
    _assert_facts_fresh()
    assert EligibilityFact.objects.get(person=person, rule=rule).met_during.isempty  # 46 since 2011
    # the person deleted
    person.delete()
    _assert_facts_fresh()
    assert not EligibilityFact.objects.filter(person_id=person.pk).exists()


# --- Randomized comparison with an independent Python computation ----------------------------

CLASSES = {role.value: cls.value for role, cls in ROLE_CLASS.items()}
GRADE_ORDER = ["incompetent", "basic", "competent", "excellent"]
EDU_ORDER = {"primary": 1, "junior_high": 2, "high_school": 3, "secondary_vocational": 3, "junior_college": 4,
             "bachelor": 5, "master": 6, "doctor": 7}  # fmt: skip


def py_anniversary(day: dt.date, years: int) -> dt.date:
    if day.month == 2 and day.day == 29:
        y = day.year + years
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return dt.date(y, 2, 29) if leap else dt.date(y, 3, 1)
    return dt.date(day.year + years, day.month, day.day)


def py_union_days(intervals, as_of):
    """Set of days (ordinals) covered on or before as_of."""
    days = set()
    for start, end in intervals:
        last = min(end or as_of, as_of)
        days.update(range(start.toordinal(), last.toordinal() + 1))
    return days


def py_years_met(intervals, years, as_of, continuous=False) -> bool:
    days = py_union_days(intervals, as_of)
    if not days:
        return False
    if not continuous:
        first = dt.date.fromordinal(min(days))
        return len(days) >= (py_anniversary(first, years) - first).days
    ordered = sorted(days)
    run_start = prev = ordered[0]
    for d in [*ordered[1:], None]:
        if d is None or d != prev + 1:
            first = dt.date.fromordinal(run_start)
            if prev - run_start + 1 >= (py_anniversary(first, years) - first).days:
                return True
            run_start = d
        prev = d
    return False


def py_age(birth, day):
    years = day.year - birth.year
    return years - 1 if py_anniversary(birth, years) > day else years


def py_eligible(rule, p, as_of) -> bool:
    if rule.applies_to == "graduate_official" and not p["graduate"]:
        return False
    if rule.applies_to == "village_cadre" and not p["posts"]:
        return False
    if rule.min_service_years is not None and not py_years_met(p["terms"], rule.min_service_years, as_of):
        return False
    if rule.min_role_years is not None:
        spans = [(s, e) for role, s, e in p["posts"] if role in rule.roles or CLASSES[role] in rule.roles]
        if not py_years_met(spans, rule.min_role_years, as_of, rule.role_service_continuous):
            return False
    if rule.min_assessment_grade:
        floor = GRADE_ORDER.index(rule.min_assessment_grade)
        if rule.assessment_years is None:
            years = [y for y in p["assessments"] if y < as_of.year]
        else:
            years = range(as_of.year - rule.assessment_years, as_of.year)
        for y in years:
            grade = p["assessments"].get(y)
            if grade is None:
                if not rule.missing_assessment_ok:
                    return False
            elif GRADE_ORDER.index(grade) < floor:
                return False
    if rule.max_age is not None and py_age(p["birth_date"], as_of) > rule.max_age:
        return False
    if rule.min_education and EDU_ORDER[p["education"]] < EDU_ORDER[rule.min_education]:
        return False
    if rule.current_role_class and not any(
        CLASSES[role] == rule.current_role_class and s <= as_of and (e is None or e >= as_of)
        for role, s, e in p["posts"]
    ):
        return False
    return True


def random_date(rng, start, end):
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def build_random_registry(rng, n_people=300):
    villages = [village_make() for _ in range(3)]
    people = {}
    for _ in range(n_people):
        birth = random_date(rng, D("1970-01-01"), D("1992-12-31"))
        if rng.random() < 0.02:
            birth = D("1984-02-29")
        person = person_make(birth_date=birth, education=rng.choice(list(EDU_ORDER)))
        record = {"birth_date": birth, "education": person.education, "graduate": False, "terms": [], "posts": [],
                  "assessments": {}}  # fmt: skip
        if rng.random() < 0.6:
            graduate_make(person, batch_year=2008)
            record["graduate"] = True
            cursor = random_date(rng, D("2006-01-01"), D("2012-12-31"))
            for number in range(1, rng.randint(1, 4)):
                length = rng.choice([365, 730, 1095, 1096, 1000, 200])
                end = cursor + dt.timedelta(days=length - 1)
                is_open = rng.random() < 0.25
                term_make(person=person, village=villages[0], start=cursor, end=None if is_open else end,
                          term_number=number)  # fmt: skip
                record["terms"].append((cursor, None if is_open else end))
                if is_open:
                    break
                cursor = end + dt.timedelta(days=rng.choice([1, 1, 2, 30, 400]))  # touching or gapped
        for _ in range(rng.randint(0, 4)):
            role = rng.choice(list(CLASSES))
            village = rng.choice(villages)
            start = random_date(rng, D("2005-01-01"), D("2016-12-31"))
            end = None if rng.random() < 0.3 else start + dt.timedelta(days=rng.randint(0, 2500))
            overlapping = any(
                r == role and v == village.code and s <= (end or D("9999-12-31")) and start <= (e or D("9999-12-31"))
                for r, s, e, v in record.get("_raw", [])
            )
            if overlapping:
                continue
            post_make(person=person, village=village, role=role, start=start, end=end,
                      end_reason="" if end is None else "term_ended")  # fmt: skip
            record["posts"].append((role, start, end))
            record.setdefault("_raw", []).append((role, start, end, village.code))
        for year in range(2006, 2020):
            if rng.random() < 0.8:
                grade = rng.choices(GRADE_ORDER, weights=[1, 2, 10, 4])[0]
                Assessment.objects.create(person=person, year=year, grade=grade)
                record["assessments"][year] = grade
        people[person.pk] = record
    return people


def random_rule(rng, n):
    roles_pool = [["chief"], ["chief", "deputy"], ["deputy"], ["party_secretary"], ["assistant", "member"]]
    data = {"code": f"random-{n}", "name": f"随机规则{n}"}
    if rng.random() < 0.6:
        data["min_service_years"] = rng.randint(1, 7)
    if rng.random() < 0.7:
        data["min_role_years"] = rng.randint(1, 6)
        data["roles"] = rng.choice(roles_pool)
        data["role_service_continuous"] = rng.random() < 0.4
    if rng.random() < 0.5:
        data["min_assessment_grade"] = rng.choice(["competent", "excellent", "basic"])
        data["assessment_years"] = rng.choice([None, 1, 2, 3])
        data["missing_assessment_ok"] = rng.random() < 0.3
    if rng.random() < 0.4:
        data["max_age"] = rng.randint(30, 45)
    if rng.random() < 0.3:
        data["min_education"] = rng.choice(["high_school", "junior_college", "bachelor"])
    if rng.random() < 0.3:
        data["current_role_class"] = rng.choice(["chief", "deputy", "member", "assistant"])
    data["applies_to"] = rng.choice([None, "graduate_official", "village_cadre"])
    return data


@pytest.mark.django_db
def test_randomized_registry_agrees_with_plain_python():
    rng = random.Random(20141206)
    people = build_random_registry(rng)
    rules = list(EligibilityRule.objects.filter(is_current=True))
    rules += [eligibility.rule_save(code=None, data=random_rule(rng, n), actor=None) for n in range(12)]
    as_of_dates = [random_date(rng, D("2008-01-01"), D("2022-12-31")) for _ in range(8)]
    as_of_dates += [D("2014-12-06"), D("2015-07-31")]
    checked = 0
    for rule in rules:
        for as_of in as_of_dates:
            expected = {pid for pid, record in people.items() if py_eligible(rule, record, as_of)}
            got = set(eligibility.eligible_people(rule, as_of=as_of).values_list("pk", flat=True))
            assert got == expected, (rule.code, as_of, sorted(got ^ expected)[:5])
            not_eligible = set(eligibility.not_eligible_people(rule, as_of=as_of).values_list("pk", flat=True))
            assert not_eligible.isdisjoint(got)
            sample = rng.sample(sorted(people), 40)
            explained = eligibility.rule_evaluate(rule, as_of=as_of, person_ids=sample)
            for pid in sample:
                assert explained[pid].eligible == (pid in expected), (rule.code, as_of, pid)
            checked += len(expected)
    assert checked > 100  # the data does produce eligible people, not only refusals


@pytest.mark.django_db
def test_upcoming_agrees_with_stepping_the_date():
    """Upcoming: the first day the service criteria hold falls within the horizon, and on that
    day the other criteria hold too (age and current post on that day, assessments as they
    stand on the as-of date)."""
    rng = random.Random(7)
    people = build_random_registry(rng, n_people=120)
    horizon = 120
    rules = list(EligibilityRule.objects.filter(is_current=True))
    rules += [eligibility.rule_save(code=None, data=random_rule(rng, n), actor=None) for n in range(6)]
    compared = 0
    for as_of in (D("2012-03-01"), D("2014-12-06"), D("2016-06-30")):
        for rule in rules:
            got = dict(
                eligibility.upcoming_people(rule, as_of=as_of, horizon_days=horizon).values_list("pk", "upcoming_on")
            )
            service_only = _only(rule, "min_service_years", "min_role_years", "roles", "role_service_continuous")
            expected = {}
            if service_only.min_service_years is not None or service_only.min_role_years is not None:
                for pid, record in people.items():
                    if py_eligible(rule, record, as_of) or py_eligible(service_only, record, as_of):
                        continue
                    day = next(
                        (as_of + dt.timedelta(days=k) for k in range(1, horizon + 1)
                         if py_eligible(service_only, record, as_of + dt.timedelta(days=k))),
                        None,
                    )  # fmt: skip
                    if day is None:
                        continue
                    rest_on_day = _only(rule, "applies_to", "max_age", "min_education", "current_role_class")
                    assessments = _only(rule, "min_assessment_grade", "assessment_years", "missing_assessment_ok")
                    if py_eligible(rest_on_day, record, day) and py_eligible(assessments, record, as_of):
                        expected[pid] = day
            assert got == expected, (rule.code, as_of)
            compared += len(expected)
    assert compared > 0


def _only(rule, *names):
    """A copy of the rule keeping only the named criteria."""
    criteria = ["applies_to", "min_service_years", "min_role_years", "min_assessment_grade", "assessment_years",
                "max_age", "min_education", "current_role_class"]  # fmt: skip
    copy = EligibilityRule(**{f.attname: getattr(rule, f.attname) for f in rule._meta.concrete_fields})
    for name in criteria:
        if name not in names:
            setattr(copy, name, None)
    return copy


# --- The assessment criterion against its plain statement ----------------------------------


def _assessment_plainly(rule, grades: dict[int, str], as_of: dt.date) -> tuple[bool, dt.date | None, list[str]]:
    """The documented rule, tested year by year: the failures of a year are the years of its
    window (the N years before it, or every year on record before it) whose grade is below the
    minimum, or missing when a window is set and missing years are not allowed; met from the
    earliest year (not before 1980) from which no year up to the as-of year had failures."""
    from talent.choices import GRADE_RANK, Grade

    def failures(year: int) -> list[str]:
        n = rule.assessment_years
        years = range(year - n, year) if n is not None else sorted(y for y in grades if y < year)
        out = []
        for y in years:
            grade = grades.get(y)
            if grade is None:
                if n is not None and not rule.missing_assessment_ok:
                    out.append(f"{y}年缺少年度考核结果")
            elif GRADE_RANK[Grade(grade)] < GRADE_RANK[Grade(rule.min_assessment_grade)]:
                out.append(f"{y}年为{Grade(grade).label}")
        return out

    failing = failures(as_of.year)
    if failing:
        return False, None, failing
    first = as_of.year
    while first > 1980 and not failures(first - 1):
        first -= 1
    return True, dt.date(first, 1, 1), []


def test_the_assessment_criterion_matches_its_plain_statement():
    """20,000 random histories (gaps, low grades, every window and both settings for missing
    years), compared with a year-by-year statement of the rule."""
    from types import SimpleNamespace

    from talent.choices import Grade

    rng = random.Random(7)
    grade_values = [g.value for g in Grade]
    met = 0
    for _ in range(20_000):
        rule = SimpleNamespace(
            min_assessment_grade=rng.choice(grade_values),
            assessment_years=rng.choice([None, 0, 1, 2, 3, 5]),
            missing_assessment_ok=rng.random() < 0.5,
        )
        as_of = dt.date(rng.randint(1975, 2030), rng.randint(1, 12), 1)
        first_year = rng.randint(1970, 2030)
        grades = {
            y: rng.choice(grade_values) for y in range(first_year, rng.randint(first_year, 2035)) if rng.random() < 0.8
        }
        result = eligibility._assessment_criterion(rule, grades, as_of)
        ok, met_on, failing = _assessment_plainly(rule, grades, as_of)
        assert (result.met, result.met_on) == (ok, met_on), (rule, as_of, grades)
        assert result.value == ("符合" if ok else ";".join(failing))
        met += ok
    assert 2_000 < met < 18_000  # both outcomes, many times


def _ymd_by_counting(start: dt.date, end: dt.date) -> tuple[int, int, int]:
    """Years, then months, counted one at a time while the next one still ends by ``end``."""
    from talent.dates import anniversary

    years = 0
    while anniversary(start, years + 1) <= end:
        years += 1
    base = anniversary(start, years)
    months = 0
    while eligibility._add_months(base, months + 1) <= end:
        months += 1
    return years, months, (end - eligibility._add_months(base, months)).days


def test_years_months_days_match_counting_them_one_by_one():
    """``ymd`` works the years and months out from the calendar; counted one at a time they
    are the same: 29 February starts and ends, month ends, spans under a month, a day, none,
    and an end before the start (the days then negative, as counting gives)."""
    rng = random.Random(11)
    edges = [dt.date(y, m, d) for y in (2000, 2003, 2004, 2100) for m, d in ((2, 28), (2, 29), (3, 1), (1, 31))
             if not (m == 2 and d == 29 and not calendar.isleap(y))]  # fmt: skip
    starts = edges + [dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(40 * 366)) for _ in range(400)]
    for start in starts:
        ends = [start, start + dt.timedelta(days=1), start - dt.timedelta(days=40), *edges]
        ends += [start + dt.timedelta(days=rng.randrange(12 * 366)) for _ in range(40)]
        for end in ends:
            assert eligibility.ymd(start, end) == _ymd_by_counting(start, end), (start, end)
