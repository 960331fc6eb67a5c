"""Model instances from rows read by hand, as the ORM would build them.

For the few hot reads whose ORM cost (building, compiling and reading the query in Python)
is several times the statement's own: a model's concrete columns under a table alias for the
SELECT list, and the instance built from the matching slice of a row, with the fields'
database converters applied as the ORM applies them. Columns come from the model's field
list, so a new field is read without touching the statement."""

from __future__ import annotations

from django.db import connection, connections


class Columns:
    def __init__(self, model, alias: str):
        self.model = model
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.sql = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
        self.names = [field.attname for field in fields]
        self.converters = [
            (index, converters)
            for index, field in enumerate(fields)
            if (converters := field.get_db_converters(connection))
        ]
        self.width = len(fields)
        self.pk_index = fields.index(model._meta.pk)
        # The connection's alias, read once: ``connection`` is a proxy that looks the
        # connection up in a context-local mapping on every attribute read, a fifth of the
        # cost of building a post.
        self.db = connection.alias

    def present(self, row, start: int) -> bool:
        """Whether the slice holds a row (an outer join's missing side reads as NULLs)."""
        return row[start + self.pk_index] is not None

    def instance(self, row, start: int):
        values = row[start : start + self.width]
        if self.converters:
            values, db = list(values), connections[self.db]
            for index, converters in self.converters:
                for convert in converters:
                    values[index] = convert(values[index], None, db)
        return self.model.from_db(self.db, self.names, values)
