"""The demo registry (``manage.py seed_demo``): a realistic, reproducible Hunan.

What is built
    Real province, city and county divisions of Hunan (GB/T 2260, revision ``DEMO_REVISION``,
    through ``talent.divisions.divisions_load``), then synthetic townships (001–099 街道,
    100–199 镇, 200–399 乡) and villages (001–199 社区, 200–399 村) with plausible names and
    urban-rural classes. In each village, the two committees are simulated election by
    election (换届, ``ROUND_YEARS``): re-elections that continue a post or close it and open the
    next one the day after, promotions, members who leave and come back years later, one-shoulder
    secretaries (一肩挑), cross-held party and committee seats, mid-term departures and
    by-elections. College-graduate village officials (大学生村官, batches 2007–2014) serve 2–3
    year terms with touching or gapped renewals, start as assistants and are often elected to
    the committees, are assessed every year, trained, and move on through every mobility channel.
    Returnees, rural practical talents and their ventures complete the registry; one person may
    be in several groups. Data stand as at ``AS_OF``.

Reproducible
    One ``random.Random(seed)`` drives everything, in one fixed order; explicit primary keys;
    timestamps derived from constants. With ``reset`` the registry tables and their history
    tables are truncated with RESTART IDENTITY first, so even history ids repeat.

Fast (the province, a million people and three million posts, in minutes)
    One transaction. Rows are streamed with PostgreSQL COPY, one county at a time (bounded
    memory), while a generator thread builds the next county. Every constraint is checked as
    rows arrive and the history triggers stay on and record every row. Plain secondary indexes
    are dropped for the load and built once at the end, and the eligibility facts are rebuilt
    once at the end instead of after each county (see ``LOAD_TRIGGERS_OFF``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction
from tqdm import tqdm

from talent import demo_pools as pools
from talent.divisions import divisions_load
from talent.eligibility import facts_rebuild
from talent.identity import make_id_number
from talent.models import (
    Assessment,
    Division,
    EligibilityFact,
    GraduateOfficial,
    MobilityEvent,
    Person,
    PersonPlace,
    Post,
    Returnee,
    RuralTalent,
    ServiceTerm,
    Training,
    Venture,
    VentureFounder,
)
from talent.places import places_rebuild

AS_OF = dt.date(2015, 6, 30)  # 数据截止日期
LOADED_AT = dt.datetime(2015, 7, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DEMO_REVISION = "201904"
PROVINCE = "43"
ROUND_YEARS = (1990, 1993, 1996, 1999, 2002, 2005, 2008, 2011, 2014)
ASSESSED_CADRE_YEARS = (2011, 2012, 2013, 2014)

UNKNOWN_SCALE = "未知的数据规模 {scale};可选:{choices}。"
PEOPLE_EXIST = "登记库中已有数据(人员 {people} 人,致富项目 {ventures} 个);如需重新生成,请加 --reset 清空后再试。"
DIVISIONS_EXIST = "{county} 下已有乡镇或村级区划;如需重新生成,请加 --reset 清空后再试。"

S, D = "party_secretary", "committee_director"
DS, DD = "party_deputy_secretary", "committee_deputy_director"
PM, CM = "party_committee_member", "committee_member"
SA, DA = "secretary_assistant", "director_assistant"
RANK = {S: 3, D: 3, DS: 2, DD: 2, PM: 1, CM: 1, SA: 0, DA: 0}
PARTY_ROLES = (S, DS, PM, SA)
# Share of villages whose secretary is also elected director (一肩挑), by round.
ONE_SHOULDER = (0.04, 0.05, 0.06, 0.08, 0.10, 0.12, 0.16, 0.22, 0.35)

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Scale:
    """How much to build. ``counties`` None = every county of the province; ``townships``
    and ``villages`` None = by county and township type, as in Hunan."""

    name: str
    counties: tuple[str, ...] | None
    townships: tuple[int, int] | None
    villages: tuple[int, int] | None
    talents_per_village: float
    returnees_per_village: float
    graduates_per_village: float


SCALES = {
    "small": Scale("small", ("431202", "431229"), (5, 5), (6, 10), 1.5, 0.6, 0.8),
    "county": Scale("county", ("430181",), (20, 20), (13, 17), 30.0, 1.5, 0.35),
    "province": Scale("province", None, None, None, 5.5, 0.8, 0.34),
}


@dataclass
class DemoSummary:
    """What a load wrote (rows per table) and how long each stage took (seconds)."""

    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    copy_seconds: dict[str, float] = field(default_factory=dict)
    truncated_staff_accounts: int = 0

    def lines(self) -> list[str]:
        out = [f"演示数据:规模 {self.scale},随机种子 {self.seed},数据截止 {AS_OF}"]
        if self.truncated_staff_accounts:
            out.append(f"  已随区划一并清空工作人员账号 {self.truncated_staff_accounts} 个")
        width = max((len(table) for table in self.counts), default=0)
        for table, count in self.counts.items():
            copy = self.copy_seconds.get(table)
            timing = f"  写入 {copy:6.1f} 秒" if copy is not None else ""
            out.append(f"  {table.ljust(width)}  {count:>10,}{timing}")
        out.append("  用时:" + ",".join(f"{stage} {sec:.1f} 秒" for stage, sec in self.seconds.items()))
        return out


class DemoError(Exception):
    """The registry is not in a state the demo can be loaded into."""


# --- COPY layout -----------------------------------------------------------------------------

DIVISION_COLUMNS = ("code", "name", "level", "parent_id", "kind", "urban_rural_class")
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Person: (
        "id",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "ethnicity",
        "political_status",
        "party_joined_on",
        "education",
        "school",
        "major",
        "key_university",
        "phone",
        "home_division_id",
        "notes",
        "created_at",
        "updated_at",
    ),
    GraduateOfficial: ("person_id", "batch_year", "selected_on", "status"),
    ServiceTerm: ("id", "person_id", "village_id", "start", "end", "term_number"),
    Returnee: ("person_id", "previous_city", "previous_occupation", "returned_on"),
    RuralTalent: ("person_id", "category", "specialties", "title_level", "operation_scale"),
    Post: ("id", "person_id", "village_id", "role", "start", "end", "end_reason"),
    Assessment: ("id", "person_id", "year", "kind", "grade"),
    Training: ("id", "person_id", "title", "organizer", "start", "end", "hours", "mode"),
    Venture: ("id", "name", "industry", "division_id", "founded_on", "investment", "jobs_created", "annual_revenue"),
    VentureFounder: ("id", "venture_id", "person_id"),
    MobilityEvent: ("id", "person_id", "date", "channel", "destination_org", "destination_division_id", "cadre_level"),
}
LOAD_ORDER = tuple(COLUMNS)  # parents before children


def copy_columns_check() -> None:
    """The COPY column lists name every stored, non-generated column of each model."""
    for model, columns in {Division: DIVISION_COLUMNS, **COLUMNS}.items():
        expected = {f.column for f in model._meta.concrete_fields if not f.generated}
        if set(columns) != expected:
            raise RuntimeError(f"{model.__name__}: COPY columns {sorted(columns)} != model columns {sorted(expected)}")


def _copy_sql(model: type[models.Model], columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


def _copy(cursor, model: type[models.Model], columns: Sequence[str], lines: list[str]) -> None:
    if not lines:
        return
    with cursor.cursor.copy(_copy_sql(model, columns)) as copy:
        for i in range(0, len(lines), 20000):
            copy.write("".join(lines[i : i + 20000]))


def _n(value) -> str:
    """A COPY text field: NULL for None; demo strings never hold tabs, newlines or backslashes."""
    return "\\N" if value is None else str(value)


# --- Random helpers --------------------------------------------------------------------------


class _Weighted:
    """Weighted choice by bisection over cumulative weights (faster than ``choices``)."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Iterable[tuple[object, float]]):
        self.items, self.cumulative, total = [], [], 0.0
        for item, weight in pairs:
            total += weight
            self.items.append(item)
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def _short_name(name: str) -> str:
    """浏阳市 → 浏阳, 靖州苗族侗族自治县 → 靖州, 南县 → 南县."""
    if "自治" in name:
        return name[:2]
    return name if len(name) <= 2 else name[:-1]


