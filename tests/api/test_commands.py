"""Domain commands: ``manage.py create_staff`` and merging a division into another
(``POST /api/v1/divisions/{code}/merge/``)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from talent import rules
from talent.models import Division, MobilityEvent, Person, Post, ServiceTerm, StaffAccount, Venture
from tests import factories
from tests.api.conftest import COUNTY_A, COUNTY_B, errors_by_attr

# --- create_staff --------------------------------------------------------------------------


def create_staff(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_staff", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


NEW_VILLAGE = {"code": "430104100202", "name": "新村", "level": "village", "parent": "430104100000", "kind": "village"}


def test_create_staff_creates_an_account_whose_token_works(world):
    out, err = create_staff("wang.li", "--jurisdiction", COUNTY_A, "--role", "viewer")
    token = out.strip()
    account = StaffAccount.objects.get(user__username="wang.li")
    assert (account.jurisdiction_id, account.role, account.personal_data) == (COUNTY_A, "viewer", False)
    # stdout is the token alone, for scripts; the account goes to stderr.
    assert token == Token.objects.get(user=account.user).key
    assert "wang.li" in err and COUNTY_A in err

    client = token_client(token)
    listed = {row["id"] for row in client.get("/api/v1/people/").json()["results"]}
    assert world["a"].person.pk in listed and world["b"].person.pk not in listed
    detail = client.get(f"/api/v1/people/{world['a'].person.pk}/").json()
    assert detail["id_number"] != world["a"].person.id_number  # masked: no personal-data right
    assert client.post("/api/v1/divisions/", NEW_VILLAGE).status_code == 403
    assert APIClient().get("/api/v1/people/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


def test_create_staff_updates_role_jurisdiction_and_personal_data(world):
    first, _ = create_staff("zhao", "--jurisdiction", COUNTY_A, "--role", "viewer")
    second, _ = create_staff("zhao", "--jurisdiction", COUNTY_A, "--role", "admin", "--personal-data")
    assert second.strip() == first.strip()  # the same token
    account = StaffAccount.objects.get(user__username="zhao")
    assert (account.role, account.personal_data) == ("admin", True)
    assert StaffAccount.objects.filter(user__username="zhao").count() == 1

    client = token_client(second.strip())
    assert client.post("/api/v1/divisions/", NEW_VILLAGE).status_code == 201
    detail = client.get(f"/api/v1/people/{world['a'].person.pk}/").json()
    assert detail["id_number"] == world["a"].person.id_number

    create_staff("zhao", "--jurisdiction", COUNTY_B, "--role", "editor")
    account.refresh_from_db()
    assert (account.jurisdiction_id, account.role, account.personal_data) == (COUNTY_B, "editor", False)
    assert client.get(f"/api/v1/people/{world['a'].person.pk}/").status_code == 404
    assert client.get(f"/api/v1/people/{world['b'].person.pk}/").status_code == 200
    assert client.post("/api/v1/divisions/", {**NEW_VILLAGE, "code": "430105100202"}).status_code == 403


@pytest.mark.parametrize("code", ["430199000000", "4301", "abc"])
def test_create_staff_refuses_an_unknown_division(world, code):
    with pytest.raises(CommandError, match=code):
        create_staff("nobody", "--jurisdiction", code, "--role", "viewer")
    assert not StaffAccount.objects.filter(user__username="nobody").exists()


def test_create_staff_refuses_an_unknown_role(world):
    with pytest.raises(CommandError, match="role"):
        create_staff("nobody", "--jurisdiction", COUNTY_A, "--role", "superuser")
    assert not StaffAccount.objects.filter(user__username="nobody").exists()


# --- Division merge ------------------------------------------------------------------------

SOURCE = "430104100202"  # a village of 岳麓镇 merged into the fixture's village 430104100201


@pytest.fixture
def merging(world):
    """A second village in county A's township with something of every kind placed in it."""
    a = world["a"]
    source = factories.division_make(SOURCE, name="并入村")
    resident = factories.person_make(home_division=source)
    graduate = factories.person_make(home_division=a.community)
    factories.graduate_make(graduate, terms=[("2011-08-01", "2014-07-31")], village=source)
    post = factories.post_make(person=resident, village=source, role="committee_director", start="2014-01-01")
    venture = factories.venture_make(founders=[resident], division=source)
    mobility = MobilityEvent.objects.create(
        person=graduate, date=dt.date(2014, 8, 1), channel="stay_in_village", destination_division=source
    )
    return {
        "source": source,
        "target": a.village,
        "resident": resident,
        "term": graduate.service_terms.get(),
        "post": post,
        "venture": venture,
        "mobility": mobility,
    }


