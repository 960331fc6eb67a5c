"""Read-only query helpers, attached to the models with ``.as_manager()``.

"Within X" is a prefix match on the significant digits of X's code (DOMAIN.md, "Places").
A person is within X when their home division, any of their posts or any of their service
terms lies under X. Posts, service terms and ventures are within X by their own place;
assessments, trainings, mobility events and group records by their person.

``visible_to(user)`` narrows any of these to the user's jurisdiction (talent.access).
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.db import models
from django.db.models import BooleanField, DateField, Expression, F, Q, Value

from talent import identity


def significant_prefix(code: str) -> str:
    """'430104000000' -> '430104'; raises ValueError for a malformed code."""
    level = identity.code_level(code)
    if level is None:
        raise ValueError(str(identity.CODE_NO_LEVEL).format(code=code))
    return identity.code_prefix(code, level)


class RowSql(Expression):
    """An expression on the rows of a query, written in SQL: ``{name}`` in ``template`` stands
    for the field ``refs[name]`` (a field path, e.g. ``person="pk"``, or an expression) as the
    query refers to it, its table's alias included (``U0`` inside a subquery, not the table's
    name); ``%s`` for each of ``params`` in order. A scalar subquery as an annotation, say.

    Building and compiling it costs what a column does. The ORM's ``Exists`` and ``Subquery``
    each build, resolve and compile a query of their own on every use: for the conditions of an
    eligibility rule and "within", 1.2–2 ms of every candidates page, more than the rest of
    the page's Python. The templates are constants of this project; values only ever go in
    ``params``."""

    def __init__(self, template: str, params=(), *, output_field, **refs):
        super().__init__(output_field=output_field)
        self.template = template
        self.params = tuple(params)
        self.names = tuple(refs)
        self.refs = [F(path) if isinstance(path, str) else path for path in refs.values()]
        tokens = _template_tokens(template)
        wanted = {token[1:-1] for token in tokens if token[:1] == "{" and token[-1:] == "}"}
        if tokens.count("%s") != len(self.params) or wanted != set(refs):
            raise ValueError(f"RowSql: {template!r} does not match its parameters {params!r} and refs {refs!r}")

    def get_source_expressions(self):
        return self.refs

    def set_source_expressions(self, exprs):
        self.refs = list(exprs)

    def as_sql(self, compiler, connection):
        compiled = {name: compiler.compile(ref) for name, ref in zip(self.names, self.refs, strict=True)}
        values = iter(self.params)  # as many as the template has (__init__)
        sql, params = [], []
        for token in _template_tokens(self.template):
            if token == "%s":
                sql.append(token)
                params.append(next(values))
            elif token[:1] == "{" and token[-1:] == "}":
                ref_sql, ref_params = compiled[token[1:-1]]
                sql.append(ref_sql)
                params.extend(ref_params)
            else:
                sql.append(token)
        return f"({''.join(sql)})", tuple(params)


class Condition(RowSql):
    """A condition written in SQL (``RowSql``, boolean): usable wherever a ``Q`` or a boolean
    expression is (``filter``, ``exclude``, ``When``, annotations)."""

    def __init__(self, template: str, params=(), **refs):
        super().__init__(template, params, output_field=BooleanField(), **refs)


@functools.lru_cache(maxsize=256)
def _template_tokens(template: str) -> tuple[str, ...]:
    """'a = {x} AND b = %s' -> ('a = ', '{x}', ' AND b = ', '%s', ''): each reference and each
    parameter in the order the statement has them (a reference may carry parameters of its own)."""
    return tuple(re.split(r"(\{\w+\}|%s)", template))


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


def person_placed_sql(person: str = "{person}", prefix: str = "%s") -> str:
    """SQL: ``person`` (by default the reference ``{person}`` of a ``Condition``) lies within
    ``prefix`` (by default a parameter): one of their places (``PersonPlace``: home division,
    posts, service terms) is it. ``person_under`` builds on it; the roster's checks use it."""
    from talent.models import PersonPlace

    return f"EXISTS (SELECT 1 FROM {PersonPlace._meta.db_table} w WHERE w.prefix = {prefix} AND w.person_id = {person})"


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

    places = PersonPlace._meta.db_table
    within = person_placed_sql()
    if len(prefix) <= PROVINCE_DIGITS:
        # Nearly everybody: a walk from the first id is the right plan.
        return Q(Condition(within, [prefix], person=person_ref))
    first = f"SELECT w.person_id FROM {places} w WHERE w.prefix = %s ORDER BY w.person_id LIMIT 1"
    return Q(Condition(f"{within} AND {{person}} >= ({first})", [prefix, prefix], person=person_ref))


