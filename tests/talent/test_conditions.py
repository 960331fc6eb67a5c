"""Expressions and conditions written in SQL (talent.querysets.RowSql, Condition): the field references compile as the
query refers to them (the table's name, or ``U0`` inside a subquery), each parameter lands
where its ``%s`` or its reference stands, and the conditions answer as the ORM's own
expressions of the same tests do, in ``filter``, ``exclude``, subqueries and annotations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import BooleanField, DateField, Exists, ExpressionWrapper, OuterRef, Q, Value

from talent.choices import Group, Role
from talent.models import Assessment, GraduateOfficial, Person, Post
from talent.querysets import Condition, _template_tokens, group_q, person_under
from tests.factories import (
    TWO_CITIES,
    assessment_make,
    divisions_make,
    graduate_make,
    person_make,
    post_make,
    village_make,
)

D = dt.date.fromisoformat


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def people(db):
    """People at home in two cities, with posts in villages of either, and graduates."""
    divisions_make(TWO_CITIES)
    changsha = village_make("430104100201")
    zhuzhou = village_make("430202100201")
    out = {
        "home_changsha": person_make(home_division=changsha),
        "home_zhuzhou": person_make(home_division=zhuzhou),
        "post_in_zhuzhou": person_make(home_division=changsha),
        "nowhere": person_make(home_division=None),
    }
    post_make(person=out["post_in_zhuzhou"], village=zhuzhou, role=Role.PARTY_SECRETARY, start=D("2012-01-01"))
    post_make(person=out["home_zhuzhou"], village=zhuzhou, role=Role.COMMITTEE_MEMBER, start=D("2015-01-01"))
    out["graduate"] = graduate_make(terms=[("2009-08-01", "2012-07-31")], village=changsha)
    assessment_make(person=out["post_in_zhuzhou"], year=2014, grade="excellent")
    assessment_make(person=out["home_zhuzhou"], year=2014, grade="competent")
    return out


def test_tokens_keep_references_and_parameters_in_statement_order():
    assert _template_tokens("{a} = %s AND %s < {b}") == ("", "{a}", " = ", "%s", " AND ", "%s", " < ", "{b}", "")


def test_parameters_of_references_and_of_the_template_interleave(people):
    """References that compile with parameters of their own (values here): each lands where
    its reference stands, between the template's own, and both orders give the same answer."""
    post = people["post_in_zhuzhou"]
    on, after = Value(D("2013-06-01"), output_field=DateField()), Value(D("2011-12-31"), output_field=DateField())
    template = (
        "EXISTS (SELECT 1 FROM talent_post x WHERE x.person_id = {person} AND x.role = %s"
        " AND x.start <= {on} AND x.start > {after} AND x.start < %s)"
    )
    condition = Condition(template, [Role.PARTY_SECRETARY, D("2012-06-01")], person="pk", on=on, after=after)
    assert ids(Person.objects.filter(condition)) == {post.pk}
    swapped = Condition(template, [Role.PARTY_SECRETARY, D("2012-06-01")], person="pk", on=after, after=on)
    assert ids(Person.objects.filter(swapped)) == set()
    # A parameter or a reference short or too many: refused when written, never a statement with a hole.
    with pytest.raises(ValueError, match="does not match"):
        Condition(template, [Role.PARTY_SECRETARY], person="pk", on=on, after=after)
    with pytest.raises(ValueError, match="does not match"):
        Condition(template, [Role.PARTY_SECRETARY, D("2012-06-01"), 1], person="pk", on=on, after=after)
    with pytest.raises(ValueError, match="does not match"):
        Condition(template, [Role.PARTY_SECRETARY, D("2012-06-01")], person="pk", on=on)


