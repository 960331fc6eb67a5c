"""api.serializers.FieldsBuiltOnce: serializers that bind copies of fields built once per class
render exactly what serializers that build their own render, for each reader, however the
renderings of different readers interleave; writes still build their own fields. The brief of
a person, written directly, is what DRF's field-by-field rendering writes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.serializers import FieldsBuiltOnce, PersonBriefSerializer, PersonSerializer
from api.viewsets import PersonViewSet
from talent import rules
from talent.models import Division, Person, Venture
from tests import factories


def _context(role: str, jurisdiction: str, *, personal_data: bool) -> dict:
    user = factories.user_make()
    rules.staff_account_save(
        username=user.username,
        jurisdiction=Division.objects.get(code=jurisdiction),
        role=role,
        personal_data=personal_data,
    )
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return {"request": request}


def _built_each_time(monkeypatch):
    monkeypatch.setattr(FieldsBuiltOnce, "get_fields", serializers.ModelSerializer.get_fields)


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--scale", "small", "--no-progress", "--reset", stdout=StringIO())


def test_people_render_as_with_fields_built_each_time(seeded, monkeypatch):
    home = Person.objects.order_by("id").values_list("home_division_id", flat=True).first()
    readers = [
        _context("viewer", "430000000000", personal_data=False),
        _context("viewer", home[:6].ljust(12, "0"), personal_data=True),
        _context("editor", home[:4].ljust(12, "0"), personal_data=False),
    ]
    people = list(PersonViewSet.queryset.order_by("id")[:400])

    def rendered():
        # Reader by reader for each person: copies of one class's fields meet every context in turn.
        return [PersonSerializer(person, context=reader).data for person in people for reader in readers]

    once = rendered()
    _built_each_time(monkeypatch)
    assert once == rendered()
    shown = {row["id_number"] for row in once}
    assert any("*" in number for number in shown) and any("*" not in number for number in shown)
    assert {len(row["current_posts"]) for row in once} > {0}  # posts within the reader's reach


def test_the_brief_is_written_as_drf_writes_it(seeded):
    """PersonBriefSerializer writes its fields directly: the same as DRF's rendering, masked or
    not by the reader, and each full ID number shown is noted for the audit either way."""
    home = Person.objects.order_by("id").values_list("home_division_id", flat=True).first()
    readers = [
        _context("viewer", "430000000000", personal_data=False),
        _context("viewer", home[:4].ljust(12, "0"), personal_data=True),
    ]
    people = list(Person.objects.order_by("id")[:300])
    for reader in readers:
        serializer = PersonBriefSerializer(context=reader)
        written = [serializer.to_representation(person) for person in people]
        full = reader["request"].user.staff.personal_data
        noted = getattr(reader["request"]._request, "_personal_data_read", None)
        assert (noted.person_ids if noted else set()) == ({p.pk for p in people} if full else set())
        assert written == [serializers.ModelSerializer.to_representation(serializer, p) for p in people]
        assert list(written[0]) == PersonBriefSerializer.Meta.fields
        assert all(("*" not in row["id_number"]) is full for row in written)


class _VentureFounders(FieldsBuiltOnce, serializers.ModelSerializer):
    """A nested list (founders, masked or not by the reader) in a serializer built once."""

    founders = PersonBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Venture
        fields = ["id", "name", "founders"]


def test_a_nested_list_is_bound_to_each_copy(world, monkeypatch):
    a = world["a"]
    venture = factories.venture_make(founders=[a.person, a.other], division=a.village)
    masked = _context("viewer", a.code, personal_data=False)
    full = _context("viewer", a.code, personal_data=True)
    once = [_VentureFounders(venture, context=reader).data for reader in (masked, full, masked)]
    _built_each_time(monkeypatch)
    assert once == [_VentureFounders(venture, context=reader).data for reader in (masked, full, masked)]
    assert [founder["id_number"] for founder in once[1]["founders"]] == [a.person.id_number, a.other.id_number]
    assert all("*" in founder["id_number"] for founder in once[0]["founders"])


def test_a_write_builds_its_own_fields(world, monkeypatch):
    calls = []
    monkeypatch.setattr(FieldsBuiltOnce, "_prototypes", {})
    original = serializers.ModelSerializer.get_fields

    def counting(self):
        calls.append(type(self).__name__)
        return original(self)

    monkeypatch.setattr(serializers.ModelSerializer, "get_fields", counting)
    reader = _context("editor", world["a"].code, personal_data=False)
    person = PersonViewSet.queryset.get(pk=world["a"].person.pk)
    for _ in range(3):
        assert PersonSerializer(person, context=reader).data["id"] == person.pk
    assert calls.count("PersonSerializer") == 1  # built once, then copied
    write = PersonSerializer(person, data={"name": "张三", "graduate_official": None}, partial=True, context=reader)
    assert write.is_valid(), write.errors
    assert calls.count("PersonSerializer") == 2 and "GraduateOfficialSerializer" in calls[1:]


def test_current_posts_are_todays_within_the_readers_jurisdiction(db):
    """A person's current posts, as each reader sees them: posts held today (begun, not ended
    before today) in villages within the reader's jurisdiction, in (start, id) order; none for a
    request without a staff account."""
    import datetime as dt

    factories.divisions_make(factories.TWO_CITIES)
    changsha, zhuzhou = factories.village_make("430104100201"), factories.village_make("430202100201")
    today = dt.date.today()
    person = factories.person_make(home_division=changsha)
    day = dt.timedelta(days=1)
    posts = {
        "ended yesterday": factories.post_make(
            person=person, village=changsha, role="party_secretary", start="2010-01-01", end=today - day
        ),
        "ends today": factories.post_make(
            person=person, village=changsha, role="committee_director", start="2011-01-01", end=today
        ),
        "open": factories.post_make(person=person, village=changsha, role="party_secretary", start=today),
        "elsewhere": factories.post_make(person=person, village=zhuzhou, role="party_secretary", start="2012-01-01"),
        "begins tomorrow": factories.post_make(
            person=person, village=zhuzhou, role="committee_member", start=today + day
        ),
    }
    readers = {
        "province": _context("viewer", "430000000000", personal_data=False),
        "changsha": _context("viewer", "430100000000", personal_data=False),
        "zhuzhou": _context("viewer", "430200000000", personal_data=False),
    }
    request = Request(APIRequestFactory().get("/"))
    request.user = factories.user_make()  # no staff account
    readers["no account"] = {"request": request}
    shown = {}
    for name, context in readers.items():
        person = PersonViewSet.queryset.get(pk=person.pk)
        shown[name] = [row["id"] for row in PersonSerializer(person, context=context).data["current_posts"]]
    ids = {name: post.pk for name, post in posts.items()}
    assert shown == {
        "province": [ids["ends today"], ids["elsewhere"], ids["open"]],
        "changsha": [ids["ends today"], ids["open"]],
        "zhuzhou": [ids["elsewhere"]],
        "no account": [],
    }
