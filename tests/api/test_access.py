"""Authentication, roles and jurisdiction: two sibling counties, every resource, nothing leaks
either way."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import CITY, COUNTY_A, COUNTY_B, errors_by_attr
from tests.factories import user_make

# resource -> how to find the county's record of that kind in the `world` fixture
RESOURCES = {
    "people": lambda c: c.person.pk,
    "posts": lambda c: c.post.pk,
    "service-terms": lambda c: c.term.pk,
    "assessments": lambda c: c.records["assessment"].pk,
    "trainings": lambda c: c.records["training"].pk,
    "ventures": lambda c: c.venture.pk,
    "mobility-events": lambda c: c.mobility.pk,
}


def test_no_credentials_is_401(world):
    response = APIClient().get("/api/v1/people/")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_user_without_staff_account_is_403(world):
    client = APIClient()
    client.force_authenticate(user_make())
    assert client.get("/api/v1/people/").status_code == 403


def test_token_users_without_staff_account(world):
    """The token authentication reads the staff account with the token (one query): a user
    without one is refused (403), a superuser without one is a national administrator, and
    a wrong token or an inactive user's is 401."""
    from rest_framework.authtoken.models import Token

    def client(user, key=None):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key or Token.objects.create(user=user).key}")
        return api

    plain = client(user_make())
    response = plain.get("/api/v1/people/")
    assert response.status_code == 403 and response.json()["errors"][0]["detail"] == "当前用户没有工作人员账号。"
    root = client(user_make(is_superuser=True))
    assert root.get(f"/api/v1/people/{world['b'].person.pk}/").status_code == 200
    assert client(user_make(is_active=False)).get("/api/v1/people/").status_code == 401
    assert client(None, key="0" * 40).get("/api/v1/people/").status_code == 401


