"""Reading an uploaded roster (.csv or .xlsx) into the COPY stream of the staging table.

A CSV file is not parsed in Python: its header line is read to map the columns, and the rest
is streamed to PostgreSQL's COPY as it is (UTF-8, with or without a byte-order mark, or GB18030
as Excel saves "CSV" on a Chinese Windows). A UTF-8 file stays bytes from the disk to COPY:
Python only checks that it is UTF-8 and looks for blank lines (a search of bytes is many times
quicker than the same search in a decoded string of Chinese text). An XLSX sheet is read with
openpyxl and written as CSV lines for the same COPY, with the Excel row number in front.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from talent.roster.messages import message

CSV = "csv"
XLSX = "xlsx"
CHUNK = 1 << 20


class FileError(Exception):
    """The file cannot be read as a roster at all; ``code`` is one of talent.roster.messages."""

    def __init__(self, code: str, param: str | None = None, *, row: int = 1, column: str = "", value: str = ""):
        super().__init__(message(code, param))
        self.code, self.param, self.row, self.column, self.value = code, param, row, column, value


@dataclass
class Upload:
    """A file opened for staging: its header cells, and a producer of COPY data."""

    format: str
    header: list[str]
    rows_estimate: int
    _csv_body: bytes | memoryview = b""  # UTF-8, the lines after the header (without the last newline)
    _csv_newline: bytes = b"\n"
    _sheet_rows: object = None  # an iterator of openpyxl row tuples after the header
    _workbook: object = None

    @property
    def numbered(self) -> bool:
        """True when the COPY data carries the row number as its first column (XLSX)."""
        return self.format == XLSX

    def chunks(self) -> Iterator[str | bytes]:
        if self.format == CSV:
            body = memoryview(self._csv_body)
            for start in range(0, len(body), CHUNK):
                yield body[start : start + CHUNK]
            if body:
                yield self._csv_newline
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        width = len(self.header)
        for number, row in enumerate(self._sheet_rows, start=2):
            cells = [_xlsx_text(v) for v in row[:width]]
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            writer.writerow([number, *cells])
            if buffer.tell() > CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()


def file_format(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix == ".csv":
        return CSV
    if suffix in (".xlsx", ".xlsm"):
        return XLSX
    raise FileError("file_format")


def decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def utf8_csv(data: bytes) -> bytes:
    """The file as UTF-8 without a byte-order mark: ``decode_csv(data).encode()``, without
    decoding and encoding again a file that is UTF-8 already (nearly every one)."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        body.decode("utf-8")  # only the check: the bytes are kept
    except UnicodeDecodeError:
        return decode_csv(data).encode("utf-8")
    return body


_BLANK_LINE = re.compile(rb"^[ \t]*(?=\r?$)", re.MULTILINE)
_BLANK_HINT = re.compile(rb"\n(?:\r?\n|[ \t])")  # a line that may be blank: \n\n, \n\r\n, \n␠ or \n\t


def open_upload(path: str | Path, name: str) -> Upload:
    fmt = file_format(name)
    if fmt == CSV:
        # Bytes of UTF-8: the characters looked for below are ASCII, which never occur inside
        # the encoding of another character. The body is a view of the file's bytes (no copy).
        data = utf8_csv(Path(path).read_bytes())
        end = len(data)
        while end and data[end - 1] in b"\r\n\t ":
            end -= 1
        if not end:
            raise FileError("file_empty")
        cut = data.find(b"\n", 0, end)
        start = end if cut < 0 else cut + 1
        first = data[: start - 1 if cut >= 0 else end]
        newline = b"\r\n" if first.endswith(b"\r") else b"\n"
        header = next(csv.reader([first.rstrip(b"\r").decode("utf-8")]))
        # A blank line is a row of empty cells (COPY refuses a line with too few columns),
        # keeping the row numbers of the lines after it. Most files have none: look first.
        if _BLANK_HINT.search(data, start, end):
            body = _BLANK_LINE.sub(b"," * (len(header) - 1), data[start:end])
        else:
            body = memoryview(data)[start:end]
        rows = data.count(b"\n", start, end) + 1 if start < end else 0
        return Upload(CSV, header, rows, _csv_body=body, _csv_newline=newline)
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise FileError("file_unreadable", str(exc) or type(exc).__name__) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        workbook.close()
        raise FileError("file_empty")
    header = [_xlsx_text(v) for v in first]
    while header and header[-1] == "":
        header.pop()
    estimate = max((sheet.max_row or 1) - 1, 0)
    return Upload(XLSX, header, estimate, _sheet_rows=rows, _workbook=workbook)


def _xlsx_text(value) -> str:
    """A cell as its text: dates ISO, whole numbers without '.0', other numbers as Python
    writes them (an ID number typed as a number shows as 4.30104198501e+17 and is refused)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def read_rows(path: str | Path, name: str) -> Iterator[tuple[int, list[str]]]:
    """(Excel row number, cells as text) of every row, the header being row 1: for building
    the annotated copy of a CSV upload."""
    upload = open_upload(path, name)
    try:
        yield 1, upload.header
        if upload.format == CSV:
            body = bytes(upload._csv_body) + upload._csv_newline if upload._csv_body else b""
            reader = csv.reader(io.StringIO(body.decode("utf-8")))
            for number, row in enumerate(reader, start=2):
                yield number, row
        else:
            for number, row in enumerate(upload._sheet_rows, start=2):
                yield number, [_xlsx_text(v) for v in row]
    finally:
        upload.close()
