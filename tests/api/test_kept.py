"""Rows a process keeps between requests (api/kept.py): a token's identity (its user and staff
account) and a rule's current version, each read once, then kept while its generation holds;
every change saved through the application is seen on the next request; a change nothing
reports is seen once the generation changes or KEPT_ROWS_SECONDS pass; the rate count is taken
once per request."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.authtoken.models import Token

from api import kept, throttling
from talent import eligibility, rules
from talent.access import mask_id_number
from talent.models import Division, EligibilityRule, StaffAccount
from tests import factories
from tests.api.conftest import COUNTY_A, COUNTY_B
from tests.api.live import gunicorn
from tests.redis_server import redis_url


@pytest.fixture(autouse=True)
def _nothing_kept():
    kept.IDENTITIES.clear()
    kept.RULES.clear()
    caches["default"].clear()
    yield
    kept.IDENTITIES.clear()
    kept.RULES.clear()


def _get(client, path: str):
    """The response and whether the request read the token (its statement on authtoken_token)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, any("authtoken_token" in q["sql"] for q in queries.captured_queries)


def _id_number_shown(client, person) -> str:
    response, _ = _get(client, f"/api/v1/people/{person.pk}/")
    assert response.status_code == 200, response.content
    return response.json()["id_number"]


def test_a_token_is_read_once_then_kept_while_nothing_changes(world, client_for):
    client = client_for("viewer", COUNTY_A, personal_data=True)
    path = f"/api/v1/people/{world['a'].person.pk}/"
    first, read_first = _get(client, path)
    second, read_second = _get(client, path)
    assert first.status_code == second.status_code == 200
    assert (read_first, read_second) == (True, False)
    assert first.json() == second.json()
    assert first.json()["id_number"] == world["a"].person.id_number  # the kept right, not a default


