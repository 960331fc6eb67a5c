"""Every filter of every resource, against the real database: each test builds only the rows
it needs under a small tree of divisions and asserts the exact set (or order) of ids."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from talent import identity
from talent.dates import age_on, anniversary, latest_birth_date_for_age
from talent.models import MobilityEvent, Person, Returnee, RuralTalent
from tests import factories
from tests.api.conftest import errors_by_attr

PROVINCE = "430000000000"
CITY = "430100000000"
COUNTY_A = "430104000000"  # 岳麓区
T1 = "430104100000"  # 莲花镇
V1 = "430104100201"  # 桐木村
C1 = "430104100001"  # 莲花社区
# A sibling township whose code starts with T1's code stripped of all zeros ('4301041'): only
# the significant digits ('430104100') keep it out of "within T1".
T2 = "430104101000"
V2 = "430104101201"
COUNTY_B = "430105000000"  # 开福区
TB = "430105100000"
VB = "430105100201"
# 430111 starts with '43011', the zero-stripped form of 430110000000.
COUNTY_111 = "430111000000"
V111 = "430111100201"

TREE = {
    PROVINCE: "湖南省",
    CITY: "长沙市",
    COUNTY_A: "岳麓区",
    T1: "莲花镇",
    V1: "桐木村",
    C1: "莲花社区",
    T2: "雨敞坪镇",
    V2: "雨敞坪村",
    COUNTY_B: "开福区",
    TB: "捞刀河镇",
    VB: "大星村",
    COUNTY_111: "望城区",
    "430111100000": "白箬铺镇",
    V111: "光明村",
}

MALFORMED_CODES = ["4301", "43010410000X", "000000000000", "430004000000", "430104000001", "abc"]


@pytest.fixture
def tree(db):
    return {code: factories.division_get_or_make(code, name=name) for code, name in TREE.items()}


@pytest.fixture
def reader(tree, client_for):
    """A province-wide viewer with the personal-data right: sees every row built here."""
    return client_for("viewer", PROVINCE, personal_data=True)


def listed(client, path: str, params: dict | None = None) -> list[int | str]:
    response = client.get(f"/api/v1/{path}/", {**(params or {}), "page_size": 500})
    assert response.status_code == 200, response.json()
    key = "code" if path == "divisions" else "id"
    return [row[key] for row in response.json()["results"]]


def found(client, path: str, **params) -> set:
    rows = listed(client, path, params)
    assert len(rows) == len(set(rows)), f"duplicate rows: {rows}"
    return set(rows)


def people(client, **params) -> set[int]:
    return found(client, "people", **params)


def pks(*objects) -> set:
    return {o.pk for o in objects}


def person(home: str | None = V1, **overrides) -> Person:
    division = factories.Division.objects.get(code=home) if home else None
    return factories.person_make(home_division=division, **overrides)


def village(code: str):
    return factories.Division.objects.get(code=code)


# --- People: within ------------------------------------------------------------------------


def test_people_within_home_post_or_term_on_significant_digits(reader):
    at_home = person(V1)
    posted = person(VB)  # lives in county B, held a post in T2
    factories.post_make(
        person=posted, village=village(V2), role="committee_member", start="2011-01-01", end="2013-12-31"
    )
    served = person(None)  # no home recorded, served a term in C1
    factories.graduate_make(served, terms=[("2011-08-01", "2013-07-31")], village=village(C1))
    elsewhere = person(VB)
    next_door = person(V111)

    assert people(reader, within=COUNTY_A) == pks(at_home, posted, served)
    assert people(reader, within=T1) == pks(at_home, served)
    assert people(reader, within=T2) == pks(posted)
    assert people(reader, within=V1) == pks(at_home)
    assert people(reader, within=C1) == pks(served)
    assert people(reader, within=COUNTY_B) == pks(posted, elsewhere)
    assert people(reader, within="430110000000") == set()
    assert people(reader, within=COUNTY_111) == pks(next_door)
    assert people(reader, within=CITY) == pks(at_home, posted, served, elsewhere, next_door)
    # A code that is valid but names no stored division is still a prefix.
    assert people(reader, within="430104102000") == set()


DIVISION_CODE_PARAMETERS = [
    ("people", "within"),
    ("people", "home_division"),
    ("divisions", "within"),
    ("posts", "within"),
    ("service-terms", "within"),
    ("assessments", "within"),
    ("trainings", "within"),
    ("ventures", "within"),
    ("mobility-events", "within"),
    ("mobility-events", "destination_division"),
    ("staff-accounts", "within"),
]


def test_malformed_division_code_is_400_naming_the_parameter(tree, client_for):
    admin = client_for("admin", PROVINCE)
    for path, param in DIVISION_CODE_PARAMETERS:
        for code in MALFORMED_CODES:
            response = admin.get(f"/api/v1/{path}/", {param: code})
            assert response.status_code == 400, (path, param, code, response.content)
            assert param in errors_by_attr(response), (path, param, code)


# --- People: groups and personal attributes ------------------------------------------------


def test_people_group_any_of(reader):
    cadre = person()
    factories.post_make(person=cadre, village=village(V1), start="2005-01-01", end="2008-01-01")
    graduate = person()
    factories.graduate_make(graduate)
    returnee = person()
    Returnee.objects.create(person=returnee, previous_city="深圳", returned_on=dt.date(2013, 2, 1))
    talent = person()
    RuralTalent.objects.create(person=talent, category="production")
    both = person()
    factories.graduate_make(both)
    RuralTalent.objects.create(person=both, category="business")
    nobody = person()

    assert people(reader) == pks(cadre, graduate, returnee, talent, both, nobody)
    assert people(reader, group="village_cadre") == pks(cadre)
    assert people(reader, group="graduate_official") == pks(graduate, both)
    assert people(reader, group="returnee") == pks(returnee)
    assert people(reader, group="rural_talent") == pks(talent, both)
    assert people(reader, group=["returnee", "rural_talent"]) == pks(returnee, talent, both)
    assert people(reader, group=["village_cadre", "graduate_official"]) == pks(cadre, graduate, both)

    response = reader.get("/api/v1/people/", {"group": "cadre"})
    assert response.status_code == 400 and "group" in errors_by_attr(response)


def test_people_choice_and_boolean_attributes(reader):
    a = person(
        gender="male", education="master", key_university=True, political_status="party_member", ethnicity="tujia"
    )
    b = person(gender="female", education="bachelor", political_status="league_member", ethnicity="han")
    c = person(gender="female", education="doctor", key_university=True, political_status="masses", ethnicity="miao")

    assert people(reader, gender="male") == pks(a)
    assert people(reader, gender="female") == pks(b, c)
    assert people(reader, education="master") == pks(a)
    assert people(reader, education=["master", "doctor"]) == pks(a, c)
    assert people(reader, key_university="true") == pks(a, c)
    assert people(reader, key_university="false") == pks(b)
    assert people(reader, political_status=["party_member", "league_member"]) == pks(a, b)
    assert people(reader, ethnicity="tujia") == pks(a)
    assert people(reader, ethnicity=["han", "miao"]) == pks(b, c)
    for param in ("gender", "education", "political_status", "ethnicity", "key_university"):
        response = reader.get("/api/v1/people/", {param: "nonsense"})
        assert response.status_code == 400 and param in errors_by_attr(response), param


def test_people_text_date_and_record_attributes(reader):
    a = person(
        name="王小明",
        school="湖南大学",
        major="农学",
        phone="13900001111",
        birth_date=dt.date(1988, 3, 1),
        political_status="party_member",
        party_joined_on=dt.date(2010, 7, 1),
    )
    b = person(name="李小红", school="湖南农业大学", major="园艺", birth_date=dt.date(1991, 12, 31))
    c = person(C1, name="王大力", birth_date=dt.date(1975, 5, 5))
    factories.graduate_make(a, batch_year=2010)
    factories.graduate_make(b, batch_year=2012, status="ended")
    RuralTalent.objects.create(person=c, category="skill_leading", title_level="senior", specialties=["油茶", "养蜂"])
    RuralTalent.objects.create(person=b, category="production", specialties=["水稻种植"])

    assert people(reader, name="小") == pks(a, b)
    assert people(reader, id_number=b.id_number) == pks(b)
    assert people(reader, id_number=b.id_number[:17]) == set()
    assert people(reader, phone="13900001111") == pks(a)
    assert people(reader, phone="1390000") == set()
    assert people(reader, school="湖南大学") == pks(a)
    assert people(reader, school="湖南") == pks(a, b)
    assert people(reader, major="园艺") == pks(b)
    assert people(reader, home_division=C1) == pks(c)
    assert people(reader, home_division=T1) == pks(a, b, c)
    assert people(reader, birth_date_after="1988-03-01") == pks(a, b)
    assert people(reader, birth_date_after="1988-03-02") == pks(b)
    assert people(reader, birth_date_before="1988-03-01") == pks(a, c)
    assert people(reader, party_joined_after="2010-07-01") == pks(a)
    assert people(reader, party_joined_before="2010-06-30") == set()
    assert people(reader, batch_year=2012) == pks(b)
    assert people(reader, batch_year=2010) == pks(a)
    assert people(reader, graduate_status="ended") == pks(b)
    assert people(reader, talent_category="skill_leading") == pks(c)
    assert people(reader, title_level="senior") == pks(c)
    assert people(reader, specialty="油茶") == pks(c)
    assert people(reader, specialty="水稻种植") == pks(b)
    assert people(reader, specialty="水稻") == set()  # one whole specialty, not a substring

    Person.objects.filter(pk=c.pk).update(
        created_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC), updated_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    )
    assert people(reader, created_after="2002-01-01T00:00:00Z") == pks(a, b)
    assert people(reader, updated_after="2000-12-31T00:00:00Z") == pks(a, b, c)


def test_people_returnee_attributes(reader):
    from_shenzhen, from_shanghai, not_returned = person(), person(), person()
    Returnee.objects.create(person=from_shenzhen, previous_city="深圳市", returned_on=dt.date(2013, 2, 1))
    Returnee.objects.create(person=from_shanghai, previous_city="上海", returned_on=dt.date(2014, 1, 31))

    assert people(reader, previous_city="深圳") == pks(from_shenzhen)
    assert people(reader, returned_after="2013-02-01") == pks(from_shenzhen, from_shanghai)
    assert people(reader, returned_after="2013-02-02") == pks(from_shanghai)
    assert people(reader, returned_before="2013-02-01") == pks(from_shenzhen)
    assert not_returned.pk not in people(reader, returned_before="2030-01-01")


def test_boolean_filters_accept_true_and_false_only(reader):
    key, plain = person(key_university=True), person(key_university=False)
    for value, expected in [("true", key), ("True", key), ("1", key), ("false", plain), ("0", plain)]:
        assert people(reader, key_university=value) == pks(expected), value
    for bad in ("yes", "2", "unknown"):
        response = reader.get("/api/v1/people/", {"key_university": bad})
        assert response.status_code == 400 and "key_university" in errors_by_attr(response), bad
    response = reader.get("/api/v1/posts/", {"is_open": "maybe"})
    assert response.status_code == 400 and "is_open" in errors_by_attr(response)


def test_people_mobility_channel_any_of(reader):
    to_civil, to_study, to_both, stayed = person(), person(), person(), person()
    for who, channel, day in [
        (to_civil, "civil_service", "2015-08-01"),
        (to_study, "further_study", "2014-09-01"),
        (to_both, "further_study", "2013-09-01"),
        (to_both, "civil_service", "2016-08-01"),
    ]:
        MobilityEvent.objects.create(person=who, channel=channel, date=dt.date.fromisoformat(day))

    assert people(reader, mobility_channel="civil_service") == pks(to_civil, to_both)
    assert people(reader, mobility_channel=["civil_service", "further_study"]) == pks(to_civil, to_study, to_both)
    assert people(reader, mobility_channel="self_employed") == set()
    assert stayed.pk not in people(reader, mobility_channel=["civil_service", "further_study"])


# --- People: age ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "age_born_1990_06_15", "age_born_1992_02_29"),
    [
        ("2020-06-14", 29, 28),
        ("2020-06-15", 30, 28),
        ("2020-02-28", 29, 27),
        ("2020-02-29", 29, 28),
        ("2021-02-28", 30, 28),  # common year: a 29 Feb birthday falls on 1 Mar
        ("2021-03-01", 30, 29),
        ("2024-02-28", 33, 31),
        ("2024-02-29", 33, 32),
    ],
)
def test_age_is_exact_to_the_day(reader, as_of, age_born_1990_06_15, age_born_1992_02_29):
    june = person(birth_date=dt.date(1990, 6, 15))
    leap = person(birth_date=dt.date(1992, 2, 29))
    for who, age in ((june, age_born_1990_06_15), (leap, age_born_1992_02_29)):
        assert who.pk in people(reader, as_of=as_of, age_min=age)
        assert who.pk not in people(reader, as_of=as_of, age_min=age + 1)
        assert who.pk in people(reader, as_of=as_of, age_max=age)
        assert who.pk not in people(reader, as_of=as_of, age_max=age - 1)
        assert who.pk in people(reader, as_of=as_of, age_min=age, age_max=age)


def test_age_around_a_leap_day_in_a_common_year(reader):
    feb28, feb29, mar01 = (person(birth_date=dt.date(1992, m, d)) for m, d in ((2, 28), (2, 29), (3, 1)))
    assert people(reader, as_of="2021-02-27", age_min=29) == set()
    assert people(reader, as_of="2021-02-28", age_min=29) == pks(feb28)
    assert people(reader, as_of="2021-02-28", age_max=28) == pks(feb29, mar01)
    assert people(reader, as_of="2021-03-01", age_min=29) == pks(feb28, feb29, mar01)
    # A leap year: the 29 Feb birthday is on the day itself.
    assert people(reader, as_of="2024-02-29", age_min=32) == pks(feb28, feb29)
    assert people(reader, as_of="2024-02-29", age_min=32, age_max=32) == pks(feb28, feb29)
    assert people(reader, as_of="2024-02-29", age_max=31) == pks(mar01)


def test_age_defaults_to_today(reader):
    today = dt.date.today()
    forty_today = person(birth_date=latest_birth_date_for_age(today, 40))
    forty_tomorrow = person(birth_date=latest_birth_date_for_age(today, 40) + dt.timedelta(days=1))
    assert age_on(forty_today.birth_date, today) == 40 and age_on(forty_tomorrow.birth_date, today) == 39
    assert people(reader, age_min=40) == pks(forty_today)
    assert people(reader, age_max=39) == pks(forty_tomorrow)
    assert people(reader, age_min=39, age_max=40) == pks(forty_today, forty_tomorrow)


def test_bad_age_parameters_are_400_naming_the_parameter(reader):
    for param, value in [
        ("age_min", "-1"),
        ("age_min", "abc"),
        ("age_min", "30.5"),
        ("age_min", "3000"),
        ("age_max", "-1"),
        ("age_max", "3000"),
        ("as_of", "2020-13-01"),
    ]:
        response = reader.get("/api/v1/people/", {"as_of": "2020-01-01", param: value})
        assert response.status_code == 400, (param, value, response.content)
        assert param in errors_by_attr(response), (param, value)


def test_ages_at_the_edge_of_the_calendar(reader):
    """The oldest age allowed on the earliest dates: nobody, or everybody, never a 500."""
    someone = person(birth_date=dt.date(1990, 1, 1))
    assert people(reader, as_of="0100-01-01", age_min=150) == set()
    assert people(reader, as_of="0100-01-01", age_max=150) == pks(someone)


def _reference_age(birth: dt.date, day: dt.date) -> int:
    """Age by comparing (month, day) pairs, independently of talent.dates."""
    birthday = (birth.month, birth.day)
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    if birthday == (2, 29) and not leap:
        birthday = (3, 1)
    return day.year - birth.year - ((day.month, day.day) < birthday)


def _days(start: dt.date, end: dt.date, step: int = 1):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=step)


def test_age_on_agrees_with_a_reference_over_many_dates():
    births = list(_days(dt.date(1999, 1, 1), dt.date(2004, 12, 31)))
    feb_mar = [dt.date(y, m, d) for y in range(2019, 2029) for m, d in ((2, 27), (2, 28), (3, 1))]
    feb_mar += [dt.date(y, 2, 29) for y in (2020, 2024, 2028)]
    days = feb_mar + list(_days(dt.date(2004, 12, 1), dt.date(2030, 12, 31), step=61))
    for birth, day in itertools.product(births, days):
        assert age_on(birth, day) == _reference_age(birth, day), (birth, day)


def test_latest_birth_date_for_age_is_exact_over_many_dates():
    """For every day of eight years (two leap days) and a range of ages: someone born on the
    returned date is at least that age, someone born a day later is not."""
    one = dt.timedelta(days=1)
    for day in _days(dt.date(2019, 1, 1), dt.date(2026, 12, 31)):
        for age in (0, 1, 3, 4, 17, 18, 35, 40, 60, 100):
            latest = latest_birth_date_for_age(day, age)
            assert _reference_age(latest, day) >= age, (day, age, latest)
            assert _reference_age(latest + one, day) < age, (day, age, latest)
            assert age_on(latest, day) >= age > age_on(latest + one, day)


def test_anniversary_of_a_leap_day():
    assert anniversary(dt.date(1992, 2, 29), 29) == dt.date(2021, 3, 1)
    assert anniversary(dt.date(1992, 2, 29), 32) == dt.date(2024, 2, 29)


# --- People: posts held --------------------------------------------------------------------


def test_people_role_and_role_class_ever_and_on_a_day(reader):
    v1 = village(V1)
    secretary, director, assistant, deputy, both, plain = (person() for _ in range(6))
    factories.post_make(person=secretary, village=v1, role="party_secretary", start="2012-01-01", end="2014-12-31")
    factories.post_make(person=director, village=v1, role="committee_director", start="2015-01-01")
    factories.post_make(person=assistant, village=v1, role="secretary_assistant", start="2010-08-01", end="2012-07-31")
    factories.post_make(person=deputy, village=v1, role="party_deputy_secretary", start="2014-01-01")
    factories.post_make(person=both, village=v1, role="party_secretary", start="2015-01-01")
    factories.post_make(person=both, village=v1, role="committee_member", start="2011-01-01", end="2013-12-31")

    assert people(reader, role="party_secretary") == pks(secretary, both)
    assert people(reader, role=["party_secretary", "committee_director"]) == pks(secretary, director, both)
    assert people(reader, role_class="chief") == pks(secretary, director, both)
    assert people(reader, role_class="deputy") == pks(deputy)
    assert people(reader, role_class=["deputy", "assistant"]) == pks(deputy, assistant)
    assert people(reader, role_class="member") == pks(both)
    assert plain.pk not in people(reader, role_class=["chief", "deputy", "member", "assistant"])

    # Held that day: inclusive ends, open posts run on.
    assert people(reader, role="party_secretary", on="2011-12-31") == set()
    assert people(reader, role="party_secretary", on="2012-01-01") == pks(secretary)
    assert people(reader, role="party_secretary", on="2014-12-31") == pks(secretary)
    assert people(reader, role="party_secretary", on="2015-01-01") == pks(both)
    assert people(reader, role_class="chief", on="2030-06-01") == pks(director, both)
    assert people(reader, role_class="member", on="2013-12-31") == pks(both)
    assert people(reader, role_class="member", on="2014-01-01") == set()
    assert people(reader, role_class="assistant", on="2012-07-31") == pks(assistant)
    assert people(reader, role_class=["chief", "deputy"], on="2014-06-30") == pks(secretary, deputy)

    for params in ({"role": "chairman"}, {"role_class": "boss"}, {"role": "party_secretary", "on": "2014-02-30"}):
        response = reader.get("/api/v1/people/", params)
        assert response.status_code == 400, params
        assert set(errors_by_attr(response)) & set(params), params


def test_the_post_condition_is_the_posts_queryset_it_replaced(tree, client_for):
    """``PersonFilterSet._filter_posts`` (SQL) selects, for readers of every reach, whom the
    queryset it replaced selects: an ``Exists`` of the posts visible to the reader, of the
    roles and classes, held on the day."""
    import random

    from django.db.models import Exists, OuterRef

    from api.filtersets import PersonFilterSet
    from talent.models import Post

    rng = random.Random(7)
    villages = [village(code) for code in (V1, V2, VB, V111)]
    roles = ["party_secretary", "committee_director", "party_deputy_secretary", "committee_member",
             "secretary_assistant"]  # fmt: skip
    everyone = [person(home=rng.choice([V1, VB, None])) for _ in range(24)]
    for someone in everyone:
        for n, role in enumerate(rng.sample(roles, rng.randint(0, 3))):
            start = dt.date(2008 + rng.randint(0, 6), rng.randint(1, 12), 1)
            end = None if rng.random() < 0.4 else start + dt.timedelta(days=rng.randint(0, 1500))
            factories.post_make(person=someone, village=villages[(n + someone.pk) % 4], role=role, start=start, end=end)

    def reference(data, user):
        posts = Post.objects.visible_to(user).filter(person=OuterRef("pk"))
        if data.get("role"):
            posts = posts.filter(role__in=data["role"])
        if data.get("role_class"):
            posts = posts.filter(role_class__in=data["role_class"])
        if data.get("on"):
            posts = posts.active_on(data["on"])
        return set(Person.objects.filter(Exists(posts)).values_list("pk", flat=True))

    readers = [client_for("viewer", code).user for code in (PROVINCE, CITY, COUNTY_A, COUNTY_B, T1)]
    days = [None, dt.date(2009, 6, 30), dt.date(2012, 1, 1), dt.date(2015, 6, 30), dt.date(2030, 1, 1)]
    checked = 0
    for user in readers:
        for role_set, classes, on in itertools.product(
            [None, ["party_secretary"], ["committee_director", "committee_member"]],
            [None, ["chief"], ["deputy", "assistant"]],
            days,
        ):
            data = {k: v for k, v in (("role", role_set), ("role_class", classes), ("on", on)) if v}
            if not data:
                continue
            got = set(PersonFilterSet._filter_posts(Person.objects.all(), data, user).values_list("pk", flat=True))
            assert got == reference(data, user), (user.staff.jurisdiction_id, data)
            checked += bool(got)
    assert checked > 40  # most combinations select somebody
    # No staff account: nobody.
    assert not PersonFilterSet._filter_posts(Person.objects.all(), {"role": ["party_secretary"]}, None).exists()


# --- People: search and ordering -----------------------------------------------------------


def _id_number_ending_in_x(birth_date: dt.date) -> str:
    for sequence in range(500):
        number = identity.make_id_number("430104", birth_date, sequence, gender="female")
        if number.endswith("X") and not Person.objects.filter(id_number=number).exists():
            return number
    raise AssertionError("no ID number with an X check character")  # pragma: no cover


def test_people_q_searches_name_full_id_number_and_specialty(reader):
    birth = dt.date(1987, 7, 7)
    with_x = person(name="赵小兰", gender="female", birth_date=birth, id_number=_id_number_ending_in_x(birth))
    grower = person(name="钱多多")
    RuralTalent.objects.create(person=grower, category="production", specialties=["油茶", "水稻种植"])
    other = person(name="孙小兰")

    assert people(reader, q="小兰") == pks(with_x, other)
    assert people(reader, q="  赵小兰 ") == pks(with_x)
    assert people(reader, q=with_x.id_number) == pks(with_x)
    assert people(reader, q=with_x.id_number.lower()) == pks(with_x)
    assert people(reader, id_number=with_x.id_number.lower()) == pks(with_x)
    # Only the whole number finds anyone: no guessing by prefix.
    assert people(reader, q=with_x.id_number[:14]) == set()
    assert people(reader, q="油茶") == pks(grower)
    assert people(reader, q="水稻") == set()


def test_people_ordering(reader):
    rows = [
        person(name="bob", birth_date=dt.date(1990, 1, 1)),
        person(name="anna", birth_date=dt.date(1985, 1, 1)),
        person(name="carl", birth_date=dt.date(1995, 1, 1)),
        person(name="bob", birth_date=dt.date(1980, 1, 1)),
    ]
    bob1, anna, carl, bob2 = (p.pk for p in rows)

    assert listed(reader, "people") == [bob1, anna, carl, bob2]
    assert listed(reader, "people", {"ordering": "id"}) == [bob1, anna, carl, bob2]
    assert listed(reader, "people", {"ordering": "-id"}) == [bob2, carl, anna, bob1]
    # Equal names come in id order, so that pages never overlap or skip.
    assert listed(reader, "people", {"ordering": "name"}) == [anna, bob1, bob2, carl]
    assert listed(reader, "people", {"ordering": "-name"}) == [carl, bob1, bob2, anna]
    assert listed(reader, "people", {"ordering": "birth_date"}) == [bob2, anna, bob1, carl]
    assert listed(reader, "people", {"ordering": "-birth_date"}) == [carl, bob1, anna, bob2]
    assert listed(reader, "people", {"ordering": "name,-birth_date"}) == [anna, bob1, bob2, carl]
    assert listed(reader, "people", {"ordering": "name,birth_date"}) == [anna, bob2, bob1, carl]
    walked = [
        reader.get("/api/v1/people/", {"ordering": "name", "page_size": 1, "page": n}).json()["results"][0]["id"]
        for n in range(1, 5)
    ]
    assert walked == [anna, bob1, bob2, carl]

    response = reader.get("/api/v1/people/", {"ordering": "id_number"})
    assert response.status_code == 400 and "ordering" in errors_by_attr(response)


# --- Posts ---------------------------------------------------------------------------------


def test_post_filters(reader):
    p1, p2 = person(V1), person(V2)
    a = factories.post_make(
        person=p1,
        village=village(V1),
        role="party_secretary",
        start="2012-01-01",
        end="2014-12-31",
        end_reason="term_ended",
    )
    b = factories.post_make(person=p1, village=village(V1), role="committee_director", start="2015-01-01")
    c = factories.post_make(
        person=p2,
        village=village(V2),
        role="committee_member",
        start="2013-01-01",
        end="2013-12-31",
        end_reason="resigned",
    )
    d = factories.post_make(person=p2, village=village(C1), role="secretary_assistant", start="2016-01-01")

    def posts(**params):
        return found(reader, "posts", **params)

    assert posts() == pks(a, b, c, d)
    assert posts(person=p1.pk) == pks(a, b)
    assert posts(within=T1) == pks(a, b, d)
    assert posts(within=T2) == pks(c)
    assert posts(within=V1) == pks(a, b)
    assert posts(within=COUNTY_B) == set()
    assert posts(village=C1) == pks(d)
    assert posts(role="party_secretary") == pks(a)
    assert posts(role=["committee_member", "secretary_assistant"]) == pks(c, d)
    assert posts(role_class="chief") == pks(a, b)
    assert posts(role_class=["member", "assistant"]) == pks(c, d)
    assert posts(active_on="2011-12-31") == set()
    assert posts(active_on="2012-01-01") == pks(a)
    assert posts(active_on="2013-06-01") == pks(a, c)
    assert posts(active_on="2014-12-31") == pks(a)
    assert posts(active_on="2015-01-01") == pks(b)
    assert posts(active_on="2030-01-01") == pks(b, d)
    assert posts(is_open="true") == pks(b, d)
    assert posts(is_open="false") == pks(a, c)
    assert posts(start="2015-01-01") == pks(b)
    assert posts(start_after="2013-01-01") == pks(b, c, d)
    assert posts(start_before="2013-01-01") == pks(a, c)
    assert posts(start_after="2013-01-01", start_before="2015-01-01") == pks(b, c)
    assert posts(end="2014-12-31") == pks(a)
    assert posts(end_after="2014-01-01") == pks(a)
    assert posts(end_before="2013-12-31") == pks(c)
    assert posts(end_reason="resigned") == pks(c)
    assert posts(end_reason=["term_ended", "resigned"]) == pks(a, c)


# --- Service terms -------------------------------------------------------------------------


def test_service_term_filters(reader):
    g1, g2 = person(V1), person(V2)
    factories.graduate_make(
        g1, batch_year=2010, terms=[("2010-08-01", "2013-07-31"), ("2013-08-01", None)], village=village(V1)
    )
    factories.graduate_make(
        g2, batch_year=2012, selected_on=dt.date(2012, 8, 1), terms=[("2012-08-01", "2015-07-31")], village=village(V2)
    )
    t1, t2 = g1.service_terms.order_by("start")
    (t3,) = g2.service_terms.all()

    def terms(**params):
        return found(reader, "service-terms", **params)

    assert terms() == pks(t1, t2, t3)
    assert terms(person=g1.pk) == pks(t1, t2)
    assert terms(within=T1) == pks(t1, t2)
    assert terms(within=T2) == pks(t3)
    assert terms(village=V2) == pks(t3)
    assert terms(active_on="2010-07-31") == set()
    assert terms(active_on="2013-07-31") == pks(t1, t3)
    assert terms(active_on="2013-08-01") == pks(t2, t3)
    assert terms(active_on="2015-07-31") == pks(t2, t3)
    assert terms(active_on="2015-08-01") == pks(t2)
    assert terms(term_number=2) == pks(t2)
    assert terms(term_number=1) == pks(t1, t3)
    assert terms(batch_year=2012) == pks(t3)
    assert terms(batch_year=2010) == pks(t1, t2)
    assert terms(is_open="true") == pks(t2)
    assert terms(start_after="2012-08-01") == pks(t2, t3)
    assert terms(end_before="2013-07-31") == pks(t1)


# --- Assessments and trainings -------------------------------------------------------------


def test_assessment_filters(reader):
    p1, p2 = person(V1), person(V2)
    a = factories.assessment_make(person=p1, year=2011, grade="excellent")
    b = factories.assessment_make(person=p1, year=2012, grade="competent")
    c = factories.assessment_make(person=p1, year=2013, kind="term", grade="basic")
    d = factories.assessment_make(person=p2, year=2012, grade="incompetent")

    def assessments(**params):
        return found(reader, "assessments", **params)

    assert assessments(person=p1.pk) == pks(a, b, c)
    assert assessments(within=T2) == pks(d)
    assert assessments(year=2012) == pks(b, d)
    assert assessments(year_min=2012) == pks(b, c, d)
    assert assessments(year_max=2012) == pks(a, b, d)
    assert assessments(year_min=2012, year_max=2012) == pks(b, d)
    assert assessments(kind="term") == pks(c)
    assert assessments(kind="annual") == pks(a, b, d)
    assert assessments(grade=["excellent", "basic"]) == pks(a, c)
    assert assessments(grade="incompetent", person=p2.pk) == pks(d)
    response = reader.get("/api/v1/assessments/", {"grade": "合格"})
    assert response.status_code == 400 and "grade" in errors_by_attr(response)


def test_training_filters(reader):
    p1, p2 = person(V1), person(V2)
    t1 = factories.training_make(person=p1, title="村干部培训班", start="2013-03-01", end="2013-03-05", mode="on_site")
    t2 = factories.training_make(person=p1, title="农村电商远程培训", start="2014-05-01", end=None, mode="remote")
    t3 = factories.training_make(person=p2, title="党务知识培训", start="2013-03-05", end="2013-03-05", mode="remote")

    def trainings(**params):
        return found(reader, "trainings", **params)

    assert trainings(mode="remote") == pks(t2, t3)
    assert trainings(mode=["remote", "on_site"]) == pks(t1, t2, t3)
    assert trainings(active_on="2013-03-01") == pks(t1)
    assert trainings(active_on="2013-03-05") == pks(t1, t3)
    assert trainings(active_on="2013-03-06") == set()
    assert trainings(active_on="2030-01-01") == pks(t2)
    assert trainings(title="电商") == pks(t2)
    assert trainings(title="培训") == pks(t1, t2, t3)
    assert trainings(person=p2.pk) == pks(t3)
    assert trainings(within=T1) == pks(t1, t2)


# --- Ventures ------------------------------------------------------------------------------


def test_venture_filters(reader):
    p1, p2, p3 = person(V1), person(V1), person(VB)
    v1 = factories.venture_make(
        founders=[p1, p2], division=village(V1), industry="planting", founded_on=dt.date(2012, 5, 1)
    )
    v2 = factories.venture_make(
        founders=[p1], division=village(V2), industry="e_commerce", founded_on=dt.date(2014, 1, 1)
    )
    v3 = factories.venture_make(
        founders=[p3], division=village(VB), industry="tourism", founded_on=dt.date(2013, 6, 30)
    )

    def ventures(**params):
        return found(reader, "ventures", **params)  # found() also fails on a duplicate row

    assert ventures(within=T1) == pks(v1)
    assert ventures(within=COUNTY_A) == pks(v1, v2)
    assert ventures(within=COUNTY_B) == pks(v3)
    assert ventures(division=V2) == pks(v2)
    assert ventures(industry=["planting", "tourism"]) == pks(v1, v3)
    assert listed(reader, "ventures", {"founder": p1.pk}) == [v1.pk, v2.pk]
    assert listed(reader, "ventures", {"founder": p2.pk}) == [v1.pk]
    assert ventures(founder=p1.pk, within=T1) == pks(v1)
    assert ventures(founded_after="2013-06-30") == pks(v2, v3)
    assert ventures(founded_before="2013-06-30") == pks(v1, v3)
    assert ventures(founded_after="2012-05-02", founded_before="2013-12-31") == pks(v3)
    # The founders of a venture are listed once each, whatever the filter.
    rows = reader.get("/api/v1/ventures/", {"founder": p1.pk}).json()["results"]
    assert sorted(rows[0]["founders"]) == sorted([p1.pk, p2.pk])


# --- Mobility events -----------------------------------------------------------------------


def test_mobility_event_filters(reader):
    p1, p2, p3 = person(V1), person(V1), person(V2)
    m1 = MobilityEvent.objects.create(
        person=p1, date=dt.date(2015, 8, 1), channel="civil_service", destination_division=village(T1)
    )
    m2 = MobilityEvent.objects.create(
        person=p2,
        date=dt.date(2016, 9, 1),
        channel="public_institution",
        destination_division=village(V2),
        cadre_level="township_deputy",
    )
    m3 = MobilityEvent.objects.create(person=p3, date=dt.date(2017, 1, 1), channel="self_employed")

    def events(**params):
        return found(reader, "mobility-events", **params)

    assert events(channel=["civil_service", "self_employed"]) == pks(m1, m3)
    assert events(cadre_level="township_deputy") == pks(m2)
    assert events(date_after="2016-09-01") == pks(m2, m3)
    assert events(date_before="2016-09-01") == pks(m1, m2)
    assert events(destination_division=COUNTY_A) == pks(m1, m2)
    assert events(destination_division=T2) == pks(m2)
    assert events(destination_division=T1) == pks(m1)
    assert events(person=p3.pk) == pks(m3)
    assert events(within=T2) == pks(m3)


# --- Divisions -----------------------------------------------------------------------------


def test_division_filters(reader):
    def divisions(**params):
        return found(reader, "divisions", **params)

    assert divisions(level="village") == {V1, C1, V2, VB, V111}
    assert divisions(level=["province", "city"]) == {PROVINCE, CITY}
    assert divisions(parent=T1) == {V1, C1}
    assert divisions(parent=PROVINCE) == {CITY}
    assert divisions(within=T1) == {T1, V1, C1}
    assert divisions(within=COUNTY_A) == {COUNTY_A, T1, V1, C1, T2, V2}
    assert divisions(within="430110000000") == set()
    assert divisions(q="430104100") == {T1, V1, C1}
    assert divisions(q="4301041") == {T1, V1, C1, T2, V2}
    assert divisions(q="莲花") == {T1, C1}
    assert divisions(q="雨敞坪村") == {V2}
    assert divisions(kind="community") == {C1}
    assert divisions(name="镇") == {T1, T2, TB, "430111100000"}
    assert divisions(code=V1) == {V1}
    response = reader.get("/api/v1/divisions/", {"level": "town"})
    assert response.status_code == 400 and "level" in errors_by_attr(response)


# --- Staff accounts ------------------------------------------------------------------------


def test_staff_account_filters(tree, client_for):
    from talent import rules

    admin = client_for("admin", PROVINCE)
    accounts = {
        name: rules.staff_account_save(username=name, jurisdiction=tree[code], role=role, personal_data=personal_data)
        for name, code, role, personal_data in [
            ("county_a_editor", COUNTY_A, "editor", False),
            ("township_viewer", T1, "viewer", True),
            ("county_b_admin", COUNTY_B, "admin", True),
        ]
    }
    a_editor, t_viewer, b_admin = (accounts[n] for n in ("county_a_editor", "township_viewer", "county_b_admin"))

    def staff(**params):
        return found(admin, "staff-accounts", **params)

    assert staff(within=COUNTY_A) == pks(a_editor, t_viewer)
    assert staff(jurisdiction=COUNTY_B) == pks(b_admin)
    assert staff(role="viewer") == pks(t_viewer)
    assert staff(role=["editor", "viewer"]) == pks(a_editor, t_viewer)
    assert staff(personal_data="true", within=CITY) == pks(t_viewer, b_admin)
    assert staff(username="county") == pks(a_editor, b_admin)


# --- Binding only the filters a request names (api.filtersets.FilterSet) -------------------

NAMED_QUERIES = [
    "name=张",
    f"within={COUNTY_A}&group=village_cadre&role=party_secretary&on=2015-06-30",
    "group=returnee&group=rural_talent&gender=female&ethnicity=han",
    "age_min=30&age_max=50&as_of=2015-01-01",
    "birth_date_after=1980-01-01&birth_date_before=1990-12-31&ordering=-name",
    "role_class=chief&key_university=true&education=bachelor",
    f"q=桐木&home_division={CITY}&mobility_channel=civil_service",
    "batch_year=2010&graduate_status=serving&talent_category=production&created_after=2020-01-01T00:00:00Z",
    # invalid values: the same errors whichever filters are bound
    "age_min=-1&on=yesterday&within=4301&key_university=maybe&gender=x",
]


@pytest.mark.parametrize("query", NAMED_QUERIES)
def test_binding_only_the_named_filters_changes_nothing(db, query):
    """The same query (or the same errors) as with every filter bound, from fewer filters."""
    from django.http import QueryDict

    from api.filtersets import PersonFilterSet

    data = QueryDict(query)
    named = PersonFilterSet(data, queryset=Person.objects.all(), named_only=True)
    every = PersonFilterSet(data, queryset=Person.objects.all())
    assert len(named.filters) < len(every.filters) == len(PersonFilterSet.base_filters)
    assert named.is_valid() == every.is_valid()
    if named.is_valid():
        assert str(named.qs.query) == str(every.qs.query)
    else:
        assert named.errors == every.errors


def test_a_parameter_or_its_suffixed_form_names_a_filter(db):
    from django.http import QueryDict

    from api.filtersets import PersonFilterSet

    data = QueryDict("role=party_secretary&birth_date_after=1980-01-01&page=2&on=2015-06-30")
    bound = PersonFilterSet(data, queryset=Person.objects.all(), named_only=True)
    assert set(bound.filters) == {"role", "birth_date_after", "on"}


def test_the_browsable_filter_form_offers_every_filter(reader):
    from api.filtersets import PersonFilterSet

    response = reader.get("/api/v1/people/", {"name": "张"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    missing = [name for name in PersonFilterSet.base_filters if f'name="{name}"' not in page]
    assert not missing