def test_admin_merges_a_village_and_everything_moves(merging, client_for):
    target = merging["target"].code
    response = client_for("admin", COUNTY_A).post(f"/api/v1/divisions/{SOURCE}/merge/", {"into": target})
    assert response.status_code == 200, response.json()
    assert response.json()["code"] == target

    assert not Division.objects.filter(code=SOURCE).exists()
    assert Person.objects.get(pk=merging["resident"].pk).home_division_id == target
    assert Post.objects.get(pk=merging["post"].pk).village_id == target
    assert ServiceTerm.objects.get(pk=merging["term"].pk).village_id == target
    assert Venture.objects.get(pk=merging["venture"].pk).division_id == target
    assert MobilityEvent.objects.get(pk=merging["mobility"].pk).destination_division_id == target
    for model, field in ((Person, "home_division"), (Post, "village"), (ServiceTerm, "village"), (Venture, "division")):
        assert not model.objects.filter(**{f"{field}_id": SOURCE}).exists()


def test_only_admins_merge(merging, client_for):
    for role in ("viewer", "editor"):
        response = client_for(role, COUNTY_A).post(
            f"/api/v1/divisions/{SOURCE}/merge/", {"into": merging["target"].code}
        )
        assert response.status_code == 403, role
    assert Division.objects.filter(code=SOURCE).exists()


MERGE_REFUSALS = [
    (SOURCE, "430104100000", "into"),  # a village into a township
    (SOURCE, SOURCE, "into"),  # into itself
    (SOURCE, "430104199000", "into"),  # no such division
    (SOURCE, "4301", "into"),  # not a code
    ("430104100000", "430105100000", "into"),  # a township into another county's township
    (SOURCE, "430105100201", "into"),  # into a village outside the jurisdiction
    ("430105100201", "430105100001", "code"),  # a village outside the jurisdiction
]


def test_merge_refusals_are_400_naming_the_field(merging, client_for):
    admin = client_for("admin", COUNTY_A)
    for source, into, field in MERGE_REFUSALS:
        response = admin.post(f"/api/v1/divisions/{source}/merge/", {"into": into})
        assert response.status_code == 400, (source, into, response.content)
        assert field in errors_by_attr(response), (source, into)
        assert Division.objects.filter(code=source).exists()
    assert Post.objects.get(pk=merging["post"].pk).village_id == SOURCE


def test_merge_refuses_a_division_with_children(merging, client_for):
    factories.division_make("430104101000", name="另一镇")
    response = client_for("admin", COUNTY_A).post("/api/v1/divisions/430104100000/merge/", {"into": "430104101000"})
    assert response.status_code == 400, response.content
    assert "code" in errors_by_attr(response)
    assert Division.objects.filter(code="430104100000").exists()


def test_merge_of_an_empty_township_deletes_it(merging, client_for):
    factories.division_make("430104101000", name="空镇")
    response = client_for("admin", COUNTY_A).post("/api/v1/divisions/430104101000/merge/", {"into": "430104100000"})
    assert response.status_code == 200, response.content
    assert not Division.objects.filter(code="430104101000").exists()


def test_merge_that_would_break_a_constraint_is_400_and_changes_nothing(merging, client_for):
    """The resident is director of both villages at once: merged, the two open posts would be
    one person's same open post in one village, which the database refuses."""
    resident = merging["resident"]
    factories.post_make(person=resident, village=merging["target"], role="committee_director", start="2015-01-01")
    response = client_for("admin", COUNTY_A).post(
        f"/api/v1/divisions/{SOURCE}/merge/", {"into": merging["target"].code}
    )
    assert response.status_code == 400, response.content
    assert set(errors_by_attr(response)) in ({"role"}, {"start"})  # the open-post index or the overlap
    assert Division.objects.filter(code=SOURCE).exists()
    assert Person.objects.get(pk=resident.pk).home_division_id == SOURCE
    assert Post.objects.get(pk=merging["post"].pk).village_id == SOURCE


def test_merge_moves_staff_accounts_of_the_source(merging, client_for):
    user = factories.user_make()
    rules.staff_account_save(username=user.username, jurisdiction=merging["source"], role="viewer", personal_data=False)
    response = client_for("admin", COUNTY_A).post(
        f"/api/v1/divisions/{SOURCE}/merge/", {"into": merging["target"].code}
    )
    assert response.status_code == 200, response.content
    assert StaffAccount.objects.get(user=user).jurisdiction_id == merging["target"].code
