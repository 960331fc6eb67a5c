"""No lost updates: strong ETags from row versions, If-Match on PUT/PATCH/DELETE (412 on a
stale version, 428 when required and missing), enforced in the database whatever way a row
is written (api/conditional.py, migration talent/0006_row_versions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.authtoken.models import Token

from talent.models import Division, GraduateOfficial, Person, PersonEvent, Post
from tests.api.conftest import COUNTY_A

pytest_plugins = ["tests.api.live"]

DETAIL_URLS = {
    "people": lambda c: f"/api/v1/people/{c.person.pk}/",
    "posts": lambda c: f"/api/v1/posts/{c.post.pk}/",
    "service-terms": lambda c: f"/api/v1/service-terms/{c.term.pk}/",
    "assessments": lambda c: f"/api/v1/assessments/{c.records['assessment'].pk}/",
    "trainings": lambda c: f"/api/v1/trainings/{c.records['training'].pk}/",
    "ventures": lambda c: f"/api/v1/ventures/{c.venture.pk}/",
    "mobility-events": lambda c: f"/api/v1/mobility-events/{c.mobility.pk}/",
    "divisions": lambda c: f"/api/v1/divisions/{c.village.code}/",
}


def error_code(response) -> str:
    body = response.json()
    assert body["type"] == "client_error"
    return body["errors"][0]["code"]


@pytest.mark.parametrize("resource", sorted(DETAIL_URLS))
def test_every_detail_response_has_a_strong_etag(world, client_for, resource):
    admin = client_for("admin", COUNTY_A)
    url = DETAIL_URLS[resource](world["a"])
    response = admin.get(url)
    assert response.status_code == 200
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    # Stable while nothing changes; lists carry none.
    assert admin.get(url)["ETag"] == etag
    assert "ETag" not in admin.get(url.rsplit("/", 2)[0] + "/")


def test_staff_account_detail_has_an_etag(world, client_for):
    admin = client_for("admin", COUNTY_A)
    account = admin.user.staff
    response = admin.get(f"/api/v1/staff-accounts/{account.pk}/")
    assert response.status_code == 200 and response["ETag"]


def test_matching_if_match_writes_and_answers_the_new_etag(world, client_for):
    editor = client_for("editor", COUNTY_A)
    url = f"/api/v1/trainings/{world['a'].records['training'].pk}/"
    etag = editor.get(url)["ETag"]
    response = editor.patch(url, {"hours": "12.5"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response["ETag"] != etag
    assert editor.get(url)["ETag"] == response["ETag"]


def test_two_clients_edit_the_same_person_and_the_second_gets_412(world, client_for):
    person = world["a"].person
    url = f"/api/v1/people/{person.pk}/"
    first = client_for("editor", COUNTY_A)
    second = client_for("editor", COUNTY_A)
    # Both read the same version.
    etag = first.get(url)["ETag"]
    assert second.get(url)["ETag"] == etag

    saved = first.patch(url, {"notes": "第一位编辑的备注", "school": "湖南农业大学"}, HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.json()

    stale = second.patch(url, {"notes": "第二位编辑的备注", "name": "改错的名字"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert error_code(stale) == "precondition_failed"
    assert stale["ETag"] == saved["ETag"]  # the version to read again

    # Nothing of the second edit was written; the first stands whole.
    person.refresh_from_db()
    assert (person.notes, person.school, person.name) == ("第一位编辑的备注", "湖南农业大学", "张岳麓")
    updates = [
        e for e in PersonEvent.objects.filter(pgh_obj_id=person.pk).order_by("pgh_id") if e.pgh_label == "update"
    ]
    assert len(updates) == 1 and updates[0].notes == "第一位编辑的备注"

    # Read again, then the second edit goes through.
    fresh = second.get(url)["ETag"]
    assert second.patch(url, {"notes": "第二位编辑的备注"}, HTTP_IF_MATCH=fresh).status_code == 200


def test_put_and_delete_honour_if_match(world, client_for):
    editor = client_for("editor", COUNTY_A)
    assessment = world["a"].records["assessment"]
    url = f"/api/v1/assessments/{assessment.pk}/"
    read = editor.get(url)
    etag, body = read["ETag"], read.json()
    body["grade"] = "excellent"
    assert editor.put(url, body, HTTP_IF_MATCH=etag).status_code == 200
    # The old version no longer deletes it.
    refused = editor.delete(url, HTTP_IF_MATCH=etag)
    assert refused.status_code == 412 and error_code(refused) == "precondition_failed"
    assert type(assessment).objects.filter(pk=assessment.pk).exists()
    assert editor.delete(url, HTTP_IF_MATCH=editor.get(url)["ETag"]).status_code == 204
    assert not type(assessment).objects.filter(pk=assessment.pk).exists()


def test_if_match_star_and_weak_tags(world, client_for):
    editor = client_for("editor", COUNTY_A)
    url = f"/api/v1/trainings/{world['a'].records['training'].pk}/"
    etag = editor.get(url)["ETag"]
    assert editor.patch(url, {"hours": "3"}, HTTP_IF_MATCH="*").status_code == 200
    # If-Match compares strongly: a weak tag never matches, nor does nonsense.
    fresh = editor.get(url)["ETag"]
    assert editor.patch(url, {"hours": "4"}, HTTP_IF_MATCH=f"W/{fresh}").status_code == 412
    assert editor.patch(url, {"hours": "4"}, HTTP_IF_MATCH="not-a-tag").status_code == 412
    # One of a list matches.
    assert editor.patch(url, {"hours": "4"}, HTTP_IF_MATCH=f"{etag}, {fresh}").status_code == 200


def test_required_if_match_answers_428(world, client_for):
    editor = client_for("editor", COUNTY_A)
    url = f"/api/v1/trainings/{world['a'].records['training'].pk}/"
    with override_settings(REQUIRE_IF_MATCH=True):
        for method in (editor.patch, editor.delete):
            response = method(url, {"hours": "2"}) if method is editor.patch else method(url)
            assert response.status_code == 428
            assert error_code(response) == "precondition_required"
        read = editor.get(url)
        put = editor.put(url, {**read.json(), "hours": "2.0"}, HTTP_IF_MATCH=read["ETag"])
        assert put.status_code == 200
        # Reads and creates need no If-Match.
        assert editor.get(url).status_code == 200
    assert editor.patch(url, {"hours": "2"}).status_code == 200  # off: If-Match only when sent


def test_bulk_and_raw_writes_bump_the_version_too(world, client_for):
    """The version is kept by a trigger: QuerySet.update() and raw SQL, which never go through
    the API or Model.save(), still make an old ETag stale."""
    editor = client_for("editor", COUNTY_A)
    person = world["a"].person
    url = f"/api/v1/people/{person.pk}/"
    etag = editor.get(url)["ETag"]
    Person.objects.filter(pk=person.pk).update(notes="批量更新")
    assert editor.patch(url, {"notes": "覆盖"}, HTTP_IF_MATCH=etag).status_code == 412

    etag = editor.get(url)["ETag"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE talent_person SET school = 'SQL 写入' WHERE id = %s", [person.pk])
    assert editor.patch(url, {"notes": "覆盖"}, HTTP_IF_MATCH=etag).status_code == 412

    # A group record is part of the person: writing it alone changes the person's ETag.
    etag = editor.get(url)["ETag"]
    GraduateOfficial.objects.filter(pk=person.pk).update(status="ended")
    after = editor.get(url)["ETag"]
    assert after != etag
    assert editor.patch(url, {"notes": "覆盖"}, HTTP_IF_MATCH=etag).status_code == 412
    person.refresh_from_db()
    assert person.notes == "批量更新" and person.school == "SQL 写入"


def test_a_write_that_changes_nothing_keeps_the_version(world, client_for):
    editor = client_for("editor", COUNTY_A)
    post = world["a"].post
    url = f"/api/v1/posts/{post.pk}/"
    etag = editor.get(url)["ETag"]
    Post.objects.filter(pk=post.pk).update(role=post.role)  # same values
    post.save()
    assert editor.get(url)["ETag"] == etag


def test_a_recreated_record_never_matches_an_old_etag(hunan, client_for):
    """Versions come from one sequence and are never reused: a division deleted and created
    again under the same code has a new version."""
    admin = client_for("admin", "430104000000")
    url = f"/api/v1/divisions/{hunan['community'].code}/"
    etag = admin.get(url)["ETag"]
    fields = {f.attname: getattr(hunan["community"], f.attname) for f in Division._meta.concrete_fields}
    Division.objects.filter(pk=hunan["community"].pk).delete()
    Division.objects.create(**fields)
    assert admin.get(url)["ETag"] != etag
    assert admin.patch(url, {"name": "新社区"}, HTTP_IF_MATCH=etag).status_code == 412


def test_create_answers_the_etag_of_the_new_record(world, client_for):
    editor = client_for("editor", COUNTY_A)
    person = world["a"].person
    response = editor.post(
        "/api/v1/trainings/",
        {"person": person.pk, "title": "电商培训", "organizer": "县委组织部", "start": "2021-03-01", "hours": "8"},
    )
    assert response.status_code == 201, response.json()
    assert response["ETag"] == editor.get(f"/api/v1/trainings/{response.json()['id']}/")["ETag"]


@pytest.mark.slow
def test_concurrent_writers_with_one_version_exactly_one_wins(transactional_db, world, client_for, live_gunicorn):
    """Editors who read the same version write at the same moment through gunicorn's worker
    processes: exactly one write is taken, every other gets 412, and the stored record is the
    winner's alone."""
    person = world["a"].person
    url = f"/api/v1/people/{person.pk}/"
    tokens = [Token.objects.get(user=client_for("editor", COUNTY_A).user).key for _ in range(6)]
    etag = live_gunicorn.get(url, token=tokens[0]).headers["etag"]
    barrier = threading.Barrier(len(tokens))
    results: dict[int, int] = {}

    def write(n: int, token: str) -> None:
        barrier.wait()
        reply = live_gunicorn.request(
            "PATCH",
            url,
            token=token,
            json_body={"notes": f"编辑{n}", "school": f"学校{n}"},
            headers={"If-Match": etag},
            timeout=30,
        )
        results[n] = reply.status

    threads = [threading.Thread(target=write, args=(n, token)) for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [n for n, status in results.items() if status == 200]
    assert sorted(results.values()) == [200] + [412] * (len(tokens) - 1), (results, live_gunicorn.log_tail())
    person.refresh_from_db()
    (winner,) = winners
    assert (person.notes, person.school) == (f"编辑{winner}", f"学校{winner}")
    assert PersonEvent.objects.filter(pgh_obj_id=person.pk, pgh_label="update").count() == 1


def test_a_write_to_an_id_that_is_not_a_number_is_404(world, client_for):
    editor = client_for("editor", COUNTY_A)
    for method in (editor.patch, editor.put, editor.delete):
        assert method("/api/v1/people/abc/", {"notes": "x"}, HTTP_IF_MATCH='"1"').status_code == 404
