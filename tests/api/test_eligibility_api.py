"""Eligibility over the API: rules as data (versioned), candidates with reasons and forecasts,
a person's eligibility under every rule, and eligible_for among the people filters."""

from __future__ import annotations

import datetime as dt

import pytest

from talent.models import Assessment, EligibilityRule
from tests.api.conftest import COUNTY_A, COUNTY_B, errors_by_attr
from tests.factories import graduate_make, person_make, post_make

RULE = "township-institution-post"


@pytest.fixture
def officials(world):
    """In each county: one official eligible on 2015-08-01 (6 years' service, 3 years deputy),
    one a few months short of the deputy years."""
    out = {}
    for key in ("a", "b"):
        village = world[key].village
        ready = graduate_make(
            person_make(name=f"合格{key}", home_division=village),
            terms=[("2009-08-01", "2012-07-31"), ("2012-08-01", None)],
            village=village,
        ).person
        post_make(person=ready, village=village, role="party_deputy_secretary", start="2011-01-01")
        short = graduate_make(
            person_make(name=f"差距{key}", home_division=village),
            terms=[("2009-08-01", None)],
            village=village,
        ).person
        post_make(person=short, village=village, role="committee_deputy_director", start="2012-12-01")
        out[key] = {"ready": ready, "short": short}
    return out


