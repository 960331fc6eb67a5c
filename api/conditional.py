"""Conditional writes: no lost updates (docs/security.md, "No lost updates").

Every detail response of a registry resource carries a strong ETag, the record's row version
(``"7351"``; a person's names its group records too, ``"7351.7349.-.-"``), which PostgreSQL
keeps current for every write path (migration talent/0006_row_versions). PUT, PATCH and
DELETE honour ``If-Match``:

- the view locks the record's rows (``SELECT … FOR UPDATE``) inside the write's transaction
  and only then reads it, so the version it compares is the latest committed one and no other
  writer can change the rows between the comparison and the write;
- a version that does not match answers 412 (nothing is written), with the current ETag;
- with ``REQUIRE_IF_MATCH`` on, a write without ``If-Match`` answers 428.

``If-Match: *`` matches any existing record. Weak tags (``W/"…"``) never match (RFC 9110
uses the strong comparison for If-Match).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from rest_framework import status
from rest_framework.exceptions import APIException

WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
CONDITIONAL_ACTIONS = frozenset({"update", "partial_update", "destroy"})

PRECONDITION_FAILED = "记录已被他人修改(版本不符):请重新读取后再修改。The record has changed since you read it."
PRECONDITION_REQUIRED = (
    "修改和删除须带 If-Match 请求头(取自读取记录时的 ETag)。Send If-Match with the ETag you read the record with."
)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, current_etag: str | None = None):
        super().__init__()
        self.etag = current_etag


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = PRECONDITION_REQUIRED
    default_code = "precondition_required"


def row_version(model, parts=()) -> RawSQL:
    """The record's version as text, for ``.annotate(row_version=…)``: its row's version, and
    for a resource made of several rows (a person and the one-to-one group records keyed by
    the person, ``parts``) each part's version, or ``-`` where the part does not exist.

    Versions come from one sequence and are never reused, so the tuple names one state of all
    the rows; the column is kept by PostgreSQL and is not a model field (no Django write can
    set it)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    terms = [f"{table}.row_version::text"]
    for part in parts:
        part_table = quote(part._meta.db_table)
        part_pk = quote(part._meta.pk.column)
        terms.append(
            f"COALESCE((SELECT p.row_version::text FROM {part_table} p WHERE p.{part_pk} = {table}.{pk}), '-')"
        )
    return RawSQL(f"concat_ws('.', {', '.join(terms)})", (), output_field=TextField())


def lock_for_write(model, pk, parts=()) -> None:
    """Lock the record's rows (``SELECT … FOR UPDATE``), its own first, then its parts, before
    its version is read: a concurrent writer of any of them waits for this transaction."""
    try:
        pk = model._meta.pk.to_python(pk)
    except (TypeError, ValueError, ValidationError):
        return  # not an id: the lookup that follows answers 404
    for queryset in [model._default_manager.filter(pk=pk), *(part._default_manager.filter(pk=pk) for part in parts)]:
        list(queryset.select_for_update().values_list("pk", flat=True))


def etag_for(version: str) -> str:
    return f'"{version}"'


def if_match_tags(header: str) -> list[str]:
    """The entity tags of an If-Match header (``*`` alone, or a comma-separated list)."""
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(request, version: str) -> None:
    """Raise 428 or 412 unless the request may write the record at ``version``."""
    header = request.headers.get("If-Match")
    if header is None:
        if settings.REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        return
    tags = if_match_tags(header)
    if tags == ["*"]:
        return
    if etag_for(version) not in tags:
        raise PreconditionFailed(etag_for(version))
