"""Read-only query helpers, attached to the models with ``.as_manager()``.

"Within X" is a prefix match on the significant digits of X's code (DOMAIN.md, "Places").
A person is within X when their home division, any of their posts or any of their service
terms lies under X. Posts, service terms and ventures are within X by their own place;
assessments, trainings, mobility events and group records by their person.

``visible_to(user)`` narrows any of these to the user's jurisdiction (talent.access).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery

from talent import identity


def significant_prefix(code: str) -> str:
    """'430104000000' -> '430104'; raises ValueError for a malformed code."""
    level = identity.code_level(code)
    if level is None:
        raise ValueError(str(identity.CODE_NO_LEVEL).format(code=code))
    return identity.code_prefix(code, level)


class ScopedQuerySet(models.QuerySet):
    """Base for querysets that can be narrowed to a division and to a user's jurisdiction."""

    def under(self, prefix: str):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def within(self, code: str):
        return self.under(significant_prefix(code))

    def visible_to(self, user):
        from talent.access import scope_for

        scope = scope_for(user)
        if scope is None:
            return self.none()
        if not scope.prefix:
            return self
        return self.under(scope.prefix)


PROVINCE_DIGITS = identity.LEVEL_DIGITS["province"]


def person_under(prefix: str, person_ref: str = "pk") -> Q:
    """A condition on a person (reached through ``person_ref``) being within ``prefix``: their
    home division, a post or a service term lies under it. Read from the person's places
    (``PersonPlace``, kept by triggers; talent/places.py).

    With the place test alone, PostgreSQL may answer a page of people in id order by a merge
    join that walks the people from the first id until the page is full: its estimates cannot
    see where in the id order a division's people lie (0.4 s for a county late in the demo
    province). So the condition also says where they start, the first person of the prefix
    (one index probe), and the walk starts there."""
    from talent.models import PersonPlace

    places = PersonPlace.objects.filter(prefix=prefix)
    within = Q(Exists(places.filter(person=OuterRef(person_ref))))
    if len(prefix) <= PROVINCE_DIGITS:
        return within  # nearly everybody: a walk from the first id is the right plan
    first = places.order_by("person_id").values("person_id")[:1]
    return within & Q(**{f"{person_ref}__gte": Subquery(first)})


class DivisionQuerySet(ScopedQuerySet):
    def under(self, prefix: str) -> DivisionQuerySet:
        return self.filter(code__startswith=prefix)

    def visible_to(self, user) -> DivisionQuerySet:
        # Divisions are reference data: every staff account reads all of them.
        from talent.access import scope_for

        return self if scope_for(user) is not None else self.none()


def group_q(group: str) -> Q:
    """A condition on a person belonging to a group (talent.choices.Group)."""
    from talent.choices import Group
    from talent.models import Post

    if group == Group.VILLAGE_CADRE:
        return Q(Exists(Post.objects.filter(person=OuterRef("pk"))))
    return Q(**{f"{group}__isnull": False})


class PersonQuerySet(ScopedQuerySet):
    def under(self, prefix: str) -> PersonQuerySet:
        return self.filter(person_under(prefix))

    def in_groups(self, groups) -> PersonQuerySet:
        """People in any of ``groups``."""
        condition = Q()
        for group in groups:
            condition |= group_q(group)
        return self.filter(condition)

    def village_cadres(self) -> PersonQuerySet:
        from talent.models import Post

        return self.filter(Exists(Post.objects.filter(person=OuterRef("pk"))))


class PlacedQuerySet(ScopedQuerySet):
    """Records within a division by a foreign key to it (``place_field``)."""

    place_field = "village"

    def under(self, prefix: str):
        return self.filter(**{f"{self.place_field}__code__startswith": prefix})

    def active_on(self, day: dt.date):
        return self.filter(Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day)))


class PostQuerySet(PlacedQuerySet):
    place_field = "village"


class ServiceTermQuerySet(PlacedQuerySet):
    place_field = "village"


class VentureQuerySet(ScopedQuerySet):
    def under(self, prefix: str) -> VentureQuerySet:
        return self.filter(division__code__startswith=prefix)


class PersonRecordQuerySet(ScopedQuerySet):
    """Records with no place of their own (assessments, trainings, mobility events, group
    records): within a division when their person is."""

    def under(self, prefix: str):
        return self.filter(person_under(prefix, person_ref="person"))


class StaffAccountQuerySet(ScopedQuerySet):
    def under(self, prefix: str) -> StaffAccountQuerySet:
        return self.filter(jurisdiction__code__startswith=prefix)