def candidates(client, **params):
    response = client.get(f"/api/v1/eligibility-rules/{RULE}/candidates/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_candidates_with_figures_within_the_jurisdiction(officials, client_for):
    client = client_for("viewer", COUNTY_A)
    rows = candidates(client, as_of="2015-08-01")
    assert [row["person"]["id"] for row in rows] == [officials["a"]["ready"].pk]
    row = rows[0]
    assert row["eligible"] is True
    assert row["eligible_on"] == "2015-07-31"  # the 6th year of service completes then
    by_key = {c["criterion"]: c for c in row["criteria"]}
    assert by_key["service"]["days"] == (dt.date(2015, 8, 1) - dt.date(2009, 8, 1)).days + 1
    assert by_key["service"]["met_on"] == "2015-07-31"
    assert by_key["role"]["met_on"] == "2013-12-31"
    assert "****" in row["person"]["id_number"]  # masked without the personal-data right


def test_upcoming_and_not_eligible(officials, client_for):
    client = client_for("viewer", COUNTY_A)
    short = officials["a"]["short"]
    # Deputy since 2012-12-01: three full years on 2015-11-30.
    upcoming = candidates(client, as_of="2015-08-01", status="upcoming", horizon_days=180)
    assert [(r["person"]["id"], r["eligible_on"]) for r in upcoming] == [(short.pk, "2015-11-30")]
    assert candidates(client, as_of="2015-08-01", status="upcoming", horizon_days=60) == []

    rows = candidates(client, as_of="2015-08-01", status="not_eligible")
    row = next(r for r in rows if r["person"]["id"] == short.pk)
    assert [c["criterion"] for c in row["criteria"]] == ["role"]  # only the failing criterion
    assert "还差3个月29天" in row["criteria"][0]["shortfall"]
    assert officials["a"]["ready"].pk not in {r["person"]["id"] for r in rows}


def test_point_in_time_candidates(officials, client_for):
    client = client_for("viewer", COUNTY_A)
    assert candidates(client, as_of="2015-07-30") == []
    assert len(candidates(client, as_of="2015-07-31")) == 1


def test_candidates_combine_with_people_filters(officials, client_for):
    client = client_for("viewer", "430100000000")
    both = {r["person"]["id"] for r in candidates(client, as_of="2016-01-01")}
    assert {officials["a"]["ready"].pk, officials["b"]["ready"].pk, officials["a"]["short"].pk} <= both
    only_b = {r["person"]["id"] for r in candidates(client, as_of="2016-01-01", within=COUNTY_B)}
    assert only_b == {officials["b"]["ready"].pk, officials["b"]["short"].pk}


def test_people_list_eligible_for(officials, client_for):
    client = client_for("viewer", COUNTY_A)
    response = client.get(
        "/api/v1/people/", {"eligible_for": RULE, "as_of": "2015-08-01", "group": "graduate_official"}
    )
    assert [row["id"] for row in response.json()["results"]] == [officials["a"]["ready"].pk]
    unknown = client.get("/api/v1/people/", {"eligible_for": "no-such-rule"})
    assert unknown.status_code == 400
    assert "eligible_for" in errors_by_attr(unknown)


def test_person_eligibility_under_every_active_rule(officials, client_for):
    person = officials["a"]["ready"]
    for year in (2012, 2013, 2014):
        Assessment.objects.create(person=person, year=year, grade="excellent")
    client = client_for("viewer", COUNTY_A)
    response = client.get(f"/api/v1/people/{person.pk}/eligibility/", {"as_of": "2015-08-01"})
    assert response.status_code == 200
    by_rule = {row["rule"]: row for row in response.json()}
    assert set(by_rule) == set(
        EligibilityRule.objects.filter(is_current=True, active=True).values_list("code", flat=True)
    )
    assert by_rule[RULE]["eligible"] is True
    assert by_rule["graduate-civil-service-exam"]["eligible"] is True
    # Not a village cadre in a chief post: the directed recruitment rule explains why.
    directed = by_rule["township-civil-servant-directed"]
    assert directed["eligible"] is False
    assert {c["criterion"] for c in directed["criteria"] if not c["met"]} >= {"role"}
    # Outside the jurisdiction the person does not exist.
    other = client_for("viewer", COUNTY_B)
    assert other.get(f"/api/v1/people/{person.pk}/eligibility/").status_code == 404
    assert client.get(f"/api/v1/people/{person.pk}/eligibility/", {"as_of": "2015-13-01"}).status_code == 400


def test_rules_are_versioned_and_admin_only(officials, client_for):
    admin, editor = client_for("admin", COUNTY_A), client_for("editor", COUNTY_A)
    assert editor.patch(f"/api/v1/eligibility-rules/{RULE}/", {"min_service_years": 5}).status_code == 403
    response = admin.patch(f"/api/v1/eligibility-rules/{RULE}/", {"min_service_years": 5})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["min_service_years"] == 5
    versions = admin.get(f"/api/v1/eligibility-rules/{RULE}/versions/").json()
    assert [(v["version"], v["min_service_years"]) for v in versions] == [(2, 5), (1, 6)]
    # The new version is in force at once: five years' service from 2009-08-01.
    rows = candidates(admin, as_of="2014-08-01")
    assert officials["a"]["ready"].pk in {r["person"]["id"] for r in rows}

    created = admin.post(
        "/api/v1/eligibility-rules/",
        {"code": "deputy-two-years", "name": "副职满两年", "min_role_years": 2, "roles": ["deputy"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    bad = admin.post(
        "/api/v1/eligibility-rules/", {"code": "bad", "name": "缺职务", "min_role_years": 2}, format="json"
    )
    assert bad.status_code == 400
    assert "roles" in errors_by_attr(bad)
    assert admin.get("/api/v1/eligibility-rules/no-such-rule/candidates/").status_code == 404


def test_criteria_are_written_as_drf_would_write_them(officials):
    """CriterionSerializer writes its values directly: the same as DRF's field-by-field
    rendering, for every criterion of every rule, met and unmet, with and without figures."""
    from rest_framework import serializers

    from api.eligibility import CriterionSerializer
    from talent import eligibility

    people = [p.pk for group in officials.values() for p in group.values()]
    results = []
    for rule in EligibilityRule.objects.filter(is_current=True):
        for as_of in (dt.date(2012, 1, 1), dt.date(2015, 8, 1)):
            for evaluation in eligibility.rule_evaluate(rule, as_of=as_of, person_ids=people).values():
                results.extend(evaluation.criteria)
    assert {r.met for r in results} == {True, False} and any(r.shortfall for r in results)
    assert any(r.met_on for r in results) and any(r.days is not None for r in results)
    serializer = CriterionSerializer()
    for result in results:
        assert serializer.to_representation(result) == serializers.Serializer.to_representation(serializer, result)


@pytest.mark.parametrize("status", ["eligible", "upcoming", "not_eligible"])
def test_candidates_are_written_as_drf_would_write_them(officials, client_for, monkeypatch, status):
    """CandidateSerializer writes its rows directly: the same pages as with DRF's
    field-by-field rendering, for every rule on two dates."""
    from rest_framework import serializers

    from api.eligibility import CandidateSerializer

    reader = client_for("viewer", "430000000000", personal_data=True)

    def pages() -> list[dict]:
        out = []
        for rule in EligibilityRule.objects.filter(is_current=True).order_by("code"):
            for as_of in ("2012-01-01", "2015-08-01"):
                params = {"as_of": as_of, "status": status, "horizon_days": 3650}
                response = reader.get(f"/api/v1/eligibility-rules/{rule.code}/candidates/", params)
                assert response.status_code == 200, response.content
                out.append(response.json())
        return out

    written = pages()
    assert any(page["results"] for page in written)
    monkeypatch.setattr(CandidateSerializer, "to_representation", serializers.Serializer.to_representation)
    assert pages() == written
