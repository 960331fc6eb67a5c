"""Who may see and change what: a staff account's jurisdiction, role and personal-data right.

A superuser without a staff account is treated as a national administrator. An authenticated
user with neither is allowed nothing. Scoping itself lives in each queryset's ``visible_to``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from talent import identity
from talent.choices import StaffRole

ROLE_ORDER = {StaffRole.VIEWER: 1, StaffRole.EDITOR: 2, StaffRole.ADMIN: 3}


@dataclass(frozen=True)
class Scope:
    """An account's reach: ``prefix`` is the significant part of its jurisdiction's code
    ('' = the whole country)."""

    prefix: str
    role: str
    personal_data: bool
    jurisdiction: str | None

    def allows(self, role: str) -> bool:
        return ROLE_ORDER[StaffRole(self.role)] >= ROLE_ORDER[StaffRole(role)]

    def covers(self, code: str | None) -> bool:
        return bool(code) and code.startswith(self.prefix)


NO_SCOPE = None


def scope_for(user) -> Scope | None:
    """The account's scope, or None when the user has no staff account."""
    if user is None or not user.is_authenticated:
        return NO_SCOPE
    cached = getattr(user, "_talent_scope", False)
    if cached is not False:
        return cached
    account = _account_read_with(user)
    if account is False:
        from talent.models import StaffAccount

        account = StaffAccount.objects.filter(user=user).first()
    if account is not None:
        level = identity.code_level(account.jurisdiction_id)
        scope = Scope(
            prefix=identity.code_prefix(account.jurisdiction_id, level),
            role=account.role,
            personal_data=account.personal_data,
            jurisdiction=account.jurisdiction_id,
        )
    elif user.is_superuser:
        scope = Scope(prefix="", role=StaffRole.ADMIN, personal_data=True, jurisdiction=None)
    else:
        scope = NO_SCOPE
    user._talent_scope = scope
    return scope


def _account_read_with(user):
    """The staff account read with the user (``select_related("staff")``, as the API's token
    authentication does): the account, None when the user has none, False when not read."""
    descriptor = getattr(type(user), "staff", None)
    if descriptor is None or not hasattr(descriptor, "is_cached") or not descriptor.is_cached(user):
        return False
    try:
        return user.staff
    except ObjectDoesNotExist:
        return None


def current_posts(posts, scope: Scope | None, *, on: dt.date) -> list:
    """The posts among ``posts`` (a person's) that are held on ``on`` and that ``scope`` sees:
    in villages within its jurisdiction; none without a staff account (``NO_SCOPE``). A
    person's detail and a people page show these as the person's current posts."""
    if scope is None:
        return []
    return [post for post in posts if post.held_on(on) and scope.covers(post.village_id)]


def mask_id_number(value: str) -> str:
    """'430104199001011234' -> '4301**********1234'; a value of 8 characters or fewer (a
    search term, a fragment) is starred whole rather than shown twice."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """'13812345678' -> '138****5678'."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
