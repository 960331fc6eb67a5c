"""Roster (花名册) import and export: templates with Chinese headers, set-based validation in
SQL on a staging table, all-or-nothing commits, row-level error reports (docs/import.md)."""

from talent.roster.columns import Column, cell_text, roster_columns
from talent.roster.export import export_headers, export_rows, roster_rows, roster_template, roster_workbook
from talent.roster.service import (
    import_commit,
    import_create,
    import_validate,
    imports_visible_to,
    needs_worker,
    run_checks,
)

__all__ = [
    "Column",
    "cell_text",
    "export_headers",
    "export_rows",
    "import_commit",
    "import_create",
    "import_validate",
    "imports_visible_to",
    "needs_worker",
    "roster_columns",
    "roster_rows",
    "roster_template",
    "roster_workbook",
    "run_checks",
]
