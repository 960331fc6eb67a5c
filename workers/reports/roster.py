"""人员花名册 — a roster export of any filtered people list, in the columns of the import
template (talent.roster), streamed from a server-side cursor so 100k rows cost bounded memory.

The API resolves the filters (the same FilterSet as the people list, within the requester's
jurisdiction) into a query stored with the report; the builder runs exactly that query."""

from __future__ import annotations

from talent.models import Person
from talent.reporting import queryset_load
from workers.reports.writers import Table


def build(report, progress):
    from talent.roster import export_headers, export_rows

    people = queryset_load(Person, report.params["query"]).order_by("id")
    progress(20, "导出人员")

    def tables_for(masked: bool):
        return [Table("人员花名册", export_headers("people"), lambda: export_rows("people", people, masked=masked))]

    return tables_for
