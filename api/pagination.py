"""Pagination without counting.

Browsing uses page numbers (``?page=2&page_size=50``); tools that page through everything use
a cursor (``?pagination=cursor``, then follow ``next``), which is stable under inserts. Neither
counts the whole result set: a page reads ``page_size + 1`` rows and knows from the extra one
whether there is a next page, so a filter matching a million people costs what a page costs.
"""

from __future__ import annotations

from collections import OrderedDict

from rest_framework import serializers
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_OFFSET = 2**62


def _page_size(request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise serializers.ValidationError({"page_size": "page_size 应为正整数。"}) from None
    if size < 1:
        raise serializers.ValidationError({"page_size": "page_size 应为正整数。"})
    return min(size, MAX_PAGE_SIZE)


class _Cursor(CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size = DEFAULT_PAGE_SIZE

    def __init__(self, ordering):
        self.ordering = ordering

    def get_page_size(self, request):
        # The same bounds and errors as page numbers (DRF would silently use the default).
        return _page_size(request)


class RegistryPagination(BasePagination):
    """Page numbers by default; a cursor with ``?pagination=cursor`` or ``?cursor=…``."""

    def _use_cursor(self, request) -> bool:
        return request.query_params.get("pagination") == "cursor" or "cursor" in request.query_params

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        if self._use_cursor(request):
            self.cursor = _Cursor(getattr(view, "cursor_ordering", ("id",)))
            return self.cursor.paginate_queryset(queryset, request, view)
        self.cursor = None
        raw_page = request.query_params.get("page", "1")
        try:
            self.page = int(raw_page)
        except ValueError:
            raise serializers.ValidationError({"page": "page 应为正整数。"}) from None
        if self.page < 1:
            raise serializers.ValidationError({"page": "page 应为正整数。"})
        self.page_size = _page_size(request)
        offset = (self.page - 1) * self.page_size
        if offset > MAX_OFFSET:  # beyond what the database can skip (OFFSET is a bigint)
            raise serializers.ValidationError({"page": "page 超出范围;遍历全部数据请用游标分页。"})
        rows = list(queryset[offset : offset + self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        return rows[: self.page_size]

    def _page_link(self, page: int | None) -> str | None:
        if page is None:
            return None
        url = self.request.build_absolute_uri()
        if page == 1:
            return remove_query_param(url, "page")
        return replace_query_param(url, "page", page)

    def get_paginated_response(self, data):
        if self.cursor is not None:
            next_link, previous_link = self.cursor.get_next_link(), self.cursor.get_previous_link()
        else:
            next_link = self._page_link(self.page + 1 if self.has_next else None)
            previous_link = self._page_link(self.page - 1 if self.page > 1 else None)
        return Response(OrderedDict([("next", next_link), ("previous", previous_link), ("results", data)]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name, description, schema):
            return {"name": name, "required": False, "in": "query", "description": description, "schema": schema}

        return [
            param("page", "页码(从1开始)。Page number.", {"type": "integer", "minimum": 1}),
            param(
                "page_size",
                f"每页条数,最多{MAX_PAGE_SIZE}。Page size.",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            ),
            param(
                "pagination",
                "cursor:使用游标分页(逐页遍历全部数据,插入时稳定)。Use cursor pagination.",
                {"type": "string", "enum": ["page", "cursor"]},
            ),
            param("cursor", "游标(取自上一页的 next 链接)。Cursor from a previous next link.", {"type": "string"}),
        ]
