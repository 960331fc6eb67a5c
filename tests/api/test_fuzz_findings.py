"""What the fuzzing found (tests/api/test_fuzz.py), pinned as plain tests: each answered 500 or
broke its documented schema before the fix."""

from __future__ import annotations

import json

import pytest

from api.pagination import MAX_OFFSET
from tests.api.conftest import COUNTY_A, errors_by_attr

TOKEN_URL = "/api/v1/auth/token/"


def test_candidates_page_by_cursor(world, client_for):
    """The candidates are people: their cursor orders by id, not by the rules' code."""
    client = client_for("viewer", COUNTY_A)
    response = client.get("/api/v1/eligibility-rules/township-institution-post/candidates/", {"cursor": ""})
    assert response.status_code == 200
    response = client.get(
        "/api/v1/eligibility-rules/township-institution-post/candidates/", {"pagination": "cursor", "page_size": 1}
    )
    assert response.status_code == 200


def test_a_page_beyond_what_the_database_can_skip(world, client_for):
    client = client_for("viewer", COUNTY_A)
    response = client.get("/api/v1/people/", {"page": MAX_OFFSET, "page_size": 500})
    assert response.status_code == 400
    assert "page" in errors_by_attr(response)


MOMENT_FILTERS = (
    ("/api/v1/reports/", "created_before"),
    ("/api/v1/imports/", "created_before"),
    ("/api/v1/personal-data-reads/", "at_before"),
    ("/api/v1/people/", "updated_after"),
)


def test_any_offset_python_reads_is_compared_in_utc(world, client_for):
    """An offset beyond PostgreSQL's ±15:59 answered 500; it is converted to UTC first."""
    client = client_for("admin", COUNTY_A)
    for url, name in MOMENT_FILTERS:
        assert client.get(url, {name: "0383-02-08T15:12:51+19:32"}).status_code == 200, url


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2024-13-01T00:00:00"])
def test_moments_outside_the_calendar_are_refused(world, client_for, moment):
    client = client_for("admin", COUNTY_A)
    for url, name in MOMENT_FILTERS:
        response = client.get(url, {name: moment})
        assert response.status_code == 400, (url, response.content)
        assert name in errors_by_attr(response)


def test_a_rejected_division_code_is_a_documented_error(world, client_for):
    response = client_for("viewer", COUNTY_A).get("/api/v1/assessments/", {"within": "510064674478"})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "invalid",
        "detail": response.json()["errors"][0]["detail"],
        "attr": "within",
    }


@pytest.mark.parametrize("username", ["nul\x00name", "x" * 300, "\ud800"])
def test_malformed_usernames_are_refused_and_still_counted(db, client, username):
    body = json.dumps({"username": username, "password": "y"})
    response = client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400, response.content


def test_a_json_body_that_is_not_an_object(db, client):
    response = client.post(TOKEN_URL, "[]", content_type="application/json")
    assert response.status_code == 400


def test_a_report_without_rule_or_requester_matches_its_schema(world, client_for, django_capture_on_commit_callbacks):
    """rule_version and requested_by are null for such reports, and the schema says they may be."""
    response = client_for("viewer", COUNTY_A).post("/api/v1/reports/", {"kind": "roster"}, format="json")
    assert response.status_code == 202
    assert response.json()["rule_version"] is None
