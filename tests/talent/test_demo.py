"""``manage.py seed_demo`` and talent.demo: reproducible, realistic, valid demo data."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef

from talent import demo, eligibility
from talent.choices import MobilityChannel, Role
from talent.models import (
    Assessment,
    Division,
    EligibilityFact,
    GraduateOfficial,
    MobilityEvent,
    Person,
    Post,
    Returnee,
    RuralTalent,
    ServiceTerm,
    Training,
    Venture,
    VentureFounder,
)


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--scale", "small", "--no-progress", *args, stdout=out)
    return out.getvalue()


def _dump() -> dict[str, list[tuple]]:
    """Every registry table and its history, in key order, all columns but the history
    timestamps and the row versions (ETags, drawn from one sequence that is never reset by
    design, migration 0006); eligibility facts (derived by triggers) by rule and person."""
    quote = connection.ops.quote_name
    tables = [*demo.registry_tables(), "talent_eligibilityfact"]
    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            if table == "talent_eligibilityfact":
                columns.remove("id")
                order = "rule_id, person_id"
            else:
                columns = [c for c in columns if c not in ("pgh_created_at", "row_version")]
                order = (
                    "pgh_id" if "pgh_id" in columns else connection.introspection.get_primary_key_column(cursor, table)
                )
            cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} ORDER BY {order}")
            out[table] = cursor.fetchall()
    return out


@pytest.fixture
def seeded(db):
    """The small demo registry, seed 1, inside the test's transaction."""
    return _seed("--reset")


# --- reproducibility -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_same_seed_gives_the_same_registry_and_another_seed_another():
    _seed("--reset", "--seed", "1")
    first = _dump()
    _seed("--reset", "--seed", "1")
    second = _dump()

    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    assert len(first["talent_person"]) > 1000
    assert len(first["talent_personevent"]) == len(first["talent_person"])  # history ids repeat too

    _seed("--reset", "--seed", "2")
    other = _dump()
    assert other["talent_person"] != first["talent_person"]
    assert other["talent_post"] != first["talent_post"]
    # The real divisions are the same whatever the seed.
    assert [r for r in other["talent_division"] if r[2] in ("province", "city", "county")] == [
        r for r in first["talent_division"] if r[2] in ("province", "city", "county")
    ]


def test_refuses_to_add_to_a_registry_that_has_people(seeded):
    people = Person.objects.count()

    with pytest.raises(CommandError, match="已有数据"):
        _seed()

    assert Person.objects.count() == people


def test_summary_and_sequences(seeded):
    assert "talent_person" in seeded and "合计" in seeded
    count = Person.objects.count()
    assert re.search(rf"talent_person\s+{count:,}", seeded)
    with connection.cursor() as cursor:
        for model in (Person, Post, ServiceTerm, Assessment, Training, Venture, VentureFounder, MobilityEvent):
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
            assert cursor.fetchone()[0] == model.objects.order_by("-id").values_list("id", flat=True)[0] + 1


def _schema() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'talent_%%' ORDER BY 2"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname LIKE 'talent_%%' AND NOT t.tgisinternal ORDER BY 1, 2"
        )
        return indexes, cursor.fetchall()


def test_load_leaves_indexes_and_triggers_as_they_were_and_facts_current(db):
    before = _schema()
    _seed("--reset")

    assert _schema() == before
    assert any(name == "post_period_gist" for _, name, _ in before[0])
    facts = sorted(EligibilityFact.objects.values_list("rule_id", "person_id", "service_met_on", "role_met_on"))
    assert facts  # the migration's rules apply to the demo's graduates and cadres
    eligibility.facts_rebuild()
    assert sorted(EligibilityFact.objects.values_list("rule_id", "person_id", "service_met_on", "role_met_on")) == facts


def test_unknown_scale_is_refused(db):
    with pytest.raises(demo.DemoError, match="未知的数据规模"):
        demo.demo_seed(scale="planet", seed=1)


def test_copy_columns_match_the_models():
    demo.copy_columns_check()


# --- places ----------------------------------------------------------------------------------


