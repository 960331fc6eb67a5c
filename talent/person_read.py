"""People read as the API shows them, in statements written out.

``person_read`` answers what ``Person.objects.visible_to(user)`` with the group records
(``select_related``), the posts in (start, id) order with their villages (``prefetch_related``)
and the row version annotation would, for one id; ``page_read`` does what those do for a page
of people. Both give the same model instances with their related caches filled, so
the same serializers render them. The ORM spends about 3 ms of Python building, compiling and
reading a detail's two queries on a 2-core machine, against 0.4 ms for the statements
themselves, and about 1.7 ms on a page's posts: a person's detail is the registry's most
frequent read, a page of people the next (docs/benchmarks.md, "Person detail"). The columns come
from the models' own field lists (talent.rows); tests/talent/test_person_read.py holds the
answers equal to the ORM's for every person of the demo data, within the whole country and each
level of division.
"""

from __future__ import annotations

import functools

from django.db import connection

from talent.models import Division, GraduateOfficial, Person, PersonPlace, Post, Returnee, RuralTalent
from talent.rows import Columns

# A person's one-to-one group records, keyed by the person: (reverse accessor, model, alias).
GROUP_RECORDS = (
    ("graduate_official", GraduateOfficial, "g"),
    ("returnee", Returnee, "r"),
    ("rural_talent", RuralTalent, "t"),
)
BIGINT_MAX = 2**63 - 1


class _Statements:
    """The statements and their columns, built once, on first use."""

    def __init__(self):
        quote = connection.ops.quote_name
        self.person = Columns(Person, "p")
        self.groups = [(name, Columns(model, alias)) for name, model, alias in GROUP_RECORDS]
        self.post = Columns(Post, "x")
        self.village = Columns(Division, "v")
        joins = "\n".join(
            f"LEFT JOIN {quote(model._meta.db_table)} {alias} ON {alias}.{quote(model._meta.pk.column)} = p.id"
            for _, model, alias in GROUP_RECORDS
        )
        # The version of the record, as api.conditional.row_version spells it: the person's
        # row, then each group record's or '-'.
        version = ", ".join(
            ["p.row_version::text", *(f"COALESCE({alias}.row_version::text, '-')" for _, _, alias in GROUP_RECORDS)]
        )
        group_columns = ", ".join(columns.sql for _, columns in self.groups)
        self.row = f"""
            SELECT {self.person.sql}, concat_ws('.', {version}), {group_columns}
            FROM {quote(Person._meta.db_table)} p
            {joins}
            WHERE p.id = %(id)s"""
        # Within the jurisdiction: the person's places (talent.querysets.person_under).
        self.within = f"""
              AND EXISTS (SELECT 1 FROM {quote(PersonPlace._meta.db_table)} pp
                          WHERE pp.prefix = %(prefix)s AND pp.person_id = p.id)"""
        self.posts = f"""
            SELECT {self.post.sql}, {self.village.sql}
            FROM {quote(Post._meta.db_table)} x
            JOIN {quote(Division._meta.db_table)} v ON v.code = x.village_id
            WHERE x.person_id = %(id)s
            ORDER BY x.start, x.id"""
        # A page's: the group records of all its people, their posts, then the posts' villages
        # by code (an array the division's key is probed with: joined, PostgreSQL hashed every
        # division of the province for a few dozen posts).
        self.page_groups = []
        for (_, columns), (_, model, alias) in zip(self.groups, GROUP_RECORDS, strict=True):
            key = f"{alias}.{quote(model._meta.pk.column)}"
            self.page_groups.append(f"SELECT {columns.sql} FROM {columns.table} {alias} WHERE {key} = ANY(%(ids)s)")
        self.page_posts = f"""
            SELECT {self.post.sql} FROM {quote(Post._meta.db_table)} x
            WHERE x.person_id = ANY(%(ids)s)
            ORDER BY x.person_id, x.start, x.id"""
        self.page_villages = f"""
            SELECT {self.village.sql} FROM {quote(Division._meta.db_table)} v
            WHERE v.code = ANY(ARRAY(SELECT x.village_id FROM {quote(Post._meta.db_table)} x
                                     WHERE x.person_id = ANY(%(ids)s)))"""


