"""大学生村官有序流动 — the mobility report: the figures of talent.statistics laid out as
sheets (summary, channels, per selection year, per city and county, transitions) with charts."""

from __future__ import annotations

from registry.routers import read_alias
from talent.choices import Level, MobilityChannel
from talent.statistics import CHANNELS, mobility_figures, share
from workers.reports.writers import Chart, Table


def _names(codes) -> dict[str, str]:
    from talent.models import Division

    full = {code.ljust(12, "0"): code for code in codes if code}
    return {full[c]: name for c, name in Division.objects.filter(code__in=full).values_list("code", "name")}


GROUP_HEADERS = (
    ["入选人数", "在岗", "服务期满", "已流动"]
    + [f"流动:{c.label}" for c in CHANNELS]
    + ["提拔乡科级", "进入村两委", "其中正职", "其中副职", "其中委员", "创业人数", "创办项目数",
       "重点院校或研究生", "重点院校或研究生占比(%)", "流动前服务月数中位数"]
)  # fmt: skip


PLACE_HEADERS = ["市州", "县市区", *GROUP_HEADERS, "行政村数", "有在岗村官的行政村", "覆盖率(%)"]


def _group_row(g) -> list:
    return (
        [g["selected"], g["serving"], g["finished"], g["moved_on"]]
        + [g[f"ch_{c.value}"] for c in CHANNELS]
        + [g["promoted"], g["on_committee"], g["committee_chief"], g["committee_deputy"], g["committee_member"],
           g["founders"], g["ventures_founded"], g["key_or_postgrad"], share(g["key_or_postgrad"], g["selected"]),
           g["median_months_before_move"]]
    )  # fmt: skip


def build(report, progress):
    params = report.params
    progress(10, "统计大学生村官情况")
    data = mobility_figures(
        as_of=params["as_of"], within=params.get("within"), batch_years=params.get("batch_years"), using=read_alias()
    )
    progress(50, "整理报表")
    total, groups, other = data["total"], data["groups"], data["other"]
    names = _names({g["city"] for g in groups} | {g["county"] for g in groups} | {t[0] for t in data["transitions"]})

    headline = [
        ("大学生村官入选总数", total["selected"]),
        ("在岗人数", total["serving"]),
        ("服务期满人数", total["finished"]),
        ("有序流动人数", total["moved_on"]),
        ("提拔为乡科级领导干部", total["promoted"]),
        ("进入村两委班子", total["on_committee"]),
        ("创业人数", total["founders"]),
        ("创办致富项目数", total["ventures_founded"]),
        ("重点院校或研究生学历占比(%)", share(total["key_or_postgrad"], total["selected"])),
        ("覆盖行政村数", total.get("villages_covered")),
        ("行政村总数", total.get("villages")),
        ("行政村覆盖率(%)", share(total.get("villages_covered", 0), total.get("villages", 0))),
        ("流动前服务月数中位数", total["median_months_before_move"]),
        ("当年当选村党组织书记的大学生村官", other["elected_secretary_this_year"]),
        ("农村实用人才", other["rural_talents"]),
        ("其中生产经营型(致富带头人)", other["wealth_leaders"]),
        ("返乡创业人员", other["returnees"]),
        ("其中返乡大学生", other["returning_graduates"]),
    ]
    channel_rows = [
        (c.label, total[f"ch_{c.value}"], share(total[f"ch_{c.value}"], total["moved_on"])) for c in CHANNELS
    ]
    by_year = sorted((g for g in groups if not g["no_year"]), key=lambda g: g["batch_year"])
    places = (g for g in groups if g["no_year"] and not g["no_city"])
    by_place = sorted(places, key=lambda g: (g["city"], g["no_county"] == 0, g["county"] or ""))
    level_labels = dict(Level.choices) | {"": "未记录"}

    def name(code: str) -> str:
        return names.get(code.ljust(12, "0"), code)

    def place_rows():
        for g in by_place:
            county = "(全市合计)" if g["no_county"] else name(g["county"])
            villages, covered = g.get("villages", 0), g.get("villages_covered", 0)
            yield [name(g["city"]), county, *_group_row(g), villages, covered, share(covered, villages)]

    def transition_rows():
        for city, channel, level, n in data["transitions"]:
            yield [name(city), MobilityChannel(channel).label, level_labels.get(level, level), n]

    def tables_for(masked: bool):
        return [
            Table("汇总", ["指标", "数值"], lambda: headline),
            Table(
                "流动去向",
                ["去向", "人数", "占已流动(%)"],
                lambda: channel_rows,
                charts=[Chart("流动去向分布", "pie", 0, [1])],
            ),
            Table(
                "按选聘批次",
                ["选聘年度", *GROUP_HEADERS],
                lambda: ([g["batch_year"], *_group_row(g)] for g in by_year),
                charts=[Chart("各批次入选与流动趋势", "line", 0, [1, 4])],
            ),
            Table(
                "按市县", ["市州", "县市区", *GROUP_HEADERS, "行政村数", "有在岗村官的行政村", "覆盖率(%)"], place_rows
            ),
            Table("流向转移表", ["服务地(市州)", "流动去向", "去向单位层级", "人数"], transition_rows),
        ]

    return tables_for
