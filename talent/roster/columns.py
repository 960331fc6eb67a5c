"""The roster templates: which columns each kind of roster (花名册) has, what each accepts, and
how a stored value is written back into a cell. Imports read these columns, the template
download and the roster export write them, so an exported roster edited in Excel imports back.

Every column has a Chinese header (what staff see), a key (the staging column and the field
it fills) and a type that decides how a cell is parsed (talent.roster.sql) and formatted
(``cell_text``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.db import models

from talent.choices import (
    AssessmentKind,
    Education,
    Ethnicity,
    Gender,
    Grade,
    GraduateStatus,
    ImportKind,
    PoliticalStatus,
    PostEndReason,
    Role,
    TalentCategory,
    TitleLevel,
)

# Column types.
TEXT = "text"
ID_NUMBER = "id_number"
DATE = "date"
ENUM = "enum"
INTEGER = "integer"
BOOLEAN = "boolean"
DIVISION = "division"
PHONE = "phone"
LIST = "list"

# Groups of columns: the person, each group record, and the post a people roster may carry.
PERSON = "person"
GRADUATE = "graduate_official"
RETURNEE = "returnee"
RURAL_TALENT = "rural_talent"
POST = "post"
TERM = "service_term"
ASSESSMENT = "assessment"

TRUE_WORDS = ("是", "Y", "y", "yes", "Yes", "YES", "true", "True", "TRUE", "1", "√")
FALSE_WORDS = ("否", "N", "n", "no", "No", "NO", "false", "False", "FALSE", "0", "×")
LIST_SEPARATORS = "、,,;;/"

# Other words staff write for an enumeration value (besides its Chinese label and its English
# identifier, which are always accepted).
SYNONYMS: dict[type[models.TextChoices], dict[str, str]] = {
    Gender: {"男性": "male", "女性": "female"},
    PoliticalStatus: {"党员": "party_member", "预备党员": "probationary_member", "团员": "league_member"},
    Education: {
        "小学": "primary",
        "中专": "secondary_vocational",
        "中技": "secondary_vocational",
        "大专": "junior_college",
        "专科": "junior_college",
        "本科": "bachelor",
        "硕士": "master",
        "研究生": "master",
        "博士": "doctor",
    },
    Grade: {"合格": "competent", "基本合格": "basic", "不合格": "incompetent"},
    Role: {
        "村党支部书记": "party_secretary",
        "村党总支书记": "party_secretary",
        "村支部书记": "party_secretary",
        "村主任": "committee_director",
    },
    AssessmentKind: {"年度": "annual", "聘期": "term"},
}
# Ethnic groups may be written without 族 (汉, 苗, 土家).
SYNONYMS[Ethnicity] = {label.removesuffix("族"): value for value, label in Ethnicity.choices if label != "族"}


def enum_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Every accepted spelling -> the stored value: the Chinese label, the English identifier
    (also upper-case), and the synonyms above."""
    out: dict[str, str] = {}
    for value, label in choices.choices:
        out[str(label)] = value
        out[value] = value
        out[value.upper()] = value
    for word, value in SYNONYMS.get(choices, {}).items():
        out.setdefault(word, value)
    return out


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: str = TEXT
    group: str = PERSON
    required: bool = False
    max_length: int | None = None
    choices: type[models.TextChoices] | None = None
    minimum: int | None = None
    maximum: int | None = None
    village_only: bool = False
    read_only: bool = False  # written by the export for reading, ignored by the import
    help: str = ""
    example: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)  # other headers accepted on import

    @property
    def labels(self) -> list[str]:
        return [str(label) for _, label in self.choices.choices] if self.choices else []

    def accepted(self) -> str:
        """The accepted values, as the template's explanation sheet shows them."""
        if self.type == ENUM:
            pairs = "; ".join(f"{label}({value})" for value, label in self.choices.choices)
            extra = SYNONYMS.get(self.choices, {})
            if extra and self.choices is not Ethnicity:
                pairs += ";也可写作 " + "、".join(extra)
            if self.choices is Ethnicity:
                pairs += ";可省略“族”字"
            return pairs
        if self.type == DATE:
            return "2014-12-06、2014/12/6、2014.12.06、2014年12月6日、20141206;只有年月(2014.12)不受理"
        if self.type == ID_NUMBER:
            return "18位居民身份证号码,末位可为X;15位旧号码不受理;请把该列设为文本格式"
        if self.type == DIVISION:
            level = "村(社区)级" if self.village_only else "任意级别"
            return f"12位统计用区划代码,{level},须在本人管辖范围内"
        if self.type == BOOLEAN:
            return "是 / 否"
        if self.type == INTEGER:
            return f"整数 {self.minimum}–{self.maximum}" if self.maximum else f"整数,不小于{self.minimum}"
        if self.type == PHONE:
            return "11位手机号码,或带区号的固定电话(0731-12345678)"
        if self.type == LIST:
            return "多项用顿号(、)、逗号或分号分隔,每项不超过50字"
        return f"不超过{self.max_length}字" if self.max_length else "文字"


