"""Date arithmetic of the domain: anniversaries and ages, exact to the day."""

from __future__ import annotations

import datetime as dt


def anniversary(start: dt.date, years: int) -> dt.date:
    """The ``years``-th anniversary of ``start``; 29 February falls on 1 March in a common
    year (DOMAIN.md, "The service-length rule")."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 Feb in a common year
        return dt.date(start.year + years, 3, 1)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years of age on ``day`` (a 29 February birthday counts from 1 March in common years)."""
    years = day.year - birth_date.year
    if anniversary(birth_date, years) > day:
        years -= 1
    return years


def latest_birth_date_for_age(day: dt.date, age: int) -> dt.date:
    """The latest birth date of someone at least ``age`` full years old on ``day``."""
    # Someone born on b is at least `age` on `day` iff anniversary(b, age) <= day.
    candidate = dt.date(day.year - age, day.month, day.day) if not (day.month == 2 and day.day == 29) else None
    if candidate is None:
        # day is 29 Feb: anyone born on or before 29 Feb of day.year - age (if it exists).
        try:
            return dt.date(day.year - age, 2, 29)
        except ValueError:
            return dt.date(day.year - age, 2, 28)
    # Born on 29 Feb of a leap year whose anniversary falls on 1 Mar: excluded on 28 Feb.
    return candidate