# --- Places ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Village:
    code: str
    name: str
    kind: str
    township: _Township
    rounds: list[dt.date] = field(default_factory=list)


@dataclass(slots=True)
class _Township:
    code: str
    name: str
    kind: str  # street, town, xiang


@dataclass(slots=True)
class _County:
    code: str
    name: str
    city_name: str
    townships: list[_Township] = field(default_factory=list)
    villages: list[_Village] = field(default_factory=list)

    @property
    def code6(self) -> str:
        return self.code[:6]


@dataclass(slots=True)
class _Window:
    """A graduate official's continuous service in one village."""

    start: dt.date
    end: dt.date | None  # None: still serving at AS_OF
    final: bool  # the last window of the whole service
    stays: bool  # moves on by staying in the village (留村任职)
    elect: dict[int, tuple[str, int]] = field(default_factory=dict)  # round index -> slot


@dataclass(slots=True)
class _Graduate:
    pid: int
    birth: dt.date
    party: bool
    selected_on: dt.date
    batch_year: int
    terms: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    channel: str = ""
    mobility_date: dt.date | None = None
    cadre_level: str = ""
    windows: dict[str, list[_Window]] = field(default_factory=dict)


class _Demo:
    """Generates the registry. Every random draw comes from ``self.rng``, in a fixed order."""

    def __init__(self, *, scale: Scale, seed: int):
        self.scale = scale
        self.rng = random.Random(seed)
        self.ids = dict.fromkeys(
            ("person", "post", "term", "assessment", "training", "venture", "founder", "mobility"), 0
        )
        self.surnames = {eth: _Weighted(pairs) for eth, pairs in pools.SURNAMES_BY_ETHNICITY.items()}
        self.surnames["han"] = _Weighted(pools.SURNAMES_HAN)
        self.universities = _Weighted(pools.UNIVERSITIES)
        self.work_cities = _Weighted(pools.WORK_CITIES)
        self.talent_categories = _Weighted(pools.TALENT_CATEGORY_WEIGHTS)
        self.industries = _Weighted(pools.INDUSTRY_WEIGHTS)
        self.grades = _Weighted(pools.GRADES)
        self.channels = _Weighted(pools.MOBILITY_CHANNELS)
        self.batches = _Weighted((int(year), weight) for year, weight in pools.BATCH_YEARS)
        self.leave_reasons = _Weighted(pools.MID_TERM_LEAVE_REASONS)
        self.urban_rural = {key: _Weighted(pairs) for key, pairs in pools.URBAN_RURAL_CLASSES.items()}
        self.education_by_era = [(int(limit), _Weighted(pairs)) for limit, pairs in pools.EDUCATION_BY_BIRTH]
        self.mix_cache: dict[str, _Weighted] = {}
        self.channels_unseen = list(self.channels.items)
        self.levels_unseen = ["township_deputy", "township_chief"]

    def next_id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    # --- divisions ---------------------------------------------------------------------------

    def counties_plan(self, counties: list[tuple[str, str, str]]) -> list[_County]:
        """Townships and villages for each (code, name, city name) county."""
        out = []
        for code, name, city_name in counties:
            county = _County(code=code, name=name, city_name=city_name)
            self._townships_make(county)
            out.append(county)
        return out

    def _townships_make(self, county: _County) -> None:
        rng, scale = self.rng, self.scale
        suffix = county.name[-1]
        if scale.townships:
            count = rng.randint(*scale.townships)
        else:
            count = (
                rng.randint(6, 16) if suffix == "区" else rng.randint(15, 30) if suffix == "市" else rng.randint(15, 31)
            )
        if suffix == "区":
            kinds = [
                "street" if rng.random() < 0.7 else "town" if rng.random() < 0.85 else "xiang" for _ in range(count)
            ]
            kinds[0] = "street"
        else:
            streets = rng.randint(3, 6) if suffix == "市" else rng.randint(0, 2)
            kinds = ["street"] * min(streets, count - 1)
            kinds += [
                "town" if rng.random() < (0.65 if suffix == "市" else 0.55) else "xiang"
                for _ in range(count - len(kinds))
            ]
        if scale.townships and len(set(kinds)) < 3 and count >= 3:  # small scales still show every type
            kinds[:3] = ["street", "town", "xiang"]
        kinds.sort(key=("street", "town", "xiang").index)
        next_code = {"street": 1, "town": 100, "xiang": 200}
        names: set[str] = set()
        for kind in kinds:
            code = f"{county.code6}{next_code[kind]:03d}000"
            next_code[kind] += 1
            label = {"street": "街道", "town": "镇", "xiang": "乡"}[kind]
            base = self._place_name(names, words=pools.STREET_WORD_NAMES if kind == "street" else None)
            township = _Township(code=code, name=base + label, kind=kind)
            county.townships.append(township)
            self._villages_make(county, township)

    def _place_name(self, taken: set[str], *, words: Sequence[str] | None = None) -> str:
        rng = self.rng
        while True:
            roll = rng.random()
            if words and roll < 0.5:
                name = rng.choice(words)
            elif roll < 0.12:
                name = self.surnames["han"].pick(rng)[:1] + "家" + rng.choice(pools.PLACE_SECOND)
            else:
                name = rng.choice(pools.PLACE_FIRST) + rng.choice(pools.PLACE_SECOND)
            if name not in taken:
                taken.add(name)
                return name

    def _villages_make(self, county: _County, township: _Township) -> None:
        rng, scale = self.rng, self.scale
        if scale.villages:
            total = rng.randint(*scale.villages)
            communities = {"street": max(total - 2, 1), "town": rng.randint(1, 3), "xiang": rng.randint(0, 1)}[
                township.kind
            ]
            villages = total - communities
        elif township.kind == "street":
            communities, villages = rng.randint(5, 12), rng.randint(0, 2)
        elif township.kind == "town":
            communities, villages = rng.randint(1, 4), rng.randint(12, 26)
        else:
            communities, villages = rng.randint(0, 1), rng.randint(10, 22)
        names: set[str] = set()
        prefix = township.code[:9]
        for i in range(communities):
            base = self._place_name(
                names, words=pools.VILLAGE_WORD_NAMES if rng.random() < 0.5 else pools.STREET_WORD_NAMES
            )
            if rng.random() < 0.3:
                base += rng.choice(pools.COMMUNITY_SUFFIXES)
            county.villages.append(_Village(f"{prefix}{i + 1:03d}", base + "社区", "community", township))
        for i in range(villages):
            base = self._place_name(names, words=pools.VILLAGE_WORD_NAMES if rng.random() < 0.15 else None)
            county.villages.append(_Village(f"{prefix}{201 + i:03d}", base + "村", "village", township))

    def division_lines(self, county: _County) -> list[str]:
        rng = self.rng
        lines = [f"{t.code}\t{t.name}\ttownship\t{county.code}\t\\N\t\\N\n" for t in county.townships]
        for v in county.villages:
            urban_rural = self.urban_rural[(v.township.kind, v.kind)].pick(rng)
            lines.append(f"{v.code}\t{v.name}\tvillage\t{v.township.code}\t{v.kind}\t{urban_rural}\n")
        return lines

    # --- people ------------------------------------------------------------------------------

    def _ethnic_mix(self, county: _County) -> _Weighted:
        key = county.code6
        if key not in self.mix_cache:
            pairs = pools.ETHNIC_MIX.get(key) or pools.ETHNIC_MIX.get(key[:4]) or pools.ETHNIC_MIX_DEFAULT
            self.mix_cache[key] = _Weighted(pairs)
        return self.mix_cache[key]

    def _name(self, ethnicity: str, gender: str, birth_year: int) -> str:
        rng = self.rng
        surname = (self.surnames.get(ethnicity) or self.surnames["han"]).pick(rng)
        if gender == "male":
            chars = pools.GIVEN_MALE_OLD if birth_year < 1975 else pools.GIVEN_MALE_NEW
        else:
            chars = pools.GIVEN_FEMALE_OLD if birth_year < 1975 else pools.GIVEN_FEMALE_NEW
        given = rng.choice(chars)
        if rng.random() < (0.75 if birth_year < 1975 else 0.6):
            given += rng.choice(chars)
        return surname + given

    def _birth(self, year: int) -> dt.date:
        return dt.date.fromordinal(dt.date(year, 1, 1).toordinal() + self.rng.randrange(365))

    def _party_joined(self, birth: dt.date, before: dt.date) -> dt.date:
        earliest = _years_later(birth, 19).toordinal()
        latest = max(earliest + 30, before.toordinal() - 200)
        return dt.date.fromordinal(self.rng.randint(earliest, latest))

    def person_add(
        self,
        bundle: _Bundle,
        county: _County,
        *,
        home: str,
        birth: dt.date,
        gender: str,
        education: str,
        political: str = "masses",
        party_joined: dt.date | None = None,
        school: str = "",
        major: str = "",
        key_university: bool = False,
    ) -> int:
        rng = self.rng
        pid = self.next_id("person")
        ethnicity = self._ethnic_mix(county).pick(rng)
        name = self._name(ethnicity, gender, birth.year)
        key = (birth, gender)
        sequence = bundle.id_sequences.get(key)
        sequence = rng.randrange(0, 300) if sequence is None else (sequence + 1) % 500
        bundle.id_sequences[key] = sequence
        id_number = make_id_number(county.code6, birth, sequence, gender=gender)
        phone = "" if rng.random() < 0.04 else rng.choice(pools.MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        stamp = (LOADED_AT + dt.timedelta(milliseconds=pid)).isoformat(" ")
        bundle.rows[Person].append(
            f"{pid}\t{name}\t{gender}\t{birth}\t{id_number}\t{ethnicity}\t{political}\t{_n(party_joined)}\t"
            f"{education}\t{school}\t{major}\t{'t' if key_university else 'f'}\t{phone}\t{home}\t\t{stamp}\t{stamp}\n"
        )
        return pid

    def _cadre_education(self, county: _County, birth_year: int) -> tuple[str, str, str]:
        rng = self.rng
        education = next(w for limit, w in self.education_by_era if birth_year < limit).pick(rng)
        short = _short_name(county.name)
        if education in ("primary", "junior_high"):
            return education, "", ""
        if education == "high_school":
            full = short + "县" if "自治" in county.name else county.name
            return education, f"{full}第{rng.choice('一二三')}中学", ""
        if education == "secondary_vocational":
            return education, f"{short}职业中专", rng.choice(pools.CADRE_MAJORS)
        return education, rng.choice(pools.VOCATIONAL_SCHOOLS), rng.choice(pools.CADRE_MAJORS)

    # --- one county --------------------------------------------------------------------------

    def county_bundle(self, county: _County) -> _Bundle:
        rng = self.rng
        bundle = _Bundle(villages=len(county.villages))
        base_dates = [dt.date(year, 1, 8) + dt.timedelta(days=rng.randrange(110)) for year in ROUND_YEARS]
        for v in county.villages:
            v.rounds = [d + dt.timedelta(days=rng.randrange(21)) for d in base_dates]
        graduates = self._graduates_plan(bundle, county)
        windows_by_village: dict[str, list[tuple[_Graduate, _Window]]] = {}
        for graduate in graduates:
            for code, windows in graduate.windows.items():
                windows_by_village.setdefault(code, []).extend((graduate, w) for w in windows)
        for v in county.villages:
            cadres = self._village_posts(bundle, county, v, windows_by_village.get(v.code, []))
            self._village_people(bundle, county, v, cadres)
        self._graduates_records(bundle, county, graduates)
        return bundle

    # --- college-graduate village officials --------------------------------------------------

    def _graduates_plan(self, bundle: _Bundle, county: _County) -> list[_Graduate]:
        rng = self.rng
        villages = county.villages
        count = round(len(villages) * self.scale.graduates_per_village * rng.uniform(0.85, 1.15))
        selection = {year: dt.date(year, 7, 20) + dt.timedelta(days=rng.randrange(60)) for year in range(2007, 2015)}
        out = []
        for _ in range(count):
            batch = self.batches.pick(rng)
            selected_on = selection[batch] + dt.timedelta(days=rng.randrange(10))
            roll = rng.random()
            education = "bachelor" if roll < 0.8 else "junior_college" if roll < 0.94 else "master"
            age = {"junior_college": 21, "bachelor": 22, "master": 25}[education] + rng.randint(0, 2)
            birth = self._birth(batch - age)
            gender = "male" if rng.random() < 0.55 else "female"
            roll = rng.random()
            political = "party_member" if roll < 0.66 else "league_member"
            joined = self._party_joined(birth, selected_on) if political == "party_member" else None
            if political == "league_member" and batch >= 2013 and rng.random() < 0.3:
                # Joined the Party within the last year: still a probationary member.
                political, joined = "probationary_member", AS_OF - dt.timedelta(days=rng.randint(30, 330))
            school, major = self.universities.pick(rng), rng.choice(pools.GRADUATE_MAJORS)
            key = school in pools.KEY_UNIVERSITIES
            if education == "master" and rng.random() < 0.3:
                school, key = "湖南大学" if rng.random() < 0.5 else "中南大学", True
            served = rng.choice(villages)
            home = rng.choice(villages).code
            pid = self.person_add(
                bundle,
                county,
                home=home,
                birth=birth,
                gender=gender,
                education=education,
                political=political,
                party_joined=joined,
                school=school,
                major=major,
                key_university=key,
            )
            graduate = _Graduate(
                pid=pid, birth=birth, party=joined is not None, selected_on=selected_on, batch_year=batch
            )
            # Terms: 2 or 3 years; renewals touch or follow a gap, mostly in the same village.
            start, village, number = selected_on, served, 1
            while True:
                end = _years_later(start, 3 if rng.random() < 0.65 else 2) - DAY
                if end >= AS_OF:
                    graduate.terms.append((village.code, start, None if rng.random() < 0.5 else end))
                    break
                graduate.terms.append((village.code, start, end))
                if rng.random() >= (0.45, 0.3, 0.15, 0.0)[min(number, 4) - 1]:
                    break
                gap = 0 if rng.random() < 0.8 else rng.randint(20, 200)
                start = end + DAY * (1 + gap)
                if start > AS_OF:
                    break
                if rng.random() < 0.1:
                    village = rng.choice(villages)
                number += 1
            last_end = graduate.terms[-1][2]
            serving = last_end is None or last_end >= AS_OF
            if not serving and rng.random() < 0.86:
                if self.channels_unseen:  # the first movers of the load take every channel once
                    graduate.channel = self.channels_unseen.pop(rng.randrange(len(self.channels_unseen)))
                else:
                    graduate.channel = self.channels.pick(rng)
                delay = 1 if graduate.channel == "stay_in_village" else rng.randint(1, 90)
                graduate.mobility_date = min(last_end + DAY * delay, AS_OF)
                if graduate.channel == "civil_service":
                    if self.levels_unseen:  # and both township leadership levels
                        graduate.cadre_level = self.levels_unseen.pop(0)
                    elif rng.random() < 0.05:
                        graduate.cadre_level = "township_deputy" if rng.random() < 0.85 else "township_chief"
                elif graduate.channel in ("public_institution", "stay_in_village") and rng.random() < 0.03:
                    graduate.cadre_level = "township_deputy"
            self._windows_plan(graduate, county)
            out.append(graduate)
        return out

    def _windows_plan(self, graduate: _Graduate, county: _County) -> None:
        """Merge touching terms in one village into windows; plan elections in each window."""
        rng = self.rng
        merged: list[list] = []
        for code, start, end in graduate.terms:
            last = merged[-1] if merged else None
            if last and last[0] == code and last[2] is not None and last[2] + DAY == start:
                last[2] = end
            else:
                merged.append([code, start, end])
        rounds_of = {v.code: v.rounds for v in county.villages}
        for i, (code, start, end) in enumerate(merged):
            final = i == len(merged) - 1
            window = _Window(start=start, end=end, final=final, stays=final and graduate.channel == "stay_in_village")
            elected = False
            for k, day in enumerate(rounds_of[code]):
                if start < day and (end is None or day <= end) and not elected:
                    if rng.random() < 0.45:
                        window.elect[k] = self._graduate_slot(graduate.party)
                        elected = True
            graduate.windows.setdefault(code, []).append(window)

    def _graduate_slot(self, party: bool) -> tuple[str, int]:
        roll = self.rng.random()
        if party:
            role = S if roll < 0.1 else DS if roll < 0.55 else PM if roll < 0.72 else DD if roll < 0.9 else CM
        else:
            role = DD if roll < 0.6 else CM
        return (role, 0)

    def _graduates_records(self, bundle: _Bundle, county: _County, graduates: list[_Graduate]) -> None:
        rng = self.rng
        rows = bundle.rows
        organizer = f"中共{county.name}委组织部"
        township_of = {v.code: v.township for v in county.villages}
        village_of = {v.code: v for v in county.villages}
        serving_pids = []
        ventures: list[tuple[list[int], str, dt.date]] = []
        for g in graduates:
            last_end = g.terms[-1][2]
            serving = last_end is None or last_end >= AS_OF
            status = "serving" if serving else "moved_on" if g.channel else "ended"
            rows[GraduateOfficial].append(f"{g.pid}\t{g.batch_year}\t{g.selected_on}\t{status}\n")
            for number, (code, start, end) in enumerate(g.terms, 1):
                rows[ServiceTerm].append(f"{self.next_id('term')}\t{g.pid}\t{code}\t{start}\t{_n(end)}\t{number}\n")
            # Annual assessments for each year served in its second half; a term assessment
            # when a term closes.
            last_grade = "incompetent" if g.channel == "dismissed" else None
            years = []
            for year in range(g.selected_on.year, AS_OF.year):
                mid, dec31 = dt.date(year, 7, 1), dt.date(year, 12, 31)
                if any(s <= dec31 and (e is None or e >= mid) for _, s, e in g.terms):
                    years.append(year)
            for year in years:
                grade = last_grade if (last_grade and year == years[-1]) else self.grades.pick(rng)
                rows[Assessment].append(f"{self.next_id('assessment')}\t{g.pid}\t{year}\tannual\t{grade}\n")
            for _, _, end in g.terms:
                if end is not None and end < AS_OF:
                    grade = self.grades.pick(rng)
                    rows[Assessment].append(f"{self.next_id('assessment')}\t{g.pid}\t{end.year}\tterm\t{grade}\n")
            # Pre-service training, then perhaps one more during service.
            start = g.selected_on + dt.timedelta(days=rng.randint(3, 15))
            self._training_add(bundle, g.pid, "大学生村官岗前培训班", 8 * rng.randint(3, 5), organizer, start)
            service_end = min(last_end or AS_OF, AS_OF)
            if rng.random() < 0.6 and (service_end - start).days > 120:
                title, hours = rng.choice(pools.TRAININGS_GRADUATE)
                begin = start + dt.timedelta(days=rng.randint(90, (service_end - start).days))
                self._training_add(bundle, g.pid, title, int(hours), organizer, min(begin, AS_OF - 10 * DAY))
            # Mobility.
            if g.channel:
                code = g.terms[-1][0]
                org, division = self._destination(county, g.channel, village_of[code], township_of[code])
                rows[MobilityEvent].append(
                    f"{self.next_id('mobility')}\t{g.pid}\t{g.mobility_date}\t{g.channel}\t{org}\t{_n(division)}\t"
                    f"{g.cadre_level}\n"
                )
                if g.channel == "self_employed":
                    ventures.append(([g.pid], code, g.mobility_date))
            elif serving:
                serving_pids.append(g.pid)
                if rng.random() < 0.04:  # 创业 while serving
                    ventures.append(([g.pid], g.terms[-1][0], max(g.terms[-1][1], AS_OF - dt.timedelta(days=400))))
        # Graduate officials often found ventures together.
        for founders, code, founded in ventures:
            if serving_pids and rng.random() < 0.35:
                for _ in range(rng.randint(1, 2)):
                    other = rng.choice(serving_pids)
                    if other not in founders:
                        founders.append(other)
            when = founded + dt.timedelta(days=rng.randint(0, 120))
            self._venture_add(bundle, founders, village_of[code], min(when, AS_OF))

    def _destination(
        self, county: _County, channel: str, village: _Village, township: _Township
    ) -> tuple[str, str | None]:
        rng = self.rng
        if channel == "stay_in_village":
            return f"{village.name}{'居民委员会' if village.kind == 'community' else '村民委员会'}", village.code
        if channel == "civil_service":
            if rng.random() < 0.6:
                other = rng.choice(county.townships)
                return f"{county.name}{other.name}{'办事处' if other.kind == 'street' else '人民政府'}", other.code
            return f"{county.name}{rng.choice(pools.COUNTY_BUREAUS)}", county.code
        if channel == "public_institution":
            other = rng.choice(county.townships) if rng.random() < 0.5 else township
            return f"{other.name}{rng.choice(pools.PUBLIC_INSTITUTION_UNITS)}", other.code
        if channel == "self_employed":
            return "自主创业", village.code
        if channel == "other_employment":
            place = rng.choice(pools.PLACE_FIRST) + rng.choice(pools.PLACE_SECOND)
            return rng.choice(pools.COMPANIES).format(place=place), None
        if channel == "further_study":
            return f"{self.universities.pick(rng)}(攻读硕士研究生)", None
        return "", None

    # --- the two committees of one village ---------------------------------------------------

    def _slots(self, shape: list) -> list[tuple[str, int]]:
        """This election's seats, chiefs first; the deputies come and go now and then."""
        rng = self.rng
        if rng.random() < 0.15:
            shape[2] = rng.random() < 0.5
        if rng.random() < 0.15:
            shape[3] = rng.random() < 0.55
        slots = [(S, 0), (D, 0)]
        if shape[2]:
            slots.append((DS, 0))
        if shape[3]:
            slots.append((DD, 0))
        slots += [(PM, i) for i in range(shape[0])]
        slots += [(CM, i) for i in range(shape[1])]
        return slots

    def _cadre_new(
        self,
        bundle: _Bundle,
        county: _County,
        village: _Village,
        slot: tuple[str, int],
        day: dt.date,
        cadres: dict[int, list],
    ) -> int:
        rng = self.rng
        role = slot[0]
        age = (
            rng.randint(35, 55) if RANK[role] == 3 else rng.randint(30, 52) if RANK[role] == 2 else rng.randint(25, 52)
        )
        if role == CM and slot[1] == 0:
            gender = "female" if rng.random() < 0.75 else "male"
        else:
            gender = (
                "male" if rng.random() < (0.93 if RANK[role] == 3 else 0.85 if RANK[role] == 2 else 0.78) else "female"
            )
        birth = self._birth(day.year - age)
        party = role in PARTY_ROLES or rng.random() < 0.5
        if party:
            political, joined = "party_member", self._party_joined(birth, day)
        else:
            roll = rng.random()
            political = "masses" if roll < 0.85 else "non_party" if roll < 0.95 else "democratic_party"
            joined = None
        education, school, major = self._cadre_education(county, birth.year)
        pid = self.person_add(
            bundle,
            county,
            home=village.code,
            birth=birth,
            gender=gender,
            education=education,
            political=political,
            party_joined=joined,
            school=school,
            major=major,
        )
        cadres[pid] = [birth.year, party, True]
        return pid

    def _village_posts(
        self, bundle: _Bundle, county: _County, village: _Village, windows: list[tuple[_Graduate, _Window]]
    ) -> dict[int, list]:
        """Simulate the two committees of one village; write its posts; return its cadres
        (person id -> [birth year, party member, still active])."""
        rng = self.rng
        code = village.code
        shape = [
            rng.choice((1, 2, 2, 2, 3, 3)),
            rng.choice((2, 2, 3, 3, 3, 4)),
            rng.random() < 0.5,
            rng.random() < 0.55,
        ]
        cadres: dict[int, list] = {}
        graduates = {g.pid: g for g, _ in windows}
        opened: dict[tuple[int, str], dt.date] = {}
        posts: list[tuple[int, str, dt.date, dt.date | None, str]] = []

        def begin(pid: int, role: str, day: dt.date) -> None:
            if (pid, role) not in opened:
                opened[(pid, role)] = day

        def finish(pid: int, role: str, day: dt.date, reason: str) -> None:
            start = opened.pop((pid, role), None)
            if start is not None:
                posts.append((pid, role, start, max(day, start), reason))

        team: dict[tuple[str, int], int] = {}
        rounds = village.rounds
        for k, day in enumerate(rounds):
            horizon = rounds[k + 1] - DAY if k + 1 < len(rounds) else AS_OF
            previous = team
            holders = list(dict.fromkeys(previous.values()))
            staying = {}
            for pid in holders:
                if pid in graduates and pid not in cadres:
                    staying[pid] = any(
                        w.end is None or w.end >= day for g, w in windows if g.pid == pid and w.start <= day
                    )
                    continue
                birth_year, _, active = cadres[pid]
                age = day.year - birth_year
                leave = 0.05 + (0.2 if age >= 62 else 0) + (0.5 if age >= 68 else 0)
                staying[pid] = active and rng.random() >= leave
            team = {}
            placed: list[int] = []
            for g, w in windows:
                slot = w.elect.get(k)
                if slot is not None:
                    while slot in team:
                        slot = (CM, slot[1] + 10)
                    team[slot] = g.pid
                    placed.append(g.pid)
            one_shoulder = rng.random() < ONE_SHOULDER[k]
            for slot in self._slots(shape):
                if slot in team:
                    continue
                role = slot[0]
                if slot == (D, 0) and one_shoulder and team.get((S, 0)) in cadres:
                    team[slot] = team[(S, 0)]
                    continue
                if role == CM and slot[1] > 0 and (PM, slot[1]) in team and rng.random() < 0.3:
                    # 交叉任职: a party committee member also sits on the villagers' committee.
                    pid = team[(PM, slot[1])]
                    if pid in cadres and not any(p == pid for (r, _), p in team.items() if r == CM):
                        team[slot] = pid
                        continue
                holder = previous.get(slot)
                if (
                    holder is not None
                    and staying.get(holder)
                    and holder not in placed
                    and rng.random() < 0.92
                    and (holder in cadres or holder in graduates)
                ):
                    team[slot] = holder
                    placed.append(holder)
                    continue
                if RANK[role] > 1 and rng.random() < 0.6:
                    candidates = [
                        pid
                        for pid in holders
                        if staying.get(pid)
                        and pid not in placed
                        and pid in cadres
                        and (role not in PARTY_ROLES or cadres[pid][1])
                        and max(RANK[r] for (r, _), p in previous.items() if p == pid) < RANK[role]
                    ]
                    if candidates:
                        pid = rng.choice(candidates)
                        team[slot] = pid
                        placed.append(pid)
                        continue
                if rng.random() < 0.7:  # an incumbent whose own seat went moves to this one
                    candidates = [
                        pid
                        for pid in holders
                        if staying.get(pid)
                        and pid not in placed
                        and pid in cadres
                        and (role not in PARTY_ROLES or cadres[pid][1])
                    ]
                    if candidates:
                        pid = rng.choice(candidates)
                        team[slot] = pid
                        placed.append(pid)
                        continue
                if k > 0 and rng.random() < 0.06:
                    former = [
                        pid
                        for pid, (birth_year, party, active) in cadres.items()
                        if not active
                        and day.year - birth_year < 58
                        and pid not in placed
                        and (role not in PARTY_ROLES or party)
                    ]
                    if former:
                        pid = rng.choice(former)
                        cadres[pid][2] = True
                        team[slot] = pid
                        placed.append(pid)
                        continue
                pid = self._cadre_new(bundle, county, village, slot, day, cadres)
                team[slot] = pid
                placed.append(pid)
            for pid in holders:
                if pid in cadres and pid not in team.values():
                    cadres[pid][2] = False
            # Posts at the election day: the day before closes, the day itself opens.
            held = {(pid, slot[0]) for slot, pid in team.items()}
            ranks: dict[int, int] = {}
            for (role, _), pid in team.items():
                ranks[pid] = max(ranks.get(pid, 0), RANK[role])
            for pid, role in list(opened):
                if role in (SA, DA) or (pid, role) in held:
                    continue
                if pid in ranks and ranks[pid] > RANK[role]:
                    reason = "promoted"
                else:
                    reason = "term_ended" if rng.random() < 0.92 else "other"
                finish(pid, role, day - DAY, reason)
            for slot, pid in team.items():
                role = slot[0]
                if (pid, role) in opened:
                    if opened[(pid, role)] < day and rng.random() < 0.85:  # re-elected: a new term
                        finish(pid, role, day - DAY, "term_ended")
                        begin(pid, role, day)
                else:
                    begin(pid, role, day)
                    if pid in graduates:
                        for assistant in (SA, DA):
                            if (pid, assistant) in opened and rng.random() < 0.7:
                                finish(pid, assistant, day - DAY, "promoted")
            # What happens between this election and the next.
            events: list[tuple[int, int, str, object]] = []
            sequence = 0
            for g, w in windows:
                if day <= w.start <= horizon or (k == 0 and w.start < day):
                    events.append((w.start.toordinal(), sequence, "start", (g, w)))
                    sequence += 1
                if w.end is not None and day <= w.end <= horizon:
                    events.append((w.end.toordinal(), sequence, "end", (g, w)))
                    sequence += 1
            span = (horizon - day).days
            if span > 150:
                for pid in list(dict.fromkeys(team.values())):
                    if pid in cadres and pid not in graduates and rng.random() < 0.05:
                        when = day.toordinal() + rng.randint(60, span - 60)
                        events.append((when, sequence, "leave", pid))
                        sequence += 1
            heapq.heapify(events)
            while events:
                when, _, what, payload = heapq.heappop(events)
                today = dt.date.fromordinal(when)
                if what == "start":
                    g, w = payload
                    begin(g.pid, SA if g.party and rng.random() < 0.6 else DA, w.start)
                elif what == "end":
                    g, w = payload
                    for pid, role in [key for key in opened if key[0] == g.pid]:
                        if role in (SA, DA):
                            finish(pid, role, today, "term_ended")
                        elif not w.stays:
                            finish(pid, role, today, "promoted" if g.cadre_level and w.final else "transferred")
                    if w.stays:
                        cadres[g.pid] = [g.birth.year, g.party, True]
                        if g.pid not in team.values():
                            slot = (
                                (DS, 0)
                                if g.party and (DS, 0) not in team
                                else (DD, 0)
                                if (DD, 0) not in team
                                else (CM, 20)
                            )
                            while slot in team:
                                slot = (CM, slot[1] + 1)
                            team[slot] = g.pid
                            begin(g.pid, slot[0], today + DAY)
                    else:
                        for slot in [s for s, p in team.items() if p == g.pid]:
                            del team[slot]
                elif what == "leave":
                    pid = payload
                    if not cadres[pid][2] or pid not in team.values():
                        continue
                    reason = self.leave_reasons.pick(rng)
                    for p, role in [key for key in opened if key[0] == pid]:
                        finish(p, role, today, reason)
                    cadres[pid][2] = False
                    vacated = [s for s, p in team.items() if p == pid]
                    for slot in vacated:
                        del team[slot]
                    for slot in vacated:
                        by_election = when + rng.randint(30, 150)
                        if by_election < horizon.toordinal() and rng.random() < 0.7:
                            events_push = (by_election, sequence, "by_election", slot)
                            sequence += 1
                            heapq.heappush(events, events_push)
                elif what == "by_election":
                    slot = payload
                    if slot in team:
                        continue
                    role = slot[0]
                    members = [
                        p
                        for s, p in team.items()
                        if RANK[s[0]] < RANK[role]
                        and p in cadres
                        and p not in graduates
                        and cadres[p][2]
                        and (role not in PARTY_ROLES or cadres[p][1])
                    ]
                    if RANK[role] >= 2 and members and rng.random() < 0.5:
                        pid = rng.choice(members)
                        if rng.random() < 0.5:  # hands over the old seat the day before
                            for s in [s for s, p in team.items() if p == pid]:
                                finish(pid, s[0], today - DAY, "promoted")
                                del team[s]
                    else:
                        pid = self._cadre_new(bundle, county, village, slot, today, cadres)
                    team[slot] = pid
                    begin(pid, role, today)
        for (pid, role), start in opened.items():
            posts.append((pid, role, start, None, ""))
        self._posts_write(bundle, code, posts)
        # Annual assessments of secretaries and directors (graduate officials have their own).
        seen: dict[tuple[int, int], None] = {}
        for pid, role, start, end, _ in posts:
            if RANK[role] != 3 or pid in graduates:
                continue
            for year in ASSESSED_CADRE_YEARS:
                dec31 = dt.date(year, 12, 31)
                if start <= dec31 and (end is None or end >= dec31) and (pid, year) not in seen:
                    seen[(pid, year)] = None
                    bundle.rows[Assessment].append(
                        f"{self.next_id('assessment')}\t{pid}\t{year}\tannual\t{self.grades.pick(rng)}\n"
                    )
        # Training for the secretaries in office.
        for pid, role in opened:
            if role == S and pid not in graduates and rng.random() < 0.5:
                title, hours = rng.choice(pools.TRAININGS_CADRE)
                begin_day = dt.date(2012, 3, 1) + dt.timedelta(days=rng.randrange(1150))
                organizer = f"中共{county.name if rng.random() < 0.7 else county.city_name}委组织部"
                self._training_add(bundle, pid, title, int(hours), organizer, begin_day)
        return cadres

    def _training_add(self, bundle: _Bundle, pid: int, title: str, hours: int, organizer: str, start: dt.date) -> None:
        """On-site courses run eight hours a day; remote ones over one to three months, still
        open when they run past the as-of date."""
        if "远程" in title:
            end = start + dt.timedelta(days=self.rng.randint(30, 90))
            end, mode = (end if end <= AS_OF else None), "remote"
        else:
            end, mode = start + DAY * max(hours // 8 - 1, 0), "on_site"
        bundle.rows[Training].append(
            f"{self.next_id('training')}\t{pid}\t{title}\t{organizer}\t{start}\t{_n(end)}\t{hours}.0\t{mode}\n"
        )

    def _posts_write(self, bundle: _Bundle, code: str, posts: list) -> None:
        rows = bundle.rows[Post]
        for pid, role, start, end, reason in posts:
            rows.append(f"{self.next_id('post')}\t{pid}\t{code}\t{role}\t{start}\t{_n(end)}\t{reason}\n")

    # --- returnees, rural talents, ventures --------------------------------------------------

    def _village_people(self, bundle: _Bundle, county: _County, village: _Village, cadres: dict[int, list]) -> None:
        rng, scale, rows = self.rng, self.scale, bundle.rows
        cadre_ids = [pid for pid, (birth_year, _, active) in cadres.items() if active and birth_year >= 1960]
        returnees: dict[int, dt.date] = {}  # person id -> returned on
        count = self._poisson(scale.returnees_per_village)
        for _ in range(count):
            returned = dt.date(2003, 1, 1) + dt.timedelta(days=rng.randrange((AS_OF - dt.date(2003, 1, 1)).days))
            if cadre_ids and rng.random() < 0.2:
                pid = rng.choice(cadre_ids)
                if pid in returnees:
                    continue
            else:
                age = rng.randint(24, 50)
                birth = self._birth(returned.year - age)
                education = next(w for limit, w in self.education_by_era if birth.year < limit).pick(rng)
                roll = rng.random()
                political = (
                    "party_member"
                    if roll < 0.15
                    else "league_member"
                    if birth.year >= 1988 and roll < 0.3
                    else "masses"
                )
                pid = self.person_add(
                    bundle,
                    county,
                    home=village.code,
                    birth=birth,
                    gender="male" if rng.random() < 0.72 else "female",
                    education=education,
                    political=political,
                    party_joined=self._party_joined(birth, returned) if political == "party_member" else None,
                )
            returnees[pid] = returned
            rows[Returnee].append(
                f"{pid}\t{self.work_cities.pick(rng)}\t{rng.choice(pools.PREVIOUS_OCCUPATIONS)}\t{returned}\n"
            )
        talents: list[int] = []
        talent_ids: dict[int, None] = {}
        for pid in cadre_ids:
            if rng.random() < 0.12:
                talent_ids[pid] = None
        for pid in returnees:
            if rng.random() < 0.3:
                talent_ids[pid] = None
        for _ in range(self._poisson(scale.talents_per_village)):
            birth = self._birth(rng.randint(1950, 1990))
            education = next(w for limit, w in self.education_by_era if birth.year < limit).pick(rng)
            political = "party_member" if rng.random() < 0.12 else "masses"
            pid = self.person_add(
                bundle,
                county,
                home=village.code,
                birth=birth,
                gender="male" if rng.random() < 0.7 else "female",
                education=education,
                political=political,
                party_joined=self._party_joined(birth, AS_OF) if political == "party_member" else None,
            )
            talent_ids[pid] = None
        for pid in talent_ids:
            category = self.talent_categories.pick(rng)
            options = pools.SPECIALTIES[category]
            picks = rng.sample(options, k=min(len(options), 1 if rng.random() < 0.6 else rng.randint(2, 3)))
            specialties = "{" + ",".join(s for s, _ in picks) + "}"
            scale_text = picks[0][1].format(n=rng.choice((5, 10, 20, 30, 50, 80, 100, 150, 200, 300, 500)))
            roll = rng.random()
            title = "none" if roll < 0.55 else "junior" if roll < 0.82 else "intermediate" if roll < 0.96 else "senior"
            rows[RuralTalent].append(f"{pid}\t{category}\t{specialties}\t{title}\t{scale_text}\n")
            talents.append(pid)
            if rng.random() < 0.15:
                course, hours = rng.choice(pools.TRAININGS_TALENT)
                organizer = f"{county.name}{'农业局' if rng.random() < 0.6 else '人力资源和社会保障局'}"
                begin = dt.date(2010, 3, 1) + dt.timedelta(days=rng.randrange(1850))
                self._training_add(bundle, pid, course, int(hours), organizer, begin)
        # Ventures: most returnees found one, some talents and cadres too; partners join.
        people = list(dict.fromkeys([*returnees, *talents, *cadre_ids]))
        for pid in [*returnees, *talents]:
            chance = 0.6 if pid in returnees else 0.08
            if rng.random() >= chance:
                continue
            for _ in range(2 if rng.random() < 0.12 else 1):
                founders = [pid]
                roll = rng.random()
                partners = 0 if roll < 0.72 else 1 if roll < 0.92 else 2
                for _ in range(partners):
                    other = rng.choice(people)
                    if other not in founders:
                        founders.append(other)
                if pid in returnees:  # some months after coming home
                    when = min(returnees[pid] + dt.timedelta(days=rng.randint(30, 900)), AS_OF)
                else:
                    when = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange((AS_OF - dt.date(2005, 1, 1)).days))
                self._venture_add(bundle, founders, village, when)

    def _poisson(self, mean: float) -> int:
        # Knuth's method; the means are small.
        rng, limit, k, p = self.rng, math.exp(-mean), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    def _venture_add(self, bundle: _Bundle, founders: list[int], village: _Village, founded: dt.date) -> None:
        rng, rows = self.rng, bundle.rows
        industry = self.industries.pick(rng)
        stem, suffix = rng.choice(pools.VENTURE_NAMES[industry])
        place = village.name[:-2] if village.kind == "community" else village.name[:-1]
        name = (
            f"{_short_name(village.township.name)}{place}{stem}{suffix}"
            if rng.random() < 0.6
            else f"{place}{stem}{suffix}"
        )
        vid = self.next_id("venture")
        investment = rng.choice((5, 10, 20, 30, 50, 80, 100, 150, 200, 300, 500, 800)) * rng.uniform(0.8, 1.2)
        revenue = investment * rng.uniform(0.2, 2.5)
        jobs = rng.randint(2, 12) if investment < 100 else rng.randint(8, 120)
        division = village.code if rng.random() < 0.8 else village.township.code
        rows[Venture].append(
            f"{vid}\t{name}\t{industry}\t{division}\t{founded}\t{investment:.2f}\t{jobs}\t{revenue:.2f}\n"
        )
        for pid in founders:
            rows[VentureFounder].append(f"{self.next_id('founder')}\t{vid}\t{pid}\n")


@dataclass
class _Bundle:
    """The rows of one county, as COPY text lines per model."""

    villages: int
    rows: dict[type[models.Model], list[str]] = field(default_factory=lambda: {m: [] for m in LOAD_ORDER})
    id_sequences: dict[tuple[dt.date, str], int] = field(default_factory=dict)


# --- Loading ---------------------------------------------------------------------------------


REGISTRY_MODELS = (Division, *COLUMNS)


def registry_tables() -> list[str]:
    """The registry's tables and their history (event) tables, in a fixed order. Eligibility
    rules are configuration and stay; eligibility facts, derived from posts and terms, and
    staff accounts, which point at divisions, go with them (CASCADE)."""
    config = apps.get_app_config("talent")
    events = [m._meta.db_table for m in config.get_models() if getattr(m, "pgh_tracked_model", None) in REGISTRY_MODELS]
    return [m._meta.db_table for m in REGISTRY_MODELS] + sorted(events)


def registry_truncate() -> int:
    """Empty the registry and its history (RESTART IDENTITY); returns how many staff accounts
    were removed with the divisions they point at."""
    from talent.models import StaffAccount

    staff = StaffAccount.objects.count()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in registry_tables())} RESTART IDENTITY CASCADE")
    return staff


