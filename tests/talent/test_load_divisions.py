"""``manage.py load_divisions`` and talent.divisions: GB/T 2260 province, city and county
divisions, parents by nearest existing ancestor, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from talent.divisions import divisions_load, gb2260_revisions
from talent.models import Division

pytestmark = pytest.mark.django_db

HUNAN_CITIES = {
    "430100000000": "长沙市",
    "430200000000": "株洲市",
    "430300000000": "湘潭市",
    "430400000000": "衡阳市",
    "430500000000": "邵阳市",
    "430600000000": "岳阳市",
    "430700000000": "常德市",
    "430800000000": "张家界市",
    "430900000000": "益阳市",
    "431000000000": "郴州市",
    "431100000000": "永州市",
    "431200000000": "怀化市",
    "431300000000": "娄底市",
    "433100000000": "湘西土家族苗族自治州",
}


def _load(*args: str) -> str:
    out = StringIO()
    call_command("load_divisions", *args, stdout=out)
    return out.getvalue()


def test_loads_hunan_with_its_cities_and_counties():
    output = _load("--province", "43")

    assert "201904" in output  # the newest revision is the default
    assert gb2260_revisions()[0] == "201904"
    hunan = Division.objects.get(code="430000000000")
    assert (hunan.name, hunan.level, hunan.parent_id) == ("湖南省", "province", None)
    cities = Division.objects.filter(level="city")
    assert dict(cities.values_list("code", "name")) == HUNAN_CITIES
    assert set(cities.values_list("parent_id", flat=True)) == {"430000000000"}
    counties = Division.objects.filter(level="county")
    assert counties.count() == 122
    assert Division.objects.count() == 137
    assert not Division.objects.exclude(code__startswith="43").exists()
    # Each county hangs off its city.
    for code, name, parent in [
        ("430181000000", "浏阳市", "430100000000"),
        ("430104000000", "岳麓区", "430100000000"),
        ("431229000000", "靖州苗族侗族自治县", "431200000000"),
        ("433130000000", "龙山县", "433100000000"),
    ]:
        county = Division.objects.get(code=code)
        assert (county.name, county.parent_id) == (name, parent)
    assert all(c.parent_id == c.code[:4] + "00000000" for c in counties)
    assert "新增 137" in output


def test_reloading_changes_nothing_and_repairs_names():
    _load("--province", "43")
    history = apps.get_model("talent", "DivisionEvent").objects
    events = history.count()

    output = _load("--province", "43")
    assert "新增 0,更新 0" in output
    assert Division.objects.count() == 137
    assert history.count() == events  # no update written when nothing changed

    Division.objects.filter(code="430181000000").update(name="旧名称")
    summary = divisions_load(revision=None, provinces=["430000"])
    assert summary.total_created == 0
    assert summary.updated == {"county": 1}
    assert summary.unchanged == 136
    assert Division.objects.get(code="430181000000").name == "浏阳市"


def test_county_under_a_province_without_its_grouping_code_hangs_off_the_province():
    summary = divisions_load(revision="201904", provinces=["42"])

    assert "429000000000" not in set(Division.objects.values_list("code", flat=True))
    assert Division.objects.get(code="429004000000").parent_id == "420000000000"  # 仙桃市
    assert Division.objects.get(code="420100000000").parent_id == "420000000000"
    assert summary.provinces == ["42"]


def test_grouping_entries_of_old_revisions_are_skipped():
    summary = divisions_load(revision="201410", provinces=["43", "42"])

    names = set(Division.objects.values_list("name", flat=True))
    assert "市辖区" not in names
    assert "省直辖县级行政区划" not in names
    assert not Division.objects.filter(code="430101000000").exists()
    assert Division.objects.get(code="429004000000").parent_id == "420000000000"
    assert summary.skipped_placeholders > 0
    assert summary.skipped_invalid == []


def test_codes_that_are_not_statistical_codes_are_skipped_and_counted():
    # In 1999 Hainan's counties were numbered 4600xx, a zero city segment.
    summary = divisions_load(revision="199912", provinces=["46"])

    assert "460001" in summary.skipped_invalid
    assert not Division.objects.filter(code="460001000000").exists()
    assert Division.objects.filter(code="460100000000", level="city").exists()
    assert any("跳过无效代码" in line for line in summary.lines())


def test_a_later_revision_renames_and_adds_but_never_deletes():
    divisions_load(revision="201410", provinces=["43", "13"])
    assert Division.objects.get(code="130602000000").name == "新市区"
    assert Division.objects.filter(code="430221000000", name="株洲县").exists()

    summary = divisions_load(revision="201904", provinces=["43", "13"])

    assert Division.objects.get(code="130602000000").name == "竞秀区"
    assert Division.objects.get(code="430212000000").name == "渌口区"  # 株洲县 became 渌口区 in 2018
    assert Division.objects.filter(code="430221000000").exists()  # the old code stays
    assert summary.updated.get("county", 0) >= 1
    assert summary.created.get("county", 0) >= 1


def test_rejects_unknown_revision_and_province():
    with pytest.raises(CommandError, match="版本 1999 不存在"):
        _load("--revision", "1999")
    with pytest.raises(CommandError, match="没有省级代码 99"):
        _load("--province", "99")
    with pytest.raises(CommandError, match="省级代码 4301 无效"):
        _load("--province", "4301")
    assert not Division.objects.exists()


def test_several_provinces_in_one_run():
    _load("--province", "43", "44", "--province", "11")

    assert set(Division.objects.filter(level="province").values_list("code", flat=True)) == {
        "430000000000",
        "440000000000",
        "110000000000",
    }
    # 东莞市 has no counties; the 2019 revision lists no 110100 for Beijing, so its districts
    # hang off the municipality itself.
    assert Division.objects.filter(code="441900000000", level="city").exists()
    assert not Division.objects.filter(code="110100000000").exists()
    assert Division.objects.get(code="110105000000").parent_id == "110000000000"