@pytest.mark.parametrize("code", ["430000000000", "430100000000", "430200000000", "430104000000", "430202100201"])
def test_within_as_the_orm_would_write_it(people, code):
    """``person_under`` against the same test through the ORM's Exists, for people, for records
    reached through their person, inside a subquery (``U0``) and negated."""
    from talent.models import PersonPlace
    from talent.querysets import significant_prefix

    prefix = significant_prefix(code)
    orm = Person.objects.filter(Exists(PersonPlace.objects.filter(prefix=prefix, person=OuterRef("pk"))))
    expected = ids(orm)
    assert ids(Person.objects.filter(person_under(prefix))) == expected
    assert ids(Person.objects.exclude(person_under(prefix))) == ids(Person.objects.all()) - expected
    inner = Person.objects.filter(person_under(prefix))
    assert ids(Post.objects.filter(person__in=inner)) == ids(Post.objects.filter(person__in=orm))
    assert ids(Assessment.objects.within(code)) == ids(Assessment.objects.filter(person__in=orm))
    flagged = Person.objects.annotate(inside=ExpressionWrapper(person_under(prefix), output_field=BooleanField()))
    assert {p.pk for p in flagged if p.inside} == expected


def test_groups_as_the_orm_would_write_them(people):
    """Each group's test against the join through the group's record; groups OR-ed; negated."""
    everybody = ids(Person.objects.all())
    cadres = ids(Person.objects.filter(Exists(Post.objects.filter(person=OuterRef("pk")))))
    graduates = set(GraduateOfficial.objects.values_list("person_id", flat=True))
    assert cadres == {people["post_in_zhuzhou"].pk, people["home_zhuzhou"].pk}
    assert graduates == {people["graduate"].pk}
    assert ids(Person.objects.filter(group_q(Group.VILLAGE_CADRE))) == cadres
    assert ids(Person.objects.filter(group_q(Group.GRADUATE_OFFICIAL))) == graduates
    assert ids(Person.objects.filter(group_q(Group.RETURNEE))) == set()
    assert ids(Person.objects.in_groups([Group.VILLAGE_CADRE, Group.GRADUATE_OFFICIAL])) == cadres | graduates
    assert ids(Person.objects.exclude(group_q(Group.VILLAGE_CADRE))) == everybody - cadres
    assert ids(Person.objects.filter(Q(group_q(Group.RURAL_TALENT)) | Q(pk=people["nowhere"].pk))) == {
        people["nowhere"].pk
    }


def test_a_value_written_in_sql_as_an_annotation(people):
    """``RowSql`` with a value (not a condition): a scalar subquery per row, with a parameter,
    as the ORM's own Subquery counts it, and usable in a filter on that annotation."""
    from django.db.models import Count, IntegerField, Subquery

    from talent.querysets import RowSql

    template = "SELECT count(*) FROM talent_post x WHERE x.person_id = {person} AND x.role <> %s"
    written = Person.objects.annotate(
        n=RowSql(template, [Role.COMMITTEE_MEMBER], output_field=IntegerField(), person="pk")
    )
    posts = Post.objects.filter(person=OuterRef("pk")).exclude(role=Role.COMMITTEE_MEMBER)
    counted = Subquery(posts.values("person").annotate(n=Count("*")).values("n"), output_field=IntegerField())
    orm = {pk: n or 0 for pk, n in Person.objects.annotate(n=counted).values_list("pk", "n")}
    assert dict(written.values_list("pk", "n")) == orm
    assert orm[people["post_in_zhuzhou"].pk] == 1 and sum(orm.values()) == 1
    assert ids(written.filter(n__gt=0)) == {people["post_in_zhuzhou"].pk}


def _plan(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Indexes only, as on a province's tables: the few rows here would be read in full.
        # SET LOCAL: until the test's transaction is rolled back.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_persons_posts_are_probed_by_the_person_btree_not_the_exclusion_gist(people):
    """The village-cadre test and "holds a post" name the person's posts as
    talent.querysets.person_rows writes it, which the exclusion constraint's GiST index
    (post_no_overlap_same_role) cannot answer: with a plain ``=`` PostgreSQL probed it, three to
    five times slower than the person's B-tree (docs/benchmarks.md, "People list")."""
    from talent.querysets import post_held

    queries = {
        "group": Person.objects.filter(group_q(Group.VILLAGE_CADRE)),
        "post held": Person.objects.filter(post_held(roles=[Role.PARTY_SECRETARY], on=D("2015-06-30"))),
        "class held": Person.objects.filter(post_held(classes=["chief"], on=D("2015-06-30"), prefix="43")),
    }
    for name, queryset in queries.items():
        plan = _plan(queryset)
        assert "talent_post" in plan, (name, plan)
        assert "post_no_overlap_same_role" not in plan, (name, plan)
        assert "Index" in plan, (name, plan)