class DivisionQuerySet(ScopedQuerySet):
    def under(self, prefix: str) -> DivisionQuerySet:
        return self.filter(code__startswith=prefix)

    def visible_to(self, user) -> DivisionQuerySet:
        # Divisions are reference data: every staff account reads all of them.
        from talent.access import scope_for

        return self if scope_for(user) is not None else self.none()


def person_rows(alias: str, person: str = "{person}") -> str:
    """SQL: the rows ``alias`` are ``person``'s (by default the reference ``{person}`` of a
    ``Condition``), read by a B-tree index on the person.

    Posts and service terms each have an exclusion constraint led by the person
    (``post_no_overlap_same_role``: person, village, role, period; ``term_no_overlap``: person,
    period), whose GiST index PostgreSQL often probes for ``alias.person_id = person``: its
    estimate is a little lower than the B-tree's, its probe 5–13 µs against 1–2 µs (a county's
    page of party secretaries, 1,108 probes: 8.0 → 4.3 ms). GiST answers no comparison with an
    array, B-tree does: ``= ANY(ARRAY[person])`` leaves the planner the B-tree indexes alone.
    Every per-person probe in this module's SQL is written this way."""
    return f"{alias}.person_id = ANY(ARRAY[{person}])"


def group_q(group: str) -> Q:
    """A condition on a person belonging to a group (talent.choices.Group): a record of the
    group's table (for village cadres, a post) is theirs."""
    return Q(Condition(group_sql()[group], person="pk"))


@functools.cache
def group_sql() -> dict[str, str]:
    """Each group's test as SQL, ``{person}`` standing for the person's id."""
    from talent.choices import Group
    from talent.models import GraduateOfficial, Post, Returnee, RuralTalent

    tables = {
        Group.VILLAGE_CADRE: Post,
        Group.GRADUATE_OFFICIAL: GraduateOfficial,
        Group.RETURNEE: Returnee,
        Group.RURAL_TALENT: RuralTalent,
    }
    return {
        group: f"EXISTS (SELECT 1 FROM {model._meta.db_table} g WHERE {person_rows('g')})"
        for group, model in tables.items()
    }


def post_held(*, roles=(), classes=(), on=None, prefix: str = "") -> Condition:
    """A condition on a person holding a post: of one of ``roles`` or of ``classes`` when
    given, on the day ``on`` when given (a date, or an expression: a per-row date), in a village
    under ``prefix`` when given (a reader's jurisdiction: posts elsewhere are not theirs to see)."""
    from talent.models import Post

    sql, params, refs = [f"SELECT 1 FROM {Post._meta.db_table} x WHERE {person_rows('x')}"], [], {"person": "pk"}
    if prefix:
        sql.append("x.village_id LIKE %s")
        params.append(prefix + "%")
    if roles:
        sql.append("x.role = ANY(%s)")
        params.append(list(roles))
    if classes:
        sql.append("x.role_class = ANY(%s)")
        params.append(list(classes))
    if on is not None:
        sql.append('x.start <= {day} AND (x."end" IS NULL OR x."end" >= {day})')
        refs["day"] = on if isinstance(on, Expression) else Value(on, output_field=DateField())
    return Condition(f"EXISTS ({' AND '.join(sql)})", params, **refs)


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
        from talent.choices import Group

        return self.filter(group_q(Group.VILLAGE_CADRE))


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
