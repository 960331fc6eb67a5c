"""Pagination without counting: page numbers with bounded page sizes and next/previous links,
and a cursor that walks a whole result set exactly once even while rows are inserted."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from talent.models import Division, Person
from tests import factories
from tests.api.conftest import errors_by_attr

COUNTY = "430104000000"
TOWNSHIPS = ("430104100000", "430104101000")


def _villages(township: str, numbers) -> list[Division]:
    return [
        Division(
            code=f"{township[:9]}{n:03d}",
            name=f"村{township[6:9]}{n:03d}",
            level="village",
            parent_id=township,
            kind="community" if n < 200 else "village",
            urban_rural_class="121" if n < 200 else "220",
        )
        for n in numbers
    ]


@pytest.fixture
def many_divisions(db):
    """The tree down to two townships, each with 399 villages and communities: 805 rows."""
    for code in ("430000000000", "430100000000", COUNTY, *TOWNSHIPS):
        factories.division_get_or_make(code)
    for township in TOWNSHIPS:
        Division.objects.bulk_create(_villages(township, [*range(1, 200), *range(200, 400)]))
    return list(Division.objects.order_by("code").values_list("code", flat=True))


@pytest.fixture
def viewer(many_divisions, client_for):
    return client_for("viewer", COUNTY)


def _get(client, url: str, params: dict | None = None):
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response.json()


def _codes(body) -> list[str]:
    return [row["code"] for row in body["results"]]


def test_default_page_and_links(viewer, many_divisions):
    body = _get(viewer, "/api/v1/divisions/")
    assert list(body) == ["next", "previous", "results"]  # no count: nothing counts the set
    assert _codes(body) == many_divisions[:DEFAULT_PAGE_SIZE]
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/v1/divisions/?page=2"


def test_next_and_previous_links_walk_every_page(viewer, many_divisions):
    first = _get(viewer, "/api/v1/divisions/", {"page_size": 100, "level": "village"})
    assert first["next"] == "http://testserver/api/v1/divisions/?level=village&page=2&page_size=100"

    second = _get(viewer, first["next"])
    assert second["previous"] == "http://testserver/api/v1/divisions/?level=village&page_size=100"
    third = _get(viewer, second["next"])
    assert third["previous"].endswith("page=2&page_size=100")
    assert _codes(_get(viewer, second["previous"])) == _codes(first)

    seen, body, pages = [], first, 0
    while True:
        seen += _codes(body)
        pages += 1
        if body["next"] is None:
            break
        body = _get(viewer, body["next"])
    villages = list(Division.objects.filter(level="village").order_by("code").values_list("code", flat=True))
    assert seen == villages and pages == 8  # 798 villages, 100 a page
    assert len(body["results"]) == 98

    beyond = _get(viewer, "/api/v1/divisions/", {"page_size": 100, "page": 50})
    assert beyond["results"] == [] and beyond["next"] is None


def test_page_size_is_bounded(viewer):
    for asked, served in [(1, 1), (499, 499), (500, 500), (501, 500), (100000, 500)]:
        for mode in ({}, {"pagination": "cursor"}):
            body = _get(viewer, "/api/v1/divisions/", {"page_size": asked, **mode})
            assert len(body["results"]) == served, (asked, mode)
            assert body["next"] is not None


@pytest.fixture
def small_viewer(client_for, db):
    for code in ("430000000000", "430100000000", COUNTY):
        factories.division_get_or_make(code)
    return client_for("viewer", COUNTY)


def test_bad_page_size_is_400_naming_it(small_viewer):
    for value in ("0", "-1", "abc", "1.5", "ten", ""):
        for mode in ({}, {"pagination": "cursor"}):
            response = small_viewer.get("/api/v1/divisions/", {"page_size": value, **mode})
            assert response.status_code == 400, (value, mode, response.content)
            assert list(errors_by_attr(response)) == ["page_size"], (value, mode)


def test_bad_page_is_400_naming_it(small_viewer):
    for value in ("0", "-2", "abc", ""):
        response = small_viewer.get("/api/v1/divisions/", {"page": value})
        assert response.status_code == 400, (value, response.content)
        assert list(errors_by_attr(response)) == ["page"], value


def test_a_page_runs_no_count_query(viewer):
    village = Division.objects.get(code="430104100201")
    Person.objects.bulk_create([factories.person_build(home_division=village) for _ in range(30)])
    for path, params in [
        ("divisions", {}),
        ("divisions", {"within": "430104100000"}),
        ("people", {}),
        ("people", {"group": "returnee", "within": COUNTY}),
    ]:
        for mode in ({}, {"pagination": "cursor"}):
            with CaptureQueriesContext(connection) as queries:
                body = _get(viewer, f"/api/v1/{path}/", {"page_size": 10, **params, **mode})
            assert "count" not in body
            counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
            assert counting == [], (path, params, mode)


def _walk(client, url, params=None, between_pages=lambda: None) -> list[dict]:
    """Follow ``next`` links to the end, calling ``between_pages`` after each page."""
    body, rows = _get(client, url, params), []
    while True:
        rows += body["results"]
        if body["next"] is None:
            return rows
        between_pages()
        body = _get(client, body["next"])


def test_cursor_walks_people_once_in_id_order_while_people_are_added(viewer):
    village = Division.objects.get(code="430104100201")
    original = Person.objects.bulk_create([factories.person_build(home_division=village) for _ in range(40)])
    added = []

    def add_person():
        added.append(factories.person_make(home_division=village).pk)

    rows = _walk(viewer, "/api/v1/people/", {"pagination": "cursor", "page_size": 7}, add_person)
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {p.pk for p in original} <= set(ids)
    # People added behind the cursor's position appear once, at the end, or not at all.
    assert set(ids) - {p.pk for p in original} <= set(added)


def test_cursor_is_stable_when_rows_are_inserted_ahead_and_behind(viewer, many_divisions):
    """Between pages, one village is inserted before the cursor's position and one after it.
    Page numbers would shift and show a row twice; the cursor neither repeats nor skips."""
    behind = iter(range(1, 200))  # communities of the first township: before the walk's position
    ahead = iter(range(1, 200))  # communities of a third township: after every existing row
    factories.division_get_or_make("430104102000")
    new_behind, new_ahead = [], []

    def insert():
        for numbers, township, out in ((behind, TOWNSHIPS[0], new_behind), (ahead, "430104102000", new_ahead)):
            code = f"{township[:9]}{next(numbers):03d}"
            if not Division.objects.filter(code=code).exists():
                Division.objects.bulk_create(_villages(township, [int(code[9:])]))
                out.append(code)

    Division.objects.filter(code__startswith=TOWNSHIPS[0][:9], level="village", code__lt="430104100200").delete()
    before = list(Division.objects.order_by("code").values_list("code", flat=True))
    rows = _walk(viewer, "/api/v1/divisions/", {"pagination": "cursor", "page_size": 45}, insert)
    codes = [row["code"] for row in rows]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    assert set(before) <= set(codes)  # every row present at the start, exactly once
    assert not set(new_behind) & set(codes)  # inserted behind the cursor: not seen
    assert set(new_ahead) <= set(codes)  # inserted ahead of it: seen once


def test_cursor_previous_link_returns_the_previous_page(viewer, many_divisions):
    first = _get(viewer, "/api/v1/divisions/", {"pagination": "cursor", "page_size": 25})
    assert first["previous"] is None
    second = _get(viewer, first["next"])
    assert _codes(second) == many_divisions[25:50]
    assert _codes(_get(viewer, second["previous"])) == many_divisions[:25]


def test_page_size_limit_is_the_documented_one():
    assert (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == (50, 500)
