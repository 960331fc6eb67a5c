"""The mobility figures of the hand-built registry (tests/hand_registry.py) against numbers
worked out by hand, one by one."""

from __future__ import annotations

from talent.statistics import mobility_figures
from tests.hand_registry import AS_OF


def _group(data, *, year=None, city=None, county=None):
    for g in data["groups"]:
        if year is not None and not g["no_year"] and g["batch_year"] == year:
            return g
        if city is not None and g["no_year"] and not g["no_city"] and g["city"] == city:
            if (county is None and g["no_county"]) or (county is not None and g["county"] == county):
                return g
    raise AssertionError((year, city, county))


def test_headline_figures(registry):
    total = mobility_figures(as_of=AS_OF, within="430000000000")["total"]
    assert total["selected"] == 6  # 六号 was selected after the date
    assert total["serving"] == 3  # 一号, 四号, 五号
    assert total["finished"] == 3  # 二号, 三号, 七号
    assert total["moved_on"] == 3
    assert (total["ch_civil_service"], total["ch_self_employed"], total["ch_public_institution"]) == (1, 1, 1)
    assert total["ch_further_study"] == 0  # 七号's later move is the one that counts
    assert total["promoted"] == 1
    assert (total["on_committee"], total["committee_chief"], total["committee_deputy"]) == (2, 1, 1)
    assert total["founders"] == 2 and total["ventures_founded"] == 2  # the 2015 venture is later
    assert total["key_or_postgrad"] == 2
    assert (total["villages"], total["villages_covered"]) == (4, 3)  # the community is not counted
    # 二号 and 三号 served 1,096 days each before moving, 七号 365: the median is 1,096 days.
    assert total["median_months_before_move"] == round(1096 / 30.4375, 1)


def test_per_batch_year_city_and_county(registry):
    data = mobility_figures(as_of=AS_OF, within="430000000000")
    assert {y: _group(data, year=y)["selected"] for y in (2009, 2010, 2012, 2014)} == {
        2009: 2, 2010: 2, 2012: 1, 2014: 1}  # fmt: skip
    assert _group(data, year=2010)["moved_on"] == 2
    changsha = _group(data, city="4301")
    assert (changsha["selected"], changsha["villages"], changsha["villages_covered"]) == (5, 3, 2)
    yuelu = _group(data, city="4301", county="430104")
    assert (yuelu["selected"], yuelu["moved_on"], yuelu["promoted"]) == (3, 2, 1)
    assert (yuelu["villages"], yuelu["villages_covered"]) == (2, 1)
    zhuzhou = _group(data, city="4302")
    assert (zhuzhou["selected"], zhuzhou["serving"], zhuzhou["committee_chief"]) == (1, 1, 1)


def test_transitions_and_other_groups(registry):
    data = mobility_figures(as_of=AS_OF, within="430000000000")
    assert sorted(data["transitions"]) == [
        ("4301", "civil_service", "county", 1),
        ("4301", "public_institution", "township", 1),
        ("4301", "self_employed", "", 1),
    ]
    other = data["other"]
    assert other["elected_secretary_this_year"] == 1  # 四号, secretary since 2014-01-01
    assert (other["returnees"], other["returning_graduates"]) == (1, 1)
    assert (other["rural_talents"], other["wealth_leaders"]) == (1, 1)


def test_scope_and_date(registry):
    kaifu = mobility_figures(as_of=AS_OF, within="430105000000")["total"]
    assert (kaifu["selected"], kaifu["serving"], kaifu["moved_on"]) == (2, 1, 1)
    earlier = mobility_figures(as_of=AS_OF.replace(year=2011, month=8, day=31), within="430000000000")["total"]
    assert earlier["selected"] == 4  # batches 2009 and 2010 only
    assert earlier["moved_on"] == 0  # 七号 moved in September 2011
    filtered = mobility_figures(as_of=AS_OF, within="430000000000", batch_years=[2009])["total"]
    assert filtered["selected"] == 2