def test_each_request_is_counted_once(world, client_for, settings):
    """The count is taken with the generation, by the authentication; the throttle decides from
    it: three requests pass a limit of three, the fourth waits."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user": "3/minute"}
    client = client_for("viewer", COUNTY_A)
    statuses = [client.get("/api/v1/people/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_changes_saved_through_the_application_are_seen_on_the_next_request(world, client_for):
    person = world["a"].person
    path = f"/api/v1/people/{person.pk}/"

    def saved(client, change) -> int:
        assert _get(client, path)[0].status_code == 200  # kept from here on
        assert _get(client, path)[1] is False
        change(client)
        response, read = _get(client, path)
        assert read or response.status_code == 401  # read again (a token that is gone reads nothing)
        return response.status_code

    def right_withdrawn(client):
        division = Division.objects.get(code=COUNTY_A)
        rules.staff_account_save(username=client.user.username, jurisdiction=division, role="viewer",
                                 personal_data=False)  # fmt: skip

    def moved(client):
        division = Division.objects.get(code=COUNTY_B)
        rules.staff_account_save(username=client.user.username, jurisdiction=division, role="viewer",
                                 personal_data=True)  # fmt: skip

    def deactivated(client):
        client.user.is_active = False
        client.user.save()

    client = client_for("viewer", COUNTY_A, personal_data=True)
    assert saved(client, right_withdrawn) == 200
    assert _id_number_shown(client, person) == mask_id_number(person.id_number)
    changes = {
        "moved to the other county": moved,
        "deactivated": deactivated,
        "token deleted": lambda client: Token.objects.filter(user=client.user).delete(),
        "staff account deleted": lambda client: StaffAccount.objects.get(user=client.user).delete(),
        "user deleted": lambda client: client.user.delete(),
    }
    statuses = {
        name: saved(client_for("viewer", COUNTY_A, personal_data=True), change) for name, change in changes.items()
    }
    assert statuses == {
        "moved to the other county": 404,
        "deactivated": 401,
        "token deleted": 401,
        "staff account deleted": 403,
        "user deleted": 401,
    }


def test_an_accounts_division_merged_away_is_seen_on_the_next_request(world, client_for):
    """A division merge moves the accounts of the division merged away; a reader who kept the
    old jurisdiction would no longer find the people moved with it."""
    township = world["a"].township
    source = factories.division_get_or_make(township.code[:9] + "301", name="甲村")
    target = factories.division_get_or_make(township.code[:9] + "302", name="乙村")
    person = factories.person_make(home_division=source)
    client = client_for("viewer", source.code)
    path = f"/api/v1/people/{person.pk}/"
    assert _get(client, path)[0].status_code == 200
    rules.division_merge(source=source, target=target, actor=factories.user_make(is_superuser=True))
    response, read = _get(client, path)
    assert (response.status_code, read) == (200, True)
    assert StaffAccount.objects.get(user=client.user).jurisdiction_id == target.code


def test_a_change_made_elsewhere_is_seen_when_the_generation_changes(world, client_for):
    """What another process changed, this process learns from the generation alone: until the
    generation changes it answers with the identity it kept (an update() tells no one)."""
    person = world["a"].person
    client = client_for("viewer", COUNTY_A, personal_data=True)
    assert _id_number_shown(client, person) == person.id_number
    StaffAccount.objects.filter(user=client.user).update(personal_data=False)
    assert _id_number_shown(client, person) == person.id_number  # kept
    throttling.new_generation()  # what the other process does once its change is committed
    assert _id_number_shown(client, person) == mask_id_number(person.id_number)


def test_an_identity_is_kept_at_most_kept_rows_seconds(world, client_for, settings, monkeypatch):
    person = world["a"].person
    client = client_for("viewer", COUNTY_A, personal_data=True)
    path = f"/api/v1/people/{person.pk}/"
    assert _get(client, path)[1] is True
    StaffAccount.objects.filter(user=client.user).update(personal_data=False)
    now, seconds = time.monotonic(), settings.KEPT_ROWS_SECONDS
    monkeypatch.setattr(kept.time, "monotonic", lambda: now + seconds - 1)
    assert _id_number_shown(client, person) == person.id_number
    monkeypatch.setattr(kept.time, "monotonic", lambda: now + seconds + 1)
    assert _id_number_shown(client, person) == mask_id_number(person.id_number)
    settings.KEPT_ROWS_SECONDS = 0  # nothing kept
    assert [_get(client, path)[1] for _ in range(3)] == [True, True, True]


def test_a_committed_change_starts_a_new_generation(world, client_for, django_capture_on_commit_callbacks):
    def generation() -> str:
        return throttling._count("throttle:user:probe:1", timeout=61, generation=True)[1]

    client = client_for("viewer", COUNTY_A)
    before = generation()
    with django_capture_on_commit_callbacks(execute=True):
        client.user.last_login = client.user.date_joined
        client.user.save(update_fields=["last_login"])  # a login: nothing a request may do changes
    assert generation() == before
    with django_capture_on_commit_callbacks(execute=True):
        account = StaffAccount.objects.get(user=client.user)
        account.personal_data = True
        account.save()
    assert generation() != before


# --- A rule's current version (the candidates pages) ----------------------------------------

RULE = "township-institution-post"  # 6 years' service, 3 years deputy or chief


@pytest.fixture
def official(world):
    """Five years' service and three as deputy on 2014-08-01: eligible once the rule asks five."""
    village = world["a"].village
    person = factories.graduate_make(
        factories.person_make(name="候选", home_division=village), terms=[("2009-08-01", None)], village=village
    ).person
    factories.post_make(person=person, village=village, role="party_deputy_secretary", start="2011-01-01")
    return person


