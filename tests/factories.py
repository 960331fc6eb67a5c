"""Small, explicit builders for valid test data.

Plain functions, no factory library: ``<model>_build(**overrides)`` returns an unsaved instance
(for ``bulk_create`` and tests that must bypass ``full_clean``), ``<model>_make(**overrides)``
validates it with ``full_clean()`` and saves it. Every default is valid against the model's
checks and the database's constraints; overrides may be invalid on purpose.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from talent import identity
from talent.choices import Education, Gender, Level, Role
from talent.models import (
    Assessment,
    Division,
    GraduateOfficial,
    Person,
    Post,
    ServiceTerm,
    Training,
    Venture,
    VentureFounder,
)

_counter = itertools.count(1)

# Address codes (GB/T 2260 county codes) used for generated ID numbers; when one birth date
# has used up its 500 sequence numbers the next address is taken, so numbers never repeat.
ID_ADDRESSES = ("430104", "430105", "430111", "430121", "440524", "110105")
DEFAULT_BIRTH_DATE = dt.date(1985, 1, 1)

# The default tree built by division_tree(): 湖南省 > 长沙市 > 岳麓区 > 莲花镇 > 桐木村 / 莲花社区.
DEFAULT_TREE = {
    "province": ("430000000000", "湖南省"),
    "city": ("430100000000", "长沙市"),
    "county": ("430104000000", "岳麓区"),
    "township": ("430104100000", "莲花镇"),
    "village": ("430104100201", "桐木村"),
    "community": ("430104100001", "莲花社区"),
}


def next_number() -> int:
    """A number never returned before in this test process."""
    return next(_counter)


def id_number_for(*, birth_date: dt.date, gender: str, n: int | None = None) -> str:
    """A valid ID number agreeing with ``birth_date`` and ``gender``, unique per call."""
    n = next_number() if n is None else n
    address = ID_ADDRESSES[(n // 500) % len(ID_ADDRESSES)]
    return identity.make_id_number(address, birth_date, n % 500, gender=gender)


# --- Divisions -----------------------------------------------------------------------------


def division_build(code: str, **overrides: Any) -> Division:
    """An unsaved division whose level, parent and village kind follow from ``code``.

    The parent is the nearest ancestor code that exists in the database (None if none does).
    """
    level = identity.code_level(code)
    values: dict[str, Any] = {"code": code, "name": f"区划{code}", "level": level}
    if level == Level.VILLAGE:
        values["kind"] = identity.village_kind_for_code(code)
        values["urban_rural_class"] = "220" if values["kind"] == "village" else "121"
    if level is not None and level != Level.PROVINCE and "parent" not in overrides:
        ancestors = identity.ancestor_codes(code)
        existing = set(Division.objects.filter(code__in=ancestors).values_list("code", flat=True))
        values["parent_id"] = next((c for c in ancestors if c in existing), None)
    values.update(overrides)
    return Division(**values)


def division_make(code: str, **overrides: Any) -> Division:
    division = division_build(code, **overrides)
    division.full_clean()
    division.save()
    return division


def division_get_or_make(code: str, **overrides: Any) -> Division:
    existing = Division.objects.filter(code=code).first()
    return existing if existing is not None else division_make(code, **overrides)


# Two cities of 湖南 with a county and a township each (长沙市: 岳麓区, 开福区; 株洲市: 荷塘区).
TWO_CITIES = [
    ("430000000000", "湖南省"),
    ("430100000000", "长沙市"),
    ("430104000000", "岳麓区"),
    ("430104100000", "莲花镇"),
    ("430105000000", "开福区"),
    ("430105100000", "捞刀河镇"),
    ("430200000000", "株洲市"),
    ("430202000000", "荷塘区"),
    ("430202100000", "仙庾镇"),
]


def divisions_make(pairs: Iterable[tuple[str, str]]) -> dict[str, Division]:
    """(code, name) pairs, parents first: each division by code, made if missing."""
    return {code: division_get_or_make(code, name=name) for code, name in pairs}


def division_tree() -> dict[str, Division]:
    """Province, city, county, township, a village (村委会) and a community (居委会): the tree of
    ``DEFAULT_TREE``. Safe to call more than once in a test."""
    tree = {}
    for key, (code, name) in DEFAULT_TREE.items():
        tree[key] = division_get_or_make(code, name=name)
    return tree


def village_make(code: str | None = None, **overrides: Any) -> Division:
    """A village under the default township (created if needed); a fresh code unless given."""
    tree = division_tree()
    if code is None:
        # Villages 202-399 of 莲花镇: 桐木村 is 201.
        used = set(Division.objects.filter(parent=tree["township"]).values_list("code", flat=True))
        code = next(f"430104100{n:03d}" for n in range(202, 400) if f"430104100{n:03d}" not in used)
    return division_get_or_make(code, **overrides)


def default_village() -> Division:
    return division_tree()["village"]


# --- People --------------------------------------------------------------------------------


def person_build(**overrides: Any) -> Person:
    """An unsaved person with a valid, unique ID number agreeing with birth date and gender.

    Pass ``birth_date`` and/or ``gender`` to have the ID number follow them; pass ``id_number``
    to set it verbatim.
    """
    n = next_number()
    gender = overrides.pop("gender", Gender.MALE if n % 2 else Gender.FEMALE)
    birth_date = overrides.pop("birth_date", DEFAULT_BIRTH_DATE + dt.timedelta(days=n % 3650))
    values: dict[str, Any] = {
        "name": f"测试人员{n}",
        "gender": gender,
        "birth_date": birth_date,
        "id_number": id_number_for(birth_date=birth_date, gender=gender, n=n),
        "education": Education.BACHELOR,
    }
    values.update(overrides)
    return Person(**values)


def person_make(**overrides: Any) -> Person:
    person = person_build(**overrides)
    person.full_clean()
    person.save()
    return person


def user_make(**overrides: Any):
    n = next_number()
    values = {"username": f"staff{n}", "is_staff": True}
    values.update(overrides)
    password = values.pop("password", "test-password")
    user = get_user_model()(**values)
    user.set_password(password)
    user.save()
    return user


# --- Graduate officials, terms, posts ------------------------------------------------------


def graduate_make(
    person: Person | None = None,
    *,
    terms: Iterable[tuple[dt.date | str, dt.date | str | None]] = (),
    village: Division | None = None,
    **overrides: Any,
) -> GraduateOfficial:
    """A graduate official, with service terms numbered 1, 2, … from ``terms`` ([start, end]
    pairs, ISO strings or dates, end None for an open term) in ``village``."""
    person = person or person_make()
    values: dict[str, Any] = {"person": person, "batch_year": 2010, "selected_on": dt.date(2010, 8, 1)}
    values.update(overrides)
    graduate = GraduateOfficial(**values)
    graduate.full_clean()
    graduate.save()
    village = village or default_village()
    for number, (start, end) in enumerate(terms, start=1):
        term_make(person=person, village=village, start=start, end=end, term_number=number)
    return graduate


def _date(value: dt.date | str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def term_build(**overrides: Any) -> ServiceTerm:
    values: dict[str, Any] = {"start": dt.date(2010, 8, 1), "end": dt.date(2013, 7, 31), "term_number": 1}
    values.update(overrides)
    values["start"], values["end"] = _date(values["start"]), _date(values["end"])
    if "village" not in values and "village_id" not in values:
        values["village"] = default_village()
    if "person" not in values and "person_id" not in values:
        values["person"] = graduate_make().person
    return ServiceTerm(**values)


def term_make(**overrides: Any) -> ServiceTerm:
    term = term_build(**overrides)
    term.full_clean()
    term.save()
    return term


def post_build(**overrides: Any) -> Post:
    values: dict[str, Any] = {"role": Role.PARTY_SECRETARY, "start": dt.date(2012, 1, 1), "end": None}
    values.update(overrides)
    values["start"], values["end"] = _date(values["start"]), _date(values["end"])
    if "village" not in values and "village_id" not in values:
        values["village"] = default_village()
    if "person" not in values and "person_id" not in values:
        values["person"] = person_make()
    return Post(**values)


def post_make(**overrides: Any) -> Post:
    post = post_build(**overrides)
    post.full_clean()
    post.save()
    return post


def posts_copy(rows: Iterable[tuple]) -> None:
    """Posts (person_id, village_id, role, start, end, end_reason) written by COPY, as
    seed_demo and roster imports write them: the statement triggers see one bulk insert."""
    from django.db import connection

    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            'COPY talent_post (person_id, village_id, role, start, "end", end_reason) FROM STDIN'
        ) as copy:
            for row in rows:
                copy.write_row(row)


# --- Assessments, trainings, ventures ------------------------------------------------------


def assessment_build(**overrides: Any) -> Assessment:
    values: dict[str, Any] = {"year": 2012, "kind": "annual", "grade": "competent"}
    values.update(overrides)
    if "person" not in values and "person_id" not in values:
        values["person"] = person_make()
    return Assessment(**values)


def assessment_make(**overrides: Any) -> Assessment:
    assessment = assessment_build(**overrides)
    assessment.full_clean()
    assessment.save()
    return assessment


def training_build(**overrides: Any) -> Training:
    values: dict[str, Any] = {
        "title": "村干部培训班",
        "start": dt.date(2013, 3, 1),
        "end": dt.date(2013, 3, 5),
        "hours": Decimal("32.0"),
    }
    values.update(overrides)
    values["start"], values["end"] = _date(values["start"]), _date(values["end"])
    if "person" not in values and "person_id" not in values:
        values["person"] = person_make()
    return Training(**values)


def training_make(**overrides: Any) -> Training:
    training = training_build(**overrides)
    training.full_clean()
    training.save()
    return training


def venture_build(**overrides: Any) -> Venture:
    values: dict[str, Any] = {
        "name": f"致富项目{next_number()}",
        "industry": "planting",
        "founded_on": dt.date(2012, 5, 1),
        "investment": Decimal("50.00"),
        "jobs_created": 12,
        "annual_revenue": Decimal("80.00"),
    }
    values.update(overrides)
    if "division" not in values and "division_id" not in values:
        values["division"] = default_village()
    return Venture(**values)


def venture_make(*, founders: Iterable[Person] = (), **overrides: Any) -> Venture:
    venture = venture_build(**overrides)
    venture.full_clean()
    venture.save()
    for person in founders:
        VentureFounder.objects.create(venture=venture, person=person)
    return venture
