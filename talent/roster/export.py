"""Writing rosters: the blank template with its explanation sheet, the export of registry
records in the import's own columns (so an exported roster edited in Excel imports back), and
the annotated copy of an upload with its bad cells highlighted and commented.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import connection
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from talent.choices import ImportKind
from talent.roster import columns as C
from talent.roster import files

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
COMMENT_AUTHOR = "花名册导入校验"
TEXT_TYPES = (C.ID_NUMBER, C.DIVISION, C.PHONE, C.DATE)

# --- Export ------------------------------------------------------------------------------------

_PERSON_SELECT = """
    p.id AS _id, p.name, p.gender, p.id_number, p.birth_date, p.ethnicity, p.political_status,
    p.party_joined_on, p.education, p.school, p.major, p.key_university, p.phone,
    p.home_division_id AS home_division, hd.name AS home_division_name, p.notes
"""
EXPORT_SQL = {
    ImportKind.PEOPLE: f"""
        SELECT {_PERSON_SELECT},
               g.batch_year, g.selected_on, g.status AS graduate_status,
               r.previous_city, r.previous_occupation, r.returned_on,
               t.category AS talent_category, t.specialties, t.title_level, t.operation_scale,
               po.village_id AS village, v.name AS village_name, po.role, po.start AS post_start,
               po."end" AS post_end, po.end_reason
        FROM talent_person p
        LEFT JOIN talent_division hd ON hd.code = p.home_division_id
        LEFT JOIN talent_graduateofficial g ON g.person_id = p.id
        LEFT JOIN talent_returnee r ON r.person_id = p.id
        LEFT JOIN talent_ruraltalent t ON t.person_id = p.id
        LEFT JOIN talent_post po ON po.person_id = p.id
        LEFT JOIN talent_division v ON v.code = po.village_id
        WHERE p.id IN ({{ids}})
        ORDER BY p.id, po.start, po.id
    """,
    ImportKind.POSTS: """
        SELECT p.name, p.id_number, po.village_id AS village, v.name AS village_name, po.role,
               po.start AS post_start, po."end" AS post_end, po.end_reason
        FROM talent_post po JOIN talent_person p ON p.id = po.person_id
        LEFT JOIN talent_division v ON v.code = po.village_id
        WHERE po.id IN ({ids}) ORDER BY p.id, po.start, po.id
    """,
    ImportKind.SERVICE_TERMS: """
        SELECT p.name, p.id_number, st.village_id AS village, v.name AS village_name,
               st.term_number, st.start AS term_start, st."end" AS term_end
        FROM talent_serviceterm st JOIN talent_person p ON p.id = st.person_id
        LEFT JOIN talent_division v ON v.code = st.village_id
        WHERE st.id IN ({ids}) ORDER BY p.id, st.term_number
    """,
    ImportKind.ASSESSMENTS: """
        SELECT p.name, p.id_number, a.year, a.kind AS assessment_kind, a.grade
        FROM talent_assessment a JOIN talent_person p ON p.id = a.person_id
        WHERE a.id IN ({ids}) ORDER BY p.id, a.year, a.kind
    """,
}


def roster_rows(kind: str, queryset) -> Iterator[list[str]]:
    """The rows of a roster of ``kind`` for the records of ``queryset`` (people for the people
    roster; posts, service terms or assessments for the others), each a list of cell texts in
    ``roster_columns(kind)`` order. A person with several posts takes one row per post.

    One query, streamed with a server-side cursor; narrow ``queryset`` first (``visible_to``,
    ``within``): the rows are as the database holds them, personal data unmasked.
    """
    kind = ImportKind(kind)
    columns = C.roster_columns(kind)
    ids_sql, params = queryset.values("pk").query.sql_with_params()
    sql = EXPORT_SQL[kind].format(ids=ids_sql)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        positions = [names.index(c.key) for c in columns]
        while batch := cursor.fetchmany(2000):
            for record in batch:
                yield [C.cell_text(column, record[i]) for column, i in zip(columns, positions, strict=True)]


def export_headers(kind: str) -> list[str]:
    """The Chinese headers of a roster of ``kind``, in column order (the export's first row)."""
    return [column.header for column in C.roster_columns(kind)]


def export_rows(kind: str, queryset, *, masked: bool = False) -> Iterator[list[str]]:
    """``roster_rows`` for a report: with ``masked``, ID and phone numbers are masked as for
    accounts without the personal-data right (such a file does not import back)."""
    from talent.access import mask_id_number, mask_phone

    rows = roster_rows(kind, queryset)
    if not masked:
        yield from rows
        return
    maskers = {i: {C.ID_NUMBER: mask_id_number, C.PHONE: mask_phone}[c.type]
               for i, c in enumerate(C.roster_columns(kind)) if c.type in (C.ID_NUMBER, C.PHONE)}  # fmt: skip
    for row in rows:
        yield [maskers[i](value) if i in maskers and value else value for i, value in enumerate(row)]


def _header_row(kind: str) -> list[C.Column]:
    return C.roster_columns(kind)


def roster_workbook(kind: str, rows: Iterable[list[str]]) -> bytes:
    """An XLSX roster: the header row and ``rows`` (cell texts), every cell stored as text so
    that Excel keeps ID numbers and codes whole. Streams (openpyxl write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(C.SHEET_TITLE[ImportKind(kind)])
    columns = _header_row(kind)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns):
        letter = _letter(index)
        sheet.column_dimensions[letter].width = max(10, min(40, len(column.header) * 2 + 4))
    sheet.append([_header_cell(sheet, column) for column in columns])
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    return _save(workbook)


def roster_template(kind: str) -> bytes:
    """The blank template: the header row, and a second sheet explaining each column and the
    values it accepts (enumerations by Chinese label or English identifier, date forms)."""
    kind = ImportKind(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = C.SHEET_TITLE[kind]
    columns = C.roster_columns(kind)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.fill = HEADER_FILL
        sheet.column_dimensions[_letter(index - 1)].width = max(10, min(40, len(column.header) * 2 + 4))
        if column.type in TEXT_TYPES:
            # Text format for the whole column: Excel keeps 18-digit numbers and codes whole.
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "必填", "说明", "可填写的值", "示例"])
    for cell in notes[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for column in columns:
        required = "必填" if column.required else ("仅导出" if column.read_only else "")
        help_text = column.help or ""
        if column.aliases:
            help_text += (";" if help_text else "") + "表头也可写作:" + "、".join(column.aliases)
        notes.append([column.header, required, help_text, column.accepted(), column.example])
    notes.append([])
    notes.append(["通用规则"])
    for line in GENERAL_NOTES[kind]:
        notes.append([line])
    for letter, width in zip("ABCDE", (22, 8, 50, 70, 24), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(workbook)


GENERAL_NOTES = {
    ImportKind.PEOPLE: [
        "每行一名人员;一人有多个村两委职务(如一肩挑)时,每个职务一行,各行的人员信息须完全相同。",
        "按居民身份证号码识别人员:“新增或更新”方式下,已登记的人员按本表更新,留空的列保持原值。",
        "大学生村官、返乡创业人员、农村实用人才各组:填写组内任一列即登记为该类人员。",
        "导入前先校验;有任何错误时不写入任何数据。第一行为表头,列的顺序可以调整,多余的列被忽略。",
    ],
    ImportKind.POSTS: [
        "每行一个村两委职务;人员须已登记。按身份证号码、村、职务和任职开始日期识别职务,“新增或更新”方式下更新任职结束日期和离任原因。",
        "同一人在同一村的同一职务任期不能重叠;不同职务可以同时担任(一肩挑)。",
    ],
    ImportKind.SERVICE_TERMS: [
        "每行一个聘期;人员须已登记为大学生村官。按身份证号码和聘期序号识别聘期。",
        "同一名大学生村官的聘期不能重叠。",
    ],
    ImportKind.ASSESSMENTS: [
        "每行一条考核结果;人员须已登记且在您的管辖范围内。按身份证号码、年度和考核类型识别。",
    ],
}


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _header_cell(sheet, column: C.Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=column.header)
    cell.font = REQUIRED_FONT if column.required else HEADER_FONT
    cell.fill = HEADER_FILL
    return cell


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value if value != "" else None)
    cell.number_format = "@"
    return cell


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The annotated copy --------------------------------------------------------------------------


def annotated_workbook(*, path: str, name: str, kind: str, errors: list[dict], total: int) -> bytes:
    """A copy of the upload with each bad cell filled red and commented with its errors
    (``errors`` as stored on the import: row, field, message). An XLSX upload keeps its own
    formatting; a CSV upload becomes an XLSX of text cells. A last sheet lists the errors."""
    by_cell: dict[tuple[int, str], list[str]] = defaultdict(list)
    for error in errors:
        by_cell[(error["row"], error.get("field") or "")].append(error["message"])
    index = C.header_index(kind)
    if files.file_format(name) == files.XLSX:
        workbook = load_workbook(path)
        sheet = workbook.worksheets[0]
        positions = _positions([c.value for c in sheet[1]], index)
        for (row, field), messages in by_cell.items():
            cell = sheet.cell(row=row, column=positions.get(field, 0) + 1)
            _mark(cell, messages)
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("花名册")
        positions: dict[str, int] = {}
        for number, cells in files.read_rows(path, name):
            if number == 1:
                positions = _positions(cells, index)
                bad = {positions.get(field, 0): msgs for (row, field), msgs in by_cell.items() if row == 1}
            else:
                bad = {positions.get(field, 0): msgs for (row, field), msgs in by_cell.items() if row == number}
            width = max(len(cells), max(bad, default=-1) + 1)
            out = []
            for i in range(width):
                value = cells[i] if i < len(cells) else ""
                cell = WriteOnlyCell(sheet, value=value if value != "" else None)
                cell.number_format = "@"
                if i in bad:
                    _mark(cell, bad[i])
                out.append(cell)
            sheet.append(out)
    listing = workbook.create_sheet("错误清单")
    listing.append(["行", "列", "值", "错误代码", "说明"])
    for error in errors:
        listing.append([error["row"], error["column"], error["value"], error["code"], error["message"]])
    if total > len(errors):
        listing.append([None, None, None, None, f"共{total}处错误,此处列出并标注前{len(errors)}处。"])
    return _save(workbook)


def _positions(header: list, index: dict[str, C.Column]) -> dict[str, int]:
    out: dict[str, int] = {}
    for position, text in enumerate(header):
        column = index.get(str(text or "").strip())
        if column is not None:
            out.setdefault(column.key, position)
    return out


def _mark(cell, messages: list[str]) -> None:
    cell.fill = BAD_FILL
    text = "\n".join(dict.fromkeys(messages))
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width, comment.height = 300, 40 + 20 * len(messages)
    cell.comment = comment
