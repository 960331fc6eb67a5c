"""Eligibility facts, fast at province scale: a refresh of a few people reads only their rows,
and each fact carries the days on which its service criteria and age limit hold together.

1. 0004's ``talent_refresh_facts`` chose its rows with ``person_ids IS NULL OR person_id =
   ANY(person_ids)`` in every statement. plpgsql plans those statements once it has run them a
   few times in a session (the generic plan), and a plan that must also serve NULL (everybody)
   cannot use the person indexes: once a connection had refreshed a few single people, a
   refresh of 10,000 (one statement of a roster import) scanned the posts table matching every
   row against the whole array — over a minute at province scale (3M posts). Now there are two
   code paths: NULL rebuilds everybody in one pass over the tables; a list is joined
   (``unnest``) to the tables on their person indexes, so a refresh costs what the people it
   names hold, whatever plan the session caches.

2. ``met_during``: the days from the first day all the rule's service criteria are met until
   the last day its age limit holds (``max_age``: the day before the (max_age + 1)-th
   birthday). A candidates page asks a GiST index on (rule, met_during) which facts contain its
   date; only the people near eligibility are read, instead of every person who ever held a
   chief post (half the facts of a rule for village cadres). The birth date becomes an input
   of the facts, so a trigger refreshes a person's facts when it changes, and the rule trigger
   also watches ``max_age``.

3. Indexes on posts and terms by (person, village) with the prefix operator class: "within a
   division" asks, for each person whose home lies elsewhere, whether a post or term lies
   under it; the index answers without reading the rows.

tests/talent/test_eligibility.py compares the facts with a rebuild after every kind of write;
docs/benchmarks.md has the figures before and after.
"""

import django.contrib.postgres.fields.ranges
import django.contrib.postgres.indexes
from django.db import migrations, models

MET_DURING = """
-- The days from `first_day` (NULL: never) until the last day on which someone born on
-- `birth_date` is at most `max_age` full years old (NULL: no limit).
CREATE OR REPLACE FUNCTION talent_met_during(first_day date, birth_date date, max_age int) RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN first_day IS NULL THEN NULL
        WHEN max_age IS NULL THEN daterange(first_day, NULL)
        WHEN first_day < talent_anniversary(birth_date, max_age + 1)
            THEN daterange(first_day, talent_anniversary(birth_date, max_age + 1))
        ELSE 'empty'::daterange
    END
$$;
"""

# The facts of the people whose terms and posts `terms_of` and `posts_of` read (the whole
# table, or the table joined to the list of people `ids`), for the current rules in `rules`:
# the first day each service criterion is met (0004's definitions, unchanged), and the days
# on which they all hold within the age limit.
FACTS_SELECT = """
    WITH {ids}rules AS (
        SELECT * FROM talent_eligibilityrule r
        WHERE r.is_current AND (rule_ids IS NULL OR r.id = ANY(rule_ids))
          AND (r.min_service_years IS NOT NULL OR r.min_role_years IS NOT NULL)
    ),
    terms AS (
        SELECT t.person_id, range_agg(t.period) AS spans
        FROM {terms_of}
        GROUP BY t.person_id
    ),
    role_spans AS (
        SELECT p.person_id, r.id AS rule_id, range_agg(p.period) AS spans
        FROM {posts_of}
        JOIN rules r ON r.min_role_years IS NOT NULL
                    AND (p.role = ANY(r.roles) OR p.role_class = ANY(r.roles))
        GROUP BY p.person_id, r.id
    ),
    people AS (
        SELECT t.person_id, r.id AS rule_id FROM terms t CROSS JOIN rules r WHERE r.min_service_years IS NOT NULL
        UNION
        SELECT person_id, rule_id FROM role_spans
    ),
    met AS (
        SELECT pe.person_id, r.id AS rule_id, r.min_service_years, r.min_role_years, r.max_age,
               talent_years_met_on(t.spans, r.min_service_years) AS service_met_on,
               CASE WHEN r.role_service_continuous
                    THEN talent_continuous_years_met_on(rs.spans, r.min_role_years)
                    ELSE talent_years_met_on(rs.spans, r.min_role_years)
               END AS role_met_on
        FROM people pe
        JOIN rules r ON r.id = pe.rule_id
        LEFT JOIN terms t ON t.person_id = pe.person_id
        LEFT JOIN role_spans rs ON rs.person_id = pe.person_id AND rs.rule_id = r.id
    )
    SELECT m.person_id, m.rule_id, m.service_met_on, m.role_met_on,
           talent_met_during(
               CASE WHEN (m.min_service_years IS NOT NULL AND m.service_met_on IS NULL)
                      OR (m.min_role_years IS NOT NULL AND m.role_met_on IS NULL) THEN NULL
                    ELSE GREATEST(m.service_met_on, m.role_met_on)
               END,
               pp.birth_date, m.max_age)
    FROM met m
    JOIN talent_person pp ON pp.id = m.person_id
"""

EVERYBODY = FACTS_SELECT.format(ids="", terms_of="talent_serviceterm t", posts_of="talent_post p")
LISTED = FACTS_SELECT.format(
    ids="ids AS (SELECT DISTINCT u.id FROM unnest(person_ids) AS u(id)),\n    ",
    terms_of="ids JOIN talent_serviceterm t ON t.person_id = ids.id",
    posts_of="ids JOIN talent_post p ON p.person_id = ids.id",
)