def _enum(key, header, choices, **kw) -> Column:
    return Column(key, header, ENUM, choices=choices, **kw)


ID_COLUMN = Column(
    "id_number",
    "居民身份证号码",
    ID_NUMBER,
    required=True,
    help="人员的唯一标识;按此号码识别人员",
    example="11010519491231002X",
    aliases=("身份证号码", "身份证号"),
)
NAME_COLUMN = Column("name", "姓名", required=True, max_length=50, help="", example="张三")

PERSON_COLUMNS = [
    NAME_COLUMN,
    _enum("gender", "性别", Gender, required=True, help="须与身份证号码第17位一致", example="女"),
    ID_COLUMN,
    Column(
        "birth_date",
        "出生日期",
        DATE,
        required=True,
        help="须与身份证号码中的出生日期一致",
        example="1949-12-31",
        aliases=("出生年月日",),
    ),
    _enum("ethnicity", "民族", Ethnicity, help="新增人员留空为汉族", example="汉族"),
    _enum("political_status", "政治面貌", PoliticalStatus, help="新增人员留空为群众", example="中共党员"),
    Column("party_joined_on", "入党时间", DATE, help="须晚于出生日期", example="1975-07-01"),
    _enum("education", "学历", Education, required=True, example="大学本科"),
    Column("school", "毕业院校", max_length=100, example="湖南农业大学"),
    Column("major", "专业", max_length=100, example="农学"),
    Column("key_university", "重点院校", BOOLEAN, help="留空为否", example="否"),
    Column("phone", "联系电话", PHONE, max_length=20, example="13812345678"),
    Column(
        "home_division",
        "户籍所在地区划代码",
        DIVISION,
        help="户籍所在地的统计用区划代码",
        example="430104100201",
        aliases=("户籍所在地代码",),
    ),
    Column("home_division_name", "户籍所在地", read_only=True, help="导出时填写,导入时忽略"),
    Column("notes", "备注", max_length=2000),
]

GRADUATE_COLUMNS = [
    Column(
        "batch_year",
        "大学生村官选聘年度",
        INTEGER,
        group=GRADUATE,
        minimum=1995,
        maximum=2100,
        help="大学生村官填写;填写本组任一列即登记为大学生村官,须同时填写选聘日期",
        example="2010",
    ),
    Column("selected_on", "选聘日期", DATE, group=GRADUATE, example="2010-08-01"),
    _enum("graduate_status", "大学生村官状态", GraduateStatus, group=GRADUATE, help="新登记留空为在岗", example="在岗"),
]

RETURNEE_COLUMNS = [
    Column(
        "previous_city",
        "返乡前务工城市",
        group=RETURNEE,
        max_length=50,
        help="返乡创业人员填写;填写本组任一列即登记为返乡创业人员,须同时填写返乡时间",
        example="深圳",
    ),
    Column("previous_occupation", "原从事职业", group=RETURNEE, max_length=100, example="电子厂技术员"),
    Column("returned_on", "返乡时间", DATE, group=RETURNEE, example="2012-03-01"),
]

TALENT_COLUMNS = [
    _enum(
        "talent_category",
        "实用人才类别",
        TalentCategory,
        group=RURAL_TALENT,
        help="农村实用人才填写;填写本组任一列即登记为农村实用人才,须同时填写类别",
        example="生产型人才",
    ),
    Column("specialties", "专长", LIST, group=RURAL_TALENT, max_length=50, example="柑橘种植、病虫害防治"),
    _enum("title_level", "农民技术职称", TitleLevel, group=RURAL_TALENT, help="留空为无", example="初级"),
    Column("operation_scale", "经营规模", group=RURAL_TALENT, max_length=100, example="柑橘200亩"),
]


def _village_columns(group: str, header: str, example: str = "430104100201") -> list[Column]:
    return [
        Column(
            "village",
            header,
            DIVISION,
            group=group,
            village_only=True,
            help="村(社区)级统计用区划代码,须在本人管辖范围内",
            example=example,
        ),
        Column("village_name", header.removesuffix("代码").removesuffix("区划") + "名称", group=group, read_only=True,
               help="导出时填写,导入时忽略"),
    ]  # fmt: skip


