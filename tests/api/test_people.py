"""People: one-request create/edit with group records, errors with field paths, masking of
personal data, history."""

from __future__ import annotations

import datetime as dt

import pytest

from talent.models import Person
from tests.api.conftest import CITY, COUNTY_A, COUNTY_B, errors_by_attr
from tests.factories import id_number_for

NEW_PERSON_BIRTH = dt.date(1990, 3, 15)


def new_person_payload(village_code: str, **overrides) -> dict:
    payload = {
        "name": "王小明",
        "gender": "male",
        "birth_date": NEW_PERSON_BIRTH.isoformat(),
        "id_number": id_number_for(birth_date=NEW_PERSON_BIRTH, gender="male"),
        "ethnicity": "tujia",
        "political_status": "party_member",
        "party_joined_on": "2011-06-01",
        "education": "master",
        "school": "湖南大学",
        "key_university": True,
        "phone": "13900001111",
        "home_division": village_code,
        "graduate_official": {"batch_year": 2012, "selected_on": "2012-08-01", "status": "serving"},
        "rural_talent": {"category": "production", "specialties": ["水稻种植", "油茶"], "title_level": "junior"},
    }
    payload.update(overrides)
    return payload


def test_create_person_with_groups_in_one_request(world, client_for):
    editor = client_for("editor", COUNTY_A, personal_data=True)
    payload = new_person_payload(world["a"].village.code)
    response = editor.post("/api/v1/people/", payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["groups"] == ["graduate_official", "rural_talent"]
    assert body["graduate_official"] == payload["graduate_official"]
    assert body["rural_talent"]["specialties"] == ["水稻种植", "油茶"]
    assert body["returnee"] is None
    assert body["id_number"] == payload["id_number"]
    person = Person.objects.get(pk=body["id"])
    assert person.graduate_official.batch_year == 2012
    assert person.rural_talent.title_level == "junior"


def test_edit_person_adds_and_removes_groups(world, client_for):
    editor = client_for("editor", COUNTY_A)
    person = world["a"].other
    added = editor.patch(
        f"/api/v1/people/{person.pk}/",
        {"returnee": {"previous_city": "深圳", "previous_occupation": "电子厂技术员", "returned_on": "2013-02-01"}},
    )
    assert added.status_code == 200, added.json()
    assert added.json()["groups"] == ["returnee"]
    removed = editor.patch(f"/api/v1/people/{person.pk}/", {"returnee": None}, format="json")
    assert removed.status_code == 200
    assert removed.json()["groups"] == []
    assert not hasattr(Person.objects.get(pk=person.pk), "returnee")


def test_nested_validation_errors_name_the_path_and_write_nothing(world, client_for):
    editor = client_for("editor", COUNTY_A)
    payload = new_person_payload(
        world["a"].village.code, graduate_official={"batch_year": 1900, "selected_on": "2012-08-01"}
    )
    response = editor.post("/api/v1/people/", payload)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert "graduate_official.batch_year" in errors_by_attr(response)
    assert not Person.objects.filter(id_number=payload["id_number"]).exists()


def test_id_number_disagreements_name_the_field(world, client_for):
    editor = client_for("editor", COUNTY_A)
    payload = new_person_payload(world["a"].village.code, gender="female")
    response = editor.post("/api/v1/people/", payload)
    assert response.status_code == 400
    assert list(errors_by_attr(response)) == ["gender"]

    payload = new_person_payload(world["a"].village.code, birth_date="1990-03-16")
    assert list(errors_by_attr(editor.post("/api/v1/people/", payload))) == ["birth_date"]

    payload = new_person_payload(world["a"].village.code, id_number="430104900315123")
    response = editor.post("/api/v1/people/", payload)
    assert "15位" in errors_by_attr(response)["id_number"][0]


def test_duplicate_id_number_is_400_not_500(world, client_for):
    editor = client_for("editor", COUNTY_A)
    existing = world["a"].person
    payload = new_person_payload(
        world["a"].village.code,
        id_number=existing.id_number,
        birth_date=existing.birth_date.isoformat(),
        gender=existing.gender,
    )
    response = editor.post("/api/v1/people/", payload)
    assert response.status_code == 400
    assert "id_number" in errors_by_attr(response)


def test_database_constraint_violation_is_400_naming_the_field(world, client_for):
    """An open duplicate post: the database's partial unique index refuses it."""
    editor = client_for("editor", COUNTY_A)
    a = world["a"]
    payload = {"person": a.person.pk, "village": a.village.code, "role": "secretary_assistant", "start": "2015-01-01"}
    response = editor.post("/api/v1/posts/", payload)
    assert response.status_code == 400
    assert set(errors_by_attr(response)) & {"role", "start", "non_field_errors"}


def test_errors_follow_accept_language(world, client_for):
    editor = client_for("editor", COUNTY_A)
    zh = editor.post("/api/v1/assessments/", {}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = editor.post("/api/v1/assessments/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert errors_by_attr(zh)["person"] == ["该字段是必填项。"]
    assert errors_by_attr(en)["person"] == ["This field is required."]


def test_personal_data_is_masked_without_the_right(world, client_for):
    person = world["a"].person
    viewer = client_for("viewer", COUNTY_A)
    detail = viewer.get(f"/api/v1/people/{person.pk}/").json()
    assert detail["id_number"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert detail["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    listed = viewer.get("/api/v1/people/").json()["results"]
    assert person.id_number not in str(listed) and person.phone not in str(listed)
    # Searching by the full number still finds the person, but shows it masked.
    found = viewer.get("/api/v1/people/", {"q": person.id_number}).json()["results"]
    assert [row["id"] for row in found] == [person.pk]
    assert found[0]["id_number"] != person.id_number

    allowed = client_for("viewer", COUNTY_A, personal_data=True)
    detail = allowed.get(f"/api/v1/people/{person.pk}/").json()
    assert detail["id_number"] == person.id_number and detail["phone"] == person.phone


def test_history_shows_who_when_and_what_changed(world, client_for):
    editor = client_for("editor", COUNTY_A)
    person = world["a"].other
    old_phone = person.phone
    response = editor.patch(f"/api/v1/people/{person.pk}/", {"school": "中南大学", "phone": "13700002222"})
    assert response.status_code == 200, response.json()

    history = editor.get(f"/api/v1/people/{person.pk}/history/").json()
    assert [event["action"] for event in history] == ["insert", "update"]
    update = history[-1]
    assert update["user"] == editor.user.username
    changes = {c["field"]: (c["before"], c["after"]) for c in update["changes"]}
    assert changes["school"] == ("", "中南大学")
    # Masked in history too, for an account without the personal-data right.
    assert changes["phone"] == (old_phone[:3] + "****" + old_phone[-4:], "137****2222")

    full = client_for("viewer", COUNTY_A, personal_data=True).get(f"/api/v1/people/{person.pk}/history/").json()
    assert {c["field"]: c["after"] for c in full[-1]["changes"]}["phone"] == "13700002222"


@pytest.mark.django_db(transaction=True)
def test_history_of_group_records_is_part_of_the_person(world, client_for):
    """Each request is its own transaction here, as in production, so events have their own
    timestamps."""
    editor = client_for("editor", COUNTY_A)
    person = world["a"].person
    editor.patch(f"/api/v1/people/{person.pk}/", {"graduate_official": {"status": "ended"}}, format="json")
    history = editor.get(f"/api/v1/people/{person.pk}/history/").json()
    last = history[-1]
    assert {c["field"]: c["after"] for c in last["changes"]} == {"graduate_official.status": "ended"}


@pytest.mark.parametrize("path", ["/api/v1/people/{id}/", "/api/v1/people/?within={village}"])
def test_posts_begun_the_same_day_come_in_id_order(world, client_for, path):
    from talent.models import Post
    from tests import factories

    county = world["a"]
    person = factories.person_make(home_division=county.village)
    first = factories.post_make(person=person, village=county.village, role="party_secretary", start="2014-01-01")
    second = factories.post_make(person=person, village=county.village, role="committee_director", start="2014-02-01")
    # Moved to the same day: the row and its index entry are written anew, after the second's,
    # where a scan of the table or of the (person, start) index meets them first.
    Post.objects.filter(pk=first.pk).update(start=dt.date(2014, 2, 1))
    reader = client_for("viewer", COUNTY_A)
    body = reader.get(path.format(id=person.pk, village=county.village.code)).json()
    shown = body if "id" in body else next(row for row in body["results"] if row["id"] == person.pk)
    assert [p["id"] for p in shown["current_posts"]] == [first.pk, second.pk]


@pytest.mark.parametrize(
    ("role", "jurisdiction", "personal_data"),
    [("viewer", COUNTY_A, False), ("viewer", COUNTY_A, True), ("editor", CITY, False), ("viewer", COUNTY_B, False)],
)
def test_detail_read_answers_as_the_queryset_does(world, client_for, monkeypatch, role, jurisdiction, personal_data):
    """PersonViewSet reads a detail with talent.person_read; the generic path (the queryset,
    RegistryViewSet.get_object) must give the same status, ETag, body and audit records."""
    from api.viewsets import PersonViewSet, RegistryViewSet
    from talent.models import PersonalDataRead, Returnee, RuralTalent
    from tests import factories

    a, b = world["a"], world["b"]
    # A post in the other county (shown only within it), the other group records, an ended post.
    factories.post_make(person=a.person, village=b.village, role="committee_member", start="2015-01-01")
    ended = {"start": "2011-01-01", "end": "2013-12-31"}
    factories.post_make(person=a.other, village=a.village, role="committee_member", **ended)
    Returnee.objects.create(person=a.other, previous_city="深圳", returned_on=dt.date(2015, 3, 1))
    RuralTalent.objects.create(person=b.other, category="production", specialties=["油茶"])
    client = client_for(role, jurisdiction, personal_data=personal_data)
    paths = [f"/api/v1/people/{person.pk}/" for person in (a.person, a.other, b.person, b.other)]
    paths += ["/api/v1/people/0/", "/api/v1/people/abc/", f"/api/v1/people/{10**20}/"]

    def answers():
        before = PersonalDataRead.objects.count()
        shown = []
        for path in paths:
            response = client.get(path)
            shown.append((path, response.status_code, response.get("ETag"), response.json()))
        return shown, PersonalDataRead.objects.count() - before

    written_out, audited = answers()
    monkeypatch.setattr(PersonViewSet, "get_object", RegistryViewSet.get_object)
    assert answers() == (written_out, audited)
    # The city reads all four; a county its two and, for 开福, 岳麓's person by their post there.
    assert [status for _, status, *_ in written_out].count(200) == {CITY: 4, COUNTY_A: 2, COUNTY_B: 3}[jurisdiction]
    assert audited == (2 if personal_data else 0)
