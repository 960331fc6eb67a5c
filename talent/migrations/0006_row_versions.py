"""Row versions for conditional writes (ETag / If-Match, docs/security.md "No lost updates").

Every table the API serves as a resource gets a ``row_version`` column that PostgreSQL itself
keeps current, whichever way a write arrives (the API, the admin, ``QuerySet.update()``, the
roster import's set-based SQL, raw SQL):

- a new row takes the next value of one global sequence, ``talent_row_version_seq``;
- a BEFORE UPDATE trigger gives a changed row the next value again, and leaves a row whose
  columns did not change as it was (so a save that changes nothing is not a conflict and
  writes no history event). Setting ``row_version`` to anything else by hand is taken as a
  request to bump it.

One sequence for all tables, never reused: a version names one state of one row for good, so
a record deleted and created again under the same key (a division code) can never match an
old ETag, which a per-row counter starting at 1 would.

A person's group records (graduate official, returnee, rural talent) are part of the person
resource and have versions of their own: the person's ETag names all four (api/conditional.py).

Existing rows start at 0 (adding a column with a constant default rewrites nothing); their
first change gives them a real version.

The column is not a Django model field: Django never writes it, so no write path can set it
by mistake; the API reads it with an annotation (api/conditional.py).

Also here: the table of Django's database cache backend, the fallback for throttling counters
when no Redis is configured (registry/settings/base.py, CACHES).
"""

from django.db import migrations

# Tables served as API resources, with their stored generated columns (which a BEFORE
# trigger cannot read yet, so they are left out of the comparison).
VERSIONED = {
    "talent_division": [],
    "talent_person": [],
    "talent_post": ["role_class", "period"],
    "talent_serviceterm": ["period"],
    "talent_assessment": [],
    "talent_training": [],
    "talent_venture": [],
    "talent_mobilityevent": [],
    "talent_staffaccount": [],
    # Parts of the person resource.
    "talent_graduateofficial": [],
    "talent_returnee": [],
    "talent_ruraltalent": [],
}

FUNCTIONS = r"""
CREATE SEQUENCE IF NOT EXISTS talent_row_version_seq;

CREATE OR REPLACE FUNCTION talent_row_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD) - 'row_version';
    new_row jsonb := to_jsonb(NEW) - 'row_version';
    generated text;
BEGIN
    IF TG_NARGS > 0 THEN
        FOREACH generated IN ARRAY TG_ARGV LOOP
            old_row := old_row - generated;
            new_row := new_row - generated;
        END LOOP;
    END IF;
    IF new_row IS DISTINCT FROM old_row OR NEW.row_version IS DISTINCT FROM OLD.row_version THEN
        NEW.row_version := nextval('talent_row_version_seq');
    ELSE
        NEW.row_version := OLD.row_version;
    END IF;
    RETURN NEW;
END
$$;
"""


def forwards_sql() -> str:
    statements = [FUNCTIONS]
    for table, generated in VERSIONED.items():
        args = ", ".join(f"'{name}'" for name in generated)
        statements.append(
            f"""
ALTER TABLE {table} ADD COLUMN row_version bigint NOT NULL DEFAULT 0;
ALTER TABLE {table} ALTER COLUMN row_version SET DEFAULT nextval('talent_row_version_seq');
CREATE TRIGGER row_version_bump BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION talent_row_version_bump({args});
"""
        )
    statements.append(
        """
CREATE TABLE IF NOT EXISTS registry_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_cache_expires ON registry_cache (expires);
"""
    )
    return "\n".join(statements)


def backwards_sql() -> str:
    statements = ["DROP TABLE IF EXISTS registry_cache;"]
    for table in VERSIONED:
        statements.append(f"DROP TRIGGER IF EXISTS row_version_bump ON {table};")
        statements.append(f"ALTER TABLE {table} DROP COLUMN IF EXISTS row_version;")
    statements.append("DROP FUNCTION IF EXISTS talent_row_version_bump();")
    statements.append("DROP SEQUENCE IF EXISTS talent_row_version_seq;")
    return "\n".join(statements)


class Migration(migrations.Migration):
    dependencies = [("talent", "0005_reports_and_imports")]

    operations = [migrations.RunSQL(forwards_sql(), backwards_sql())]