POST_COLUMNS = [
    *_village_columns(POST, "任职村(社区)代码"),
    _enum("role", "职务", Role, group=POST, help="填写本组即为该人员登记一个村两委职务", example="村党组织书记"),
    Column("post_start", "任职开始日期", DATE, group=POST, example="2011-01-01", aliases=("任职时间",)),
    Column("post_end", "任职结束日期", DATE, group=POST, help="现任留空", example=""),
    _enum("end_reason", "离任原因", PostEndReason, group=POST, help="已离任的职务填写;现任留空", example=""),
]

TERM_COLUMNS = [
    *_village_columns(TERM, "服务村(社区)代码"),
    Column("term_number", "第几聘期", INTEGER, group=TERM, required=True, minimum=1, maximum=20, example="1"),
    Column("term_start", "聘期开始日期", DATE, group=TERM, required=True, example="2010-08-01"),
    Column("term_end", "聘期结束日期", DATE, group=TERM, help="聘期未结束留空", example="2013-07-31"),
]

ASSESSMENT_COLUMNS = [
    Column("year", "考核年度", INTEGER, group=ASSESSMENT, required=True, minimum=1980, maximum=2100, example="2013"),
    _enum("assessment_kind", "考核类型", AssessmentKind, group=ASSESSMENT, help="留空为年度考核", example="年度考核"),
    _enum("grade", "考核等次", Grade, group=ASSESSMENT, required=True, example="称职"),
]

# A dependent record names its person by ID number; the name is checked against the registry.
REFERENCE_COLUMNS = [
    Column("name", "姓名", max_length=50, help="须与该身份证号码登记的姓名一致(可留空)", example="张三"),
    Column(
        "id_number",
        "居民身份证号码",
        ID_NUMBER,
        required=True,
        help="人员须已在信息库中登记",
        example="11010519491231002X",
        aliases=("身份证号码", "身份证号"),
    ),
]

_POST_REQUIRED = {"village", "role", "post_start"}

COLUMNS: dict[str, list[Column]] = {
    # On a people roster the post is optional: required only when any of its columns is filled.
    ImportKind.PEOPLE: [*PERSON_COLUMNS, *GRADUATE_COLUMNS, *RETURNEE_COLUMNS, *TALENT_COLUMNS, *POST_COLUMNS],
    ImportKind.POSTS: [*REFERENCE_COLUMNS, *[replace(c, required=c.key in _POST_REQUIRED) for c in POST_COLUMNS]],
    ImportKind.SERVICE_TERMS: [*REFERENCE_COLUMNS, *TERM_COLUMNS],
    ImportKind.ASSESSMENTS: [*REFERENCE_COLUMNS, *ASSESSMENT_COLUMNS],
}

# The columns that together name one record of the kind (duplicates in a file; upsert key).
RECORD_KEY = {
    ImportKind.PEOPLE: ("id_number",),
    ImportKind.POSTS: ("id_number", "village", "role", "post_start"),
    ImportKind.SERVICE_TERMS: ("id_number", "term_number"),
    ImportKind.ASSESSMENTS: ("id_number", "year", "assessment_kind"),
}
# On a people roster a person may take several rows, one per post (一肩挑, or past posts).
POST_KEY = ("id_number", "village", "role", "post_start")

SHEET_TITLE = {
    ImportKind.PEOPLE: "人员花名册",
    ImportKind.POSTS: "村两委职务",
    ImportKind.SERVICE_TERMS: "大学生村官聘期",
    ImportKind.ASSESSMENTS: "年度考核",
}


def roster_columns(kind: str) -> list[Column]:
    """The columns of a roster of ``kind`` (talent.choices.ImportKind), in template order."""
    return COLUMNS[ImportKind(kind)]


def input_columns(kind: str) -> list[Column]:
    return [c for c in roster_columns(kind) if not c.read_only]


def header_index(kind: str) -> dict[str, Column]:
    """Every header an import accepts (the template's and the aliases) -> its column."""
    out: dict[str, Column] = {}
    for column in roster_columns(kind):
        out[column.header] = column
        for alias in column.aliases:
            out.setdefault(alias, column)
    return out


def cell_text(column: Column, value) -> str:
    """A stored value as the export writes it (and the import reads it back): dates ISO,
    enumerations by Chinese label, booleans 是/否, lists joined with 、."""
    if value is None or value == "":
        return ""
    if column.type == ENUM:
        return str(column.choices(value).label)
    if column.type == BOOLEAN:
        return "是" if value else "否"
    if column.type == DATE:
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if column.type == LIST:
        return "、".join(value)
    return str(value)