def test_token_read_gives_what_the_queryset_gives(world, client_for):
    """api.authentication.token_read: the token, its user and their staff account with every
    column and the related caches of ``select_related("user", "user__staff")``, in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from api.authentication import token_read

    def values(instance):
        return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}

    def snapshot(token):
        try:
            account = values(token.user.staff)
        except type(token.user).staff.RelatedObjectDoesNotExist:
            account = None
        return values(token), values(token.user), account, token.user.staff.user is token.user if account else None

    with_account = client_for("editor", COUNTY_A, personal_data=True).user
    tokens = [Token.objects.get(user=with_account), Token.objects.create(user=user_make(is_superuser=True))]
    for token in tokens:
        expected = snapshot(Token.objects.select_related("user", "user__staff").get(key=token.key))
        with CaptureQueriesContext(connection) as queries:
            read = token_read(token.key, Token)
            assert snapshot(read) == expected
        assert len(queries.captured_queries) == 1
    assert snapshot(tokens[0])[2]["role"] == "editor" and snapshot(tokens[1])[2] is None
    assert token_read("0" * 40, Token) is None


def test_viewer_reads_but_cannot_write(world, client_for):
    viewer = client_for("viewer")
    assert viewer.get("/api/v1/people/").status_code == 200
    response = viewer.patch(f"/api/v1/people/{world['a'].person.pk}/", {"notes": "x"})
    assert response.status_code == 403


def test_editor_writes_registry_data_but_not_divisions(world, client_for):
    editor = client_for("editor")
    assert editor.patch(f"/api/v1/people/{world['a'].person.pk}/", {"notes": "已核实"}).status_code == 200
    response = editor.post(
        "/api/v1/divisions/",
        {"code": "430104100202", "name": "新村", "level": "village", "parent": "430104100000", "kind": "village"},
    )
    assert response.status_code == 403


def test_admin_adds_and_renames_divisions_within_jurisdiction_only(world, client_for):
    admin = client_for("admin")
    created = admin.post(
        "/api/v1/divisions/",
        {"code": "430104100202", "name": "新村", "level": "village", "parent": "430104100000", "kind": "village"},
    )
    assert created.status_code == 201, created.json()
    renamed = admin.patch("/api/v1/divisions/430104100202/", {"name": "新兴村"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "新兴村"
    outside = admin.post(
        "/api/v1/divisions/",
        {"code": "430105100202", "name": "外村", "level": "village", "parent": "430105100000", "kind": "village"},
    )
    assert outside.status_code == 400
    assert "code" in errors_by_attr(outside)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize(("mine", "theirs", "jurisdiction"), [("a", "b", COUNTY_A), ("b", "a", COUNTY_B)])
def test_sibling_records_do_not_exist(world, client_for, resource, mine, theirs, jurisdiction):
    client = client_for("admin", jurisdiction, personal_data=True)
    own_id, other_id = RESOURCES[resource](world[mine]), RESOURCES[resource](world[theirs])

    listed = {row["id"] for row in client.get(f"/api/v1/{resource}/", {"page_size": 500}).json()["results"]}
    assert own_id in listed and other_id not in listed

    assert client.get(f"/api/v1/{resource}/{own_id}/").status_code == 200
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/{resource}/{other_id}/")
        assert response.status_code == 404, (method, response.content)
    assert client.get(f"/api/v1/{resource}/{other_id}/history/").status_code == 404

    # Filtering on the sibling county finds nothing rather than its records.
    other_code = world[theirs].code
    assert client.get(f"/api/v1/{resource}/", {"within": other_code}).json()["results"] == []


def test_person_filters_do_not_reach_outside(world, client_for):
    client = client_for("viewer", COUNTY_A)
    b = world["b"].person
    assert client.get("/api/v1/people/", {"q": b.id_number}).json()["results"] == []
    assert client.get("/api/v1/people/", {"q": b.name}).json()["results"] == []


def test_write_placing_a_record_outside_is_400(world, client_for):
    editor = client_for("editor", COUNTY_A)
    a, b = world["a"], world["b"]

    moved = editor.patch(f"/api/v1/people/{a.other.pk}/", {"home_division": b.village.code})
    assert moved.status_code == 400
    assert "home_division" in errors_by_attr(moved)

    post = editor.post(
        "/api/v1/posts/",
        {"person": a.person.pk, "village": b.village.code, "role": "committee_member", "start": "2014-01-01"},
    )
    assert post.status_code == 400
    assert "village" in errors_by_attr(post)

    assessment = editor.post("/api/v1/assessments/", {"person": b.person.pk, "year": 2013, "grade": "excellent"})
    assert assessment.status_code == 400
    assert "person" in errors_by_attr(assessment)
    # Nothing was written by the refused requests.
    assert not b.person.assessments.filter(year=2013).exists()
    assert not a.person.posts.filter(village=b.village).exists()
    a.other.refresh_from_db()
    assert a.other.home_division_id == a.community.code


def test_nested_posts_show_only_the_jurisdiction(world, client_for):
    a, b = world["a"], world["b"]
    # A person of county A who also holds a post in county B.
    from tests.factories import post_make

    post_make(person=a.person, village=b.village, role="committee_member", start="2015-01-01")
    seen_by_a = client_for("viewer", COUNTY_A).get(f"/api/v1/people/{a.person.pk}/").json()
    assert {p["village"]["code"] for p in seen_by_a["current_posts"]} == {a.village.code}
    seen_by_b = client_for("viewer", COUNTY_B).get(f"/api/v1/people/{a.person.pk}/").json()
    assert {p["village"]["code"] for p in seen_by_b["current_posts"]} == {b.village.code}


def test_city_account_sees_both_counties(world, client_for):
    client = client_for("viewer", "430100000000")
    ids = {row["id"] for row in client.get("/api/v1/people/").json()["results"]}
    assert {world["a"].person.pk, world["b"].person.pk} <= ids


def test_post_filters_count_only_posts_within_the_jurisdiction(world, client_for):
    from tests.factories import post_make

    a, b = world["a"], world["b"]
    post_make(person=a.person, village=b.village, role="committee_member", start="2015-01-01")
    in_a = client_for("viewer", COUNTY_A).get("/api/v1/people/", {"role": "committee_member"}).json()["results"]
    assert in_a == []  # the post is in county B: not county A's to see or to filter on
    in_b = client_for("viewer", COUNTY_B).get("/api/v1/people/", {"role": "committee_member"}).json()["results"]
    assert [row["id"] for row in in_b] == [a.person.pk]


def test_on_alone_means_holding_any_post_that_day(world, client_for):
    client = client_for("viewer", COUNTY_A)
    a = world["a"]
    ids = {row["id"] for row in client.get("/api/v1/people/", {"on": "2011-01-01"}).json()["results"]}
    assert ids == {a.person.pk}  # the assistant post since 2010-08-01; `other` holds none
    assert client.get("/api/v1/people/", {"on": "2009-01-01"}).json()["results"] == []


@pytest.mark.parametrize(
    "path", ["/api/v1/people/", "/api/v1/eligibility-rules/graduate-civil-service-exam/candidates/"]
)
def test_within_inside_the_jurisdiction_stands_in_for_it(world, client_for, path):
    """A list within a division inside the account's jurisdiction tests one place condition
    (the filter's, which implies the jurisdiction's); within a wider or outside division both
    apply, and nothing outside the jurisdiction is ever listed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b = world["a"], world["b"]
    statuses = ["eligible", "not_eligible"] if "candidates" in path else [None]
    city = client_for("viewer", CITY)

    def listed(client, within):
        ids, tests = set(), set()
        for status in statuses:
            params = {"as_of": "2016-06-30", "status": status} if status else {}
            with CaptureQueriesContext(connection) as queries:
                answer = client.get(path, {**params, "within": within})
            assert answer.status_code == 200, answer.content
            page = next(q["sql"] for q in queries.captured_queries if 'FROM "talent_person"' in q["sql"])
            tests.add(page.count("talent_personplace"))
            ids |= {row["person"]["id"] if "person" in row else row["id"] for row in answer.json()["results"]}
        assert len(tests) == 1
        return ids, tests.pop()

    ids, tests = listed(city, COUNTY_A)
    assert a.person.pk in ids and b.person.pk not in ids
    assert tests == 2  # the county's place test and where its people start; none for the city
    # A county account asking for the whole city, or for the sibling county: its own
    # jurisdiction still applies.
    county = client_for("viewer", COUNTY_A)
    ids, tests = listed(county, CITY)
    assert a.person.pk in ids and b.person.pk not in ids and tests == 4
    ids, _ = listed(county, COUNTY_B)
    assert ids == set()
