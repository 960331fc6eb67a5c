"""The facts' indexes (talent_eligibilityfact, 615,596 rows for the demo province):

- the GiST index on (rule, met_during) carries the person (INCLUDE), so a candidates page reads
  the people who meet a rule on a date from the index alone. Before, each of those facts was
  fetched from the table: for a rule met by 4,068 people on the date, 2,964 table pages read
  at random, 7.9 of the scan's 10.7 ms (docs/benchmarks.md, "Candidates pages");
- two indexes that others already covered go, as every write of facts kept them too: a second
  index on the person (the foreign key's stays) and the one on the rule alone (the unique
  (rule, person) and the (rule, date) indexes lead with the rule).
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("talent", "0009_person_places"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="eligibilityfact",
            name="fact_person_idx",
        ),
        migrations.RemoveIndex(
            model_name="eligibilityfact",
            name="fact_rule_met_during_gist",
        ),
        migrations.AlterField(
            model_name="eligibilityfact",
            name="rule",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="facts",
                to="talent.eligibilityrule",
            ),
        ),
        migrations.AddIndex(
            model_name="eligibilityfact",
            index=django.contrib.postgres.indexes.GistIndex(
                fields=["rule", "met_during"], include=("person",), name="fact_rule_met_during_gist_p"
            ),
        ),
    ]
