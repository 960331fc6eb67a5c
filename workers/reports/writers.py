"""Report files. XLSX through XlsxWriter in constant-memory mode (rows stream to disk, so a
100k-row roster costs the same memory as a 10-row one): Chinese headers, one sheet per
table, frozen header row, column widths from the header and a sample of values, native Excel
charts. CSV in UTF-8 with a BOM so that Excel shows Chinese; several tables follow each other,
each under its title.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter


@dataclass
class Chart:
    """A native Excel chart over columns of a table: ``kind`` is pie, column or line;
    ``categories`` and ``values`` are column indexes (values may be several series)."""

    title: str
    kind: str
    categories: int
    values: Sequence[int]


@dataclass
class Table:
    title: str  # the sheet name (≤ 31 characters)
    headers: Sequence[str]
    rows: Callable[[], Iterable[Sequence]]  # called once per file written: rows stream from the database
    charts: list[Chart] = field(default_factory=list)
    rows_written: int = 0


def _width(value) -> float:
    text = "" if value is None else str(value)
    # CJK characters take about two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_xlsx(path: Path, tables: Sequence[Table]) -> int:
    """Write the tables, one sheet each; returns the number of data rows written."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    total = 0
    for table in tables:
        sheet = workbook.add_worksheet(table.title[:31])
        sheet.freeze_panes(1, 0)
        widths = [max(_width(h), 6) for h in table.headers]
        sheet.write_row(0, 0, list(table.headers), header_format)
        count = 0
        for count, row in enumerate(table.rows(), start=1):
            sheet.write_row(count, 0, list(row))
            if count <= 200:
                widths = [max(w, min(_width(v), 40)) for w, v in zip(widths, row, strict=False)]
        table.rows_written = count
        total += count
        # In constant-memory mode column widths may be set after rows (they are written on close).
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width + 2)
        for position, spec in enumerate(table.charts):
            if count == 0:
                break
            chart = workbook.add_chart({"type": spec.kind})
            for value in spec.values:
                chart.add_series(
                    {
                        "name": [sheet.name, 0, value],
                        "categories": [sheet.name, 1, spec.categories, count, spec.categories],
                        "values": [sheet.name, 1, value, count, value],
                    }
                )
            chart.set_title({"name": spec.title})
            sheet.insert_chart(1, len(table.headers) + 1 + 9 * position, chart)
    workbook.close()
    return total


def write_csv(path: Path, tables: Sequence[Table]) -> int:
    """UTF-8 with BOM; tables one after another, each under its title when there are several."""
    total = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for index, table in enumerate(tables):
            if len(tables) > 1:
                if index:
                    writer.writerow([])
                writer.writerow([f"【{table.title}】"])
            writer.writerow(table.headers)
            count = 0
            for count, row in enumerate(table.rows(), start=1):  # noqa: B007
                writer.writerow(["" if v is None else v for v in row])
            table.rows_written = count
            total += count
    return total