@functools.cache
def _statements() -> _Statements:
    return _Statements()


def person_read(pk: int, *, prefix: str) -> Person | None:
    """The person ``pk`` if they are within ``prefix`` ('' for the whole country), with their
    group records, their posts (start, then id) and the posts' villages, and ``row_version``;
    None when there is no such person there."""
    if not 0 < pk <= BIGINT_MAX:
        return None
    statements = _statements()
    params = {"id": pk, "prefix": prefix}
    with connection.cursor() as cursor:
        cursor.execute(_together(statements.row + (statements.within if prefix else ""), statements.posts), params)
        row = cursor.fetchone()
        cursor.nextset()
        post_rows = cursor.fetchall()
    if row is None:
        return None

    person = statements.person.instance(row, 0)
    at = statements.person.width
    person.row_version = row[at]
    at += 1
    for name, columns in statements.groups:
        _group_attach(person, name, columns.instance(row, at) if columns.present(row, at) else None)
        at += columns.width

    posts = []
    for post_row in post_rows:
        post = statements.post.instance(post_row, 0)
        Post.village.field.set_cached_value(post, statements.village.instance(post_row, statements.post.width))
        posts.append(post)
    _posts_attach(person, posts)
    return person


def page_read(people: list[Person]) -> None:
    """What a page of people shows besides their own columns, as ``select_related`` of the
    group records and ``prefetch_related(Prefetch("posts", Post.objects.order_by("start",
    "id")), "posts__village")`` leave it: each person's group records (or None), posts (start,
    then id) and the posts' villages, read without a query. The group records come here rather
    than joined to the page's query: their three outer joins made PostgreSQL plan that query
    three times as long as it ran."""
    if not people:
        return
    statements = _statements()
    by_person: dict[int, Person] = {person.pk: person for person in people}
    records: dict[str, dict[int, object]] = {}
    with connection.cursor() as cursor:
        batch = _together(*statements.page_groups, statements.page_posts, statements.page_villages)
        cursor.execute(batch, {"ids": list(by_person)})
        for name, columns in statements.groups:
            records[name] = {record.pk: record for record in (columns.instance(row, 0) for row in cursor.fetchall())}
            cursor.nextset()
        posts = [statements.post.instance(row, 0) for row in cursor.fetchall()]
        cursor.nextset()
        villages: dict[str, Division] = {}
        for row in cursor.fetchall():
            village = statements.village.instance(row, 0)
            villages[village.pk] = village
    for person in people:
        for name, _ in statements.groups:
            _group_attach(person, name, records[name].get(person.pk))
    posts_of: dict[int, list[Post]] = {pk: [] for pk in by_person}
    for post in posts:
        Post.village.field.set_cached_value(post, villages[post.village_id])
        posts_of[post.person_id].append(post)
    for person in people:
        _posts_attach(person, posts_of[person.pk])


def _group_attach(person: Person, name: str, record) -> None:
    """As select_related leaves it: a missing record is cached as None (reading it raises
    RelatedObjectDoesNotExist without a query), a present one points back to the person."""
    getattr(Person, name).related.set_cached_value(person, record)
    if record is not None:
        type(record).person.field.set_cached_value(record, person)


def _together(*statements: str) -> str:
    """Statements sent in one query, one round trip (their results follow one another:
    ``cursor.nextset()``). Django's PostgreSQL cursors bind parameters on the client, which
    allows it; each statement is still planned and run on its own."""
    return ";\n".join(statements)


def _posts_attach(person: Person, posts: list[Post]) -> None:
    """As prefetch_related leaves it: ``person.posts.all()`` answers from ``posts``, and each
    post's person is ``person``."""
    for post in posts:
        Post.person.field.set_cached_value(post, person)
    cached = Post.objects.all()
    cached._result_cache = posts
    cached._prefetch_done = True
    if not hasattr(person, "_prefetched_objects_cache"):
        person._prefetched_objects_cache = {}
    person._prefetched_objects_cache[Post.person.field.remote_field.cache_name] = cached
