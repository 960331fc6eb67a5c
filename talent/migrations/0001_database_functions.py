from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

# The GB 11643 check character, used by the person_id_number_valid constraint so that rows
# loaded with COPY or raw SQL are held to the same rule as the ORM.
ID_CHECK_CHAR_SQL = """
CREATE OR REPLACE FUNCTION talent_id_check_char(first17 text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT substr('10X98765432', (
        SELECT sum(substr(first17, i::int, 1)::int * w)
        FROM unnest(ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]) WITH ORDINALITY AS t(w, i)
    )::int % 11 + 1, 1)
$$;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        # Exclusion constraints mix equality on plain columns with range overlap.
        BtreeGistExtension(),
        migrations.RunSQL(ID_CHECK_CHAR_SQL, reverse_sql="DROP FUNCTION IF EXISTS talent_id_check_char(text);"),
    ]
