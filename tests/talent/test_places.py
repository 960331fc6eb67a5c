"""Each person's places (talent_personplace, migration 0009) stay equal to an independent
computation from the registry after every kind of write, and "within" answers what the
prefix rule of DOMAIN.md says: home, a post or a service term under the division."""

from __future__ import annotations

import datetime as dt
import random

from talent import rules
from talent.choices import Role
from talent.models import Division, Person, PersonPlace, Post, ServiceTerm
from talent.places import places_rebuild
from tests.factories import (
    TWO_CITIES,
    division_get_or_make,
    divisions_make,
    graduate_make,
    person_make,
    post_make,
    posts_copy,
    user_make,
)

D = dt.date.fromisoformat
SEGMENTS = ((0, 2), (2, 4), (4, 6), (6, 9), (9, 12))


def expected_places() -> set[tuple[str, int]]:
    """From the registry, in Python: every significant prefix of each person's home division
    and of the villages of their posts and terms."""
    codes: set[tuple[int, str]] = set()
    codes.update(
        (pk, code) for pk, code in Person.objects.exclude(home_division=None).values_list("pk", "home_division")
    )
    codes.update(Post.objects.values_list("person_id", "village_id"))
    codes.update(ServiceTerm.objects.values_list("person_id", "village_id"))
    return {(code[:end], pk) for pk, code in codes for start, end in SEGMENTS if code[start:end].strip("0")}


def kept_places() -> set[tuple[str, int]]:
    return set(PersonPlace.objects.values_list("prefix", "person_id"))


def assert_places_fresh():
    kept = kept_places()
    assert kept == expected_places()
    places_rebuild()
    assert kept_places() == kept


def tree() -> dict[str, Division]:
    """Two counties of one city and a county of another city, a township and two villages in
    each, and a township directly under a city without counties (its county segment is 00)."""
    out = divisions_make(
        [*TWO_CITIES, ("440000000000", "广东省"), ("441900000000", "东莞市"), ("441900003000", "东城街道")]
    )
    for code in ["430104100201", "430104100202", "430105100201", "430105100202", "430202100201", "430202100202",
                 "441900003001"]:  # fmt: skip
        out[code] = division_get_or_make(code, name=f"村{code[-3:]}")
    return out


def test_places_follow_every_kind_of_write(db):
    t = tree()
    county_home = person_make(home_division=t["430104000000"])
    village_home = person_make(home_division=t["430105100201"])
    homeless = person_make(home_division=None)
    assert_places_fresh()
    assert set(PersonPlace.objects.filter(person=county_home).values_list("prefix", flat=True)) == {
        "43", "4301", "430104"
    }  # fmt: skip
    assert not PersonPlace.objects.filter(person=homeless).exists()

    # create: a post elsewhere, a term elsewhere, a post under a township without a county
    post = post_make(person=homeless, village=t["430202100201"], role=Role.PARTY_SECRETARY, start="2010-01-01")
    graduate = graduate_make(terms=[("2009-08-01", "2012-07-31")], village=t["430104100202"])
    post_make(person=village_home, village=t["441900003001"], role=Role.COMMITTEE_MEMBER, start="2011-01-01")
    assert_places_fresh()
    assert {"44", "4419", "441900003", "441900003001"} <= set(
        PersonPlace.objects.filter(person=village_home).values_list("prefix", flat=True)
    )
    assert "441900" not in set(PersonPlace.objects.filter(person=village_home).values_list("prefix", flat=True))

    # edit: one row moved, a field that is not a place (nothing to redo), a bulk move
    post.village = t["430105100202"]
    post.save()
    assert_places_fresh()
    Post.objects.filter(pk=post.pk).update(start=D("2009-01-01"))
    assert_places_fresh()
    ServiceTerm.objects.filter(person=graduate.person).update(village=t["430202100202"])
    assert_places_fresh()
    # a post handed to another person: both people change
    Post.objects.filter(pk=post.pk).update(person=county_home)
    assert_places_fresh()
    assert not PersonPlace.objects.filter(person=homeless).exists()
    # home moved, home removed
    Person.objects.filter(pk=county_home.pk).update(home_division=t["430202000000"])
    assert_places_fresh()
    Person.objects.filter(pk=village_home.pk).update(home_division=None, notes="搬迁")
    assert_places_fresh()

    # delete one row, then a bulk delete
    ServiceTerm.objects.filter(person=graduate.person).delete()
    assert_places_fresh()
    Post.objects.filter(person=village_home).delete()
    assert_places_fresh()

    # bulk load (COPY), as seed_demo and roster imports write
    posts_copy([
        (homeless.pk, "430104100201", "party_secretary", D("2013-01-01"), None, ""),
        (homeless.pk, "430105100201", "committee_director", D("2012-06-01"), D("2014-01-01"), "other"),
    ])  # fmt: skip
    assert_places_fresh()

    # a village merged into another (every record that pointed at it is moved)
    admin = user_make(is_superuser=True)
    rules.division_merge(source=t["430105100201"], target=t["430202100201"], actor=admin)
    assert_places_fresh()

    # the person deleted: their places go with them
    pk = homeless.pk
    homeless.delete()
    assert_places_fresh()
    assert not PersonPlace.objects.filter(person_id=pk).exists()


def test_within_is_home_or_a_post_or_a_term_under_the_division(db):
    """Randomized: for every division of the tree, ``within`` gives exactly the people whose
    home, a post or a term lies under it, computed with plain string prefixes."""
    t = tree()
    villages = [d for code, d in t.items() if code[9:] != "000"]
    places = [*t.values(), None]
    rng = random.Random(7)
    for _ in range(40):
        person = person_make(home_division=rng.choice(places))
        for n in range(rng.randrange(3)):
            start, end = dt.date(2000 + 4 * n, 1, 1), dt.date(2003 + 4 * n, 1, 1)
            village = rng.choice(villages)
            post_make(
                person=person, village=village, role=Role.COMMITTEE_MEMBER, start=start, end=end, end_reason="other"
            )
    for _ in range(10):
        graduate_make(terms=[("2009-08-01", "2012-07-31")], village=rng.choice(villages))
    assert_places_fresh()

    codes: dict[int, set[str]] = {}
    for pk, code in Person.objects.exclude(home_division=None).values_list("pk", "home_division"):
        codes.setdefault(pk, set()).add(code)
    for model in (Post, ServiceTerm):
        for pk, code in model.objects.values_list("person_id", "village_id"):
            codes.setdefault(pk, set()).add(code)
    for division in t.values():
        from talent.querysets import significant_prefix

        prefix = significant_prefix(division.code)
        expected = {pk for pk, own in codes.items() if any(code.startswith(prefix) for code in own)}
        assert set(Person.objects.within(division.code).values_list("pk", flat=True)) == expected, division.code
        assert expected or division.level == "province", division.code  # the data reaches every division