REFRESH = f"""
-- Recompute the facts of the given people (NULL: everybody) for the given current rules
-- (NULL: every current rule). Everybody: one pass over the posts and terms. A list: only the
-- rows of those people, read through the person indexes.
CREATE OR REPLACE FUNCTION talent_refresh_facts(person_ids bigint[], rule_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF person_ids IS NULL THEN
        DELETE FROM talent_eligibilityfact f
        WHERE rule_ids IS NULL OR f.rule_id = ANY(rule_ids);

        INSERT INTO talent_eligibilityfact (person_id, rule_id, service_met_on, role_met_on, met_during)
        {EVERYBODY};
    ELSE
        IF cardinality(person_ids) = 0 THEN
            RETURN;
        END IF;
        DELETE FROM talent_eligibilityfact f
        USING (SELECT DISTINCT u.id FROM unnest(person_ids) AS u(id)) ids
        WHERE f.person_id = ids.id AND (rule_ids IS NULL OR f.rule_id = ANY(rule_ids));

        INSERT INTO talent_eligibilityfact (person_id, rule_id, service_met_on, role_met_on, met_during)
        {LISTED};
    END IF;
END
$$;

-- A new birth date moves the end of the age limit.
CREATE OR REPLACE FUNCTION talent_facts_on_birth_date() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM talent_refresh_facts(ARRAY[NEW.id], NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER talent_person_facts_birth_date AFTER UPDATE OF birth_date ON talent_person
    FOR EACH ROW WHEN (OLD.birth_date IS DISTINCT FROM NEW.birth_date)
    EXECUTE FUNCTION talent_facts_on_birth_date();

DROP TRIGGER talent_rule_facts ON talent_eligibilityrule;
CREATE TRIGGER talent_rule_facts AFTER INSERT OR UPDATE OF is_current, min_service_years, min_role_years, roles,
    role_service_continuous, max_age ON talent_eligibilityrule FOR EACH ROW EXECUTE FUNCTION talent_facts_on_rule_change();
"""

# 0004's definitions, restored when this migration is reversed.
REVERSE = """
DROP TRIGGER IF EXISTS talent_person_facts_birth_date ON talent_person;
DROP FUNCTION IF EXISTS talent_facts_on_birth_date();
DROP TRIGGER talent_rule_facts ON talent_eligibilityrule;
CREATE TRIGGER talent_rule_facts AFTER INSERT OR UPDATE OF is_current, min_service_years, min_role_years, roles,
    role_service_continuous ON talent_eligibilityrule FOR EACH ROW EXECUTE FUNCTION talent_facts_on_rule_change();

CREATE OR REPLACE FUNCTION talent_refresh_facts(person_ids bigint[], rule_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM talent_eligibilityfact f
    WHERE (person_ids IS NULL OR f.person_id = ANY(person_ids))
      AND (rule_ids IS NULL OR f.rule_id = ANY(rule_ids));

    INSERT INTO talent_eligibilityfact (person_id, rule_id, service_met_on, role_met_on)
    WITH rules AS (
        SELECT * FROM talent_eligibilityrule r
        WHERE r.is_current AND (rule_ids IS NULL OR r.id = ANY(rule_ids))
          AND (r.min_service_years IS NOT NULL OR r.min_role_years IS NOT NULL)
    ),
    terms AS (
        SELECT t.person_id, range_agg(t.period) AS spans
        FROM talent_serviceterm t
        WHERE person_ids IS NULL OR t.person_id = ANY(person_ids)
        GROUP BY t.person_id
    ),
    role_spans AS (
        SELECT p.person_id, r.id AS rule_id, range_agg(p.period) AS spans
        FROM talent_post p
        JOIN rules r ON r.min_role_years IS NOT NULL
                    AND (p.role = ANY(r.roles) OR p.role_class = ANY(r.roles))
        WHERE person_ids IS NULL OR p.person_id = ANY(person_ids)
        GROUP BY p.person_id, r.id
    ),
    people AS (
        SELECT t.person_id, r.id AS rule_id FROM terms t CROSS JOIN rules r WHERE r.min_service_years IS NOT NULL
        UNION
        SELECT person_id, rule_id FROM role_spans
    )
    SELECT pe.person_id, r.id,
           talent_years_met_on(t.spans, r.min_service_years),
           CASE WHEN r.role_service_continuous
                THEN talent_continuous_years_met_on(rs.spans, r.min_role_years)
                ELSE talent_years_met_on(rs.spans, r.min_role_years)
           END
    FROM people pe
    JOIN rules r ON r.id = pe.rule_id
    LEFT JOIN terms t ON t.person_id = pe.person_id
    LEFT JOIN role_spans rs ON rs.person_id = pe.person_id AND rs.rule_id = r.id;
END
$$;

DROP FUNCTION IF EXISTS talent_met_during(date, date, int);
"""


class Migration(migrations.Migration):
    dependencies = [("talent", "0007_personal_data_read")]

    operations = [
        migrations.AddField(
            model_name="eligibilityfact",
            name="met_during",
            field=django.contrib.postgres.fields.ranges.DateRangeField(
                null=True, verbose_name="年限与年龄条件同时满足的期间"
            ),
        ),
        migrations.AddIndex(
            model_name="eligibilityfact",
            index=django.contrib.postgres.indexes.GistIndex(
                fields=["rule", "met_during"], name="fact_rule_met_during_gist"
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["person", "village"], name="post_person_village_idx", opclasses=["", "varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="serviceterm",
            index=models.Index(
                fields=["person", "village"], name="term_person_village_idx", opclasses=["", "varchar_pattern_ops"]
            ),
        ),
        migrations.RunSQL(MET_DURING + REFRESH, reverse_sql=REVERSE),
        # Fill in met_during for the facts already there.
        migrations.RunSQL("SELECT talent_refresh_facts(NULL, NULL)", reverse_sql=migrations.RunSQL.noop),
    ]
