"""Statistical division codes: talent.identity's reading of them, Division.full_clean(), the
database's level patterns agreeing with Python, and "everything within X" for divisions and
people."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from talent import identity
from talent.choices import Level
from talent.identity import CODE_LEVEL_MISMATCH, CODE_MALFORMED, CODE_NO_LEVEL, CODE_PARENT_MISMATCH
from talent.models import KIND_ONLY_FOR_VILLAGES, KIND_REQUIRED, Division, Person
from tests.factories import (
    division_build,
    division_make,
    division_tree,
    graduate_make,
    person_make,
    post_make,
)

LEVEL_LABELS = dict(Level.choices)

CODES = [
    ("430000000000", "province"),
    ("430100000000", "city"),
    ("430104000000", "county"),
    ("430104100000", "township"),
    ("430104001000", "township"),  # a street (街道) 001
    ("430104100201", "village"),
    ("430104100001", "village"),  # a community (居委会)
    ("441900003000", "township"),  # 东莞市: a town directly under a city without counties
    ("441900003001", "village"),
    ("000000000000", None),
    ("001000000000", None),  # no province
    ("430004000000", None),  # a county under a zero city segment
    ("430000100000", None),  # a township under zero city and county segments
    ("430100100000", "township"),  # zero county segment is allowed (as in 东莞)
    ("430104000201", None),  # a village without its township
    ("430100000201", None),
    ("4301041002", None),  # 10 digits
    ("4301041002010", None),  # 13 digits
    ("43010410020A", None),
    ("４３０１０４１００２０１", None),  # full-width digits: the database refuses them
    ("430104100201\n", None),
    ("", None),
]


def message(template, **values) -> str:
    return str(template).format(**values)


# --- talent.identity -----------------------------------------------------------------------


@pytest.mark.parametrize(("code", "level"), CODES)
def test_code_level(code, level):
    assert identity.code_level(code) == level


@pytest.mark.parametrize(
    ("code", "ancestors"),
    [
        ("430000000000", []),
        ("430100000000", ["430000000000"]),
        ("430104000000", ["430100000000", "430000000000"]),
        ("430104100000", ["430104000000", "430100000000", "430000000000"]),
        ("430104100201", ["430104100000", "430104000000", "430100000000", "430000000000"]),
        ("441900003000", ["441900000000", "440000000000"]),
        ("441900003001", ["441900003000", "441900000000", "440000000000"]),
        ("430004000000", []),
        ("43010410020A", []),
    ],
)
def test_ancestor_codes_nearest_first(code, ancestors):
    assert identity.ancestor_codes(code) == ancestors


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("430000000000", "province", "43"),
        ("430100000000", "city", "4301"),
        ("430104000000", "county", "430104"),
        ("430104100000", "township", "430104100"),
        ("430104100201", "village", "430104100201"),
    ],
)
def test_code_prefix(code, level, prefix):
    assert identity.code_prefix(code, level) == prefix


def test_village_kind_for_code():
    assert identity.village_kind_for_code("430104100001") == "community"
    assert identity.village_kind_for_code("430104100199") == "community"
    assert identity.village_kind_for_code("430104100200") == "village"
    assert identity.village_kind_for_code("430104100399") == "village"


# --- The database's level patterns agree with Python ---------------------------------------


def _segment_codes() -> list[str]:
    """Every pattern of zero and non-zero segments (and a few ways of being non-zero)."""
    segments = [("00", "43"), ("00", "01", "19"), ("00", "04"), ("000", "003", "100"), ("000", "001", "201")]
    return ["".join(parts) for parts in itertools.product(*segments)]


@pytest.mark.django_db
def test_database_level_patterns_agree_with_code_level():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'division_code_matches_level'"
        )
        (definition,) = cursor.fetchone()
        assert definition.startswith("CHECK ")
        expression = definition.removeprefix("CHECK ").replace("%", "%%")
        codes = _segment_codes() + [code for code, _ in CODES if len(code) == 12]
        levels = [level.value for level in Level]
        cursor.execute(
            f"SELECT code, level, {expression}"
            " FROM unnest(%s::varchar[]) AS c(code), unnest(%s::varchar[]) AS l(level)",
            [codes, levels],
        )
        database = {(code, level): ok for code, level, ok in cursor.fetchall()}
    python = {(code, level): identity.code_level(code) == level for code in codes for level in levels}
    assert database == python
    # The sample holds codes of every level and codes of none.
    assert {identity.code_level(code) for code in codes} == {*levels, None}


# --- Division.full_clean -------------------------------------------------------------------


def clean_errors(division: Division) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        division.full_clean()
    return excinfo.value.message_dict


@pytest.fixture
def tree(db):
    return division_tree()


@pytest.mark.parametrize("key", ["province", "city", "county", "township", "village", "community"])
def test_the_default_tree_is_clean(tree, key):
    tree[key].full_clean()
    assert tree[key].level == identity.code_level(tree[key].code)


@pytest.mark.parametrize("code", ["43010410020A", "４３０１０４１００２０１", "430104 00201"])
def test_code_must_be_digits(tree, code):
    errors = clean_errors(division_build(code, level="village", parent=tree["township"], kind="village"))
    assert set(errors) == {"code"}
    assert message(CODE_NO_LEVEL, code=code) in errors["code"]


def test_code_regex_validator_message(tree):
    errors = clean_errors(division_build("43010410020A", level="village", parent=tree["township"], kind="village"))
    assert str(CODE_MALFORMED) in errors["code"]


@pytest.mark.parametrize("code", ["4301041002", "43010410020"])
def test_code_must_have_12_digits(tree, code):
    errors = clean_errors(division_build(code, level="village", parent=tree["township"], kind="village"))
    assert message(CODE_NO_LEVEL, code=code) in errors["code"]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["430004000000", "430104000201", "430000100000"])
def test_non_zero_segment_after_a_zero_one(code):
    errors = clean_errors(Division(code=code, name="坏代码", level="county"))
    assert errors == {"code": [message(CODE_NO_LEVEL, code=code)]}


# A code of each level that the default tree does not hold yet; each one's nearest ancestor is
# in the tree.
LEVEL_CODES = {
    "province": "440000000000",
    "city": "430200000000",
    "county": "430105000000",
    "township": "430104200000",
    "village": "430104100202",
}


@pytest.mark.parametrize(("actual", "claimed"), list(itertools.permutations(LEVEL_CODES, 2)))
def test_level_must_match_the_trailing_zeros(tree, actual, claimed):
    code = LEVEL_CODES[actual]
    division = division_build(code, name="错级别", level=claimed, kind=None, urban_rural_class=None)
    errors = clean_errors(division)
    assert errors["level"] == [
        message(CODE_LEVEL_MISMATCH, code=code, actual=LEVEL_LABELS[actual], level=LEVEL_LABELS[claimed])
    ]


@pytest.mark.parametrize("level", list(LEVEL_CODES))
def test_each_level_with_its_own_code_is_accepted(tree, level):
    division = division_build(LEVEL_CODES[level], name="新区划")
    assert division.level == level
    division.full_clean()
    division.save()


def test_parent_must_be_a_prefix_of_the_code(tree):
    division_make("430105000000", name="开福区")
    division = division_build("430104200000", name="错上级乡", parent_id="430105000000")
    errors = clean_errors(division)
    assert errors == {"parent": [message(CODE_PARENT_MISMATCH, parent="430105000000", code="430104200000")]}


def test_a_division_is_not_its_own_parent(tree):
    township = tree["township"]
    township.parent_id = township.code
    assert clean_errors(township) == {
        "parent": [message(CODE_PARENT_MISMATCH, parent=township.code, code=township.code)]
    }
    # And the database refuses it too.
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Division.objects.filter(code=township.code).update(parent_id=township.code)
    assert excinfo.value.__cause__.diag.constraint_name == "division_parent_is_prefix"


def test_any_ancestor_may_be_the_parent(tree):
    """The nearest existing ancestor is the usual parent, but a farther one is a prefix too."""
    division = division_build("430104200000", name="挂县乡", parent=tree["county"])
    division.full_clean()
    division = division_build("430104100203", name="挂市村", parent=tree["city"])
    division.full_clean()


def test_village_kind_is_required(tree):
    errors = clean_errors(division_build("430104100202", name="无类别村", kind=None, urban_rural_class=None))
    assert errors == {"kind": [KIND_REQUIRED]}


@pytest.mark.parametrize(("field", "value"), [("kind", "village"), ("urban_rural_class", "220")])
def test_kind_and_class_only_for_villages(tree, field, value):
    errors = clean_errors(division_build("430104200000", name="乡", **{field: value}))
    assert errors == {"kind": [str(KIND_ONLY_FOR_VILLAGES)]}


def test_township_directly_under_a_city_without_counties(db):
    division_make("440000000000", name="广东省")
    city = division_make("441900000000", name="东莞市")
    town = division_build("441900003000", name="东城街道")
    assert town.parent == city
    town.full_clean()
    town.save()
    village = division_make("441900003001", name="东城社区")
    assert village.level == "village"
    assert village.parent == town
    assert set(Division.objects.within("441900000000").values_list("code", flat=True)) == {
        "441900000000",
        "441900003000",
        "441900003001",
    }


# --- within(code) --------------------------------------------------------------------------


@pytest.fixture
def two_counties(db):
    tree = division_tree()
    kaifu = division_make("430105000000", name="开福区")
    street = division_make("430105001000", name="东风路街道")
    community = division_make("430105001001", name="东风社区")
    other_village = division_make("430104100202", name="二村")
    return {**tree, "kaifu": kaifu, "street": street, "kaifu_community": community, "other_village": other_village}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("430000000000", "all"),
        ("430100000000", "all_but_province"),
        (
            "430104000000",
            {"430104000000", "430104100000", "430104100201", "430104100001", "430104100202"},
        ),
        ("430104100000", {"430104100000", "430104100201", "430104100001", "430104100202"}),
        ("430104100201", {"430104100201"}),
        ("430105000000", {"430105000000", "430105001000", "430105001001"}),
    ],
)
def test_division_within(two_counties, code, expected):
    everything = {division.code for division in two_counties.values()}
    if expected == "all":
        expected = everything
    elif expected == "all_but_province":
        expected = everything - {"430000000000"}
    assert set(Division.objects.within(code).values_list("code", flat=True)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["43010410020A", "430004000000", "4301"])
def test_within_a_malformed_code_is_an_error(code):
    with pytest.raises(ValueError, match="不是有效的统计用区划代码"):
        Division.objects.within(code)
    with pytest.raises(ValueError):
        Person.objects.within(code)


@pytest.fixture
def people(two_counties):
    village = two_counties["village"]
    kaifu_community = two_counties["kaifu_community"]
    home = person_make(home_division=village)
    cadre = person_make(home_division=kaifu_community)
    post_make(person=cadre, village=village, start="2012-01-01", end=None)
    official = graduate_make(terms=[("2010-08-01", "2013-07-31")], village=two_counties["other_village"]).person
    elsewhere = person_make(home_division=kaifu_community)
    post_make(person=elsewhere, village=kaifu_community, start="2012-01-01", end=None)
    nowhere = person_make()
    everywhere = person_make(home_division=village)
    post_make(person=everywhere, village=village, role="party_secretary", start="2012-01-01", end=None)
    post_make(person=everywhere, village=village, role="committee_director", start="2012-01-01", end=None)
    graduate_make(everywhere, terms=[("2009-08-01", "2011-07-31"), ("2011-08-01", None)], village=village)
    return {
        "home": home,
        "cadre": cadre,
        "official": official,
        "elsewhere": elsewhere,
        "nowhere": nowhere,
        "everywhere": everywhere,
    }


def _names(queryset, people) -> set[str]:
    by_pk = {person.pk: key for key, person in people.items()}
    pks = list(queryset.values_list("pk", flat=True))
    assert len(pks) == len(set(pks)), "a person appears more than once"
    return {by_pk[pk] for pk in pks}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("430000000000", {"home", "cadre", "official", "elsewhere", "everywhere"}),
        ("430104000000", {"home", "cadre", "official", "everywhere"}),
        ("430104100201", {"home", "cadre", "everywhere"}),  # home, post
        ("430104100202", {"official"}),  # service term only
        ("430105000000", {"cadre", "elsewhere"}),  # home only for cadre
        ("430105001001", {"cadre", "elsewhere"}),
        ("440000000000", set()),
    ],
)
def test_person_within(people, code, expected):
    assert _names(Person.objects.within(code), people) == expected
