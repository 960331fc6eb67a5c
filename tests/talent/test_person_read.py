"""talent.person_read reads one person as the API's queryset does: the same values, group
records, posts in the same order with their villages, the same row version, and the same
answer to "is this person within the jurisdiction" (None where the queryset finds nobody)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from api.conditional import row_version
from talent.models import GraduateOfficial, Person, Post, Returnee, RuralTalent
from talent.person_read import page_read, person_read
from tests.factories import person_make

GROUPS = {"graduate_official": GraduateOfficial, "returnee": Returnee, "rural_talent": RuralTalent}


def _values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def _snapshot(person: Person, *, version: bool = True) -> dict:
    """Everything a detail (or, without the version, a page) shows of the person, read without
    a query."""
    groups = {}
    for name in GROUPS:
        try:
            groups[name] = _values(getattr(person, name))
        except Person._meta.get_field(name).related_model.DoesNotExist:
            groups[name] = None
    return {
        "person": _values(person),
        "row_version": person.row_version if version else None,
        "groups": groups,
        "posts": [(_values(post), _values(post.village), post.person is person) for post in person.posts.all()],
        "state": (person._state.adding, person._state.db),
    }


def _queryset_read(prefix: str) -> dict[int, dict]:
    """The people within ``prefix`` as the API's queryset reads them, by id."""
    people = (
        Person.objects.select_related(*GROUPS)
        .prefetch_related(Prefetch("posts", queryset=Post.objects.select_related("village").order_by("start", "id")))
        .annotate(row_version=row_version(Person, tuple(GROUPS.values())))
    )
    if prefix:
        people = people.under(prefix)
    return {person.pk: _snapshot(person) for person in people}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--scale", "small", "--no-progress", "--reset", stdout=StringIO())


def _prefixes() -> list[str]:
    """The whole country, then the province, city, county and township of the first person's
    home (the significant digits of each: DOMAIN.md, "Places")."""
    home = Person.objects.order_by("id").values_list("home_division_id", flat=True).first()
    return ["", *(home[:digits] for digits in (2, 4, 6, 9))]


def test_every_person_reads_as_the_queryset_reads_them(seeded):
    everybody = list(Person.objects.order_by("id").values_list("id", flat=True))
    seen_groups, seen_posts = set(), 0
    for prefix in _prefixes():
        expected = _queryset_read(prefix)
        assert 0 < len(expected) <= len(everybody)
        # Everybody for the whole country and the province; beyond, those within and a few outside.
        ids = everybody if len(prefix) <= 2 else [*expected, *everybody[:50]]
        for pk in ids:
            person = person_read(pk, prefix=prefix)
            if pk not in expected:
                assert person is None, (prefix, pk)
                continue
            with CaptureQueriesContext(connection) as queries:
                shown = _snapshot(person)
            assert not queries.captured_queries, (prefix, pk)
            assert shown == expected[pk], (prefix, pk)
            seen_groups.update(name for name, record in shown["groups"].items() if record)
            seen_posts += len(shown["posts"])
    assert seen_groups == set(GROUPS) and seen_posts  # the data had every kind of record


def test_pages_read_as_the_people_list_queryset_reads_them(seeded):
    """page_read on pages of 50 (and on an empty page) against select_related and the prefetch."""
    prefetch = Prefetch("posts", queryset=Post.objects.order_by("start", "id"))
    people = Person.objects.select_related(*GROUPS).prefetch_related(prefetch, "posts__village")
    expected = {person.pk: _snapshot(person, version=False) for person in people}
    ids = sorted(expected)
    page_read([])
    for start in range(0, len(ids), 50):
        page = list(Person.objects.filter(pk__in=ids[start : start + 50]).order_by("id"))
        with CaptureQueriesContext(connection) as queries:
            page_read(page)
            shown = {person.pk: _snapshot(person, version=False) for person in page}
        assert len(queries.captured_queries) == 1  # the group records, posts, villages: one round trip
        assert shown == {pk: expected[pk] for pk in ids[start : start + 50]}
    assert {name for snapshot in expected.values() for name, record in snapshot["groups"].items() if record} == set(
        GROUPS
    )
    assert any(snapshot["posts"] for snapshot in expected.values())
    assert any(not snapshot["posts"] for snapshot in expected.values())


def test_nobody_by_an_id_that_names_no_one(seeded):
    last = Person.objects.order_by("-id").values_list("id", flat=True).first()
    for pk in (last + 1, 0, -1, 2**63 - 1, 2**63, 10**30):
        assert person_read(pk, prefix="") is None


def test_a_person_with_no_posts_and_no_group_records(hunan):
    person = person_make(home_division=hunan["village"])
    read = person_read(person.pk, prefix="430104")
    assert _snapshot(read) == _queryset_read("430104")[person.pk]
    assert list(read.posts.all()) == [] and _snapshot(read)["groups"] == dict.fromkeys(GROUPS)
    assert person_read(person.pk, prefix="430105") is None
