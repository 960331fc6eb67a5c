"""Audit of personal-data reads: every response that showed full ID or phone numbers, and every
report or roster file handed over, leaves one row (who, when, from where, which people or which
file); admins read the rows through the API and the admin site within their jurisdiction;
nobody changes or deletes them (api/audit.py, talent.models.PersonalDataRead)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from talent.models import PersonalDataRead
from tests.api.conftest import COUNTY_A, COUNTY_B
from tests.talent.test_roster_support import csv_bytes, person_row, places
from workers.reports import report_run

URL = "/api/v1/personal-data-reads/"


def reads() -> list[PersonalDataRead]:
    return list(PersonalDataRead.objects.order_by("id"))


def test_a_people_page_in_full_is_one_row_naming_the_page(world, client_for):
    editor = client_for("editor", COUNTY_A, personal_data=True)
    with CaptureQueriesContext(connection) as queries:
        response = editor.get("/api/v1/people/", {"within": COUNTY_A}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    shown = sorted(row["id"] for row in response.json()["results"])
    (row,) = reads()
    assert row.person_ids == shown == sorted([world["a"].person.pk, world["a"].other.pk])
    assert (row.username, row.user_id, row.jurisdiction) == (editor.user.username, editor.user.pk, COUNTY_A)
    assert (row.address, row.method, row.path, row.view) == ("10.1.2.3", "GET", "/api/v1/people/", "person-list")
    assert row.query == f"within={COUNTY_A}" and row.full
    # Cheap: one INSERT for the whole page.
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"] and "personaldataread" in q["sql"]]
    assert len(inserts) == 1, [q["sql"][:80] for q in queries.captured_queries]


def test_masked_answers_are_not_recorded(world, client_for):
    viewer = client_for("viewer", COUNTY_A)
    assert viewer.get("/api/v1/people/").status_code == 200
    assert viewer.get(f"/api/v1/people/{world['a'].person.pk}/").status_code == 200
    assert viewer.get(f"/api/v1/people/{world['a'].person.pk}/history/").status_code == 200
    assert reads() == []


def test_detail_search_history_and_writes_are_recorded(world, client_for):
    editor = client_for("editor", COUNTY_A, personal_data=True)
    person = world["a"].person
    assert editor.get(f"/api/v1/people/{person.pk}/").status_code == 200
    assert editor.get("/api/v1/people/", {"id_number": person.id_number}).status_code == 200
    assert editor.get(f"/api/v1/people/{person.pk}/history/").status_code == 200
    assert editor.patch(f"/api/v1/people/{person.pk}/", {"notes": "核实"}).status_code == 200
    rows = reads()
    assert [(r.view, r.method, r.person_ids) for r in rows] == [
        ("person-detail", "GET", [person.pk]),
        ("person-list", "GET", [person.pk]),
        ("person-history", "GET", [person.pk]),
        ("person-detail", "PATCH", [person.pk]),
    ]
    # The searched ID number is not copied into the audit in full.
    assert person.id_number not in rows[1].query and "id_number=" in rows[1].query


def test_failed_answers_are_not_recorded(world, client_for):
    editor = client_for("editor", COUNTY_A, personal_data=True)
    assert editor.get(f"/api/v1/people/{world['b'].person.pk}/").status_code == 404
    assert editor.patch(f"/api/v1/people/{world['a'].person.pk}/", {"id_number": "1"}).status_code == 400
    assert reads() == []


def test_eligibility_candidates_are_recorded(world, client_for):
    from tests.api.test_eligibility_api import RULE, officials

    people = officials.__wrapped__(world)
    client = client_for("viewer", COUNTY_A, personal_data=True)
    response = client.get(f"/api/v1/eligibility-rules/{RULE}/candidates/", {"as_of": "2015-08-01"})
    assert response.status_code == 200
    (row,) = reads()
    assert row.view == "eligibility-rule-candidates" and row.person_ids == [people["a"]["ready"].pk]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_import_errors_in_full_and_annotated_downloads_are_recorded(world, client_for, media):
    places()
    uploader = client_for("editor", COUNTY_A, personal_data=True)
    content = csv_bytes("people", [person_row(1, 联系电话="123"), person_row(2, 学历="大学")])
    upload = uploader.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("花名册.csv", content), "kind": "people"}, format="multipart"
    )
    import_id = upload.json()["id"]
    assert reads() == []  # the upload answer shows no personal data
    assert uploader.get(f"/api/v1/imports/{import_id}/errors/").status_code == 200
    assert client_for("viewer", COUNTY_A).get(f"/api/v1/imports/{import_id}/errors/").status_code == 200  # masked
    assert uploader.get(f"/api/v1/imports/{import_id}/annotated/").status_code == 200
    assert [(r.view, r.roster_import_id, r.username) for r in reads()] == [
        ("import-errors", import_id, uploader.user.username),
        ("import-annotated", import_id, uploader.user.username),
    ]


def test_every_report_download_is_recorded(registry, client_for, django_capture_on_commit_callbacks):
    full = client_for("viewer", "430000000000", personal_data=True)
    masked = client_for("viewer", "430000000000")
    report_id = full.post("/api/v1/reports/", {"kind": "roster"}, format="json").json()["id"]
    report_run(report_id)
    assert full.get(f"/api/v1/reports/{report_id}/").status_code == 200
    assert reads() == []  # reading a report's status shows no one
    assert full.get(f"/api/v1/reports/{report_id}/download/", {"format": "csv"}).status_code == 200
    assert masked.get(f"/api/v1/reports/{report_id}/download/", {"format": "csv"}).status_code == 200
    rows = reads()
    assert [(r.view, r.report_id, r.username, r.full) for r in rows] == [
        ("report-download", report_id, full.user.username, True),
        ("report-download", report_id, masked.user.username, False),
    ]


def test_admins_read_the_audit_within_their_jurisdiction(world, client_for):
    reader_a = client_for("editor", COUNTY_A, personal_data=True)
    reader_b = client_for("editor", COUNTY_B, personal_data=True)
    reader_a.get(f"/api/v1/people/{world['a'].person.pk}/")
    reader_a.get(f"/api/v1/people/{world['a'].other.pk}/")
    reader_b.get(f"/api/v1/people/{world['b'].person.pk}/")

    admin_a = client_for("admin", COUNTY_A)
    listed = admin_a.get(URL).json()["results"]
    assert {r["username"] for r in listed} == {reader_a.user.username}
    assert len(listed) == 2
    assert set(listed[0]) >= {"at", "username", "address", "view", "person_ids", "report_id", "jurisdiction"}
    # Filters: who was read, by whom.
    about = admin_a.get(URL, {"person": world["a"].other.pk}).json()["results"]
    assert [r["person_ids"] for r in about] == [[world["a"].other.pk]]
    assert admin_a.get(URL, {"username": "nobody"}).json()["results"] == []
    # Outside the jurisdiction a row does not exist.
    theirs = PersonalDataRead.objects.get(username=reader_b.user.username)
    assert admin_a.get(f"{URL}{theirs.pk}/").status_code == 404
    city_admin = client_for("admin", "430100000000")
    assert {r["username"] for r in city_admin.get(URL).json()["results"]} == {
        reader_a.user.username,
        reader_b.user.username,
    }
    # Admins only.
    assert client_for("editor", COUNTY_A, personal_data=True).get(URL).status_code == 403
    assert client_for("viewer", COUNTY_A).get(URL).status_code == 403


def test_nobody_edits_or_deletes_the_audit_through_the_api(world, client_for):
    client_for("editor", COUNTY_A, personal_data=True).get(f"/api/v1/people/{world['a'].person.pk}/")
    row = PersonalDataRead.objects.get()
    admin = client_for("admin", COUNTY_A)
    assert admin.post(URL, {"username": "x"}).status_code == 405
    for method in (admin.put, admin.patch, admin.delete):
        assert method(f"{URL}{row.pk}/", {"username": "x"}).status_code == 405
    row.refresh_from_db()
    assert row.username != "x"


def test_the_database_refuses_to_change_or_delete_a_row(world, client_for):
    client_for("editor", COUNTY_A, personal_data=True).get(f"/api/v1/people/{world['a'].person.pk}/")
    row = PersonalDataRead.objects.get()
    for attempt in (
        lambda: PersonalDataRead.objects.filter(pk=row.pk).update(username="改写"),
        lambda: PersonalDataRead.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            attempt()
    assert PersonalDataRead.objects.get().username == row.username


def test_the_admin_site_shows_the_audit_read_only(world, client_for, admin_client):
    client_for("editor", COUNTY_A, personal_data=True).get(f"/api/v1/people/{world['a'].person.pk}/")
    row = PersonalDataRead.objects.get()
    changelist = reverse("admin:talent_personaldataread_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200 and row.username in response.content.decode()
    assert admin_client.get(reverse("admin:talent_personaldataread_change", args=[row.pk])).status_code == 200
    assert admin_client.get(reverse("admin:talent_personaldataread_add")).status_code == 403
    assert admin_client.get(reverse("admin:talent_personaldataread_delete", args=[row.pk])).status_code == 403
    assert admin_client.post(reverse("admin:talent_personaldataread_change", args=[row.pk]), {}).status_code == 403
    bulk = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [row.pk]})
    assert bulk.status_code in (200, 302)
    assert PersonalDataRead.objects.filter(pk=row.pk).exists()


def test_short_search_terms_are_starred_whole_in_the_audit(world, client_for):
    """A fragment is not an ID number: it is starred whole, never repeated or half shown."""
    editor = client_for("editor", COUNTY_A, personal_data=True)
    person = world["a"].person
    assert editor.get("/api/v1/people/", {"q": person.name}).json()["results"]  # a name: 2 or 3 characters
    assert editor.get("/api/v1/people/", {"id_number": person.id_number}).status_code == 200
    queries = [parse_qs(r.query) for r in reads()]
    assert queries == [
        {"q": ["*" * len(person.name)]},
        {"id_number": [person.id_number[:4] + "*" * 10 + person.id_number[-4:]]},
    ]
