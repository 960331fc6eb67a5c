"""A Python client generated from the served schema (openapi-python-client) talks to a live
gunicorn: what the schema promises is what the server answers, field by field."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.authtoken.models import Token

from talent import rules
from talent.access import mask_id_number, mask_phone
from talent.models import Division, Person, Post
from tests.api.conftest import CITY, COUNTY_A, COUNTY_B
from tests.api.processes import subprocess_env

pytest_plugins = ["tests.api.live"]
pytestmark = pytest.mark.slow

PACKAGE = "registry_client"


def json_bodies_only(schema: dict) -> dict:
    """The schema with request bodies in JSON only, the format the API is used with, and file
    answers as generic binary.

    The API also accepts form and multipart bodies, and spectacular lists all three with the
    same schema. openapi-python-client 0.29 mis-generates such operations: it forgets to import
    ``Unset`` and, every branch matching the same model, always sends multipart
    (openapi-generators/openapi-python-client#1451 and #1276). Setting spectacular's
    PARSER_WHITELIST to the JSON parser would make this a no-op.
    """
    for item in schema["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content")
            if content and "application/json" in content:
                operation["requestBody"]["content"] = {"application/json": content["application/json"]}
            # Files (the XLSX template and annotated uploads) are binary answers; the generator
            # knows binary only as application/octet-stream.
            for response in operation.get("responses", {}).values():
                for media_type in list(response.get("content", {})):
                    if media_type.startswith("application/vnd.openxmlformats"):
                        response["content"]["application/octet-stream"] = response["content"].pop(media_type)
    return schema


@pytest.fixture(scope="module")
def generated(live_gunicorn, tmp_path_factory):
    """The generated client package, imported from a temporary folder."""
    folder = tmp_path_factory.mktemp("generated")
    served = live_gunicorn.get("/api/schema/?format=json")
    assert served.status == 200, served.body[:500]
    (folder / "schema.json").write_text(json.dumps(json_bodies_only(served.json()), ensure_ascii=False))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        cwd=folder,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"generation failed:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def api(generated):
    """The generated modules this test uses: ``api.people_list.sync(...)``, ``api.models``."""

    class Modules:
        models = importlib.import_module(f"{PACKAGE}.models")
        people_list = importlib.import_module(f"{PACKAGE}.api.people.people_list")
        people_retrieve = importlib.import_module(f"{PACKAGE}.api.people.people_retrieve")
        posts_create = importlib.import_module(f"{PACKAGE}.api.posts.posts_create")
        auth_token_create = importlib.import_module(f"{PACKAGE}.api.auth.auth_token_create")

    return Modules


@pytest.fixture
def connect(generated, live_gunicorn):
    """``connect(role, jurisdiction, personal_data=False)`` -> an AuthenticatedClient with the
    token of a new staff account."""
    clients = []

    def make(role: str = "viewer", jurisdiction: str = COUNTY_A, *, personal_data: bool = False):
        account = rules.staff_account_save(
            username=f"client-{role}-{jurisdiction}-{personal_data}",
            jurisdiction=Division.objects.get(code=jurisdiction),
            role=role,
            personal_data=personal_data,
        )
        token, _ = Token.objects.get_or_create(user=account.user)
        client = generated.AuthenticatedClient(
            base_url=live_gunicorn.url, token=token.key, prefix="Token", raise_on_unexpected_status=True
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.get_httpx_client().close()


def assert_person_matches(person, db: Person, *, personal_data: bool) -> None:
    """A person from the generated client agrees with the row in the database."""
    assert person.id == db.pk
    assert person.name == db.name
    assert person.gender.value == db.gender
    assert person.birth_date == db.birth_date
    assert person.education.value == db.education
    assert person.id_number == (db.id_number if personal_data else mask_id_number(db.id_number))
    assert person.phone == (db.phone if personal_data else mask_phone(db.phone))
    assert person.home_division == db.home_division_id
    assert person.created_at == db.created_at
    assert person.updated_at == db.updated_at


def list_people_within_a_county(world, api, connect):
    client = connect("viewer", COUNTY_A)
    page = api.people_list.sync(client=client, within=COUNTY_A)
    assert isinstance(page, api.models.PaginatedPersonList)
    expected = {p.pk: p for p in Person.objects.filter(home_division__code__startswith="430104")}
    assert set(expected) == {world["a"].person.pk, world["a"].other.pk}
    assert {person.id for person in page.results} == set(expected)
    assert page.next_ is None and page.previous is None
    for person in page.results:
        assert_person_matches(person, expected[person.id], personal_data=False)


def list_is_scoped_to_the_jurisdiction(world, api, connect):
    client = connect("viewer", COUNTY_A)
    # The whole city, seen from county A: only county A's people.
    city = api.people_list.sync(client=client, within=CITY)
    assert {person.id for person in city.results} == {world["a"].person.pk, world["a"].other.pk}
    # The sibling county: nobody.
    assert api.people_list.sync(client=client, within=COUNTY_B).results == []


def list_filters_and_pages_through_the_client(world, api, connect):
    client = connect("viewer", COUNTY_A)
    graduates = api.people_list.sync(
        client=client, within=COUNTY_A, group=[api.models.PeopleListGroupItem.GRADUATE_OFFICIAL]
    )
    assert [person.id for person in graduates.results] == [world["a"].person.pk]

    first = api.people_list.sync(
        client=client, within=COUNTY_A, pagination=api.models.PeopleListPagination.CURSOR, page_size=1
    )
    assert len(first.results) == 1 and "cursor=" in first.next_
    [cursor] = parse_qs(urlsplit(first.next_).query)["cursor"]  # decoded: the client encodes it again
    second = api.people_list.sync(
        client=client, within=COUNTY_A, pagination=api.models.PeopleListPagination.CURSOR, page_size=1, cursor=cursor
    )
    assert len(second.results) == 1
    assert {first.results[0].id, second.results[0].id} == {world["a"].person.pk, world["a"].other.pk}


def read_one_person(world, api, connect):
    client = connect("viewer", COUNTY_A, personal_data=True)
    db = world["a"].person
    person = api.people_retrieve.sync(client=client, id=db.pk)
    assert isinstance(person, api.models.Person)
    assert_person_matches(person, db, personal_data=True)
    assert [group.value for group in person.groups] == ["village_cadre", "graduate_official"]
    assert person.graduate_official.batch_year == db.graduate_official.batch_year
    assert person.graduate_official.status.value == db.graduate_official.status
    assert person.returnee is None and person.rural_talent is None
    [post] = person.current_posts
    assert post.id == world["a"].post.pk
    assert post.village.code == world["a"].village.code
    assert post.role.value == "secretary_assistant"
    assert post.role_class.value == Post.objects.get(pk=post.id).role_class
    assert post.end is None


def a_person_outside_the_jurisdiction_is_not_found(world, api, connect):
    client = connect("viewer", COUNTY_A)
    response = api.people_retrieve.sync_detailed(client=client, id=world["b"].person.pk)
    assert response.status_code == 404
    assert isinstance(response.parsed, api.models.ErrorResponse404)
    assert response.parsed.errors[0].code.value == "not_found"


def add_a_post_through_the_client(world, api, connect):
    client = connect("editor", COUNTY_A)
    person = world["a"].other
    body = api.models.PostRequest(
        person=person.pk,
        village=world["a"].village.code,
        role=api.models.RoleEnum.COMMITTEE_MEMBER,
        start=dt.date(2021, 1, 4),
    )
    created = api.posts_create.sync(client=client, body=body)
    assert isinstance(created, api.models.Post)
    post = Post.objects.get(pk=created.id)
    assert (post.person_id, post.village_id, post.role, post.start, post.end) == (
        person.pk,
        world["a"].village.code,
        "committee_member",
        dt.date(2021, 1, 4),
        None,
    )
    assert created.role_class.value == post.role_class == "member"


def get_a_token_with_username_and_password(world, api, generated, live_gunicorn):
    account = rules.staff_account_save(
        username="token-user", jurisdiction=Division.objects.get(code=COUNTY_A), role="viewer", personal_data=False
    )
    account.user.set_password("a long pass phrase")
    account.user.save()
    anonymous = generated.Client(base_url=live_gunicorn.url, raise_on_unexpected_status=True)
    answer = api.auth_token_create.sync(
        client=anonymous, body=api.models.AuthTokenRequest(username="token-user", password="a long pass phrase")
    )
    assert answer.token == Token.objects.get(user=account.user).key


SCENARIOS = (
    # Reads first: the writes below add to county A.
    list_people_within_a_county,
    list_is_scoped_to_the_jurisdiction,
    list_filters_and_pages_through_the_client,
    read_one_person,
    a_person_outside_the_jurisdiction_is_not_found,
    add_a_post_through_the_client,
    get_a_token_with_username_and_password,
)


def test_generated_client_against_the_live_server(
    transactional_db, world, api, connect, generated, live_gunicorn, subtests
):
    """Each scenario is a subtest, all on one set of committed data (flushing the database
    after a transactional test costs more than all the scenarios together)."""
    fixtures = {"world": world, "api": api, "connect": connect, "generated": generated, "live_gunicorn": live_gunicorn}
    for scenario in SCENARIOS:
        with subtests.test(msg=scenario.__name__):
            scenario(**{name: fixtures[name] for name in inspect.signature(scenario).parameters})
