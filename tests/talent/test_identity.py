"""Resident ID numbers (GB 11643-1999): the rules in talent.identity, the same rules seen
through ``Person.full_clean()``, and the database's check-character function agreeing with
Python's."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from talent import identity
from talent.identity import (
    ID_BAD_BIRTH_DIGITS,
    ID_BAD_CHECKSUM,
    ID_BIRTH_MISMATCH,
    ID_GENDER_MISMATCH,
    ID_MALFORMED,
    ID_OLD_FORMAT,
)
from talent.models import Person
from tests.factories import person_build

D = dt.date.fromisoformat

# The two examples of DOMAIN.md.
WOMAN_1949 = ("11010519491231002X", D("1949-12-31"), "female")
MAN_1880 = ("440524188001010014", D("1880-01-01"), "male")


def with_check_char(first17: str) -> str:
    return first17 + identity.id_check_char(first17)


def clean_errors(**overrides) -> dict[str, list[str]]:
    """The message dict of Person.full_clean() for a person built with ``overrides``."""
    person = person_build(**overrides)
    with pytest.raises(ValidationError) as excinfo:
        person.full_clean()
    return excinfo.value.message_dict


# --- talent.identity -----------------------------------------------------------------------


@pytest.mark.parametrize(("number", "birth_date", "gender"), [WOMAN_1949, MAN_1880])
def test_domain_examples_are_valid(number, birth_date, gender):
    assert identity.id_number_errors(number) == []
    assert identity.id_birth_date(number) == birth_date
    assert identity.id_gender(number) == gender
    assert identity.id_agreement_errors(number, birth_date=birth_date, gender=gender) == {}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002x ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width, from a Chinese IME
        ("110105\u300019491231002X", "11010519491231002X"),  # ideographic space
    ],
)
def test_normalize_id_number(typed, stored):
    assert identity.normalize_id_number(typed) == stored
    assert identity.id_number_errors(identity.normalize_id_number(typed)) == []


def test_check_characters_of_the_examples():
    assert identity.id_check_char("11010519491231002") == "X"
    assert identity.id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(("number", "expected"), [("110105194912310021", "X"), ("44052418800101001X", "4")])
def test_bad_checksum_names_the_expected_character(number, expected):
    assert identity.id_number_errors(number) == [str(ID_BAD_CHECKSUM).format(expected=expected)]


def test_old_15_digit_numbers_are_refused_with_their_own_message():
    assert identity.id_number_errors("110105491231002") == [str(ID_OLD_FORMAT)]


@pytest.mark.parametrize(
    "number",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002X0",  # 19 characters
        "11010519491231002A",  # a letter other than X at the end
        "1101051949123100X2",  # X before the end
        "11010A19491231002X",  # a letter inside
        "11010519491231002-",
        "11010519491231002x",  # lower case is refused until normalized
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits: Python's \d would take them, the database does not
        "1101051949123100",  # 16 digits
        "11010549123100",  # 14 digits
        "11010519491231002X\n",  # a trailing newline
    ],
)
def test_malformed_numbers(number):
    assert identity.id_number_errors(number) == [str(ID_MALFORMED)]


@pytest.mark.parametrize("digits", ["19490230", "19491301", "19490000", "19490100", "19000229", "20230229"])
def test_impossible_birth_dates(digits):
    number = with_check_char(f"110105{digits}002")
    assert identity.id_birth_date(number) is None
    assert identity.id_number_errors(number) == [str(ID_BAD_BIRTH_DIGITS).format(digits=digits)]


def test_leap_day_is_a_possible_birth_date():
    number = with_check_char("11010520000229002")
    assert identity.id_number_errors(number) == []
    assert identity.id_birth_date(number) == D("2000-02-29")


def test_impossible_date_and_bad_checksum_are_both_reported():
    first17 = "11010519490230002"
    wrong = "0" if identity.id_check_char(first17) != "0" else "1"
    assert identity.id_number_errors(first17 + wrong) == [
        str(ID_BAD_BIRTH_DIGITS).format(digits="19490230"),
        str(ID_BAD_CHECKSUM).format(expected=identity.id_check_char(first17)),
    ]


def test_agreement_errors_are_keyed_by_the_disagreeing_field():
    number, birth_date, _ = WOMAN_1949
    errors = identity.id_agreement_errors(number, birth_date=D("1949-12-30"), gender="male")
    assert errors == {
        "birth_date": str(ID_BIRTH_MISMATCH).format(id_date="1949-12-31", birth_date="1949-12-30"),
        "gender": str(ID_GENDER_MISMATCH).format(id_gender="女", gender="男"),
    }
    assert identity.id_agreement_errors(number, birth_date=birth_date, gender=None) == {}


@pytest.mark.parametrize("digit", "0123456789")
def test_the_17th_digit_gives_the_gender(digit):
    number = with_check_char(f"1101051949123100{digit}")
    assert identity.id_gender(number) == ("male" if int(digit) % 2 else "female")


def test_make_id_number_builds_the_domain_examples():
    assert identity.make_id_number("110105", D("1949-12-31"), 1, gender="female") == WOMAN_1949[0]
    assert identity.make_id_number("440524", D("1880-01-01"), 0, gender="male") == MAN_1880[0]


def test_make_id_number_round_trips():
    rng = random.Random(11643)
    seen = set()
    for _ in range(500):
        birth_date = D("1940-01-01") + dt.timedelta(days=rng.randrange(80 * 365))
        gender = rng.choice(["male", "female"])
        sequence = rng.randrange(500)
        number = identity.make_id_number("430104", birth_date, sequence, gender=gender)
        assert identity.id_number_errors(number) == [], number
        assert identity.id_birth_date(number) == birth_date
        assert identity.id_gender(number) == gender
        assert number[:6] == "430104"
        seen.add(number[17])
    # The sample exercised every check character, X included.
    assert seen == set(identity.ID_CHECK_CHARS)


def test_make_id_number_distinguishes_sequences():
    numbers = {
        identity.make_id_number("430104", D("1990-01-01"), sequence, gender=gender)
        for sequence in range(500)
        for gender in ("male", "female")
    }
    assert len(numbers) == 1000


# --- Person.full_clean ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("number", "birth_date", "gender"), [WOMAN_1949, MAN_1880])
def test_person_with_a_valid_number_is_clean_and_saved(number, birth_date, gender):
    person = person_build(id_number=number, birth_date=birth_date, gender=gender)
    person.full_clean()
    person.save()
    assert Person.objects.get(id_number=number).birth_date == birth_date


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ"])
def test_person_full_clean_normalizes_the_number(typed):
    person = person_build(id_number=typed, birth_date=D("1949-12-31"), gender="female")
    person.full_clean()
    assert person.id_number == "11010519491231002X"
    person.save()  # the database, which insists on ASCII and upper case, accepts it
    assert Person.objects.filter(id_number="11010519491231002X").exists()


@pytest.mark.django_db
def test_person_bad_checksum():
    errors = clean_errors(id_number="110105194912310021", birth_date=D("1949-12-31"), gender="female")
    assert errors == {"id_number": [str(ID_BAD_CHECKSUM).format(expected="X")]}


@pytest.mark.django_db
def test_person_birth_date_mismatch():
    errors = clean_errors(id_number=WOMAN_1949[0], birth_date=D("1949-12-30"), gender="female")
    assert errors == {"birth_date": [str(ID_BIRTH_MISMATCH).format(id_date="1949-12-31", birth_date="1949-12-30")]}


@pytest.mark.django_db
def test_person_gender_mismatch():
    errors = clean_errors(id_number=MAN_1880[0], birth_date=MAN_1880[1], gender="female")
    assert errors == {"gender": [str(ID_GENDER_MISMATCH).format(id_gender="男", gender="女")]}


@pytest.mark.django_db
def test_person_old_15_digit_number():
    errors = clean_errors(id_number="110105491231002", birth_date=D("1949-12-31"), gender="female")
    assert errors == {"id_number": [str(ID_OLD_FORMAT)]}


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["11010A19491231002X", "1101051949123100", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"])
def test_person_malformed_number(number):
    errors = clean_errors(id_number=number, birth_date=D("1949-12-31"), gender="female")
    assert errors == {"id_number": [str(ID_MALFORMED)]}


@pytest.mark.django_db
def test_person_number_too_long_reports_the_format_too():
    errors = clean_errors(id_number="11010519491231002X0", birth_date=D("1949-12-31"), gender="female")
    assert str(ID_MALFORMED) in errors["id_number"]


@pytest.mark.django_db
def test_person_impossible_birth_digits():
    number = with_check_char("11010519490230002")
    errors = clean_errors(id_number=number, birth_date=D("1949-02-28"), gender="female")
    assert errors == {"id_number": [str(ID_BAD_BIRTH_DIGITS).format(digits="19490230")]}


@pytest.mark.django_db
def test_person_duplicate_number_is_reported_on_the_field():
    first = person_build(id_number=MAN_1880[0], birth_date=MAN_1880[1], gender="male")
    first.full_clean()
    first.save()
    errors = clean_errors(id_number=MAN_1880[0], birth_date=MAN_1880[1], gender="male")
    assert list(errors) == ["id_number"]


@pytest.mark.django_db
def test_person_joined_the_party_on_the_birth_day():
    errors = clean_errors(birth_date=D("1990-05-17"), party_joined_on=D("1990-05-17"))
    assert errors == {"party_joined_on": ["入党时间必须晚于出生日期。"]}


# --- The database's check character --------------------------------------------------------


@pytest.mark.django_db
def test_database_check_character_agrees_with_python():
    rng = random.Random(1999)
    samples = ["".join(rng.choice("0123456789") for _ in range(17)) for _ in range(2000)]
    samples += ["11010519491231002", "44052418800101001", "00000000000000000", "99999999999999999"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT f, talent_id_check_char(f) FROM unnest(%s::text[]) AS f", [samples])
        database = dict(cursor.fetchall())
    python = {first17: identity.id_check_char(first17) for first17 in samples}
    assert database == python
    assert set(python.values()) == set(identity.ID_CHECK_CHARS)
