"""Each person's places in an indexed form (``talent_personplace``), kept by triggers.

"Within a division" (talent.querysets.person_under) was ``home under X OR EXISTS (a post under
X) OR EXISTS (a term under X)``: no index answers that as one condition, so a page of the
people of a county, in id order, tested the people one by one from the first id until 50
matched — some 830,000 people for a county late in the id order of the province (0.5 s a
page). Now every significant prefix (2, 4, 6, 9 and 12 digits: province, city, county,
township, village) of a person's home division and of the villages of their posts and terms is
a row (prefix, person), and "within X" is one range of the primary key, in person order.

Kept in the same transaction as each write:

- INSERT of people, posts and terms (one statement trigger each; a COPY of a roster included)
  adds the prefixes of the new rows (ON CONFLICT DO NOTHING: places only grow on insert);
- UPDATE of people (home division), posts and terms (village or person) recomputes the places
  of the people whose rows moved, and only theirs;
- DELETE of posts and terms recomputes the places of their people; a person's places go with
  the person (ON DELETE CASCADE) and with TRUNCATE … CASCADE.

``talent_refresh_places(NULL)`` rebuilds everybody (``seed_demo`` switches the insert triggers
off for its load and rebuilds once at the end, as it does for the eligibility facts);
``talent_refresh_places(ids)`` recomputes a list of people through the person indexes.
tests/talent/test_places.py compares the table with a rebuild after every kind of write.

The (person, village) indexes of 0008 on posts and terms, which served the old condition, go.
"""

import django.db.models.deletion
from django.db import migrations, models

# The significant prefixes of a division code: its leading segments of 2, 4, 6, 9 and 12
# digits whose own last segment is not all zeros (a county-level home gives 43, 4312, 431227).
# A "within" prefix always ends in a non-zero segment (the significant part of a real
# division's code), so it equals one of these exactly when the code starts with it.
PREFIXES = """
CROSS JOIN (VALUES (0, 2), (2, 4), (4, 6), (6, 9), (9, 12)) AS seg(start, digits)
WHERE ltrim(substr({code}, seg.start + 1, seg.digits - seg.start), '0') <> ''
"""


def insert_places(source: str, code: str, person: str, *, on_conflict: str = "") -> str:
    """INSERT the significant prefixes of ``code`` for ``person``, one row per pair, from
    ``source`` (a NULL code gives none)."""
    return (
        f"INSERT INTO talent_personplace (prefix, person_id)"
        f" SELECT DISTINCT left({code}, seg.digits), {person} FROM {source}"
        f" {PREFIXES.format(code=code)} {on_conflict}"
    )


# Every person's places (home, posts, terms) as (person_id, code); LISTED: those of person_ids.
EVERYBODY = """(
    SELECT id AS person_id, home_division_id AS code FROM talent_person
    UNION SELECT person_id, village_id FROM talent_post
    UNION SELECT person_id, village_id FROM talent_serviceterm
) AS s"""
LISTED = """(
    SELECT p.id AS person_id, p.home_division_id AS code
    FROM unnest(person_ids) AS i(id) JOIN talent_person p ON p.id = i.id
    UNION SELECT t.person_id, t.village_id
    FROM unnest(person_ids) AS i(id) JOIN talent_post t ON t.person_id = i.id
    UNION SELECT t.person_id, t.village_id
    FROM unnest(person_ids) AS i(id) JOIN talent_serviceterm t ON t.person_id = i.id
) AS s"""

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION talent_refresh_places(person_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF person_ids IS NULL THEN
        DELETE FROM talent_personplace;
        {insert_places(EVERYBODY, "s.code", "s.person_id")};
    ELSE
        DELETE FROM talent_personplace pp USING unnest(person_ids) AS i(id) WHERE pp.person_id = i.id;
        {insert_places(LISTED, "s.code", "s.person_id")};
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION talent_places_on_person() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert_places("new_rows AS n", "n.home_division_id", "n.id", on_conflict="ON CONFLICT DO NOTHING")};
    ELSE
        PERFORM talent_refresh_places(ARRAY(
            SELECT n.id FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
            WHERE n.home_division_id IS DISTINCT FROM o.home_division_id));
    END IF;
    RETURN NULL;
