"""Promotion eligibility: who meets a rule on a date, who will soon, who does not and why.

Selection happens in the database. The service criteria use the precomputed facts
(``EligibilityFact``: the first day each service criterion is met, kept current by triggers);
everything that depends on the as-of date (age, education, current post, assessments) is a
cheap condition evaluated at query time. Only the page of people being shown is explained
criterion by criterion (``rule_explain``), from data the page's own statement reads with its
rows (``explanation_columns``); ``candidates`` and ``candidates_explain`` do both for a page of
candidates, by status.

The arithmetic is DOMAIN.md's "service-length rule (exact)"; docs/eligibility.md walks through
it with examples.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DateField, F, Field, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Greatest
from django.db.models.lookups import GreaterThan
from django.forms.models import model_to_dict

from talent.choices import EDUCATION_RANK, GRADE_RANK, AssessmentKind, Education, Grade, Group, RoleClass
from talent.dates import age_on, anniversary, latest_birth_date_for_age
from talent.models import Assessment, EligibilityFact, EligibilityRule, Person, Post, ServiceTerm
from talent.querysets import Condition, RowSql, group_q, group_sql, person_rows, post_held
from talent.rows import Columns

RULE_FIELDS = [
    "active",
    "name",
    "target",
    "applies_to",
    "min_service_years",
    "min_role_years",
    "roles",
    "role_service_continuous",
    "min_assessment_grade",
    "assessment_years",
    "missing_assessment_ok",
    "max_age",
    "min_education",
    "current_role_class",
]

UNKNOWN_RULE = "资格规则 {code} 不存在。"

# The tables the conditions below read (talent.querysets.Condition).
FACTS = EligibilityFact._meta.db_table
TERMS = ServiceTerm._meta.db_table
POSTS = Post._meta.db_table
ASSESSMENTS = Assessment._meta.db_table
# The person's fact for a rule (``%s``: the rule's id).
FACT_OF_PERSON = f"FROM {FACTS} f WHERE f.person_id = {{person}} AND f.rule_id = %s"


# --- Rules as data -------------------------------------------------------------------------


@transaction.atomic
def rule_save(*, code: str | None, data: dict, actor) -> EligibilityRule:
    """Create a rule, or edit one by adding a new version (the old one is kept, retired).

    The database trigger on rules rebuilds the precomputed facts for the new version and
    drops those of the retired one, in this same transaction."""
    current = None
    if code is not None:
        current = EligibilityRule.objects.select_for_update().filter(code=code, is_current=True).first()
        if current is None:
            raise ValidationError({"code": UNKNOWN_RULE.format(code=code)})
    if current is None:
        rule = EligibilityRule(**data, version=1, is_current=True)
    else:
        values = model_to_dict(current, fields=RULE_FIELDS)
        changed = {k: v for k, v in data.items() if values.get(k) != v}
        if not changed:
            return current
        values.update(data)
        rule = EligibilityRule(**values, code=current.code, version=current.version + 1, is_current=True)
        current.is_current = False
        current.save(update_fields=["is_current"])
    rule.created_by = actor if getattr(actor, "pk", None) else None
    rule.full_clean()
    rule.save()
    return rule


@functools.cache
def _current_rule_statement() -> tuple[str, Columns]:
    columns = Columns(EligibilityRule, "r")
    quote = connection.ops.quote_name
    where = f"r.{quote('code')} = %s AND r.{quote('is_current')}"
    return f"SELECT {columns.sql} FROM {columns.table} r WHERE {where}", columns


def current_rule(code: str) -> EligibilityRule | None:
    """The current version of the rule ``code`` (None when there is none): the instance
    ``EligibilityRule.objects.filter(code=code, is_current=True).first()`` gives, read in a
    statement written out (talent.rows), as every candidates page reads it first: 0.25 ms
    against 0.7 ms through the ORM. One current version per code (rule_one_current_version)."""
    row = current_rule_row(code)
    return None if row is None else rule_of_row(row)


def current_rule_row(code: str) -> tuple | None:
    """``current_rule``'s row, for a caller that keeps it (api.kept.RULES): ``rule_of_row``
    makes the instance, a new one each time."""
    sql, _ = _current_rule_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        return cursor.fetchone()


def rule_of_row(row: tuple) -> EligibilityRule:
    return _current_rule_statement()[1].instance(row, 0)


def facts_rebuild(*, rule_ids: list[int] | None = None) -> None:
    """Recompute the facts of everybody (for the given current rules, or all of them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT talent_refresh_facts(NULL, %s)", [rule_ids])


# --- Selection in the database -------------------------------------------------------------


@functools.cache
def grades_at_least(grade: str) -> frozenset[str]:
    """Computed once per grade: the explanation asks for each person of a page."""
    return frozenset(g for g in Grade if GRADE_RANK[g] >= GRADE_RANK[Grade(grade)])


def educations_at_least(education: str) -> list[str]:
    return [e for e in Education if EDUCATION_RANK[e] >= EDUCATION_RANK[Education(education)]]


def _uses_facts(rule: EligibilityRule) -> bool:
    return rule.min_service_years is not None or rule.min_role_years is not None


def _group_q(rule: EligibilityRule) -> Q:
    return group_q(rule.applies_to) if rule.applies_to else Q()


def _facts_q(rule: EligibilityRule, as_of: dt.date) -> Q:
    """The service criteria met on ``as_of`` and, with them, the age limit: ``met_during``
    holds the days on which both do, so the GiST index finds the few people near eligibility
    without reading everyone who ever held a post.

    ``id = ANY(ARRAY(…))``: the array does not depend on the person, so PostgreSQL computes it
    once, before the query (an InitPlan), and then reads people by their primary key in
    order, stopping at the end of the page. A join or ``EXISTS`` leaves the order to the
    planner's estimate of how many facts a rule has on a date, which cannot see that rules
    differ: for a rule met by a hundred people it walked every fact of every rule instead.

    The rule's id is cast to the column's type: the GiST index's operator class (btree_gist)
    compares bigint with bigint only, and with a bare integer PostgreSQL left the rule out of
    the index scan and filtered every fact of every rule containing the date. The array is
    sorted as it is built: the index scan of the people sorts it otherwise, more slowly (for
    11,481 facts in the GiST index's order, 0.4 ms more)."""
    if not _uses_facts(rule):
        return Q()
    return Q(
        Condition(
            f"{{person}} = ANY(ARRAY(SELECT f.person_id FROM {FACTS} f"
            " WHERE f.rule_id = %s::bigint AND f.met_during @> %s::date ORDER BY f.person_id))",
            [rule.pk, as_of],
            person="pk",
        )
    )


def _dated_criteria(rule: EligibilityRule, day: dt.date | str) -> dict[str, Q]:
    """Age, education and current post on ``day``: a date, or the name of a per-row date
    annotation (the upcoming day)."""
    out = {}
    per_row = isinstance(day, str)
    if rule.max_age is not None:
        if per_row:
            # Still under max_age + 1 on that day: the (max_age + 1)-th birthday comes later.
            turns_too_old = Func(
                F("birth_date"), Value(rule.max_age + 1), function="talent_anniversary", output_field=DateField()
            )
            out["age"] = Q(GreaterThan(turns_too_old, F(day)))
        else:
            out["age"] = Q(birth_date__gt=latest_birth_date_for_age(day, rule.max_age + 1))
    if rule.min_education:
        out["education"] = Q(education__in=educations_at_least(rule.min_education))
    if rule.current_role_class:
        out["current_role"] = Q(post_held(classes=[rule.current_role_class], on=F(day) if per_row else day))
    return out


def _dated_q(rule: EligibilityRule, day: dt.date | str) -> Q:
    return _all(_dated_criteria(rule, day).values())


def _all(conditions) -> Q:
    q = Q()
    for condition in conditions:
        q &= condition
    return q


def _assessment_q(rule: EligibilityRule, as_of: dt.date) -> Q:
    """Each of the last N annual assessments (the N years before the as-of year) at or above
    the grade; a missing year fails unless allowed. N unset: every annual assessment so far."""
    if rule.min_assessment_grade is None:
        return Q()
    annual = f"FROM {ASSESSMENTS} a WHERE a.person_id = {{person}} AND a.kind = %s AND a.year < %s"
    params = [AssessmentKind.ANNUAL.value, as_of.year]
    if rule.assessment_years is not None:
        annual += " AND a.year >= %s"
        params.append(as_of.year - rule.assessment_years)
    good = sorted(grades_at_least(rule.min_assessment_grade))
    q = Q(Condition(f"NOT EXISTS (SELECT 1 {annual} AND a.grade <> ALL(%s))", [*params, good], person="pk"))
    if rule.assessment_years is not None and not rule.missing_assessment_ok:
        q &= Q(Condition(f"(SELECT count(*) {annual}) = %s", [*params, rule.assessment_years], person="pk"))
    return q


def _fact_met(rule: EligibilityRule, column: str, as_of: dt.date) -> Q:
    """The person's fact for ``rule`` says the criterion (its ``column``) is met by ``as_of``."""
    return Q(Condition(f"EXISTS (SELECT 1 {FACT_OF_PERSON} AND f.{column} <= %s)", [rule.pk, as_of], person="pk"))


def criteria_q(rule: EligibilityRule, as_of: dt.date) -> dict[str, Q]:
    """Each criterion of the rule as its own condition on people (for counting who fails
    which); their conjunction is ``eligible_q``."""
    out = {}
    if rule.applies_to:
        out["group"] = _group_q(rule)
    if rule.min_service_years is not None:
        out["service"] = _fact_met(rule, "service_met_on", as_of)
    if rule.min_role_years is not None:
        out["role"] = _fact_met(rule, "role_met_on", as_of)
    if rule.min_assessment_grade is not None:
        out["assessment"] = _assessment_q(rule, as_of)
    out.update(_dated_criteria(rule, as_of))
    return out


def eligible_q(rule: EligibilityRule, as_of: dt.date) -> Q:
    """The whole rule as one condition on people, on ``as_of``."""
    return _group_q(rule) & _facts_q(rule, as_of) & _dated_q(rule, as_of) & _assessment_q(rule, as_of)


def eligible_people(rule: EligibilityRule, *, as_of: dt.date, people=None):
    return (people if people is not None else Person.objects.all()).filter(eligible_q(rule, as_of))


def not_eligible_people(rule: EligibilityRule, *, as_of: dt.date, people=None):
    """People the rule applies to who do not meet it on ``as_of``."""
    people = people if people is not None else Person.objects.all()
    rest = _facts_q(rule, as_of) & _dated_q(rule, as_of) & _assessment_q(rule, as_of)
    return people.filter(_group_q(rule)).exclude(rest) if rest else people.none()


def upcoming_people(rule: EligibilityRule, *, as_of: dt.date, horizon_days: int, people=None):
    """Not eligible on ``as_of`` but will be within the horizon if nothing changes: the day
    the service criteria are met (open posts and terms running on), with age and current post
    checked on that day and assessments as they stand. Annotated with ``upcoming_on``."""
    people = people if people is not None else Person.objects.all()
    if not _uses_facts(rule):
        return people.none().annotate(upcoming_on=Value(None, output_field=DateField()))
    facts = EligibilityFact.objects.filter(person=OuterRef("pk"), rule=rule)
    dates = {}
    if rule.min_service_years is not None:
        dates["_service_met_on"] = Subquery(facts.values("service_met_on")[:1])
    if rule.min_role_years is not None:
        dates["_role_met_on"] = Subquery(facts.values("role_met_on")[:1])
    qs = people.filter(_group_q(rule)).annotate(**dates)
    for name in dates:  # every required date must exist (GREATEST would ignore a NULL)
        qs = qs.filter(**{f"{name}__isnull": False})
    names = [F(name) for name in dates]
    qs = qs.annotate(upcoming_on=names[0] if len(names) == 1 else Greatest(*names))
    qs = qs.filter(upcoming_on__gt=as_of, upcoming_on__lte=as_of + dt.timedelta(days=horizon_days))
    return qs.filter(_dated_q(rule, "upcoming_on") & _assessment_q(rule, as_of))


# --- Candidates: a page of people selected and explained ---------------------------------------

CANDIDATE_STATUSES = ("eligible", "upcoming", "not_eligible")


@dataclass(frozen=True, slots=True)
class Candidate:
    person: Person
    eligible: bool
    eligible_on: dt.date | None  # upcoming: the day they will be
    criteria: list  # [CriterionResult]; not_eligible: the unmet ones only


def candidates(rule: EligibilityRule, *, status: str, as_of: dt.date, horizon_days: int, people=None, fields=()):
    """The people ``status`` selects under ``rule`` on ``as_of`` (``CANDIDATE_STATUSES``: who
    meets it, who will within ``horizon_days``, who does not), in id order, read with their
    ``fields`` and what their explanation needs: ``candidates_explain`` explains a page of them
    with no statement of its own."""
    if status == "eligible":
        selected = eligible_people(rule, as_of=as_of, people=people)
    elif status == "upcoming":
        selected = upcoming_people(rule, as_of=as_of, horizon_days=horizon_days, people=people)
    elif status == "not_eligible":
        selected = not_eligible_people(rule, as_of=as_of, people=people)
    else:
        raise ValueError(f"status: {status!r} is not one of {CANDIDATE_STATUSES}")
    # Every status selects within the rule's group: the explanation need not read it again.
    explained = explanation_columns(rule, group_known=True)
    return selected.only(*fields, *EXPLAINED_FIELDS).annotate(**explained).order_by("id")


def candidates_explain(rule: EligibilityRule, page, *, status: str, as_of: dt.date) -> list[Candidate]:
    """Each person of ``page`` (rows of ``candidates(rule, status=status, as_of=as_of)``) with
    the rule explained for them, in the page's order."""
    evaluations = rule_explain(rule, as_of=as_of, people=page, group_known=True)
    out = []
    for person in page:
        evaluation = evaluations[person.pk]
        criteria = evaluation.criteria
        if status == "not_eligible":
            criteria = [c for c in criteria if not c.met]
        eligible_on = person.upcoming_on if status == "upcoming" else evaluation.eligible_on
        out.append(Candidate(person, evaluation.eligible, eligible_on, criteria))
    return out


# --- Explanation, for a page of people -------------------------------------------------------


@dataclass
class CriterionResult:
    criterion: str
    label: str
    met: bool
    met_on: dt.date | None
    value: str
    required: str
    shortfall: str | None = None
    days: int | None = None
    required_days: int | None = None


@dataclass
class Evaluation:
    person_id: int
    rule: EligibilityRule
    as_of: dt.date
    eligible: bool
    eligible_on: dt.date | None
    criteria: list[CriterionResult] = field(default_factory=list)


def _spans(pairs) -> list[tuple[dt.date, dt.date | None]]:
    """``_spans_sql``'s [[first day, day after the last or None], …] -> [(first day, last day
    or None when open)]."""
    if not pairs:
        return []
    day = dt.timedelta(days=1)
    return [(lower, None if upper is None else upper - day) for lower, upper in pairs]


def _cut(spans, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    return [(a, min(b, as_of) if b else as_of) for a, b in spans if a <= as_of]


def ymd(start: dt.date, end: dt.date) -> tuple[int, int, int]:
    """Full years, months and days from ``start`` to ``end`` (end exclusive): the most years
    whose anniversary is not after ``end``, then the most months from that anniversary, then
    the days left. The last anniversary lies in ``end``'s year or the one before, the last
    month in ``end``'s month or the one before."""
    years = max(0, end.year - start.year)
    if years and anniversary(start, years) > end:
        years -= 1
    base = anniversary(start, years)
    months = max(0, (end.year - base.year) * 12 + end.month - base.month)
    if months and _add_months(base, months) > end:
        months -= 1
    return years, months, (end - _add_months(base, months)).days


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def ymd_text(years: int, months: int, days: int) -> str:
    parts = [f"{years}年" if years else "", f"{months}个月" if months else "", f"{days}天" if days else ""]
    return "".join(parts) or "0天"


def _service_criterion(key, label, spans, years, as_of, met_on, *, continuous=False) -> CriterionResult:
    cut = _cut(spans, as_of)
    required_text = f"满{years}年" + ("(连续)" if continuous else "")
    if not cut:
        return CriterionResult(key, label, False, met_on, "无", required_text, shortfall=f"尚无{label}")
    if continuous:
        # The longest unbroken stretch up to the as-of date, counted from its own first day.
        start, last = max(cut, key=lambda span: (span[1] - span[0]).days)
        days = (last - start).days + 1
    else:
        start = cut[0][0]
        days = sum((b - a).days + 1 for a, b in cut)
    due, served_until = anniversary(start, years), start + dt.timedelta(days=days)
    required_days = (due - start).days
    served = ymd_text(*ymd(start, served_until))
    value = f"{served}({days:,}天)"
    met = met_on is not None and met_on <= as_of
    shortfall = None
    if not met:
        short = required_days - days
        shortfall = f"{label}{served}:还差{ymd_text(*ymd(served_until, due))}({short:,}天)"
    return CriterionResult(key, label, met, met_on, value, required_text, shortfall, days, required_days)


def _assessment_required(rule: EligibilityRule) -> str:
    label = Grade(rule.min_assessment_grade).label
    if rule.assessment_years is not None:
        return f"最近{rule.assessment_years}年年度考核均为{label}以上"
    return f"历年年度考核均为{label}以上"


def _assessment_criterion(rule, grades: dict[int, str], as_of: dt.date, required: str | None = None) -> CriterionResult:
    """``required``: the rule's text (``_assessment_required``), the same for every person of a page."""
    required = required or _assessment_required(rule)
    good = grades_at_least(rule.min_assessment_grade)
    window = rule.assessment_years  # the last N years, or None: every year on record

    def failure(year: int) -> str | None:
        grade = grades.get(year)
        if grade is None:
            return f"{year}年缺少年度考核结果" if window is not None and not rule.missing_assessment_ok else None
        return None if grade in good else f"{year}年为{Grade(grade).label}"

    if window is not None:
        years = range(as_of.year - window, as_of.year)
    else:
        years = sorted(y for y in grades if y < as_of.year)
    failing = [text for text in map(failure, years) if text]
    met_on = None
    if not failing:
        # The earliest year (not before 1980) from which the test held every year up to now.
        # A year earlier, the window gains the year ``first - 1 - window`` and loses one that
        # passed; with every year on record (or an empty window) it gains nothing.
        first = as_of.year
        if not window:
            first = min(first, 1980)
        else:
            while first > 1980 and failure(first - 1 - window) is None:
                first -= 1
        met_on = dt.date(first, 1, 1)
    value = "符合" if not failing else ";".join(failing)
    return CriterionResult("assessment", "年度考核", not failing, met_on, value, required, "；".join(failing) or None)


def _of_person(sql: str, params=(), output_field=None) -> RowSql:
    """A scalar subquery on the person (``{person}``) of each row."""
    return RowSql(sql, params, output_field=output_field or Field(), person="pk")


def _spans_sql(rows: str) -> str:
    """The union of the periods of the rows ``x`` that ``rows`` (``FROM … x WHERE …``) selects,
    as [[first day, day after the last or NULL], …] in order: a two-dimensional date array,
    which psycopg reads in C, where it reads a multirange in Python, ten times as slowly."""
    return (
        "SELECT array_agg(ARRAY[lower(u.r), upper(u.r)] ORDER BY u.i)"
        f" FROM unnest((SELECT range_agg(x.period) {rows})) WITH ORDINALITY u(r, i)"
    )


def explanation_columns(rule: EligibilityRule, *, group_known: bool = False) -> dict[str, RowSql]:
    """What ``rule_explain`` reads of each person besides the birth date and education, as
    annotations of a people query (``explain_…``): each a subquery on the person, so a page's
    own statement reads them for the page's rows only, with no statement of their own. Only the
    parts the rule's criteria need are read; with ``group_known`` (every row is known to be in
    the rule's group, as on a candidates page, whose every status selects within the group),
    not the group."""
    out = {}
    if rule.applies_to and not group_known:
        out["explain_in_group"] = Condition(group_sql()[rule.applies_to], person="pk")
    if rule.min_service_years is not None:
        out["explain_terms"] = _of_person(_spans_sql(f"FROM {TERMS} x WHERE {person_rows('x')}"))
        out["explain_service_met_on"] = _of_person(f"SELECT f.service_met_on {FACT_OF_PERSON}", [rule.pk], DateField())
    if rule.min_role_years is not None:
        roles = list(rule.roles or [])
        out["explain_role_spans"] = _of_person(
            _spans_sql(f"FROM {POSTS} x WHERE {person_rows('x')} AND (x.role = ANY(%s) OR x.role_class = ANY(%s))"),
            [roles, roles],
        )
        out["explain_role_met_on"] = _of_person(f"SELECT f.role_met_on {FACT_OF_PERSON}", [rule.pk], DateField())
    if rule.current_role_class:
        out["explain_class_spans"] = _of_person(
            _spans_sql(f"FROM {POSTS} x WHERE {person_rows('x')} AND x.role_class = %s"),
            [rule.current_role_class],
        )
    if rule.min_assessment_grade:
        # Annual assessments as [[year, grade], …].
        out["explain_grades"] = _of_person(
            f"SELECT array_agg(ARRAY[a.year::text, a.grade]) FROM {ASSESSMENTS} a"
            " WHERE a.person_id = {person} AND a.kind = %s",
            [AssessmentKind.ANNUAL.value],
        )
    return out


EXPLAINED_FIELDS = ("id", "birth_date", "education")  # what rule_explain reads of the person's own


def rule_evaluate(rule: EligibilityRule, *, as_of: dt.date, person_ids: list[int]) -> dict[int, Evaluation]:
    """Explain the rule for each of the given people, criterion by criterion."""
    if not person_ids:
        return {}
    people = Person.objects.filter(pk__in=person_ids).only(*EXPLAINED_FIELDS).annotate(**explanation_columns(rule))
    return rule_explain(rule, as_of=as_of, people=people)


def rule_explain(rule: EligibilityRule, *, as_of: dt.date, people, group_known: bool = False) -> dict[int, Evaluation]:
    """Explain the rule for each of ``people``, read with ``EXPLAINED_FIELDS`` and annotated
    with ``explanation_columns(rule, group_known=group_known)`` (a candidates page reads them in
    its own statement)."""
    roles = list(rule.roles or [])
    # What is the same for every person of the page, worked out once.
    group_label = Group(rule.applies_to).label if rule.applies_to else None
    role_label = "、".join(_role_label(r) for r in roles) + "任职年限"
    assessment_required = _assessment_required(rule) if rule.min_assessment_grade else None
    if rule.min_education:
        education_rank = EDUCATION_RANK[Education(rule.min_education)]
        education_required = f"{Education(rule.min_education).label}及以上"
    class_label = RoleClass(rule.current_role_class).label if rule.current_role_class else None

    out = {}
    for person in people:
        pid, birth_date, education = person.pk, person.birth_date, person.education
        in_group = group_known or group_label is None or person.explain_in_group
        terms, role_spans = getattr(person, "explain_terms", None), getattr(person, "explain_role_spans", None)
        class_spans, grades = getattr(person, "explain_class_spans", None), getattr(person, "explain_grades", None)
        service_met_on = getattr(person, "explain_service_met_on", None)
        role_met_on = getattr(person, "explain_role_met_on", None)
        criteria = []
        if group_label is not None:
            criteria.append(
                CriterionResult("group", "人员类别", bool(in_group), None,
                                group_label if in_group else f"非{group_label}", group_label,
                                None if in_group else f"不属于{group_label}")
            )  # fmt: skip
        if rule.min_service_years is not None:
            criteria.append(
                _service_criterion("service", "大学生村官服务年限", _spans(terms), rule.min_service_years, as_of,
                                   service_met_on)
            )  # fmt: skip
        if rule.min_role_years is not None:
            criteria.append(
                _service_criterion("role", role_label, _spans(role_spans), rule.min_role_years, as_of,
                                   role_met_on, continuous=rule.role_service_continuous)
            )  # fmt: skip
        if assessment_required is not None:
            by_year = {int(year): grade for year, grade in grades or []}
            criteria.append(_assessment_criterion(rule, by_year, as_of, assessment_required))
        if rule.max_age is not None:
            age = age_on(birth_date, as_of)
            ok = age <= rule.max_age
            criteria.append(
                CriterionResult("age", "年龄", ok, birth_date if ok else None, f"{age}周岁",
                                f"不超过{rule.max_age}周岁", None if ok else f"超出{age - rule.max_age}岁")
            )  # fmt: skip
        if rule.min_education:
            education = Education(education)
            ok = EDUCATION_RANK[education] >= education_rank
            criteria.append(
                CriterionResult("education", "学历", ok, None, education.label, education_required,
                                None if ok else f"学历为{education.label},要求{education_required}")
            )  # fmt: skip
        if class_label is not None:
            holding = [s for s in _spans(class_spans) if s[0] <= as_of and (s[1] is None or s[1] >= as_of)]
            criteria.append(
                CriterionResult("current_role", "现任职务", bool(holding), holding[0][0] if holding else None,
                                f"现任{class_label}" if holding else f"未担任{class_label}", f"现任{class_label}",
                                None if holding else f"{as_of}未担任{class_label}")
            )  # fmt: skip
        eligible = all(c.met for c in criteria)
        dates = [c.met_on for c in criteria if c.met_on is not None and c.criterion not in ("age",)]
        eligible_on = max(dates) if eligible and dates else None
        out[pid] = Evaluation(pid, rule, as_of, eligible, eligible_on, criteria)
    return out


def _role_label(value: str) -> str:
    from talent.choices import Role

    try:
        return Role(value).label
    except ValueError:
        return RoleClass(value).label
