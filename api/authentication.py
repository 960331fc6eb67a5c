"""Token authentication that reads the token, its user and the user's staff account in one
statement: the account (role, jurisdiction, personal-data right; talent.access.scope_for) is
what every request asks for next, for its permission, its scoping and its masking.

Every request of the API pays for this read, so it is written out (talent.rows) rather than
built by the ORM each time: 0.3 ms against about 1 ms on a 2-core machine. The instances and
their related caches are those ``Token.objects.select_related("user", "user__staff")`` would
give (tests/api/test_access.py compares them).

And a process keeps the rows it read (api.kept.IDENTITIES), so that a token's next request
does not read them again, for as long as nothing changed: each row is kept with the generation
it was read under, which the request's rate count reads in the same round trip to the cache
(api/kept.py has the rules). Tokens that match nothing are not kept.
"""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api import kept, throttling
from talent.models import StaffAccount
from talent.rows import Columns


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same errors), with the staff account joined,
    counted against the token's rate and kept while its generation holds."""

    def authenticate(self, request):
        self.request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        wait, generation = throttling.token_hit(key)
        request = getattr(self, "request", None)
        if request is not None:
            request._token_hit = (key, wait)  # TokenRateThrottle decides from it
            request._kept_generation = generation  # api.kept.request_generation
        token = token_read(key, self.get_model(), generation=generation)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


@functools.cache
def _statement(token_model) -> tuple[str, Columns, Columns, Columns]:
    token, user, account = Columns(token_model, "k"), Columns(get_user_model(), "u"), Columns(StaffAccount, "s")
    quote = connection.ops.quote_name
    sql = f"""
        SELECT {token.sql}, {user.sql}, {account.sql}
        FROM {token.table} k
        JOIN {user.table} u ON u.{quote(user.model._meta.pk.column)} = k.{quote(token_model.user.field.column)}
        LEFT JOIN {account.table} s ON s.{quote(StaffAccount.user.field.column)} = u.{quote(user.model._meta.pk.column)}
        WHERE k.{quote(token_model._meta.pk.column)} = %s"""
    return sql, token, user, account


def token_read(key: str, token_model, *, generation: object = None):
    """The token of ``key`` with its user and the user's staff account (None when the user has
    none) in the related caches, or None when there is no such token. With the request's
    ``generation`` (api.kept), from the row this process kept under it, if any (new instances
    each time)."""
    sql, token_columns, user_columns, account_columns = _statement(token_model)
    row = kept.IDENTITIES.get(key, generation)
    if row is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        kept.IDENTITIES.put(key, generation, row)
    token = token_columns.instance(row, 0)
    user = user_columns.instance(row, token_columns.width)
    at = token_columns.width + user_columns.width
    account = account_columns.instance(row, at) if account_columns.present(row, at) else None
    token_model.user.field.set_cached_value(token, user)
    StaffAccount.user.field.remote_field.set_cached_value(user, account)  # user.staff
    if account is not None:
        StaffAccount.user.field.set_cached_value(account, user)
    return token