def test_real_hunan_and_synthetic_townships_and_villages(seeded):
    assert Division.objects.filter(level="city", code__startswith="43").count() == 14
    assert Division.objects.filter(level="county", code__startswith="43").count() == 122
    townships = Division.objects.filter(level="township")
    villages = Division.objects.filter(level="village")
    assert townships.count() == 10
    assert 60 <= villages.count() <= 140
    assert {t.parent_id for t in townships} == {"431202000000", "431229000000"}  # 鹤城区, 靖州
    kinds = Counter()
    for township in townships:
        segment = int(township.code[6:9])
        kind = "street" if segment < 100 else "town" if segment < 200 else "xiang"
        assert township.name.endswith({"street": "街道", "town": "镇", "xiang": "乡"}[kind])
        kinds[kind] += 1
    assert set(kinds) == {"street", "town", "xiang"}
    for village in villages:
        segment = int(village.code[9:])
        assert village.parent_id == village.code[:9] + "000"
        if village.kind == "community":
            assert 1 <= segment <= 199 and village.name.endswith("社区")
        else:
            assert 200 <= segment <= 399 and village.name.endswith("村")
        assert village.urban_rural_class
    assert {"community", "village"} == set(villages.values_list("kind", flat=True))
    assert len(set(villages.values_list("urban_rural_class", flat=True))) >= 4
    for division in list(townships[:5]) + list(villages[:: max(villages.count() // 20, 1)]):
        division.full_clean()


# --- people ----------------------------------------------------------------------------------


def test_people_are_valid_and_plausible(seeded):
    people = list(Person.objects.order_by("id"))
    assert 1000 <= len(people) <= 3000
    for person in people[::40]:
        person.full_clean()
    for person in people:
        assert person.id_number[:6] == person.home_division_id[:6]  # address code = home county
        assert re.fullmatch(r"1[3-9]\d{9}", person.phone) or person.phone == ""
        assert 2 <= len(person.name) <= 4
    assert Division.objects.filter(code__in={p.home_division_id for p in people}, level="village").count() == len(
        {p.home_division_id for p in people}
    )
    ethnicities = Counter(p.ethnicity for p in people)
    assert ethnicities.most_common(1)[0][0] == "han"
    assert {"miao", "dong"} <= set(ethnicities)
    assert len(ethnicities) >= 5
    assert len({p.education for p in people}) >= 6
    assert any(p.key_university for p in people)
    assert all(p.party_joined_on for p in people if p.political_status == "party_member")
    assert {p.created_at.date() for p in people} == {dt.date(2015, 7, 1)}


def test_every_group_and_people_in_several(seeded):
    cadres = set(Post.objects.values_list("person_id", flat=True))
    graduates = set(GraduateOfficial.objects.values_list("person_id", flat=True))
    returnees = set(Returnee.objects.values_list("person_id", flat=True))
    talents = set(RuralTalent.objects.values_list("person_id", flat=True))
    assert min(len(cadres), len(graduates), len(returnees), len(talents)) >= 20
    everybody = set(Person.objects.values_list("id", flat=True))
    assert cadres | graduates | returnees | talents == everybody  # nobody outside every group
    groups = Counter()
    for pid in everybody:
        groups[sum(pid in g for g in (cadres, graduates, returnees, talents))] += 1
    assert groups[2] > 0
    assert cadres & returnees and cadres & talents and returnees & talents and graduates & cadres
    assert RuralTalent.objects.filter(specialties__len__gte=2).exists()
    assert set(RuralTalent.objects.values_list("category", flat=True)) >= {"production", "business"}


# --- posts -----------------------------------------------------------------------------------


def _same_person(**extra):
    return Post.objects.filter(person=OuterRef("person"), village=OuterRef("village"), **extra).exclude(
        pk=OuterRef("pk")
    )


def test_posts_cover_every_role_and_every_shape(seeded):
    posts = Post.objects.all()
    assert set(posts.values_list("role", flat=True)) == set(Role.values)
    # Open posts have no end reason; every closed post has one.
    assert posts.filter(end__isnull=True).exists()
    assert not posts.filter(end__isnull=True).exclude(end_reason="").exists()
    assert not posts.filter(end__isnull=False, end_reason="").exists()
    assert len(set(posts.exclude(end_reason="").values_list("end_reason", flat=True))) >= 6
    # Overlapping (two posts at once), touching (re-elected the day after) and gapped service.
    assert posts.filter(Exists(_same_person(period__overlap=OuterRef("period")))).exists()
    assert posts.filter(
        Exists(_same_person(role=OuterRef("role"), start=OuterRef("end") + dt.timedelta(days=1)))
    ).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM talent_post a
               WHERE a."end" IS NOT NULL
                 AND EXISTS (SELECT 1 FROM talent_post b WHERE b.person_id = a.person_id AND b.start > a."end" + 1)
                 AND NOT EXISTS (SELECT 1 FROM talent_post c WHERE c.person_id = a.person_id
                                 AND c.start <= a."end" + 1 AND (c."end" IS NULL OR c."end" > a."end"))"""
        )
        assert cursor.fetchone()[0] > 0
    # 一肩挑: secretary and director at the same time.
    one_shoulder = posts.filter(role=Role.PARTY_SECRETARY).filter(
        Exists(_same_person(role=Role.COMMITTEE_DIRECTOR, period__overlap=OuterRef("period")))
    )
    assert one_shoulder.filter(end__isnull=True).exists()
    assert one_shoulder.filter(end__isnull=False).exists()
    # Posts sit in villages, after 1990, and not after the data's as-of date.
    assert not posts.exclude(village__level="village").exists()
    assert not posts.filter(start__gt=demo.AS_OF).exists()
    for post in posts.order_by("id")[::200]:
        post.full_clean()


# --- college-graduate village officials ------------------------------------------------------


def test_graduate_officials_terms_posts_and_moves(seeded):
    graduates = GraduateOfficial.objects.all()
    assert {g.batch_year for g in graduates} <= set(range(2007, 2015))
    assert len({g.batch_year for g in graduates}) >= 5
    assert set(graduates.values_list("status", flat=True)) >= {"serving", "moved_on"}
    terms = ServiceTerm.objects.order_by("person_id", "term_number")
    by_person: dict[int, list[ServiceTerm]] = {}
    for term in terms:
        by_person.setdefault(term.person_id, []).append(term)
    assert set(by_person) == set(graduates.values_list("person_id", flat=True))
    touching = gapped = 0
    for person_terms in by_person.values():
        assert [t.term_number for t in person_terms] == list(range(1, len(person_terms) + 1))
        for before, after in itertools.pairwise(person_terms):
            assert before.end is not None and after.start > before.end
            touching += after.start == before.end + dt.timedelta(days=1)
            gapped += after.start > before.end + dt.timedelta(days=1)
        for term in person_terms:
            if term.end:
                assert 700 <= (term.end - term.start).days <= 1100  # two or three years
    assert touching and gapped
    assert terms.filter(end__isnull=True).exists()  # open current terms
    assert terms.filter(end__gt=demo.AS_OF).exists()  # and contracted ones running on
    for term in terms[::10]:
        term.full_clean()

    # Assistants first, then elected deputies or chiefs.
    assistants = Post.objects.filter(role__in=["secretary_assistant", "director_assistant"])
    assert set(assistants.values_list("person_id", flat=True)) <= set(by_person)
    promoted = Post.objects.filter(
        person__in=assistants.values("person"),
        role_class__in=["deputy", "chief"],
        start__gt=F("person__graduate_official__selected_on"),
    )
    assert promoted.exists()

    # Every mobility channel, township leadership, destinations.
    moves = MobilityEvent.objects.all()
    assert set(moves.values_list("channel", flat=True)) == set(MobilityChannel.values)
    assert set(moves.exclude(cadre_level="").values_list("cadre_level", flat=True)) == {
        "township_deputy",
        "township_chief",
    }
    assert moves.filter(destination_division__level="township").exists()
    assert moves.filter(channel="stay_in_village", destination_division__level="village").exists()
    assert set(moves.values_list("person_id", flat=True)) == set(
        graduates.filter(status="moved_on").values_list("person_id", flat=True)
    )

    # One annual assessment per person and year; term assessments too.
    assessments = Assessment.objects.filter(person__in=graduates.values("person"))
    assert set(assessments.values_list("kind", flat=True)) == {"annual", "term"}
    assert set(Assessment.objects.values_list("grade", flat=True)) == {"excellent", "competent", "basic", "incompetent"}
    assert Training.objects.filter(title="大学生村官岗前培训班").count() == graduates.count()
    assert Training.objects.filter(mode="remote").exists()


def test_ventures_with_several_founders_and_serial_founders(seeded):
    founders = VentureFounder.objects.values("venture").annotate(n=Count("id"))
    assert founders.filter(n__gte=2).exists()
    assert VentureFounder.objects.values("person").annotate(n=Count("id")).filter(n__gte=2).exists()
    assert not Venture.objects.filter(venturefounder__isnull=True).exists()
    graduate_founded = Venture.objects.filter(founders__graduate_official__isnull=False).distinct()
    assert graduate_founded.exists()
    assert len(set(Venture.objects.values_list("industry", flat=True))) >= 5
    for venture in Venture.objects.order_by("id")[::10]:
        venture.full_clean()


def test_every_stored_choice_is_a_valid_choice(seeded):
    for model in (Division, Person, GraduateOfficial, RuralTalent, Post, Assessment, Training, Venture, MobilityEvent):
        for field in model._meta.concrete_fields:
            if field.choices and not field.generated:
                stored = set(model.objects.values_list(field.attname, flat=True).distinct()) - {None, ""}
                assert stored <= {value for value, _ in field.choices}, (model.__name__, field.name)
    for specialties in RuralTalent.objects.values_list("specialties", flat=True)[:200]:
        assert specialties and all(specialties)


def test_history_records_every_row_once(seeded):
    from django.apps import apps

    for model in (Person, Post, ServiceTerm, GraduateOfficial, RuralTalent, Venture, VentureFounder):
        events = apps.get_model("talent", f"{model.__name__}Event").objects
        assert events.filter(pgh_label="insert").count() == model.objects.count(), model.__name__
        assert not events.exclude(pgh_label="insert").exists(), model.__name__
