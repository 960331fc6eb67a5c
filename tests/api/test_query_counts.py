"""No N+1: every list endpoint runs as many queries for a page of 100 as for a page of 1, over
a county with more than 100 rows of every kind (group records, posts, terms, founders…)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from talent.models import (
    Assessment,
    Division,
    GraduateOfficial,
    MobilityEvent,
    Person,
    Post,
    Returnee,
    RuralTalent,
    ServiceTerm,
    StaffAccount,
    Training,
    Venture,
    VentureFounder,
)
from tests import factories

COUNTY = "430104000000"
TOWNSHIP = "430104100000"
N = 120

LIST_ENDPOINTS = [
    "divisions",
    "people",
    "posts",
    "service-terms",
    "assessments",
    "trainings",
    "ventures",
    "mobility-events",
    "staff-accounts",
]


def _village(n: int) -> Division:
    return Division(
        code=f"{TOWNSHIP[:9]}{200 + n:03d}",
        name=f"第{n}村",
        level="village",
        parent_id=TOWNSHIP,
        kind="village",
        urban_rural_class="220",
    )


@pytest.fixture
def crowd(db):
    """N villages and N people in one county; every person in every group, with two posts in
    two villages, two service terms, two assessments, a training, a mobility event and a
    venture founded with a neighbour. N staff accounts too."""
    for code in ("430000000000", "430100000000", COUNTY, TOWNSHIP):
        factories.division_get_or_make(code)
    villages = Division.objects.bulk_create([_village(n) for n in range(N)])
    people = Person.objects.bulk_create(
        [factories.person_build(home_division=villages[n], phone=f"138{n:08d}") for n in range(N)]
    )
    start = dt.date(2010, 8, 1)
    GraduateOfficial.objects.bulk_create(
        [GraduateOfficial(person=p, batch_year=2010, selected_on=start) for p in people]
    )
    Returnee.objects.bulk_create([Returnee(person=p, previous_city="深圳", returned_on=start) for p in people])
    RuralTalent.objects.bulk_create(
        [RuralTalent(person=p, category="production", specialties=["油茶", "水稻"]) for p in people]
    )
    ServiceTerm.objects.bulk_create(
        [
            ServiceTerm(person=p, village=villages[n], term_number=k + 1, start=s, end=e)
            for n, p in enumerate(people)
            for k, (s, e) in enumerate([(start, dt.date(2013, 7, 31)), (dt.date(2013, 8, 1), None)])
        ]
    )
    Post.objects.bulk_create(
        [
            post
            for n, p in enumerate(people)
            for post in (
                Post(person=p, village=villages[n], role="secretary_assistant", start=start, end=dt.date(2012, 12, 31)),
                Post(person=p, village=villages[(n + 1) % N], role="party_secretary", start=dt.date(2013, 1, 1)),
            )
        ]
    )
    Assessment.objects.bulk_create(
        [Assessment(person=p, year=year, grade="competent") for p in people for year in (2011, 2012)]
    )
    Training.objects.bulk_create(
        [Training(person=p, title="村干部培训班", start=start, end=start, hours=Decimal("8.0")) for p in people]
    )
    MobilityEvent.objects.bulk_create(
        [
            MobilityEvent(person=p, date=dt.date(2016, 8, 1), channel="civil_service", destination_division=villages[n])
            for n, p in enumerate(people)
        ]
    )
    ventures = Venture.objects.bulk_create(
        [Venture(name=f"项目{n}", industry="planting", division=villages[n], founded_on=start) for n in range(N)]
    )
    VentureFounder.objects.bulk_create(
        [VentureFounder(venture=v, person=p) for n, v in enumerate(ventures) for p in (people[n], people[(n + 1) % N])]
    )
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"crowd{n}", is_staff=True) for n in range(N)]
    )
    StaffAccount.objects.bulk_create(
        [StaffAccount(user=u, jurisdiction=villages[n], role="viewer") for n, u in enumerate(users)]
    )
    return {"people": people, "villages": villages}


@pytest.fixture
def admin(crowd, client_for):
    client = client_for("admin", COUNTY)
    assert client.get("/api/v1/people/").status_code == 200  # warm up: first-request caches
    return client


def _count(client, url: str, params: dict | None = None) -> tuple[int, list[str], dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), [q["sql"] for q in queries.captured_queries], response.json()


def _growth(client, url: str, params: dict) -> str | None:
    """None when a page of 100 runs as many queries as a page of 1; otherwise the report."""
    one, _, small = _count(client, url, {**params, "page_size": 1})
    many, sql, large = _count(client, url, {**params, "page_size": 100})
    assert len(small["results"]) == 1 and len(large["results"]) == 100, (url, params)
    if many == one:
        return None
    return f"{url} {params}: {one} queries for 1 row, {many} for 100:\n" + "\n".join(sql)


def test_list_queries_do_not_grow_with_the_page(admin):
    reports = [
        _growth(admin, f"/api/v1/{path}/", mode) for path in LIST_ENDPOINTS for mode in ({}, {"pagination": "cursor"})
    ]
    assert not [r for r in reports if r], "\n\n".join(r for r in reports if r)


PEOPLE_FILTERS = [
    {"within": TOWNSHIP, "group": ["village_cadre", "returnee"]},
    {"role_class": "chief", "on": "2020-01-01", "age_min": 18, "ordering": "-name"},
    {"q": "油茶", "mobility_channel": "civil_service", "batch_year": 2010},
    {"pagination": "cursor", "home_division": TOWNSHIP, "talent_category": "production"},
]


def test_filtered_people_queries_do_not_grow_with_the_page(admin):
    reports = [_growth(admin, "/api/v1/people/", params) for params in PEOPLE_FILTERS]
    assert not [r for r in reports if r], "\n\n".join(r for r in reports if r)


def test_ventures_filtered_by_founder_do_not_grow(admin, crowd):
    founder = crowd["people"][5]
    count, sql, body = _count(admin, "/api/v1/ventures/", {"founder": founder.pk})
    assert len(body["results"]) == 2 and all(len(row["founders"]) == 2 for row in body["results"])
    one, _, _ = _count(admin, "/api/v1/ventures/", {"founder": founder.pk, "page_size": 1})
    assert count == one, "\n".join(sql)


def test_person_detail_queries_do_not_grow_with_posts(admin, crowd):
    few, many = crowd["people"][0], crowd["people"][1]
    villages = crowd["villages"]
    Post.objects.bulk_create(
        [Post(person=many, village=villages[n], role="committee_member", start=dt.date(2014, 1, 1)) for n in range(30)]
    )
    baseline, first, body_few = _count(admin, f"/api/v1/people/{few.pk}/")
    count, sql, body_many = _count(admin, f"/api/v1/people/{many.pk}/")
    assert len(body_few["current_posts"]) == 1 and len(body_many["current_posts"]) == 31
    assert body_many["groups"] == ["village_cadre", "graduate_official", "returnee", "rural_talent"]
    assert count == baseline, "\n".join(sql)
    # In one query, the person with the group records and the row versions (the ETag) and the
    # posts with their villages: the token with its user and staff account was read by the
    # warm-up request and is kept (api.authentication). Nothing else, and no SET or transaction
    # for the history context on a read.
    assert baseline == 1, "\n".join(first)
