"""Set-based validation and writing of a roster, in SQL, on a staging table.

One run, inside one transaction:

1. ``CREATE TEMP TABLE roster_raw`` (text columns in the file's order) and ``COPY`` the file
   into it (talent.roster.files streams it);
2. ``roster_dates`` and ``roster_codes``: each distinct cell of the date and division-code
   columns cleaned and parsed once (a code with its division's level);
3. ``CREATE TEMP TABLE roster_stage AS SELECT …``: every other cell cleaned (spaces, full-width
   characters) and parsed (enumerations, numbers, ID numbers), the dates and codes joined
   from step 2 by the cell's text, the people it names joined once; a column empty in every
   row is not parsed at all;
4. the checks: one ``INSERT INTO roster_err … SELECT`` for all cell checks and per-row rules,
   then one per rule across rows (duplicates in the file, overlaps with the file and the
   registry, jurisdiction);
5. a commit, only when there is no error: ``INSERT … SELECT`` / ``UPDATE … FROM`` from the
   staging table into the registry's tables, keyed by ID number.

Nothing here runs per row in Python; the row count only changes how long each statement runs.
The temporary tables go with the transaction (``ON COMMIT DROP``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from talent.choices import ImportKind, ImportMode
from talent.querysets import person_placed_sql, person_rows
from talent.roster import columns as C
from talent.roster.files import FileError, Upload

WS = " \t\r\n\u3000\u00a0"
PHONE_RE = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

GROUP_LABEL = {
    C.GRADUATE: "大学生村官",
    C.RETURNEE: "返乡创业人员",
    C.RURAL_TALENT: "农村实用人才",
    C.POST: "村两委职务",
}
GROUP_REQUIRED = {
    C.GRADUATE: ("batch_year", "selected_on"),
    C.RETURNEE: ("previous_city", "returned_on"),
    C.RURAL_TALENT: ("talent_category",),
    C.POST: ("village", "role", "post_start"),
}
GROUP_TABLE = {
    C.GRADUATE: "talent_graduateofficial",
    C.RETURNEE: "talent_returnee",
    C.RURAL_TALENT: "talent_ruraltalent",
}
# staging key -> (column of the group table, default on insert)
GROUP_FIELDS = {
    C.GRADUATE: {"batch_year": ("batch_year", None), "selected_on": ("selected_on", None),
                 "graduate_status": ("status", "'serving'")},
    C.RETURNEE: {"previous_city": ("previous_city", None), "previous_occupation": ("previous_occupation", "''"),
                 "returned_on": ("returned_on", None)},
    C.RURAL_TALENT: {"talent_category": ("category", None), "specialties": ("specialties", "'{}'"),
                     "title_level": ("title_level", "'none'"), "operation_scale": ("operation_scale", "''")},
}  # fmt: skip
# staging key -> (talent_person column, default on insert)
PERSON_FIELDS = {
    "name": ("name", None),
    "gender": ("gender", None),
    "birth_date": ("birth_date", None),
    "ethnicity": ("ethnicity", "'han'"),
    "political_status": ("political_status", "'masses'"),
    "party_joined_on": ("party_joined_on", "NULL"),
    "education": ("education", None),
    "school": ("school", "''"),
    "major": ("major", "''"),
    "key_university": ("key_university", "false"),
    "phone": ("phone", "''"),
    "home_division": ("home_division_id", "NULL"),
    "notes": ("notes", "''"),
}
SQL_TYPE = {C.DATE: "date", C.INTEGER: "int", C.BOOLEAN: "boolean", C.LIST: "varchar[]"}


def q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _clean(expr: str) -> str:
    return f"NULLIF(btrim({expr}, {q(WS)}), '')"


def _tight(expr: str) -> str:
    """Cleaned, full-width characters folded (NFKC) and inner spaces removed: for codes,
    numbers and dates typed with a Chinese input method."""
    # normalize() only where there is something to fold: a cell of ASCII characters has as
    # many bytes as characters (the cheap test spares most cells the Unicode tables); there,
    # removing every space is all the cleaning (btrim() would only remove some of them).
    return (
        f"NULLIF(replace(CASE WHEN octet_length({expr}) = char_length({expr}) THEN {expr} "
        f"ELSE normalize(btrim({expr}, {q(WS)}), NFKC) END, ' ', ''), '')"
    )


def _valid_day(y: str, m: str, d: str) -> str:
    """A condition: (y, m, d) is a day of the Gregorian calendar between 1900 and 2100.
    Arithmetic only, so that no input can make the statement fail."""
    leap = f"({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0))"
    last = f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END ELSE 31 END"
    return f"({y} BETWEEN 1900 AND 2100 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {last})"


def _make_date(y: str, m: str, d: str) -> str:
    return f"(CASE WHEN {_valid_day(y, m, d)} THEN make_date({y}, {m}, {d}) END)"


DIGITS = "'0123456789'"


def all_digits(expr: str) -> str:
    """A condition: ``expr`` is made of ASCII digits only."""
    return f"ltrim({expr}, {DIGITS}) = ''"


def date_parts_sql(r: str) -> str:
    """The accepted date forms (docs/import.md) split into text[] {year, month, day}:
    2014-12-06, 2014/12/6, 2014.12.06, 2014年12月6日 (日 optional), 20141206."""
    digits8 = f"(char_length({r}) = 8 AND {all_digits(r)})"
    return (
        f"string_to_array(CASE WHEN {digits8} THEN substr({r}, 1, 4) || '-' || substr({r}, 5, 2) || '-' || "
        f"substr({r}, 7, 2) ELSE rtrim(translate({r}, '/.年月', '----'), '日') END, '-')"
    )


def date_sql(p: str) -> str:
    """text[] {y, m, d} (``date_parts_sql``) -> the date; NULL when the parts are not 4, 1–2
    and 1–2 digits or there is no such day."""
    shape = (
        f"(array_length({p}, 1) = 3 AND char_length({p}[1]) = 4 AND char_length({p}[2]) IN (1, 2) "
        f"AND char_length({p}[3]) IN (1, 2) AND {all_digits(f'{p}[1] || {p}[2] || {p}[3]')})"
    )
    return f"(CASE WHEN {shape} THEN {_make_date(f'{p}[1]::int', f'{p}[2]::int', f'{p}[3]::int')} END)"


def ymd_valid_sql(n: str) -> str:
    """A condition: ``n`` (an int column: year * 10000 + month * 100 + day, month and day
    below 100) is a day between 1900 and 2100."""
    return _valid_day(f"({n} / 10000)", f"({n} / 100 % 100)", f"({n} % 100)")


def ymd_date_sql(n: str) -> str:
    """``n`` (year * 10000 + month * 100 + day) -> the date; NULL when there is no such day.
    ``n`` should be a column: the test reads it a dozen times."""
    return f"(CASE WHEN {ymd_valid_sql(n)} THEN make_date({n} / 10000, {n} / 100 % 100, {n} % 100) END)"


MONTH_ONLY_RE = r"^[0-9]{4}([-/.]|年)[0-9]{1,2}月?$"


def _digit(b: str, i: int) -> str:
    """The i-th character (0-based) of the ID number's bytes as a number (X = 40)."""
    return f"(get_byte({b}, {i}) - 48)"