END
$$;

-- Posts and terms: both have (person_id, village_id).
CREATE OR REPLACE FUNCTION talent_places_on_record() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert_places("new_rows AS n", "n.village_id", "n.person_id", on_conflict="ON CONFLICT DO NOTHING")};
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM talent_refresh_places(ARRAY(SELECT DISTINCT person_id FROM old_rows));
    ELSE
        -- The people on both sides of a row that moved (village or person).
        PERFORM talent_refresh_places(ARRAY(
            SELECT DISTINCT unnest(ARRAY[o.person_id, n.person_id])
            FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
            WHERE n.village_id <> o.village_id OR n.person_id <> o.person_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER talent_person_places_insert AFTER INSERT ON talent_person
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_person();
CREATE TRIGGER talent_person_places_update AFTER UPDATE ON talent_person
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_person();
CREATE TRIGGER talent_post_places_insert AFTER INSERT ON talent_post
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_record();
CREATE TRIGGER talent_post_places_update AFTER UPDATE ON talent_post
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_record();
CREATE TRIGGER talent_post_places_delete AFTER DELETE ON talent_post
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_record();
CREATE TRIGGER talent_term_places_insert AFTER INSERT ON talent_serviceterm
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_record();
CREATE TRIGGER talent_term_places_update AFTER UPDATE ON talent_serviceterm
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_record();
CREATE TRIGGER talent_term_places_delete AFTER DELETE ON talent_serviceterm
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_places_on_record();

"""

REVERSE = """
DROP TRIGGER IF EXISTS talent_person_places_insert ON talent_person;
DROP TRIGGER IF EXISTS talent_person_places_update ON talent_person;
DROP TRIGGER IF EXISTS talent_post_places_insert ON talent_post;
DROP TRIGGER IF EXISTS talent_post_places_update ON talent_post;
DROP TRIGGER IF EXISTS talent_post_places_delete ON talent_post;
DROP TRIGGER IF EXISTS talent_term_places_insert ON talent_serviceterm;
DROP TRIGGER IF EXISTS talent_term_places_update ON talent_serviceterm;
DROP TRIGGER IF EXISTS talent_term_places_delete ON talent_serviceterm;
DROP FUNCTION IF EXISTS talent_places_on_record();
DROP FUNCTION IF EXISTS talent_places_on_person();
DROP FUNCTION IF EXISTS talent_refresh_places(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [("talent", "0008_facts_by_person_met_during")]

    operations = [
        migrations.CreateModel(
            name="PersonPlace",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "prefix", "person", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("prefix", models.CharField(max_length=12, verbose_name="区划代码前缀")),
                (
                    "person",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="talent.person",
                    ),
                ),
            ],
            options={"verbose_name": "人员所在区划", "verbose_name_plural": "人员所在区划"},
        ),
        migrations.RemoveIndex(model_name="post", name="post_person_village_idx"),
        migrations.RemoveIndex(model_name="serviceterm", name="term_person_village_idx"),
        migrations.RunSQL(FUNCTIONS, reverse_sql=REVERSE),
        # The places of the people already there.
        migrations.RunSQL("SELECT talent_refresh_places(NULL)", reverse_sql=migrations.RunSQL.noop),
        # A person's places go with the person (Django's DO_NOTHING leaves it to the database;
        # db_constraint=False, so that this constraint can cascade). Checked row by row, not
        # deferred: a load of millions of places queues no deferred events.
        migrations.RunSQL(
            "ALTER TABLE talent_personplace ADD CONSTRAINT talent_personplace_person_id_fk"
            " FOREIGN KEY (person_id) REFERENCES talent_person (id) ON DELETE CASCADE",
            reverse_sql="ALTER TABLE talent_personplace DROP CONSTRAINT talent_personplace_person_id_fk",
        ),
    ]
