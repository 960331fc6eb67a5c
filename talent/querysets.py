"""Read-only query helpers, attached to the models with ``.as_manager()``.

"Within X" is a prefix match on the significant digits of X's code (DOMAIN.md, "Places").
A person is within X when their home division, any of their posts or any of their service
terms lies under X.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Exists, OuterRef, Q

from talent import identity


def significant_prefix(code: str) -> str:
    """'430104000000' -> '430104'; raises ValueError for a malformed code."""
    level = identity.code_level(code)
    if level is None:
        raise ValueError(str(identity.CODE_NO_LEVEL).format(code=code))
    return identity.code_prefix(code, level)


class DivisionQuerySet(models.QuerySet):
    def within(self, code: str) -> DivisionQuerySet:
        return self.filter(code__startswith=significant_prefix(code))


class PostQuerySet(models.QuerySet):
    def within(self, code: str) -> PostQuerySet:
        return self.filter(village_id__startswith=significant_prefix(code))

    def active_on(self, day: dt.date) -> PostQuerySet:
        return self.filter(Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day)))


class PersonQuerySet(models.QuerySet):
    def within(self, code: str) -> PersonQuerySet:
        from talent.models import Post, ServiceTerm

        prefix = significant_prefix(code)
        return self.filter(
            Q(home_division_id__startswith=prefix)
            | Exists(Post.objects.filter(person=OuterRef("pk"), village_id__startswith=prefix))
            | Exists(ServiceTerm.objects.filter(person=OuterRef("pk"), village_id__startswith=prefix))
        )

    def village_cadres(self) -> PersonQuerySet:
        from talent.models import Post

        return self.filter(Exists(Post.objects.filter(person=OuterRef("pk"))))