# Triggers switched off for the load, inside its transaction (the history triggers stay on):
LOAD_TRIGGERS_OFF = (
    # The eligibility facts (talent.eligibility) are kept by statement triggers that refresh the
    # facts of the people each INSERT touches, reading their rows through the person indexes.
    # The load drops those indexes until its end, so each refresh would scan the posts loaded
    # so far: time quadratic in the size of the load. The facts are rebuilt once at the end
    # instead, in one pass (about 18 s for the province).
    ("talent_post", "talent_post_facts_insert"),
    ("talent_serviceterm", "talent_term_facts_insert"),
    # Each person's places (talent.places) likewise: rebuilt once at the end, in one pass.
    ("talent_person", "talent_person_places_insert"),
    ("talent_post", "talent_post_places_insert"),
    ("talent_serviceterm", "talent_term_places_insert"),
    # Writing a group record bumps its person's row version (the ETag). The load creates the
    # people in the same transaction, with fresh versions; the bump would only add an "update"
    # event, with nothing changed, to each person's history.
    ("talent_graduateofficial", "person_row_version_bump"),
    ("talent_returnee", "person_row_version_bump"),
    ("talent_ruraltalent", "person_row_version_bump"),
)


def _load_triggers(cursor, *, enable: bool) -> list[tuple[str, str]]:
    """Switch the ``LOAD_TRIGGERS_OFF`` that exist on or off; returns those switched."""
    cursor.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE (c.relname, t.tgname) IN (SELECT * FROM unnest(%s::text[], %s::text[])) ORDER BY 1, 2",
        [[table for table, _ in LOAD_TRIGGERS_OFF], [trigger for _, trigger in LOAD_TRIGGERS_OFF]],
    )
    found = cursor.fetchall()
    quote = connection.ops.quote_name
    for table, trigger in found:
        cursor.execute(f"ALTER TABLE {quote(table)} {'ENABLE' if enable else 'DISABLE'} TRIGGER {quote(trigger)}")
    return found