def _candidates(client, person, status: str = "not_eligible"):
    """Whether the page lists ``person``, whether it read the rule (its statement on the rules'
    table), and the service years the rule asks as the page explains them for ``person``."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            f"/api/v1/eligibility-rules/{RULE}/candidates/", {"as_of": "2014-08-01", "status": status}
        )
    assert response.status_code == 200, response.content
    rows = [row for row in response.json()["results"] if row["person"]["id"] == person.pk]
    read = any("talent_eligibilityrule" in q["sql"] for q in queries.captured_queries)
    required = {c["required"] for row in rows for c in row["criteria"] if c["criterion"] == "service"}
    return bool(rows), read, required


def test_a_rule_is_read_once_then_kept_and_a_new_version_is_seen_on_the_next_request(official, client_for):
    client, admin = client_for("viewer", COUNTY_A), client_for("admin", COUNTY_A)
    assert _candidates(client, official) == (True, True, {"满6年"})
    assert _candidates(client, official) == (True, False, {"满6年"})
    assert admin.patch(f"/api/v1/eligibility-rules/{RULE}/", {"min_service_years": 5}).status_code == 200
    assert _candidates(client, official, "eligible") == (True, True, {"满5年"})  # version 2, read again
    assert _candidates(client, official, "not_eligible") == (False, False, set())


def test_a_rule_changed_elsewhere_is_seen_when_the_generation_changes(official, client_for, settings, monkeypatch):
    """An update() tells no one (the database's trigger rebuilds the facts all the same): the
    process answers with the version it kept until the generation changes, or until
    KEPT_ROWS_SECONDS pass."""
    client = client_for("viewer", COUNTY_A)
    assert _candidates(client, official) == (True, True, {"满6年"})
    EligibilityRule.objects.filter(code=RULE, is_current=True).update(min_service_years=5)
    # Listed by the facts (met from 2014-07-31), explained by the version kept.
    assert _candidates(client, official, "eligible") == (True, False, {"满6年"})
    throttling.new_generation()
    assert _candidates(client, official, "eligible") == (True, True, {"满5年"})
    EligibilityRule.objects.filter(code=RULE, is_current=True).update(min_service_years=6)
    assert _candidates(client, official, "not_eligible") == (True, False, {"满5年"})
    now, seconds = time.monotonic(), settings.KEPT_ROWS_SECONDS
    monkeypatch.setattr(kept.time, "monotonic", lambda: now + seconds + 1)
    assert _candidates(client, official, "not_eligible") == (True, True, {"满6年"})


def test_a_saved_rule_starts_a_new_generation(world, django_capture_on_commit_callbacks):
    before = throttling._count("throttle:user:probe:1", timeout=61, generation=True)[1]
    with django_capture_on_commit_callbacks(execute=True):
        eligibility.rule_save(code=RULE, data={"name": "改名"}, actor=None)
    assert throttling._count("throttle:user:probe:1", timeout=61, generation=True)[1] != before


def test_on_redis_the_generation_comes_with_the_count(world, client_for):
    """One script counts the request and reads the generation; a Redis that lost the generation
    (restarted, evicted) starts one that no process holds; a Redis that cannot be reached
    leaves every request to read the identity."""
    import redis

    person = world["a"].person
    prefix = f"identities-test-{time.monotonic_ns()}"
    backend = "django.core.cache.backends.redis.RedisCache"
    client = client_for("viewer", COUNTY_A, personal_data=True)
    path = f"/api/v1/people/{person.pk}/"
    with redis_url() as url:
        with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix}}):
            assert [_get(client, path)[1] for _ in range(3)] == [True, False, False]
            server = redis.Redis.from_url(url)
            generation_key = caches["default"].make_and_validate_key(throttling.KEPT_GENERATION)
            held = server.get(generation_key)
            assert held is not None
            StaffAccount.objects.filter(user=client.user).update(personal_data=False)
            assert _id_number_shown(client, person) == person.id_number  # kept
            server.delete(generation_key)  # lost, as by a restart
            assert _id_number_shown(client, person) == mask_id_number(person.id_number)
            assert server.get(generation_key) not in (None, held)
            StaffAccount.objects.filter(user=client.user).update(personal_data=True)
            throttling.new_generation()
            assert _id_number_shown(client, person) == person.id_number
            server.delete(*server.keys(f"{prefix}:*"))
        unreachable = "redis://127.0.0.1:9/0"  # the discard port: nothing answers
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        caching = {"BACKEND": backend, "LOCATION": unreachable, "KEY_PREFIX": prefix, "OPTIONS": options}
        with override_settings(CACHES={"default": caching}):
            reads = []
            for _ in range(2):
                response, read = _get(client, path)
                assert response.status_code == 200
                reads.append(read)
            assert reads == [True, True]


@pytest.mark.slow
def test_a_gunicorn_worker_sees_a_change_saved_by_another_process(transactional_db, world, client_for, tmp_path):
    """On Redis, a gunicorn worker that kept a reader's identity: an update() that tells no one
    leaves it answering as before; a right withdrawn through the application by this process
    (another one) is seen by the worker's next request."""
    person = world["a"].person
    client = client_for("viewer", COUNTY_A, personal_data=True)
    token = Token.objects.get(user=client.user).key
    path = f"/api/v1/people/{person.pk}/"
    prefix = f"identities-live-{time.monotonic_ns()}"
    backend = "django.core.cache.backends.redis.RedisCache"
    with (
        redis_url() as url,
        gunicorn(tmp_path / "gunicorn.log", workers=1, CACHE_URL=url, CACHE_KEY_PREFIX=prefix) as server,
        override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix}}),
    ):
        assert {server.get(path, token=token).json()["id_number"] for _ in range(3)} == {person.id_number}
        StaffAccount.objects.filter(user=client.user).update(personal_data=False)
        assert server.get(path, token=token).json()["id_number"] == person.id_number  # kept
        StaffAccount.objects.filter(user=client.user).update(personal_data=True)
        division = Division.objects.get(code=COUNTY_A)
        rules.staff_account_save(username=client.user.username, jurisdiction=division, role="viewer",
                                 personal_data=False)  # fmt: skip
        assert server.get(path, token=token).json()["id_number"] == mask_id_number(person.id_number)
