"""Resident ID numbers (GB 11643-1999) and statistical division codes.

Pure functions with no database access, shared by model validation, imports and the demo
generator. Error messages are module constants so that tests and callers can name them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# ASCII digits only: Python's \d also matches other scripts' digits (full-width ０-９,
# Arabic-Indic ٠-٩ …), which int() accepts but the database's CHECK constraints refuse.
ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")
ID_OLD_PATTERN = re.compile(r"^[0-9]{15}$")

ID_OLD_FORMAT = _("15位旧身份证号码不再受理,请填写18位居民身份证号码。")
ID_MALFORMED = _("居民身份证号码应为18位:前17位为数字,最后一位为数字或X。")
ID_BAD_CHECKSUM = _("居民身份证号码校验位错误(应为 {expected})。")
ID_BAD_BIRTH_DIGITS = _("居民身份证号码中的出生日期 {digits} 不是有效日期。")
ID_BIRTH_MISMATCH = _("居民身份证号码中的出生日期 {id_date} 与填写的出生日期 {birth_date} 不一致。")
ID_GENDER_MISMATCH = _("居民身份证号码第17位表示{id_gender}性,与填写的性别({gender})不一致。")


def normalize_id_number(value: str) -> str:
    """Fold full-width characters typed with a Chinese input method (１２Ｘ, full-width spaces)
    to ASCII, strip spaces and upper-case a trailing x."""
    return unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_birth_date(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_gender(id_number: str) -> str:
    """'male' when the sequence digit (17th) is odd, otherwise 'female'."""
    return "male" if int(id_number[16]) % 2 else "female"


def id_number_errors(id_number: str) -> list[str]:
    """Format problems of an ID number on its own (length, characters, date, checksum)."""
    if ID_OLD_PATTERN.fullmatch(id_number):
        return [str(ID_OLD_FORMAT)]
    if not ID_PATTERN.fullmatch(id_number):
        return [str(ID_MALFORMED)]
    errors = []
    if id_birth_date(id_number) is None:
        errors.append(str(ID_BAD_BIRTH_DIGITS).format(digits=id_number[6:14]))
    expected = id_check_char(id_number[:17])
    if id_number[17] != expected:
        errors.append(str(ID_BAD_CHECKSUM).format(expected=expected))
    return errors


def id_agreement_errors(id_number: str, *, birth_date: dt.date | None, gender: str | None) -> dict[str, str]:
    """Disagreements between a well-formed ID number and the stored birth date and gender,
    keyed by the field that disagrees."""
    from talent.choices import Gender

    errors: dict[str, str] = {}
    id_date = id_birth_date(id_number)
    if birth_date is not None and id_date is not None and id_date != birth_date:
        errors["birth_date"] = str(ID_BIRTH_MISMATCH).format(
            id_date=id_date.isoformat(), birth_date=birth_date.isoformat()
        )
    if gender:
        expected = id_gender(id_number)
        if expected != gender:
            errors["gender"] = str(ID_GENDER_MISMATCH).format(
                id_gender=Gender(expected).label, gender=Gender(gender).label
            )
    return errors


def make_id_number(address6: str, birth_date: dt.date, sequence: int, *, gender: str) -> str:
    """Build a valid ID number; ``sequence`` (0–499) is turned odd for men and even for women."""
    seq = sequence * 2 + (1 if gender == "male" else 0)
    seq = seq % 1000
    first17 = f"{address6}{birth_date:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


# --- Statistical division codes ------------------------------------------------------------

CODE_PATTERN = re.compile(r"^[0-9]{12}$")  # ASCII digits only, as the database checks
CODE_MALFORMED = _("区划代码应为12位数字。")
CODE_LEVEL_MISMATCH = _("区划代码 {code} 的末尾零位表示{actual},与所填级别“{level}”不一致。")
CODE_NO_LEVEL = _("区划代码 {code} 不是有效的统计用区划代码(各级代码段不能在零段之后出现非零段)。")
CODE_PARENT_MISMATCH = _("上级区划 {parent} 不是 {code} 的上级代码(上级代码应为本代码的前缀)。")

# Significant digits of each level: province 2, city 4, county 6, township 9, village 12.
LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
SEGMENTS = ((0, 2), (2, 4), (4, 6), (6, 9), (9, 12))


def code_level(code: str) -> str | None:
    """The level a 12-digit code stands for, from its trailing zeros; None if malformed.

    The code's own segment is non-zero and all after it are zero. Below the province the city
    segment is never zero; the county segment may be zero for a township directly under a city
    without counties (441900003000); a village always has a non-zero township segment.
    Mirrors ``talent.models.LEVEL_PATTERNS``, which the database enforces.
    """
    if not CODE_PATTERN.fullmatch(code) or code[0:2] == "00":
        return None
    nonzero = [bool(code[start:end].strip("0")) for start, end in SEGMENTS]
    levels = list(LEVEL_DIGITS)
    own = max(i for i, flag in enumerate(nonzero) if flag)
    level = levels[own]
    if level != "province" and not nonzero[1]:
        return None
    if level == "county" and not nonzero[2]:
        return None
    if level == "village" and not nonzero[3]:
        return None
    return level


def code_prefix(code: str, level: str) -> str:
    """The significant part of a code at a level: '4301' for a city."""
    return code[: LEVEL_DIGITS[level]]


def ancestor_codes(code: str) -> list[str]:
    """All codes that may be the parent of ``code``, nearest first."""
    level = code_level(code)
    if level is None:
        return []
    digits = LEVEL_DIGITS[level]
    out = []
    for keep in (9, 6, 4, 2):
        if keep < digits:
            candidate = code[:keep].ljust(12, "0")
            if candidate != code and code_level(candidate) is not None:
                out.append(candidate)
    # A code with zero middle segments has duplicate candidates; keep the first of each.
    return list(dict.fromkeys(out))


def village_kind_for_code(code: str) -> str:
    """001–199 are communities (居委会), 200 and above villages (村委会)."""
    return "community" if int(code[9:12]) < 200 else "village"