def _indexes_drop(cursor, tables: list[str]) -> list[str]:
    """Drop the plain secondary indexes of ``tables`` (none that is unique or backs a primary
    key, unique or exclusion constraint, so every rule is still checked row by row); return
    their definitions for ``_indexes_create``. Building an index once over the loaded rows is
    much cheaper than updating it for each of millions of rows (PostgreSQL manual, "Populating
    a Database")."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1",
        [tables],
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _, definition in found]


def _indexes_create(cursor, definitions: list[str], *, bar_off: bool | None) -> None:
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for definition in tqdm(definitions, desc="重建索引", unit="个", file=sys.stderr, disable=bar_off):
        cursor.execute(definition)


def _sequences_set(cursor) -> None:
    for model in (Person, ServiceTerm, Post, Assessment, Training, Venture, VentureFounder, MobilityEvent):
        table = model._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            f"FROM {connection.ops.quote_name(table)}",
            [table],
        )


def _counties_chosen(scale: Scale) -> list[tuple[str, str, str]]:
    cities = dict(Division.objects.filter(level="city", code__startswith=PROVINCE).values_list("code", "name"))
    counties = Division.objects.filter(level="county", code__startswith=PROVINCE).order_by("code")
    if scale.counties:
        counties = counties.filter(code__in=[c.ljust(12, "0") for c in scale.counties])
    return [(c.code, c.name, cities.get(c.parent_id, "")) for c in counties.only("code", "name", "parent_id")]


def _bundles(demo: _Demo, counties: list[_County], stop: threading.Event) -> Iterable[_Bundle]:
    """County bundles built by a generator thread, one county ahead of the writer."""
    channel: queue.Queue = queue.Queue(maxsize=2)
    done = object()

    def produce() -> None:
        try:
            for county in counties:
                bundle = demo.county_bundle(county)
                county.villages = []  # free the county's plan once its rows exist
                while not stop.is_set():
                    try:
                        channel.put(bundle, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            channel.put(done)
        except BaseException as error:  # handed to the writer, which re-raises it
            channel.put(error)

    worker = threading.Thread(target=produce, name="seed-demo-generator", daemon=True)
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _registry_prepare(*, reset: bool, summary: DemoSummary) -> None:
    if reset:
        summary.truncated_staff_accounts = registry_truncate()
        return
    people, ventures = Person.objects.count(), Venture.objects.count()
    if people or ventures:
        raise DemoError(PEOPLE_EXIST.format(people=people, ventures=ventures))


def _places_write(cursor, demo: _Demo, *, scale: Scale, bar_off: bool | None, log) -> list[_County]:
    """The real divisions of Hunan, then the generated townships and villages."""
    loaded = divisions_load(revision=DEMO_REVISION, provinces=[PROVINCE])
    log(f"GB/T 2260 {loaded.revision}:湖南省、地级和县级区划新增 {loaded.total_created},更新 {loaded.total_updated}")
    chosen = _counties_chosen(scale)
    for code, name, _ in chosen:
        if Division.objects.filter(code__startswith=code[:6], level__in=("township", "village")).exists():
            raise DemoError(DIVISIONS_EXIST.format(county=name))
    counties = demo.counties_plan(chosen)
    for county in tqdm(counties, desc="乡镇和村", unit="县", file=sys.stderr, disable=bar_off):
        _copy(cursor, Division, DIVISION_COLUMNS, demo.division_lines(county))
    return counties


def _records_write(cursor, demo: _Demo, counties: list[_County], *, summary: DemoSummary, bar_off: bool | None) -> None:
    """People and everything about them, county by county."""
    counts = dict.fromkeys(LOAD_ORDER, 0)
    seconds = dict.fromkeys(LOAD_ORDER, 0.0)
    stop = threading.Event()
    total = sum(len(c.villages) for c in counties)
    with tqdm(total=total, desc="人员与记录", unit="村", file=sys.stderr, disable=bar_off) as bar:
        for bundle in _bundles(demo, counties, stop):
            for model in LOAD_ORDER:
                started = time.monotonic()
                _copy(cursor, model, COLUMNS[model], bundle.rows[model])
                seconds[model] += time.monotonic() - started
                counts[model] += len(bundle.rows[model])
            bar.update(bundle.villages)
            bar.set_postfix(人员=counts[Person], 职务=counts[Post], refresh=False)
    for model in LOAD_ORDER:
        summary.counts[model._meta.db_table] = counts[model]
        summary.copy_seconds[model._meta.db_table] = seconds[model]


def _statistics_update(*, summary: DemoSummary, bar_off: bool | None) -> None:
    """ANALYZE what was loaded, history included, and count the history rows. The registry's
    own tables and the facts are vacuumed too (outside a transaction): that marks their pages
    all-visible, so the indexes that answer "within" and the candidates' facts are read without
    the rows from the first request on, not only once autovacuum has come by."""
    quote = connection.ops.quote_name
    derived = [EligibilityFact._meta.db_table, PersonPlace._meta.db_table]
    tables = [*registry_tables(), *derived]
    # VACUUM cannot run in a transaction (a caller's, a test's): there ANALYZE alone.
    own = {*tables[: len(REGISTRY_MODELS)], *derived}
    vacuumed = set() if connection.in_atomic_block else own
    with connection.cursor() as cursor:
        for table in tqdm(tables, desc="统计信息", unit="表", file=sys.stderr, disable=bar_off):
            cursor.execute(f"{'VACUUM (ANALYZE)' if table in vacuumed else 'ANALYZE'} {quote(table)}")
        events = 0
        for table in tables[len(REGISTRY_MODELS) :]:
            if table.endswith("event"):
                cursor.execute(f"SELECT count(*) FROM {quote(table)}")
                events += cursor.fetchone()[0]
    summary.counts["(变更历史事件)"] = events
    summary.counts[EligibilityFact._meta.db_table] = EligibilityFact.objects.count()
    summary.counts[PersonPlace._meta.db_table] = PersonPlace.objects.count()


def demo_seed(
    *,
    scale: str,
    seed: int = 1,
    reset: bool = False,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build the demo registry at ``scale`` from ``seed`` in one transaction; with ``reset``
    empty the registry and its history first, otherwise refuse when it holds people or
    ventures. ``progress`` shows a bar per stage on stderr (None: only on a terminal)."""
    if scale not in SCALES:
        raise DemoError(UNKNOWN_SCALE.format(scale=scale, choices="、".join(SCALES)))
    copy_columns_check()
    log = log or (lambda line: None)
    bar_off = None if progress is None else not progress
    summary = DemoSummary(scale=scale, seed=seed)
    demo = _Demo(scale=SCALES[scale], seed=seed)
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked as each COPY ends, while the next county is being built, and
        # their events never pile up in the transaction's deferred-event list, which every
        # history trigger's rolled-back exception block would walk again (docs/import.md).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _registry_prepare(reset=reset, summary=summary)
        _load_triggers(cursor, enable=False)
        counties = _places_write(cursor, demo, scale=SCALES[scale], bar_off=bar_off, log=log)
        summary.counts[Division._meta.db_table] = Division.objects.count()
        summary.seconds["区划"] = time.monotonic() - started

        stage = time.monotonic()
        indexes = _indexes_drop(cursor, registry_tables())
        _records_write(cursor, demo, counties, summary=summary, bar_off=bar_off)
        _sequences_set(cursor)
        summary.seconds["人员与记录"] = time.monotonic() - stage

        stage = time.monotonic()
        _indexes_create(cursor, indexes, bar_off=bar_off)
        summary.seconds["重建索引"] = time.monotonic() - stage

        stage = time.monotonic()
        _load_triggers(cursor, enable=True)
        facts_rebuild()
        summary.seconds["资格预计算"] = time.monotonic() - stage
        stage = time.monotonic()
        places_rebuild()
        summary.seconds["人员所在区划"] = time.monotonic() - stage
        stage = time.monotonic()
    summary.seconds["提交"] = time.monotonic() - stage

    stage = time.monotonic()
    _statistics_update(summary=summary, bar_off=bar_off)
    summary.seconds["ANALYZE"] = time.monotonic() - stage
    summary.seconds["合计"] = time.monotonic() - started
    return summary
