"""A small, hand-built registry whose mobility figures are computed by hand in the tests.

As of 2014-12-31, in 湖南 (43): 长沙市 (4301: 岳麓区 430104, 开福区 430105) and 株洲市 (4302: 荷塘区
430202). Administrative villages A1, A2 (岳麓), B1 (开福), C1 (荷塘) and one community (岳麓).
"""

from __future__ import annotations

import datetime as dt

from talent.models import MobilityEvent, Returnee, RuralTalent
from tests.factories import (
    TWO_CITIES,
    division_get_or_make,
    divisions_make,
    graduate_make,
    person_make,
    post_make,
    venture_make,
)

AS_OF = dt.date(2014, 12, 31)


def hand_registry() -> dict:
    divisions_make(TWO_CITIES)
    v = {
        "A1": division_get_or_make("430104100201", name="桐木村"),
        "A2": division_get_or_make("430104100202", name="黄金村"),
        "A3": division_get_or_make("430104100001", name="莲花社区"),
        "B1": division_get_or_make("430105100201", name="新康村"),
        "C1": division_get_or_make("430202100201", name="新塘村"),
    }

    def official(name, batch, terms, village, **person):
        p = person_make(name=name, home_division=v[village], **person)
        selected = dt.date(batch, 8, 1)
        graduate_make(p, batch_year=batch, selected_on=selected, terms=terms, village=v[village])
        return p

    o1 = official("一号", 2009, [("2009-08-01", "2012-07-31"), ("2012-08-01", None)], "A1", key_university=True)
    post_make(person=o1, village=v["A1"], role="party_deputy_secretary", start="2012-01-01")
    o2 = official("二号", 2009, [("2009-08-01", "2012-07-31")], "A2", education="master")
    MobilityEvent.objects.create(
        person=o2, date=dt.date(2012, 9, 1), channel="civil_service", cadre_level="township_deputy",
        destination_division_id="430104000000",
    )  # fmt: skip
    o3 = official("三号", 2010, [("2010-08-01", "2013-07-31")], "B1")
    MobilityEvent.objects.create(person=o3, date=dt.date(2013, 8, 1), channel="self_employed")
    o4 = official("四号", 2012, [("2012-08-01", None)], "C1")
    post_make(person=o4, village=v["C1"], role="party_secretary", start="2014-01-01")
    o5 = official("五号", 2014, [("2014-08-01", None)], "B1")
    official("六号", 2015, [("2015-08-01", None)], "B1")  # selected after the as-of date
    o7 = official("七号", 2010, [("2010-08-01", "2011-07-31")], "A2")
    MobilityEvent.objects.create(person=o7, date=dt.date(2011, 9, 1), channel="further_study")
    MobilityEvent.objects.create(
        person=o7, date=dt.date(2014, 6, 1), channel="public_institution", destination_division_id="430104100000"
    )
    MobilityEvent.objects.create(person=o7, date=dt.date(2015, 3, 1), channel="civil_service")  # after the date
    venture_make(founders=[o1, o3], division=v["A1"], founded_on=dt.date(2011, 5, 1))
    venture_make(founders=[o3], division=v["B1"], founded_on=dt.date(2013, 9, 1))
    venture_make(founders=[o5], division=v["B1"], founded_on=dt.date(2015, 5, 1))  # after the date

    returnee = person_make(name="返乡", home_division=v["A1"], education="bachelor")
    Returnee.objects.create(person=returnee, previous_city="深圳", returned_on=dt.date(2013, 3, 1))
    expert = person_make(name="能人", home_division=v["C1"], education="junior_high")
    RuralTalent.objects.create(person=expert, category="production", specialties=["油茶"])
    return {"villages": v, "officials": {1: o1, 2: o2, 3: o3, 4: o4, 5: o5, 7: o7}}
