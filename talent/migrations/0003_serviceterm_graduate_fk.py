from django.db import migrations


class Migration(migrations.Migration):
    """A service term's person must have a graduate-official record (a second foreign key on
    the same column, which Django's field API cannot declare)."""

    dependencies = [("talent", "0002_initial")]

    operations = [
        migrations.RunSQL(
            """
            ALTER TABLE talent_serviceterm
                ADD CONSTRAINT term_person_is_graduate_official
                FOREIGN KEY (person_id) REFERENCES talent_graduateofficial (person_id)
                ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
            """,
            reverse_sql="ALTER TABLE talent_serviceterm DROP CONSTRAINT term_person_is_graduate_official;",
        ),
    ]