def check_char_sql(b: str) -> str:
    """The GB 11643 check character of the ID number (as bytes, ``b``): the sum of
    talent_id_check_char written out over the bytes, several times cheaper per row than the
    SQL function's unnest (tests compare the two)."""
    terms = " + ".join(f"{_digit(b, i)} * {w}" for i, w in enumerate(ID_WEIGHTS))
    return f"substr('10X98765432', ({terms}) % 11 + 1, 1)"


def id_ymd_sql(b: str) -> str:
    """Digits 7–14 of the ID number (as bytes, ``b``) as year * 10000 + month * 100 + day."""
    digits = " + ".join(f"{_digit(b, 6 + i)} * {10 ** (7 - i)}" for i in range(8))
    return f"({digits})"


def id_error_sql(r: str, b: str, ymd: str, check: str) -> str:
    """The first problem of an ID number (``r`` the text, ``b`` its bytes when well-formed,
    ``ymd`` its digits 7–14 as a number, ``check`` the check character it should have)."""
    return (
        f"CASE WHEN {r} IS NULL THEN NULL "
        f"WHEN {b} IS NULL THEN CASE "
        rf"WHEN {r} ~* '^[0-9]+(\.[0-9]+)?e\+?[0-9]+$' THEN 'id_excel_number' "
        f"WHEN {r} ~ '^[0-9]{{15}}$' THEN 'id_old_format' ELSE 'id_malformed' END "
        f"WHEN NOT {ymd_valid_sql(ymd)} THEN 'id_birth_digits' "
        f"WHEN substr({r}, 18, 1) <> {check} THEN 'id_checksum' END"
    )


@dataclass
class RowError:
    row: int
    column: str  # the column's key
    header: str
    value: str | None
    code: str
    param: str | None = None


@dataclass
class Outcome:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> dict:
        out = {
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.error_count,
        }
        if self.ignored_columns:
            out["ignored_columns"] = self.ignored_columns
        if self.written:
            out["written"] = self.written
        return out


Progress = Callable[[str, int], None]


def _no_progress(stage: str, percent: int) -> None:
    return None


