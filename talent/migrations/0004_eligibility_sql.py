"""Service arithmetic in the database, the precomputed facts kept current by triggers, and the
three seeded rules of DOMAIN.md.

The arithmetic (DOMAIN.md, "The service-length rule (exact)"): a post or term is an inclusive
day range; overlapping or touching ranges count once (range_agg merges them); N full years are
reached when the union's day count reaches the number of days from its first day S to the N-th
anniversary of S (29 February's anniversary in a common year is 1 March). Because service only
grows with the date, the first day a criterion is met is a fact of the data, not of the as-of
date: a criterion holds on D exactly when that first day is on or before D.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION talent_anniversary(d date, years int) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN extract(month FROM d) = 2 AND extract(day FROM d) = 29
             AND NOT (((extract(year FROM d)::int + years) % 4 = 0)
                      AND ((extract(year FROM d)::int + years) % 100 <> 0
                           OR (extract(year FROM d)::int + years) % 400 = 0))
            THEN make_date(extract(year FROM d)::int + years, 3, 1)
        ELSE make_date(extract(year FROM d)::int + years, extract(month FROM d)::int, extract(day FROM d)::int)
    END
$$;

-- First day on which the union of `spans` holds `years` full years counted from its first day;
-- NULL when it never does (every span closed and the total short).
CREATE OR REPLACE FUNCTION talent_years_met_on(spans datemultirange, years int) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    first_day date;
    need int;
    acc int := 0;
    span daterange;
BEGIN
    IF spans IS NULL OR years IS NULL OR isempty(spans) THEN
        RETURN NULL;
    END IF;
    first_day := lower(spans);
    need := talent_anniversary(first_day, years) - first_day;
    FOR span IN SELECT s FROM unnest(spans) AS s LOOP
        IF upper_inf(span) OR acc + (upper(span) - lower(span)) >= need THEN
            RETURN GREATEST(lower(span) + (need - acc) - 1, lower(span));
        END IF;
        acc := acc + (upper(span) - lower(span));
    END LOOP;
    RETURN NULL;
END
$$;

-- Continuous service (连续任职): the first day on which some unbroken stretch of `spans` holds
-- `years` full years counted from that stretch's own first day.
CREATE OR REPLACE FUNCTION talent_continuous_years_met_on(spans datemultirange, years int) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT min(GREATEST(talent_anniversary(lower(s), years) - 1, lower(s)))
    FROM unnest(spans) AS s
    WHERE upper_inf(s) OR upper(s) - 1 >= talent_anniversary(lower(s), years) - 1
$$;

-- Days of `spans` on or before `as_of` (the union cut at the as-of date).
CREATE OR REPLACE FUNCTION talent_days_until(spans datemultirange, as_of date) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(sum(upper(s) - lower(s)), 0)::int
    FROM unnest(spans * datemultirange(daterange(NULL, as_of, '[]'))) AS s
$$;

-- Recompute the facts of the given people (NULL: everybody) for the given current rules
-- (NULL: every current rule). Set-based: one pass over the posts and terms concerned.
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

CREATE OR REPLACE FUNCTION talent_facts_on_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM talent_refresh_facts(ARRAY(SELECT DISTINCT person_id FROM new_rows), NULL);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM talent_refresh_facts(ARRAY(SELECT DISTINCT person_id FROM old_rows), NULL);
    ELSE
        PERFORM talent_refresh_facts(
            ARRAY(SELECT person_id FROM new_rows UNION SELECT person_id FROM old_rows), NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION talent_facts_on_rule_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;  -- facts go with the rule (ON DELETE CASCADE)
    END IF;
    IF NEW.is_current THEN
        PERFORM talent_refresh_facts(NULL, ARRAY[NEW.id]);
    ELSE
        DELETE FROM talent_eligibilityfact WHERE rule_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER talent_post_facts_insert AFTER INSERT ON talent_post
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_facts_on_change();
CREATE TRIGGER talent_post_facts_update AFTER UPDATE ON talent_post
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_facts_on_change();
CREATE TRIGGER talent_post_facts_delete AFTER DELETE ON talent_post
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_facts_on_change();
CREATE TRIGGER talent_term_facts_insert AFTER INSERT ON talent_serviceterm
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_facts_on_change();
CREATE TRIGGER talent_term_facts_update AFTER UPDATE ON talent_serviceterm
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_facts_on_change();
CREATE TRIGGER talent_term_facts_delete AFTER DELETE ON talent_serviceterm
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION talent_facts_on_change();
CREATE TRIGGER talent_rule_facts AFTER INSERT OR UPDATE OF is_current, min_service_years, min_role_years, roles,
    role_service_continuous ON talent_eligibilityrule FOR EACH ROW EXECUTE FUNCTION talent_facts_on_rule_change();
"""

DROP = """
DROP TRIGGER IF EXISTS talent_post_facts_insert ON talent_post;
DROP TRIGGER IF EXISTS talent_post_facts_update ON talent_post;
DROP TRIGGER IF EXISTS talent_post_facts_delete ON talent_post;
DROP TRIGGER IF EXISTS talent_term_facts_insert ON talent_serviceterm;
DROP TRIGGER IF EXISTS talent_term_facts_update ON talent_serviceterm;
DROP TRIGGER IF EXISTS talent_term_facts_delete ON talent_serviceterm;
DROP TRIGGER IF EXISTS talent_rule_facts ON talent_eligibilityrule;
DROP FUNCTION IF EXISTS talent_facts_on_rule_change();
DROP FUNCTION IF EXISTS talent_facts_on_change();
DROP FUNCTION IF EXISTS talent_refresh_facts(bigint[], bigint[]);
DROP FUNCTION IF EXISTS talent_days_until(datemultirange, date);
DROP FUNCTION IF EXISTS talent_continuous_years_met_on(datemultirange, int);
DROP FUNCTION IF EXISTS talent_years_met_on(datemultirange, int);
DROP FUNCTION IF EXISTS talent_anniversary(date, int);
"""

SEEDED_RULES = [
    {
        "code": "township-institution-post",
        "name": "大学生村官考核招聘为乡镇事业编制人员",
        "target": "乡镇事业编制",
        "applies_to": "graduate_official",
        "min_service_years": 6,
        "min_role_years": 3,
        "roles": ["chief", "deputy"],
    },
    {
        "code": "township-civil-servant-directed",
        "name": "优秀村党组织书记、村委会主任定向招录乡镇公务员",
        "target": "乡镇公务员(定向招录)",
        "applies_to": "village_cadre",
        "min_role_years": 3,
        "roles": ["chief"],
        "max_age": 40,
        "min_education": "high_school",
        "min_assessment_grade": "competent",
        "assessment_years": 3,
    },
    {
        "code": "graduate-civil-service-exam",
        "name": "大学生村官报考公务员",
        "target": "公务员考试",
        "applies_to": "graduate_official",
        "min_service_years": 2,
        "min_assessment_grade": "competent",
        "assessment_years": None,
    },
]


def seed_rules(apps, schema_editor):
    EligibilityRule = apps.get_model("talent", "EligibilityRule")
    for values in SEEDED_RULES:
        EligibilityRule.objects.create(**values)


def unseed_rules(apps, schema_editor):
    apps.get_model("talent", "EligibilityRule").objects.filter(code__in=[r["code"] for r in SEEDED_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("talent", "0003_serviceterm_graduate_fk")]

    operations = [
        migrations.RunSQL(FUNCTIONS + TRIGGERS, reverse_sql=DROP),
        migrations.RunPython(seed_rules, unseed_rules),
    ]
