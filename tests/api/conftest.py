"""API fixtures: two sibling counties (岳麓区 and 开福区 under 长沙市), each with people and
every kind of record, and staff clients of each role in either county."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from talent.models import Division, MobilityEvent, Person, Post, ServiceTerm, Venture
from tests import factories

COUNTY_A = "430104000000"  # 岳麓区
COUNTY_B = "430105000000"  # 开福区
CITY = "430100000000"


@dataclass
class County:
    code: str
    township: Division
    village: Division
    community: Division
    person: Person  # a graduate official and village cadre, with every kind of record
    other: Person  # a second person, home in the county, no posts
    post: Post
    term: ServiceTerm
    venture: Venture
    mobility: MobilityEvent
    records: dict = field(default_factory=dict)


def _county(code: str, name: str, township_code: str, n: int) -> County:
    factories.division_get_or_make(code, name=name)
    township = factories.division_get_or_make(township_code, name=f"{name}镇")
    village = factories.division_get_or_make(township_code[:9] + "201", name=f"{name}村")
    community = factories.division_get_or_make(township_code[:9] + "001", name=f"{name}社区")
    person = factories.person_make(
        name=f"张{name}", home_division=village, phone=f"1381234{n:04d}", birth_date=dt.date(1986, 5, 4)
    )
    factories.graduate_make(person, terms=[("2010-08-01", "2013-07-31"), ("2013-08-01", None)], village=village)
    post = factories.post_make(person=person, village=village, role="secretary_assistant", start="2010-08-01")
    assessment = factories.assessment_make(person=person, year=2012)
    training = factories.training_make(person=person)
    venture = factories.venture_make(founders=[person], division=village)
    mobility = MobilityEvent.objects.create(person=person, date=dt.date(2016, 8, 1), channel="civil_service")
    other = factories.person_make(name=f"李{name}", home_division=community, phone=f"1391234{n:04d}")
    return County(
        code=code,
        township=township,
        village=village,
        community=community,
        person=person,
        other=other,
        post=post,
        term=person.service_terms.order_by("start").first(),
        venture=venture,
        mobility=mobility,
        records={"assessment": assessment, "training": training},
    )


@pytest.fixture
def world(db):
    factories.division_get_or_make("430000000000", name="湖南省")
    factories.division_get_or_make(CITY, name="长沙市")
    a = _county(COUNTY_A, "岳麓", "430104100000", 1)
    b = _county(COUNTY_B, "开福", "430105100000", 2)
    return {"a": a, "b": b}


def errors_by_attr(response) -> dict[str, list[str]]:
    """{attr: [detail, …]} of a standardized error response."""
    out: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        out.setdefault(error["attr"], []).append(error["detail"])
    return out