class Staging:
    """The staging of one roster in the current transaction. ``prefix`` is the significant
    part of the importer's jurisdiction ('' = the whole country). ``writing``: write() follows
    the checks (a dry run stages only what the checks read)."""

    def __init__(self, cursor, *, kind: str, mode: str, prefix: str, jurisdiction: str | None,
                 progress: Progress = _no_progress, writing: bool = False):  # fmt: skip
        self.cursor = cursor
        self.writing = writing
        self.kind = ImportKind(kind)
        self.mode = ImportMode(mode)
        self.prefix = prefix
        self.jurisdiction = jurisdiction or "全国"
        self.progress = progress
        self.columns = C.input_columns(kind)
        self.by_key = {c.key: c for c in C.roster_columns(kind)}
        self.present: dict[str, int] = {}  # key -> position in the file
        self.registered = False
        self.identified = 0  # rows with a valid ID number (build())
        self.filled: set[str] = set()  # keys of the present columns with at least one cell (build())
        self.pending: list[tuple[str, str, str, str, str]] = []  # per-row checks for flush()
        self.ignored: list[str] = []

    def prepare(self) -> None:
        """Session settings for the statements to come. JIT compilation is off: the big
        expressions of the staging statement would take longer to compile than to run. Sorts
        and hashes of the checks (one entry per row) get the memory to stay off the disk, for
        this transaction only. Temporary tables get more memory when the session has not used
        one yet (PostgreSQL refuses the change afterwards, and the savepoint keeps the
        transaction usable)."""
        self.run("SET LOCAL jit = off")
        self.run("SET LOCAL work_mem = '64MB'")
        self.run("SAVEPOINT roster_temp_buffers")
        try:
            self.cursor.execute("SET temp_buffers = '256MB'")
            self.run("RELEASE SAVEPOINT roster_temp_buffers")
        except Exception:
            self.run("ROLLBACK TO SAVEPOINT roster_temp_buffers")

    def run(self, sql: str) -> None:
        """Execute through Django's cursor (so that pghistory's context reaches the triggers).
        Values are SQL literals (``q``), never parameters: ``%`` is escaped because pghistory
        adds parameters of its own to every write it sees."""
        self.cursor.execute(sql.replace("%", "%%"), [])

    # --- 1. the file into roster_raw -----------------------------------------------------

    def map_header(self, header: list[str]) -> None:
        known = C.header_index(self.kind)
        seen: dict[str, int] = {}
        for position, text in enumerate(header):
            title = (text or "").strip().replace("\n", "")
            column = known.get(title)
            if column is None:
                if title:
                    self.ignored.append(title)
                continue
            if column.key in seen:
                raise FileError("header_duplicate", column.header, column=column.header, value=title)
            seen[column.key] = position
            if not column.read_only:
                self.present[column.key] = position
        for column in self.columns:
            if column.required and column.key not in self.present:
                raise FileError("header_missing", column.header, column=column.header)

    def load(self, upload: Upload, *, max_rows: int) -> None:
        self.map_header(upload.header)
        self.prepare()
        if upload.rows_estimate > max_rows:
            raise FileError("file_too_large", f"{max_rows:,}")
        width = len(upload.header)
        cols = ", ".join(f"c{i} text" for i in range(width))
        self.run(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}")
        self.run(
            f"CREATE TEMP TABLE roster_raw (_row int GENERATED BY DEFAULT AS IDENTITY (START WITH 2), {cols}) "
            "ON COMMIT DROP"
        )
        names = ", ".join(f"c{i}" for i in range(width))
        target = f"_row, {names}" if upload.numbered else names
        from psycopg import errors as pg_errors

        raw = self.cursor.cursor  # psycopg's cursor: COPY is not part of Django's API
        try:
            with raw.copy(f"COPY roster_raw ({target}) FROM STDIN (FORMAT csv)") as copy:
                for chunk in upload.chunks():
                    copy.write(chunk)
        except (pg_errors.BadCopyFileFormat, pg_errors.InvalidTextRepresentation) as exc:
            context = getattr(exc.diag, "context", "") or ""
            line = _copy_line(context)
            raise FileError("csv_columns", exc.diag.message_primary or str(exc), row=line + 1 if line else 1) from exc

    # --- 2. roster_stage -------------------------------------------------------------------

    def _filled(self) -> set[str]:
        """The keys of the columns with at least one cell (COPY reads an empty cell of a CSV as
        NULL): build() parses only these and writes NULL for the others, as for a column the
        file lacks. The checks still see every column of the file (a required column left
        empty is reported on every row)."""
        keys = list(self.present)
        self.run(f"SELECT {', '.join(f'count(c{self.present[key]})' for key in keys)} FROM roster_raw")
        return {key for key, cells in zip(keys, self.cursor.fetchone(), strict=True) if cells}

    def lookups(self) -> None:
        """roster_dates and roster_codes: every distinct cell of the date columns, and of the
        division-code columns, cleaned and parsed once (a date as build() would parse it, a
        code with the level of its division), for build() to join by the cell's text. A roster
        repeats a few dates and villages on many rows: each is parsed and looked up once."""
        for kind, table in ((C.DATE, "roster_dates"), (C.DIVISION, "roster_codes")):
            cells = [f"c{self.present[c.key]}" for c in self.columns if c.type == kind and c.key in self.filled]
            if not cells:
                continue
            union = " UNION ALL ".join(f"SELECT {cell} AS raw FROM roster_raw" for cell in cells)
            distinct = f"SELECT DISTINCT raw FROM ({union}) u WHERE raw IS NOT NULL"
            cleaned = f"SELECT raw, {_tight('raw')} AS r FROM ({distinct}) d OFFSET 0"
            if kind == C.DATE:
                parts = f"SELECT raw, r, {date_parts_sql('r')} AS p FROM ({cleaned}) c OFFSET 0"
                select = f"SELECT raw, r, {date_sql('p')} AS v FROM ({parts}) p"
            else:
                well_formed = f"char_length(r) = 12 AND {all_digits('r')}"
                code = f"SELECT raw, r, CASE WHEN {well_formed} THEN r END AS v FROM ({cleaned}) c OFFSET 0"
                select = f"SELECT c.raw, c.r, c.v, d.level FROM ({code}) c LEFT JOIN talent_division d ON d.code = c.v"
            self.run(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {select}")
            self.run(f"ANALYZE {table}")

    def build(self) -> int:
        """roster_stage: one row per non-blank data row, in four levels of one statement (each
        ``OFFSET 0`` keeps the planner from copying a level's expressions into the next):
        cleaned text, dates and division codes (joined from ``lookups()``); derived forms (ID
        bytes); parsed values (the ID number's digits 7–14 as a number); the ID number's birth
        date and first problem. Then the join to people."""
        self.progress("整理数据", 25)
        self.filled = filled = self._filled()
        self.lookups()
        present = [c for c in self.columns if c.key in filled]
        clean, joins = [], []
        for column in present:
            raw, key = f"c{self.present[column.key]}", column.key
            if column.type in (C.DATE, C.DIVISION):
                table = "roster_dates" if column.type == C.DATE else "roster_codes"
                joins.append(f"LEFT JOIN {table} x_{key} ON x_{key}.raw = {raw}")
                clean.append(f"x_{key}.r AS r_{key}, x_{key}.v AS v_{key}")
                if column.type == C.DIVISION:
                    clean.append(f"x_{key}.level AS lv_{key}")
                continue
            tight = column.type in (C.ID_NUMBER, C.INTEGER, C.PHONE)
            expr = _tight(raw) if tight else _clean(raw)
            clean.append(f"{'upper(' + expr + ')' if column.type == C.ID_NUMBER else expr} AS r_{key}")
        level0 = f"SELECT {', '.join(['_row', *clean])} FROM roster_raw {' '.join(joins)} OFFSET 0"
        not_blank = " OR ".join(f"l3.r_{c.key} IS NOT NULL" for c in present) or "false"

        # The ID number's bytes when it is 17 digits and a digit or X (the arithmetic below reads
        # them). A counted repetition ({17}) would take PostgreSQL's slow regular-expression path.
        well_formed = "octet_length(r_id_number) = 18 AND r_id_number ~ '^[0-9]+X?$'"
        b_id = f"CASE WHEN {well_formed} THEN convert_to(r_id_number, 'UTF8') END AS b_id"
        if "id_number" not in filled:
            b_id = "NULL::bytea AS b_id"
        level1 = f"SELECT l0.*, {b_id} FROM ({level0}) l0 OFFSET 0"

        parsed = []  # level 2: (expression, name), of the filled columns
        carried = []  # level 3: expressions of level 2's names
        stage = []  # the staging table's columns, beside the ID number's
        for column in self.columns:
            key, r = column.key, f"r_{column.key}"
            if column.type == C.ID_NUMBER:
                gender = "CASE get_byte(b_id, 16) % 2 WHEN 1 THEN 'male' WHEN 0 THEN 'female' END"  # 17th digit
                parsed += [(id_ymd_sql("b_id"), "id_ymd"), (check_char_sql("b_id"), "id_check"), ("b_id", "b_id"),
                           (gender, "id_gender"), (r if key in filled else "NULL::text", r)]  # fmt: skip
                error = id_error_sql(f"l2.{r}", "l2.b_id", "l2.id_ymd", "l2.id_check")
                carried += [f"{ymd_date_sql('l2.id_ymd')} AS id_birth", "l2.id_check", "l2.id_gender", f"l2.{r}",
                            f"{error} AS e_id_number"]  # fmt: skip
                continue
            types = {r: "text", f"v_{key}": SQL_TYPE.get(column.type, "text")}
            if column.type == C.DIVISION:
                types[f"lv_{key}"] = "text"
            names = list(types)
            if key not in filled:
                # A column the file lacks or leaves empty: NULL, added to the last level only.
                stage += [f"NULL::{sql_type} AS {name}" for name, sql_type in types.items()]
                continue
            carried += [f"l2.{name}" for name in names]
            stage += [f"l3.{name}" for name in names]
            if column.type in (C.DATE, C.DIVISION):  # from lookups()
                parsed += [(name, name) for name in names]
                continue
            if column.type == C.ENUM:
                value = f"({q(json.dumps(C.enum_lookup(column.choices), ensure_ascii=False))}::jsonb ->> {r})"
            elif column.type == C.BOOLEAN:
                lookup = {w: True for w in C.TRUE_WORDS} | {w: False for w in C.FALSE_WORDS}
                value = f"({q(json.dumps(lookup, ensure_ascii=False))}::jsonb -> {r})::boolean"
            elif column.type == C.INTEGER:
                # '2010.0' as Excel may write a year: 1–6 digits, then optionally a point and zeros.
                value = f"(CASE WHEN {r} ~ '^[0-9]{{1,6}}([.]0*)?$' THEN split_part({r}, '.', 1)::int END)"
            elif column.type == C.PHONE:
                # A mobile number first: PHONE_RE's counted repetitions are several times slower.
                mobile = f"octet_length({r}) = 11 AND {r} ~ '^1[3-9][0-9]+$'"
                value = f"(CASE WHEN {mobile} THEN {r} WHEN {r} ~ {q(PHONE_RE)} THEN {r} END)"
            elif column.type == C.LIST:
                value = (
                    f"(CASE WHEN {r} IS NOT NULL THEN ARRAY(SELECT btrim(x, {q(WS)}) FROM "
                    f"regexp_split_to_table({r}, {q('[' + C.LIST_SEPARATORS + ']+')}) x "
                    f"WHERE btrim(x, {q(WS)}) <> '')::varchar[] END)"
                )
            else:
                value = r
            parsed += [(r, r), (value, f"v_{key}")]
        columns2 = ", ".join(expr if expr == name else f"{expr} AS {name}" for expr, name in parsed)
        level2 = f"SELECT _row, {columns2} FROM ({level1}) l1 OFFSET 0"
        level3 = f"SELECT l2._row, {', '.join(carried)} FROM ({level2}) l2 OFFSET 0"

        # The columns every later statement reads come first (a row is decoded up to the last
        # column a statement needs).
        sql = (
            "CREATE TEMP TABLE roster_stage ON COMMIT DROP AS "
            "SELECT l3._row, CASE WHEN l3.e_id_number IS NULL THEN l3.r_id_number END AS v_id_number, "
            "p.id AS person_id, p.id IS NULL AS new_person, p.name AS db_name, "
            f"l3.e_id_number, l3.id_birth, l3.id_check, l3.id_gender, l3.r_id_number, {', '.join(stage)} "
            f"FROM ({level3}) l3 "
            "LEFT JOIN talent_person p ON p.id_number = l3.r_id_number AND l3.e_id_number IS NULL "
            f"WHERE {not_blank}"
        )
        self.run(sql)
        rows = self.cursor.rowcount
        self.run("ANALYZE roster_stage (_row, v_id_number, person_id, new_person)")
        self.run("SELECT count(v_id_number), COALESCE(bool_or(person_id IS NOT NULL), false) FROM roster_stage")
        # Rows with a valid ID number; some rows name people already registered.
        self.identified, self.registered = self.cursor.fetchone()
        self.run("CREATE TEMP TABLE roster_err (row int, col text, value text, code text, param text) ON COMMIT DROP")
        return rows

    # --- 3. the checks -----------------------------------------------------------------------

    def _cell_checks(self) -> list[tuple[str, str, str, str]]:
        """(column key, value, code expression, parameter expression) of every cell check."""
        checks = []
        for column in self.columns:
            key = column.key
            r, v = f"s.r_{key}", f"s.v_{key}"
            if key not in self.present:
                continue
            if key not in self.filled:
                # Every cell is empty: only "required" can apply (the other checks need a value).
                if column.required:
                    checks.append((key, r, "'required'", "NULL", "true"))
                continue
            conditions: list[tuple[str, str, str]] = []  # (condition, code, param)
            if column.required:
                conditions.append((f"{r} IS NULL", "required", "NULL"))
            if column.type == C.ID_NUMBER:
                expected = "s.id_check"
                conditions.append(
                    ("s.e_id_number IS NOT NULL", "s.e_id_number",
                     f"CASE s.e_id_number WHEN 'id_checksum' THEN {expected} "
                     f"WHEN 'id_birth_digits' THEN substr({r}, 7, 8) END")
                )  # fmt: skip
            elif column.type == C.DATE:
                example = (
                    rf"left({r}, 4) || '-' || lpad(substring({r} from '^[0-9]{{4}}(?:[-/.]|年)([0-9]{{1,2}})'),"
                    " 2, '0') || '-01'"
                )
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL AND {r} ~ {q(MONTH_ONLY_RE)}",
                                   "'date_month_only'", example))  # fmt: skip
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL", "'date_invalid'", "NULL"))
            elif column.type == C.ENUM:
                accepted = "、".join(column.labels)
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL", "'enum_invalid'", q(accepted)))
            elif column.type == C.BOOLEAN:
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL", "'boolean_invalid'", "NULL"))
            elif column.type == C.INTEGER:
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL", "'integer_invalid'", "NULL"))
                span = f"{column.minimum}–{column.maximum}"
                conditions.append((f"{v} NOT BETWEEN {column.minimum} AND {column.maximum}", "'out_of_range'",
                                   q(span)))  # fmt: skip
            elif column.type == C.PHONE:
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL", "'phone_invalid'", "NULL"))
            elif column.type == C.DIVISION:
                lv = f"s.lv_{key}"
                conditions.append((f"{r} IS NOT NULL AND {v} IS NULL", "'division_malformed'", "NULL"))
                conditions.append((f"{v} IS NOT NULL AND {lv} IS NULL", "'division_unknown'", "NULL"))
                if column.village_only:
                    conditions.append((f"{lv} <> 'village'", "'division_not_village'", "NULL"))
                    if self.prefix:
                        conditions.append((f"{lv} IS NOT NULL AND {v} NOT LIKE {q(self.prefix + '%')}",
                                           "'outside_jurisdiction'", q(self.jurisdiction)))  # fmt: skip
            elif column.type == C.LIST:
                longer = f"EXISTS (SELECT 1 FROM unnest({v}) x WHERE char_length(x) > {column.max_length})"
                conditions.append((f"{v} IS NOT NULL AND {longer}", "'too_long'", str(column.max_length)))
            if column.max_length and column.type != C.LIST:
                # A text has at least as many bytes as characters: counting the characters
                # (a walk through the text) is needed only for a long text.
                too_long = f"octet_length({r}) > {column.max_length} AND char_length({r}) > {column.max_length}"
                conditions.append((too_long, "'too_long'", str(column.max_length)))
            if not conditions:
                continue
            if column.required and conditions[0][1] == "required":
                conditions[0] = (conditions[0][0], "'required'", "NULL")
            code = "CASE " + " ".join(f"WHEN {c} THEN {code}" for c, code, _ in conditions) + " END"
            param = "CASE " + " ".join(f"WHEN {c} THEN {p}" for c, _, p in conditions) + " END"
            any_condition = " OR ".join(f"({c})" for c, _, _ in conditions)
            checks.append((key, r, code, param, any_condition))
        return checks

    def check_cells(self) -> None:
        """Queue the checks of every cell; they run with the per-row checks in one statement."""
        self.progress("逐格校验", 35)
        self.pending.extend(self._cell_checks())

    def flush(self) -> None:
        """Run every queued per-row check in one pass over the staging table: a row is looked
        at once, whatever the number of rules (a rule about one row is a condition on it)."""
        checks, self.pending = self.pending, []
        if not checks:
            return
        values = ", ".join(f"({q(key)}, {r}, ({code})::text, ({param})::text)" for key, r, code, param, _ in checks)
        prefilter = " OR ".join(f"({c})" for *_, c in checks)
        self.run(
            "INSERT INTO roster_err (row, col, value, code, param) "
            "SELECT s._row, e.col, e.value, e.code, e.param FROM roster_stage s "
            f"CROSS JOIN LATERAL (VALUES {values}) e(col, value, code, param) "
            f"WHERE ({prefilter}) AND e.code IS NOT NULL"
        )

    def _err(self, col: str, where: str, code: str, param: str = "NULL", source: str = "roster_stage s") -> None:
        value = f"s.r_{col}" if col in self.present or col == "id_number" else "NULL"
        if source == "roster_stage s":
            # A condition on one staged row: queued for the single pass of flush().
            self.pending.append((col, value, f"CASE WHEN {where} THEN {code} END",
                                 f"CASE WHEN {where} THEN {param} END", where))  # fmt: skip
            return
        self.run(
            "INSERT INTO roster_err (row, col, value, code, param) "
            f"SELECT s._row, {q(col)}, {value}, {code}, ({param})::text FROM {source} WHERE {where}"
        )

    def _col_for(self, key: str) -> str:
        """The column to name in an error (also when the file lacks it: the template's header
        says what to add)."""
        return key

    def _group_filled(self, group: str) -> str:
        keys = [c.key for c in self.columns if c.group == group and c.key in self.present]
        if not keys:
            return "false"
        return "(" + " OR ".join(f"s.r_{k} IS NOT NULL" for k in keys) + ")"

    def check_rows(self) -> None:
        self.progress("跨行与信息库校验", 55)
        kind = self.kind
        if kind == ImportKind.PEOPLE:
            self._check_people()
        else:
            self._check_reference()
        if kind in (ImportKind.PEOPLE, ImportKind.POSTS):
            self._check_posts()
        elif kind == ImportKind.SERVICE_TERMS:
            self._check_terms()
        else:
            self._check_assessments()
        self.flush()

    def _visible_sql(self, person: str) -> str:
        """A condition: the registry places ``person`` (an id expression) within the prefix (a
        home division, a post or a service term under it), read from the person's places as
        the API's "within" reads it (talent.querysets.person_under; talent/places.py)."""
        if not self.prefix:
            return "true"
        return person_placed_sql(person, q(self.prefix))

    def _check_people(self) -> None:
        ok = "s.v_id_number IS NOT NULL"
        self._err("birth_date", f"{ok} AND s.v_birth_date IS NOT NULL AND "
                  "s.v_birth_date <> s.id_birth",
                  "'id_birth_mismatch'", "to_char(s.id_birth, 'YYYY-MM-DD')")  # fmt: skip
        self._err("gender", f"{ok} AND s.v_gender IS NOT NULL AND s.v_gender <> s.id_gender",
                  "'id_gender_mismatch'", "CASE s.id_gender WHEN 'male' THEN '男' ELSE '女' END")  # fmt: skip
        if "party_joined_on" in self.present:
            self._err("party_joined_on", "s.v_party_joined_on <= s.v_birth_date", "'party_joined_before_birth'")
        # A group record needs its required columns unless the person already has one.
        for group, table in GROUP_TABLE.items():
            filled = self._group_filled(group)
            if filled == "false":
                continue
            for key in GROUP_REQUIRED[group]:
                r = f"s.r_{key}" if key in self.present else "NULL"
                self._err(self._col_for(key), f"{filled} AND {r} IS NULL AND NOT EXISTS "
                          f"(SELECT 1 FROM {table} g WHERE g.person_id = s.person_id)",
                          "'group_required'", q(GROUP_LABEL[group]))  # fmt: skip
        # One person on several rows (one per post): the person's own columns must agree, and
        # two rows without a post are the same row twice. Only IDs on several rows are looked
        # at (usually none): they are found first, with nothing but a count per ID number.
        own = [c.key for c in self.columns if c.group != C.POST and c.key in self.present]
        signature = "md5(row(" + ", ".join(f"{{t}}.r_{k}" for k in own) + ")::text)"
        post = self._group_filled(C.POST)
        self.run(
            "CREATE TEMP TABLE roster_multi ON COMMIT DROP AS "
            "SELECT s.v_id_number, count(*) AS n, min(s._row) AS first_row, "
            f"min(s._row) FILTER (WHERE NOT {post}) AS first_bare, bool_or({self._placed_here('s')}) AS placed "
            "FROM roster_stage s WHERE s.v_id_number IN (SELECT v_id_number FROM roster_stage "
            "WHERE v_id_number IS NOT NULL GROUP BY 1 HAVING count(*) > 1) GROUP BY 1"
        )
        self.run("CREATE INDEX ON roster_multi (v_id_number)")
        self.run("ANALYZE roster_multi")
        self._err("id_number", f"s._row > m.first_row AND {signature.format(t='s')} <> {signature.format(t='f')}",
                  "'person_conflict'", "m.first_row::text",
                  "roster_multi m JOIN roster_stage s USING (v_id_number) "
                  "JOIN roster_stage f ON f._row = m.first_row")  # fmt: skip
        self._err("id_number", f"s._row > m.first_bare AND NOT {post}", "'duplicate_in_file'", "m.first_bare::text",
                  "roster_multi m JOIN roster_stage s USING (v_id_number)")  # fmt: skip
        if self.mode == ImportMode.CREATE:
            self._err("id_number", "NOT s.new_person", "'person_exists'")
        if self.prefix:
            self._check_people_placed()

    FIRST_ROW = "NOT EXISTS (SELECT 1 FROM roster_multi m WHERE m.v_id_number = s.v_id_number AND m.first_row < s._row)"

    def _placed_here(self, t: str) -> str:
        """A condition: the row (alias ``t``) places its person within the jurisdiction."""
        if not self.prefix:
            return "true"
        like = q(self.prefix + "%")
        home = f"{t}.v_home_division" if "home_division" in self.present else "NULL"
        village = f"{t}.v_village" if "village" in self.present else "NULL"
        return f"(COALESCE({home} LIKE {like}, false) OR COALESCE({village} LIKE {like}, false))"

    def _check_people_placed(self) -> None:
        """A person must lie within the jurisdiction: by a home division or a post (on any of
        their rows), or by what the registry holds of them (an existing person)."""
        registry = self._visible_sql("s.person_id")
        if "home_division" in self.present:
            # A home division given on the row replaces the registry's: only the person's posts
            # and service terms place them then.
            like = q(self.prefix + "%")
            registry = (
                f"CASE WHEN s.v_home_division IS NULL THEN {registry} ELSE "
                f"EXISTS (SELECT 1 FROM talent_post vt WHERE {person_rows('vt', 's.person_id')} "
                f"AND vt.village_id LIKE {like}) "
                f"OR EXISTS (SELECT 1 FROM talent_serviceterm vs WHERE {person_rows('vs', 's.person_id')} "
                f"AND vs.village_id LIKE {like}) END"
            )
        registry = f"(s.person_id IS NOT NULL AND {registry})"
        col = "home_division" if "home_division" in self.present else "id_number"
        self._err(col, f"s.v_id_number IS NOT NULL AND {self.FIRST_ROW} AND NOT {self._placed_here('s')} "
                  f"AND NOT EXISTS (SELECT 1 FROM roster_multi m WHERE m.v_id_number = s.v_id_number AND m.placed) "
                  f"AND NOT {registry}",
                  "'person_outside'", q(self.jurisdiction))  # fmt: skip

    def _check_reference(self) -> None:
        self._err("id_number", "s.v_id_number IS NOT NULL AND s.person_id IS NULL", "'person_unknown'")
        if "name" in self.present:
            self._err("name", "s.person_id IS NOT NULL AND s.r_name IS NOT NULL AND s.r_name <> s.db_name",
                      "'name_mismatch'", "s.db_name")  # fmt: skip

    def _range(self, start: str, end: str) -> str:
        return f"daterange({start}, {end}, '[]')"

    def _row_text(self, alias: str) -> str:
        """'第3行(2011-01-01至今)': the other row of a conflict, for the message."""
        return (
            f"'第' || {alias}._row || '行(' || " + self._interval_text(f"{alias}.start", f'{alias}."end"') + " || ')'"
        )

    def _interval_text(self, start: str, end: str) -> str:
        return f"to_char({start}, 'YYYY-MM-DD') || '至' || COALESCE(to_char({end}, 'YYYY-MM-DD'), '今')"

    def _check_posts(self) -> None:
        filled = self._group_filled(C.POST)
        if filled == "false":
            return
        if self.kind == ImportKind.PEOPLE:
            for key in GROUP_REQUIRED[C.POST]:
                r = f"s.r_{key}" if key in self.present else "NULL"
                self._err(self._col_for(key), f"{filled} AND {r} IS NULL", "'group_required'",
                          q(GROUP_LABEL[C.POST]))  # fmt: skip
        end = "s.v_post_end" if "post_end" in self.present else "NULL::date"
        reason = "s.v_end_reason" if "end_reason" in self.present else "NULL::text"
        if "end_reason" in self.present:
            self._err("end_reason", f"s.v_end_reason IS NOT NULL AND {end} IS NULL", "'end_reason_without_end'")
        if "post_end" in self.present:
            self._err("post_end", "s.v_post_end < s.v_post_start", "'end_before_start'")
        # Rows that make a post: every part valid (errors above are reported; these rows are
        # checked against each other and the registry). The checks of a people roster read only
        # the posts of registered people and of people on several rows: a dry run keeps those
        # (write() needs every post).
        some = ""
        if self.kind == ImportKind.PEOPLE and not self.writing:
            some = " AND (s.person_id IS NOT NULL OR s.v_id_number IN (SELECT v_id_number FROM roster_multi))"
        self.run(
            "CREATE TEMP TABLE roster_posts ON COMMIT DROP AS "
            f"SELECT s._row, s.v_id_number, s.person_id, s.v_village AS village, s.v_role AS role, "
            f"s.v_post_start AS start, {end} AS \"end\", COALESCE({reason}, '') AS end_reason "
            "FROM roster_stage s WHERE s.v_id_number IS NOT NULL AND s.v_village IS NOT NULL "
            f"AND s.lv_village = 'village' AND s.v_role IS NOT NULL AND s.v_post_start IS NOT NULL "
            f"AND ({end} IS NULL OR {end} >= s.v_post_start){some}"
        )
        if self.registered:  # classify() looks up the posts of registered people
            self.run("CREATE INDEX ON roster_posts (v_id_number, village, role)")
            self.run("ANALYZE roster_posts")
        # Same person, village and role on several rows (usually none): duplicates and overlaps.
        # On a people roster only a person on several rows (roster_multi) can have such a group.
        several = ""
        if self.kind == ImportKind.PEOPLE:
            several = " WHERE v_id_number IN (SELECT v_id_number FROM roster_multi)"
        self.run(
            "CREATE TEMP TABLE roster_post_groups ON COMMIT DROP AS SELECT v_id_number, village, role "
            f"FROM roster_posts{several} GROUP BY 1, 2, 3 HAVING count(*) > 1"
        )
        self.run("ANALYZE roster_post_groups")
        grouped = (
            "roster_post_groups g JOIN roster_posts a USING (v_id_number, village, role) "
            "JOIN roster_posts b USING (v_id_number, village, role) JOIN roster_stage s ON s._row = a._row"
        )
        self._err("post_start", "a._row > b._row AND a.start = b.start AND NOT EXISTS (SELECT 1 FROM roster_posts c "
                  "WHERE c.v_id_number = a.v_id_number AND c.village = a.village AND c.role = a.role "
                  "AND c.start = a.start AND c._row < b._row)", "'duplicate_in_file'", "b._row::text",
                  grouped)  # fmt: skip
        overlap_code = (
            "CASE WHEN a.\"end\" IS NULL AND b.\"end\" IS NULL THEN 'post_open_duplicate' ELSE 'post_overlap' END"
        )
        self._err("post_start", f"a._row > b._row AND a.start <> b.start AND {A_RANGE} && {B_RANGE}", overlap_code,
                  self._row_text("b"), grouped)  # fmt: skip
        same_key = "t.start = a.start"
        self._err("post_start", f"NOT ({same_key}) AND t.period && {A_RANGE}",
                  "CASE WHEN a.\"end\" IS NULL AND t.\"end\" IS NULL THEN 'post_open_duplicate' "
                  "ELSE 'post_overlap' END",
                  "'信息库中已有 ' || " + self._interval_text("t.start", 't."end"'),
                  "roster_posts a JOIN talent_post t ON t.person_id = a.person_id AND t.village_id = a.village "
                  "AND t.role = a.role JOIN roster_stage s ON s._row = a._row")  # fmt: skip
        if self.mode == ImportMode.CREATE:
            self._err("post_start", "true", "'record_exists'", "NULL",
                      "roster_posts a JOIN talent_post t ON t.person_id = a.person_id AND t.village_id = a.village "
                      "AND t.role = a.role AND t.start = a.start JOIN roster_stage s ON s._row = a._row")  # fmt: skip

    def _check_terms(self) -> None:
        self._err("id_number", "s.person_id IS NOT NULL AND NOT EXISTS "
                  "(SELECT 1 FROM talent_graduateofficial g WHERE g.person_id = s.person_id)",
                  "'not_graduate_official'")  # fmt: skip
        end = "s.v_term_end" if "term_end" in self.present else "NULL::date"
        if "term_end" in self.present:
            self._err("term_end", "s.v_term_end < s.v_term_start", "'end_before_start'")
        self.run(
            "CREATE TEMP TABLE roster_terms ON COMMIT DROP AS "
            f"SELECT s._row, s.v_id_number, s.person_id, s.v_village AS village, s.v_term_number AS number, "
            f's.v_term_start AS start, {end} AS "end" FROM roster_stage s '
            "WHERE s.v_id_number IS NOT NULL AND s.v_term_number IS NOT NULL AND s.v_term_start IS NOT NULL "
            f"AND ({end} IS NULL OR {end} >= s.v_term_start)"
        )
        self.run("CREATE INDEX ON roster_terms (v_id_number)")
        self.run("ANALYZE roster_terms")
        self._err("term_number", "a._row > b._row", "'duplicate_in_file'", "b._row::text",
                  "roster_terms a JOIN LATERAL (SELECT min(x._row) AS _row FROM roster_terms x WHERE "
                  "x.v_id_number = a.v_id_number AND x.number = a.number) b ON true "
                  "JOIN roster_stage s ON s._row = a._row")  # fmt: skip
        first = (
            "NOT EXISTS (SELECT 1 FROM roster_terms x WHERE x.v_id_number = {t}.v_id_number "
            "AND x.number = {t}.number AND x._row < {t}._row)"
        )
        self._err("term_start", f"a._row > b._row AND a.number <> b.number AND {first.format(t='a')} "
                  f"AND {first.format(t='b')} AND "
                  f"{A_RANGE} && {B_RANGE}",
                  "'term_overlap'", self._row_text("b"),
                  "roster_terms a JOIN roster_terms b USING (v_id_number) "
                  "JOIN roster_stage s ON s._row = a._row")  # fmt: skip
        self._err("term_start", f"t.term_number <> a.number AND t.period && {A_RANGE}",
                  "'term_overlap'", "'信息库中已有第' || t.term_number || '聘期 ' || "
                  + self._interval_text("t.start", 't."end"'),
                  "roster_terms a JOIN talent_serviceterm t ON t.person_id = a.person_id "
                  "JOIN roster_stage s ON s._row = a._row")  # fmt: skip
        if self.mode == ImportMode.CREATE:
            self._err("term_number", "true", "'record_exists'", "NULL",
                      "roster_terms a JOIN talent_serviceterm t ON t.person_id = a.person_id "
                      "AND t.term_number = a.number JOIN roster_stage s ON s._row = a._row")  # fmt: skip

    def _check_assessments(self) -> None:
        if self.prefix:
            self._err("id_number", f"s.person_id IS NOT NULL AND NOT {self._visible_sql('s.person_id')}",
                      "'person_outside'", q(self.jurisdiction))  # fmt: skip
        kind = "COALESCE(s.v_assessment_kind, 'annual')" if "assessment_kind" in self.present else "'annual'"
        self.run(
            "CREATE TEMP TABLE roster_assessments ON COMMIT DROP AS "
            f"SELECT s._row, s.v_id_number, s.person_id, s.v_year AS year, {kind} AS kind, s.v_grade AS grade "
            "FROM roster_stage s WHERE s.v_id_number IS NOT NULL AND s.v_year BETWEEN 1980 AND 2100 "
            "AND s.v_grade IS NOT NULL"
        )
        self.run("CREATE INDEX ON roster_assessments (v_id_number, year, kind)")
        self.run("ANALYZE roster_assessments")
        self._err("year", "a._row > b._row", "'duplicate_in_file'", "b._row::text",
                  "roster_assessments a JOIN LATERAL (SELECT min(x._row) AS _row FROM roster_assessments x "
                  "WHERE x.v_id_number = a.v_id_number AND x.year = a.year AND x.kind = a.kind) b ON true "
                  "JOIN roster_stage s ON s._row = a._row")  # fmt: skip
        if self.mode == ImportMode.CREATE:
            self._err("year", "true", "'record_exists'", "NULL",
                      "roster_assessments a JOIN talent_assessment t ON t.person_id = a.person_id "
                      "AND t.year = a.year AND t.kind = a.kind JOIN roster_stage s ON s._row = a._row")  # fmt: skip

    # --- results -------------------------------------------------------------------------------

    def collect(self, outcome: Outcome, *, limit: int) -> None:
        self.progress("汇总", 75)
        order = [c.key for c in C.roster_columns(self.kind)]
        self.run("SELECT count(*) FROM roster_err")
        outcome.error_count = self.cursor.fetchone()[0]
        order_literal = q("{" + ",".join(order) + "}")
        self.run(
            "SELECT row, col, value, code, param FROM roster_err "
            f"ORDER BY row, array_position({order_literal}::text[], col), code LIMIT {int(limit)}"
        )
        outcome.errors = [
            RowError(row, col, self.by_key[col].header if col in self.by_key else col, value, code, param)
            for row, col, value, code, param in self.cursor.fetchall()
        ]
        outcome.ignored_columns = self.ignored

    def classify(self, outcome: Outcome) -> None:
        """new / updated / unchanged: people by person, other kinds by record."""
        if self.kind == ImportKind.PEOPLE and not self.registered:
            # Nobody is registered: every person is new, one per ID number.
            self.run("SELECT COALESCE(sum(n - 1), 0)::int FROM roster_multi")
            outcome.new, outcome.updated, outcome.unchanged = self.identified - self.cursor.fetchone()[0], 0, 0
            return
        if self.kind == ImportKind.PEOPLE:
            differs = [self._person_differs()]
            for group in GROUP_TABLE:
                differs.append(self._group_differs(group))
            if self._group_filled(C.POST) != "false":
                differs.append(
                    "EXISTS (SELECT 1 FROM roster_posts a WHERE a.v_id_number = s.v_id_number AND NOT EXISTS "
                    "(SELECT 1 FROM talent_post t WHERE t.person_id = a.person_id AND t.village_id = a.village "
                    'AND t.role = a.role AND t.start = a.start AND t."end" IS NOT DISTINCT FROM a."end" '
                    "AND t.end_reason = a.end_reason))"
                )
            self.run(
                "SELECT count(*) FILTER (WHERE new_person), count(*) FILTER (WHERE NOT new_person AND changed), "
                "count(*) FILTER (WHERE NOT new_person AND NOT changed) FROM ("
                f"SELECT s.new_person, CASE WHEN NOT s.new_person THEN ({' OR '.join(differs)}) END AS changed "
                "FROM roster_stage s "
                f"WHERE s.v_id_number IS NOT NULL AND {self.FIRST_ROW}) x"
            )
        else:
            table, on, same = {
                ImportKind.POSTS: ("roster_posts", "talent_post t ON t.person_id = a.person_id AND t.village_id = "
                                   "a.village AND t.role = a.role AND t.start = a.start",
                                   "t.\"end\" IS NOT DISTINCT FROM a.\"end\" AND t.end_reason = a.end_reason"),
                ImportKind.SERVICE_TERMS: ("roster_terms", "talent_serviceterm t ON t.person_id = a.person_id AND "
                                           "t.term_number = a.number",
                                           "t.village_id = a.village AND t.start = a.start AND "
                                           "t.\"end\" IS NOT DISTINCT FROM a.\"end\""),
                ImportKind.ASSESSMENTS: ("roster_assessments", "talent_assessment t ON t.person_id = a.person_id "
                                         "AND t.year = a.year AND t.kind = a.kind", "t.grade = a.grade"),
            }[self.kind]  # fmt: skip
            if not self._exists(table):
                return
            self.run(
                "SELECT count(*) FILTER (WHERE t.id IS NULL), "
                f"count(*) FILTER (WHERE t.id IS NOT NULL AND NOT ({same})), "
                f"count(*) FILTER (WHERE t.id IS NOT NULL AND {same}) FROM {table} a LEFT JOIN {on}"
            )
        outcome.new, outcome.updated, outcome.unchanged = self.cursor.fetchone()

    def _exists(self, table: str) -> bool:
        self.run(f"SELECT to_regclass({q('pg_temp.' + table)}) IS NOT NULL")
        return self.cursor.fetchone()[0]

    def _person_differs(self) -> str:
        parts = []
        for key, (column, _default) in PERSON_FIELDS.items():
            if key in self.present:
                parts.append(f"(s.v_{key} IS NOT NULL AND s.v_{key} IS DISTINCT FROM p.{column})")
        if not parts:
            return "false"
        return f"EXISTS (SELECT 1 FROM talent_person p WHERE p.id = s.person_id AND ({' OR '.join(parts)}))"

    def _group_differs(self, group: str) -> str:
        filled = self._group_filled(group)
        if filled == "false":
            return "false"
        table = GROUP_TABLE[group]
        parts = [
            f"(s.v_{key} IS NOT NULL AND s.v_{key}{'::text[]' if key == 'specialties' else ''} "
            f"IS DISTINCT FROM g.{column}{'::text[]' if key == 'specialties' else ''})"
            for key, (column, _d) in GROUP_FIELDS[group].items()
            if key in self.present
        ]
        return (
            f"({filled} AND NOT EXISTS (SELECT 1 FROM {table} g WHERE g.person_id = s.person_id AND NOT "
            f"({' OR '.join(parts)})))"
        )

    # --- 4. the commit ---------------------------------------------------------------------------

    def write(self, outcome: Outcome) -> None:
        """Write the staged rows (validated, without errors) into the registry."""
        self.progress("写入信息库", 80)
        written: dict[str, dict[str, int]] = {}
        if self.kind == ImportKind.PEOPLE:
            written["person"] = self._write_people()
            for group in GROUP_TABLE:
                counts = self._write_group(group)
                if counts:
                    written[group] = counts
            self.progress("写入职务", 90)
            if self._group_filled(C.POST) != "false":
                written["post"] = self._write_posts()
        elif self.kind == ImportKind.POSTS:
            written["post"] = self._write_posts()
        elif self.kind == ImportKind.SERVICE_TERMS:
            written["service_term"] = self._write_terms()
        else:
            written["assessment"] = self._write_assessments()
        outcome.written = written

    def _value(self, key: str, default: str | None) -> str:
        if key in self.present:
            return f"COALESCE(f.v_{key}, {default})" if default is not None else f"f.v_{key}"
        return default if default is not None else "NULL"

    def _write_people(self) -> dict[str, int]:
        first = (
            "SELECT DISTINCT ON (s.v_id_number) s.* FROM roster_stage s WHERE {where} ORDER BY s.v_id_number, s._row"
        )
        columns = [column for column, _ in PERSON_FIELDS.values()]
        values = [self._value(key, default) for key, (_c, default) in PERSON_FIELDS.items()]
        self.run(
            f"WITH f AS ({first.format(where='s.new_person')}), "
            f"ins AS (INSERT INTO talent_person ({', '.join(columns)}, id_number, created_at, updated_at) "
            f"SELECT {', '.join(values)}, f.v_id_number, now(), now() FROM f ORDER BY f._row "
            "RETURNING id, id_number) "
            "UPDATE roster_stage s SET person_id = ins.id FROM ins WHERE s.v_id_number = ins.id_number"
        )
        self.run("SELECT count(DISTINCT person_id) FROM roster_stage WHERE new_person")
        created = self.cursor.fetchone()[0]
        updated = 0
        changes = [(column, f"COALESCE(f.v_{key}, p.{column})") for key, (column, _d) in PERSON_FIELDS.items()
                   if key in self.present]  # fmt: skip
        if changes:
            self.run(
                f"UPDATE talent_person p SET {', '.join(f'{c} = {v}' for c, v in changes)}, updated_at = now() "
                f"FROM ({first.format(where='NOT s.new_person')}) f WHERE p.id = f.person_id AND "
                f"({', '.join(f'p.{c}' for c, _ in changes)}) IS DISTINCT FROM ({', '.join(v for _, v in changes)})"
            )
            updated = self.cursor.rowcount
        return {"new": created, "updated": updated}

    def _write_group(self, group: str) -> dict[str, int] | None:
        filled = self._group_filled(group)
        if filled == "false":
            return None
        table = GROUP_TABLE[group]
        fields = {key: spec for key, spec in GROUP_FIELDS[group].items()}
        source = f"SELECT DISTINCT ON (s.person_id) s.* FROM roster_stage s WHERE {filled} ORDER BY s.person_id, s._row"
        changes = [(column, f"COALESCE(f.v_{key}, g.{column})") for key, (column, _d) in fields.items()
                   if key in self.present]  # fmt: skip
        self.run(
            f"UPDATE {table} g SET {', '.join(f'{c} = {v}' for c, v in changes)} FROM ({source}) f "
            f"WHERE g.person_id = f.person_id AND ({', '.join(f'g.{c}' for c, _ in changes)}) IS DISTINCT FROM "
            f"({', '.join(v for _, v in changes)})"
            if len(changes) > 1
            else f"UPDATE {table} g SET {changes[0][0]} = {changes[0][1]} FROM ({source}) f "
            f"WHERE g.person_id = f.person_id AND g.{changes[0][0]} IS DISTINCT FROM {changes[0][1]}"
        )
        updated = self.cursor.rowcount
        columns = [column for column, _ in fields.values()]
        values = [self._value(key, default) for key, (_c, default) in fields.items()]
        self.run(
            f"INSERT INTO {table} (person_id, {', '.join(columns)}) SELECT f.person_id, {', '.join(values)} "
            f"FROM ({source}) f WHERE NOT EXISTS (SELECT 1 FROM {table} g WHERE g.person_id = f.person_id)"
        )
        return {"new": self.cursor.rowcount, "updated": updated}

    def _post_source(self) -> str:
        # roster_posts was built before new people had ids: take them from the stage.
        return (
            'SELECT s.person_id, a.village, a.role, a.start, a."end", a.end_reason, a._row FROM roster_posts a '
            "JOIN roster_stage s ON s._row = a._row"
        )

    def _write_posts(self) -> dict[str, int]:
        source = self._post_source()
        self.run(
            f'UPDATE talent_post t SET "end" = a."end", end_reason = a.end_reason FROM ({source}) a '
            "WHERE t.person_id = a.person_id AND t.village_id = a.village AND t.role = a.role AND t.start = a.start "
            'AND (t."end", t.end_reason) IS DISTINCT FROM (a."end", a.end_reason)'
        )
        updated = self.cursor.rowcount
        self.run(
            'INSERT INTO talent_post (person_id, village_id, role, start, "end", end_reason) '
            f'SELECT a.person_id, a.village, a.role, a.start, a."end", a.end_reason FROM ({source}) a '
            "WHERE NOT EXISTS (SELECT 1 FROM talent_post t WHERE t.person_id = a.person_id AND "
            "t.village_id = a.village AND t.role = a.role AND t.start = a.start) ORDER BY a._row"
        )
        return {"new": self.cursor.rowcount, "updated": updated}

    def _write_terms(self) -> dict[str, int]:
        self.run(
            'UPDATE talent_serviceterm t SET village_id = a.village, start = a.start, "end" = a."end" '
            "FROM roster_terms a WHERE t.person_id = a.person_id AND t.term_number = a.number "
            'AND (t.village_id, t.start, t."end") IS DISTINCT FROM (a.village, a.start, a."end")'
        )
        updated = self.cursor.rowcount
        self.run(
            'INSERT INTO talent_serviceterm (person_id, village_id, term_number, start, "end") '
            'SELECT a.person_id, a.village, a.number, a.start, a."end" FROM roster_terms a '
            "WHERE NOT EXISTS (SELECT 1 FROM talent_serviceterm t WHERE t.person_id = a.person_id "
            "AND t.term_number = a.number) ORDER BY a._row"
        )
        return {"new": self.cursor.rowcount, "updated": updated}

    def _write_assessments(self) -> dict[str, int]:
        self.run(
            "UPDATE talent_assessment t SET grade = a.grade FROM roster_assessments a "
            "WHERE t.person_id = a.person_id AND t.year = a.year AND t.kind = a.kind AND t.grade <> a.grade"
        )
        updated = self.cursor.rowcount
        self.run(
            "INSERT INTO talent_assessment (person_id, year, kind, grade) "
            "SELECT a.person_id, a.year, a.kind, a.grade FROM roster_assessments a WHERE NOT EXISTS "
            "(SELECT 1 FROM talent_assessment t WHERE t.person_id = a.person_id AND t.year = a.year "
            "AND t.kind = a.kind) ORDER BY a._row"
        )
        return {"new": self.cursor.rowcount, "updated": updated}


TEMP_TABLES = (
    "roster_raw",
    "roster_dates",
    "roster_codes",
    "roster_stage",
    "roster_err",
    "roster_multi",
    "roster_posts",
    "roster_post_groups",
    "roster_terms",
    "roster_assessments",
)
A_RANGE = "daterange(a.start, a.\"end\", '[]')"
B_RANGE = "daterange(b.start, b.\"end\", '[]')"


def _copy_line(context: str) -> int | None:
    import re

    match = re.search(r"line (\d+)", context)
    return int(match.group(1)) if match else None
