"""资格条件报表 — for a rule and a date, per county: eligible now, eligible within the horizon
(six months by default), not eligible for one missing criterion only; and the roster of names.

Counts are grouped in the database from talent.eligibility's per-criterion conditions; the
roster streams from a server-side cursor."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest, Left

from talent import eligibility
from talent.access import mask_id_number
from talent.choices import Gender
from talent.models import Division, EligibilityFact, Person
from workers.reports.writers import Chart, Table

ROSTER_HEADERS = ["姓名", "性别", "出生日期", "居民身份证号码", "户籍所在地", "状态", "年限条件满足日期"]


def _people(report):
    people = Person.objects.all()
    within = report.params.get("within")
    return people.within(within) if within else people


def region_counts(rule, *, as_of: dt.date, horizon_days: int, people) -> dict[str, dict[str, int]]:
    """{county code: {eligible, one_missing, upcoming}} grouped by the person's home county."""
    criteria = eligibility.criteria_q(rule, as_of)
    group = criteria.pop("group", Q())
    flags = {f"c_{name}": ExpressionWrapper(q, output_field=BooleanField()) for name, q in criteria.items()}
    missing = Value(0, output_field=IntegerField())
    for name in flags:
        missing = missing + Case(When(**{name: False}, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = (
        people.filter(group)
        .annotate(**flags)
        .annotate(missing=missing, county=Left("home_division_id", 6))
        .values("county")
        .annotate(eligible=Count("pk", filter=Q(missing=0)), one_missing=Count("pk", filter=Q(missing=1)))
    )
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        out[row["county"] or ""] = {"eligible": row["eligible"], "one_missing": row["one_missing"], "upcoming": 0}
    upcoming = (
        eligibility.upcoming_people(rule, as_of=as_of, horizon_days=horizon_days, people=people)
        .annotate(county=Left("home_division_id", 6))
        .values("county")
        .annotate(n=Count("pk"))
    )
    for row in upcoming:
        out.setdefault(row["county"] or "", {"eligible": 0, "one_missing": 0, "upcoming": 0})["upcoming"] = row["n"]
    return out


def build(report, progress):
    params = report.params
    rule = report.rule
    as_of = dt.date.fromisoformat(params["as_of"])
    horizon = int(params.get("horizon_days", 183))
    people = _people(report)
    progress(10, "按地区统计")
    counts = region_counts(rule, as_of=as_of, horizon_days=horizon, people=people)
    counties = {code.ljust(12, "0"): name for code, name in Division.objects.filter(
        code__in=[c.ljust(12, "0") for c in counts if c]).values_list("code", "name")}  # fmt: skip
    region_rows = [
        [counties.get(code.ljust(12, "0"), code or "未填写户籍"), c["eligible"], c["upcoming"], c["one_missing"]]
        for code, c in sorted(counts.items())
    ]
    totals = [sum(row[i] for row in region_rows) for i in (1, 2, 3)]
    progress(40, "整理名单")
    facts = EligibilityFact.objects.filter(rule=rule, person=OuterRef("pk"))
    # The day the service criteria were met (GREATEST ignores the one a rule does not use).
    met = Greatest(
        Subquery(facts.values("service_met_on")[:1]),
        Subquery(facts.values("role_met_on")[:1]),
        output_field=DateField(),
    )

    def roster_rows(masked: bool):
        eligible = eligibility.eligible_people(rule, as_of=as_of, people=people)
        upcoming = eligibility.upcoming_people(rule, as_of=as_of, horizon_days=horizon, people=people)
        for status, qs in (("符合", eligible), ("即将符合", upcoming)):
            qs = qs.select_related("home_division").order_by("id")  # home_division: its name
            if status == "符合":
                qs = qs.annotate(met_on=met)
            for person in qs.iterator(chunk_size=2000):
                on = getattr(person, "upcoming_on", None) or getattr(person, "met_on", None)
                yield [
                    person.name,
                    Gender(person.gender).label,
                    person.birth_date,
                    mask_id_number(person.id_number) if masked else person.id_number,
                    person.home_division.name if person.home_division else "",
                    status,
                    on,
                ]

    summary = [
        ("规则", f"{rule.name}({rule.code} 第{rule.version}版)"),
        ("统计日期", as_of.isoformat()),
        ("当前符合", totals[0]),
        (f"{horizon}天内将符合", totals[1]),
        ("仅差一项条件", totals[2]),
    ]

    def tables_for(masked: bool):
        return [
            Table("汇总", ["指标", "数值"], lambda: summary),
            Table(
                "按地区",
                ["县市区", "当前符合", f"{horizon}天内将符合", "仅差一项条件"],
                lambda: region_rows,
                charts=[Chart("各地区符合条件人数", "column", 0, [1, 2, 3])],
            ),
            Table("名单", ROSTER_HEADERS, lambda: roster_rows(masked)),
        ]

    return tables_for
