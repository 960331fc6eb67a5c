"""The registry's data model.

Each rule that must never be broken is held by the database itself (check, unique and
exclusion constraints), so that bulk loads with COPY, raw SQL and the ORM all meet the same
wall; ``clean()`` repeats the checks that deserve a precise message naming the field.
Every model is tracked by django-pghistory triggers: inserts, updates and deletes are
recorded with the acting user and the values, whichever way the write arrives.
"""

from __future__ import annotations

import datetime as dt

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, CharField, F, Func, Q, Value, When
from django.db.models.functions import Concat, Left, Right, Substr
from django.db.models.lookups import Exact

from talent import identity
from talent.choices import (
    ROLE_CLASS,
    AssessmentKind,
    CadreLevel,
    Education,
    Ethnicity,
    FileFormat,
    Gender,
    Grade,
    GraduateStatus,
    Group,
    ImportKind,
    ImportMode,
    ImportStatus,
    Industry,
    JobStatus,
    Level,
    MobilityChannel,
    PoliticalStatus,
    PostEndReason,
    ReportKind,
    Role,
    RoleClass,
    StaffRole,
    TalentCategory,
    TitleLevel,
    TrainingMode,
    UrbanRuralClass,
    VillageKind,
)
from talent.querysets import (
    DivisionQuerySet,
    PersonQuerySet,
    PersonRecordQuerySet,
    PostQuerySet,
    ServiceTermQuerySet,
    StaffAccountQuerySet,
    VentureQuerySet,
)

# Messages reused by tests and callers.
END_BEFORE_START = "结束日期不能早于开始日期。"
NOT_A_VILLAGE = "只能选择村(社区)级区划。"
POST_OVERLAP = "同一人在同一村的同一职务任期不能重叠。"
POST_OPEN_DUPLICATE = "同一人在同一村已有一个未结束的同一职务。"
TERM_OVERLAP = "同一名大学生村官的聘期不能重叠。"
NOT_A_GRADUATE_OFFICIAL = "只有大学生村官才有聘期,请先登记其大学生村官信息。"
KIND_ONLY_FOR_VILLAGES = "只有村级区划填写村/社区类别和城乡分类。"
KIND_REQUIRED = "村级区划必须填写村/社区类别。"
PARENT_REQUIRED = "省级以下区划必须填写上级区划。"

PHONE_VALIDATOR = RegexValidator(
    r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$", "电话号码应为11位手机号码或带区号的固定电话。"
)


def _daterange(start: str, end: str) -> Case:
    """Inclusive [start, end] date range; an open end (NULL) runs without bound. NULL when the
    end is before the start, so that the named end-before-start check refuses the row (rather
    than the range constructor failing with an error that names no constraint)."""
    return Case(
        When(Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": F(start)}),
             then=Func(F(start), F(end), Value("[]"), function="daterange", output_field=DateRangeField())),
        default=None,
        output_field=DateRangeField(),
    )  # fmt: skip


def _end_not_before_start(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(end__isnull=True) | Q(end__gte=F("start")),
        name=name,
        violation_error_message=END_BEFORE_START,
    )


def _village_level(field: str, name: str) -> models.CheckConstraint:
    # A village or community code has a non-zero last segment (the 10th-12th digits).
    return models.CheckConstraint(
        condition=~Q(Exact(Right(field, 3), Value("000"))), name=name, violation_error_message=NOT_A_VILLAGE
    )


def _zeros(n: int) -> Value:
    return Value("0" * n)


# The exact pattern of each level's code (see talent.identity.code_level): the level's own
# segment is non-zero and everything after it is zero; the province and city segments are
# never zero below them, the county segment may be (a township directly under a city without
# counties, such as 441900003000), and a village always has its township. PostgreSQL regular
# expressions (AREs) support the negative look-ahead used here.
LEVEL_PATTERNS = {
    Level.PROVINCE: r"^(?!00)[0-9]{2}0{10}$",
    Level.CITY: r"^(?!00)[0-9]{2}(?!00)[0-9]{2}0{8}$",
    Level.COUNTY: r"^(?!00)[0-9]{2}(?!00)[0-9]{2}(?!00)[0-9]{2}0{6}$",
    Level.TOWNSHIP: r"^(?!00)[0-9]{2}(?!00)[0-9]{2}[0-9]{2}(?!000)[0-9]{3}000$",
    Level.VILLAGE: r"^(?!00)[0-9]{2}(?!00)[0-9]{2}[0-9]{2}(?!000)[0-9]{3}(?!000)[0-9]{3}$",
}


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Division(models.Model):
    """An administrative division keyed by its 12-digit statistical code (统计用区划代码)."""

    code = models.CharField(
        "区划代码",
        max_length=12,
        primary_key=True,
        validators=[RegexValidator(r"^[0-9]{12}$", identity.CODE_MALFORMED)],
    )
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField("村/社区", max_length=10, choices=VillageKind.choices, null=True, blank=True)
    urban_rural_class = models.CharField(
        "城乡分类", max_length=3, choices=UrbanRuralClass.choices, null=True, blank=True
    )

    objects = DivisionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [
            models.Index(fields=["parent"], name="division_parent_idx"),
            # Prefix matches for "everything under X".
            models.Index(fields=["code"], name="division_code_pattern_idx", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{12}$"),
                name="division_code_digits",
                violation_error_message=identity.CODE_MALFORMED,
            ),
            models.CheckConstraint(
                condition=(
                    Q(level=Level.PROVINCE, code__regex=LEVEL_PATTERNS[Level.PROVINCE])
                    | Q(level=Level.CITY, code__regex=LEVEL_PATTERNS[Level.CITY])
                    | Q(level=Level.COUNTY, code__regex=LEVEL_PATTERNS[Level.COUNTY])
                    | Q(level=Level.TOWNSHIP, code__regex=LEVEL_PATTERNS[Level.TOWNSHIP])
                    | Q(level=Level.VILLAGE, code__regex=LEVEL_PATTERNS[Level.VILLAGE])
                ),
                name="division_code_matches_level",
                violation_error_message="区划代码与级别不一致。",
            ),
            models.CheckConstraint(
                condition=(
                    Q(level=Level.PROVINCE, parent__isnull=True)
                    | (
                        ~Q(level=Level.PROVINCE)
                        & Q(parent__isnull=False)
                        & ~Q(parent_id=F("code"))
                        & (
                            Q(parent_id=Concat(Left("code", 2), _zeros(10)))
                            | Q(parent_id=Concat(Left("code", 4), _zeros(8)))
                            | Q(parent_id=Concat(Left("code", 6), _zeros(6)))
                            | Q(parent_id=Concat(Left("code", 9), _zeros(3)))
                        )
                    )
                ),
                name="division_parent_is_prefix",
                violation_error_message="上级区划必须是本代码的前缀代码(省级区划没有上级)。",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.VILLAGE, kind__isnull=False)
                | Q(~Q(level=Level.VILLAGE), kind__isnull=True, urban_rural_class__isnull=True),
                name="division_kind_only_for_villages",
                violation_error_message=KIND_ONLY_FOR_VILLAGES,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        actual = identity.code_level(self.code or "")
        if actual is None:
            errors["code"] = str(identity.CODE_NO_LEVEL).format(code=self.code)
        elif self.level and actual != self.level:
            errors["level"] = str(identity.CODE_LEVEL_MISMATCH).format(
                code=self.code, actual=Level(actual).label, level=Level(self.level).label
            )
        if actual and actual != Level.PROVINCE and not self.parent_id:
            errors["parent"] = PARENT_REQUIRED
        if actual and self.parent_id and self.parent_id not in identity.ancestor_codes(self.code):
            errors["parent"] = str(identity.CODE_PARENT_MISMATCH).format(parent=self.parent_id, code=self.code)
        if actual == Level.VILLAGE and not self.kind:
            errors["kind"] = KIND_REQUIRED
        if actual and actual != Level.VILLAGE and (self.kind or self.urban_rural_class):
            errors["kind"] = KIND_ONLY_FOR_VILLAGES
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Person(models.Model):
    """Anyone in the registry. Group records (graduate official, returnee, rural talent) hang
    off a person one-to-one; village cadres are the people who hold posts."""

    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=6, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    id_number = models.CharField("居民身份证号码", max_length=18, unique=True)
    ethnicity = models.CharField("民族", max_length=10, choices=Ethnicity.choices, default=Ethnicity.HAN)
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    party_joined_on = models.DateField("入党时间", null=True, blank=True)
    education = models.CharField("学历", max_length=20, choices=Education.choices)
    school = models.CharField("毕业院校", max_length=100, blank=True)
    major = models.CharField("专业", max_length=100, blank=True)
    key_university = models.BooleanField("重点院校", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[PHONE_VALIDATOR])
    home_division = models.ForeignKey(
        Division, verbose_name="户籍所在地", null=True, blank=True, on_delete=models.PROTECT, related_name="residents"
    )
    notes = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["name"], name="person_name_idx"),
            models.Index(fields=["home_division"], name="person_home_division_idx"),
            models.Index(fields=["birth_date"], name="person_birth_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$")
                & Q(
                    Exact(
                        Substr("id_number", 18, 1),
                        Func(Left("id_number", 17), function="talent_id_check_char", output_field=CharField()),
                    )
                ),
                name="person_id_number_valid",
                violation_error_message="居民身份证号码格式或校验位错误。",
            ),
            models.CheckConstraint(
                condition=Q(
                    Exact(
                        Substr("id_number", 7, 8),
                        Func(F("birth_date"), Value("YYYYMMDD"), function="to_char", output_field=CharField()),
                    )
                ),
                name="person_id_number_birth_date",
                violation_error_message="居民身份证号码中的出生日期与出生日期字段不一致。",
            ),
            models.CheckConstraint(
                condition=Q(gender=Gender.MALE, id_number__regex=r"^[0-9]{16}[13579]")
                | Q(gender=Gender.FEMALE, id_number__regex=r"^[0-9]{16}[02468]"),
                name="person_id_number_gender",
                violation_error_message="居民身份证号码第17位与性别不一致。",
            ),
            models.CheckConstraint(
                condition=Q(party_joined_on__isnull=True) | Q(party_joined_on__gt=F("birth_date")),
                name="person_party_joined_after_birth",
                violation_error_message="入党时间必须晚于出生日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.id_number = identity.normalize_id_number(self.id_number)
        problems = identity.id_number_errors(self.id_number)
        if problems:
            raise ValidationError({"id_number": problems})
        errors = identity.id_agreement_errors(self.id_number, birth_date=self.birth_date, gender=self.gender)
        if self.party_joined_on and self.birth_date and self.party_joined_on <= self.birth_date:
            errors["party_joined_on"] = "入党时间必须晚于出生日期。"
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class GraduateOfficial(models.Model):
    """大学生村官: the person's record as a college-graduate village official."""

    person = models.OneToOneField(
        Person, verbose_name="人员", primary_key=True, on_delete=models.CASCADE, related_name="graduate_official"
    )
    batch_year = models.PositiveSmallIntegerField(
        "选聘批次(年)", validators=[MinValueValidator(1995), MaxValueValidator(2100)]
    )
    selected_on = models.DateField("选聘日期")
    status = models.CharField("状态", max_length=10, choices=GraduateStatus.choices, default=GraduateStatus.SERVING)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "大学生村官"
        verbose_name_plural = "大学生村官"
        indexes = [models.Index(fields=["batch_year"], name="graduate_batch_year_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(batch_year__gte=1995, batch_year__lte=2100),
                name="graduate_batch_year_range",
                violation_error_message="选聘批次年份应在1995至2100之间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}({self.batch_year}批)"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ServiceTerm(models.Model):
    """聘期: one service term of a graduate official in a village, [start, end] inclusive."""

    # A term belongs to a person who has a graduate-official record: the column also carries a
    # second foreign key to talent_graduateofficial (migration 0003), so the database refuses a
    # term for anyone else, and deleting the record deletes its terms.
    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.CASCADE, related_name="service_terms")
    village = models.ForeignKey(
        Division, verbose_name="服务村(社区)", on_delete=models.PROTECT, related_name="service_terms"
    )
    start = models.DateField("聘期开始")
    end = models.DateField("聘期结束", null=True, blank=True)
    term_number = models.PositiveSmallIntegerField("第几聘期", validators=[MinValueValidator(1)])
    period = models.GeneratedField(
        expression=_daterange("start", "end"), output_field=DateRangeField(), db_persist=True, verbose_name="聘期区间"
    )

    objects = ServiceTermQuerySet.as_manager()

    class Meta:
        verbose_name = "聘期"
        verbose_name_plural = "聘期"
        ordering = ["person_id", "start"]
        indexes = [
            models.Index(fields=["village"], name="term_village_idx"),
            GistIndex(fields=["period"], name="term_period_gist"),
        ]
        constraints = [
            _end_not_before_start("term_end_not_before_start"),
            _village_level("village", "term_in_village"),
            models.CheckConstraint(
                condition=Q(term_number__gte=1),
                name="term_number_positive",
                violation_error_message="聘期序号从1开始。",
            ),
            models.UniqueConstraint(
                fields=["person", "term_number"],
                name="term_number_unique",
                violation_error_message="该大学生村官已有相同序号的聘期。",
            ),
            ExclusionConstraint(
                name="term_no_overlap",
                expressions=[(F("person"), RangeOperators.EQUAL), (F("period"), RangeOperators.OVERLAPS)],
                violation_error_message=TERM_OVERLAP,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} 第{self.term_number}聘期"

    def clean(self) -> None:
        errors = {}
        if self.person_id and not GraduateOfficial.objects.filter(person_id=self.person_id).exists():
            errors["person"] = NOT_A_GRADUATE_OFFICIAL
        if self.start and self.end and self.end < self.start:
            errors["end"] = END_BEFORE_START
        if self.village_id and self.village_id.endswith("000"):
            errors["village"] = NOT_A_VILLAGE
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Returnee(models.Model):
    """返乡创业人员."""

    person = models.OneToOneField(
        Person, verbose_name="人员", primary_key=True, on_delete=models.CASCADE, related_name="returnee"
    )
    previous_city = models.CharField("原务工城市", max_length=50)
    previous_occupation = models.CharField("原从事职业", max_length=100, blank=True)
    returned_on = models.DateField("返乡时间")

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "返乡创业人员"
        verbose_name_plural = "返乡创业人员"

    def __str__(self) -> str:
        return f"{self.person}(自{self.previous_city}返乡)"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RuralTalent(models.Model):
    """农村实用人才 (田秀才、土专家、种养大户、致富能手、能工巧匠)."""

    person = models.OneToOneField(
        Person, verbose_name="人员", primary_key=True, on_delete=models.CASCADE, related_name="rural_talent"
    )
    category = models.CharField("人才类别", max_length=20, choices=TalentCategory.choices)
    specialties = ArrayField(models.CharField(max_length=50), verbose_name="专长", default=list, blank=True)
    title_level = models.CharField("农民技术职称", max_length=15, choices=TitleLevel.choices, default=TitleLevel.NONE)
    operation_scale = models.CharField("经营规模", max_length=100, blank=True)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "农村实用人才"
        verbose_name_plural = "农村实用人才"
        indexes = [
            models.Index(fields=["category"], name="talent_category_idx"),
            GinIndex(fields=["specialties"], name="talent_specialties_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.person}({self.get_category_display()})"


ROLE_CLASS_EXPRESSION = Case(
    *[When(role=role, then=Value(role_class.value)) for role, role_class in ROLE_CLASS.items()],
    output_field=models.CharField(max_length=10),
)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Post(models.Model):
    """A post on the village two committees (村两委), [start, end] inclusive; end open while held."""

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.CASCADE, related_name="posts")
    village = models.ForeignKey(Division, verbose_name="村(社区)", on_delete=models.PROTECT, related_name="posts")
    role = models.CharField("职务", max_length=30, choices=Role.choices)
    role_class = models.GeneratedField(
        expression=ROLE_CLASS_EXPRESSION,
        output_field=models.CharField(max_length=10, choices=RoleClass.choices),
        db_persist=True,
        verbose_name="职务类别",
    )
    start = models.DateField("任职开始")
    end = models.DateField("任职结束", null=True, blank=True)
    end_reason = models.CharField("离任原因", max_length=15, choices=PostEndReason.choices, blank=True)
    period = models.GeneratedField(
        expression=_daterange("start", "end"), output_field=DateRangeField(), db_persist=True, verbose_name="任职区间"
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = "村两委职务"
        verbose_name_plural = "村两委职务"
        ordering = ["person_id", "start"]
        indexes = [
            models.Index(fields=["person", "start"], name="post_person_start_idx"),
            models.Index(fields=["village", "role"], name="post_village_role_idx"),
            models.Index(fields=["village"], name="post_village_pattern_idx", opclasses=["varchar_pattern_ops"]),
            GistIndex(fields=["period"], name="post_period_gist"),
        ]
        constraints = [
            _end_not_before_start("post_end_not_before_start"),
            _village_level("village", "post_in_village"),
            models.CheckConstraint(
                condition=Q(end__isnull=False) | Q(end_reason=""),
                name="post_end_reason_only_when_ended",
                violation_error_message="未结束的职务不能填写离任原因。",
            ),
            models.UniqueConstraint(
                fields=["person", "village", "role"],
                condition=Q(end__isnull=True),
                name="post_one_open_per_role",
                violation_error_message=POST_OPEN_DUPLICATE,
            ),
            ExclusionConstraint(
                name="post_no_overlap_same_role",
                expressions=[
                    (F("person"), RangeOperators.EQUAL),
                    (F("village"), RangeOperators.EQUAL),
                    (F("role"), RangeOperators.EQUAL),
                    (F("period"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=POST_OVERLAP,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.get_role_display()} {self.start}–{self.end or '至今'}"

    def held_on(self, day: dt.date) -> bool:
        """Whether the post is held on ``day``: both ends count (``PostQuerySet.active_on``)."""
        return self.start <= day and (self.end is None or self.end >= day)

    def clean(self) -> None:
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = END_BEFORE_START
        if self.village_id and self.village_id.endswith("000"):
            errors["village"] = NOT_A_VILLAGE
        if self.end is None and self.end_reason:
            errors["end_reason"] = "未结束的职务不能填写离任原因。"
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Assessment(models.Model):
    """考核: one per person, year and kind."""

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.CASCADE, related_name="assessments")
    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(1980), MaxValueValidator(2100)])
    kind = models.CharField("考核类型", max_length=10, choices=AssessmentKind.choices, default=AssessmentKind.ANNUAL)
    grade = models.CharField("考核等次", max_length=12, choices=Grade.choices)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "考核"
        verbose_name_plural = "考核"
        ordering = ["person_id", "year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "kind"],
                name="assessment_unique_per_year_kind",
                violation_error_message="该人员该年度已有同类型的考核结果。",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1980, year__lte=2100),
                name="assessment_year_range",
                violation_error_message="考核年度应在1980至2100之间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} {self.get_grade_display()}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Training(models.Model):
    """培训."""

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.CASCADE, related_name="trainings")
    title = models.CharField("培训名称", max_length=200)
    organizer = models.CharField("主办单位", max_length=100, blank=True)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", null=True, blank=True)
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1, validators=[MinValueValidator(0)])
    mode = models.CharField("培训方式", max_length=10, choices=TrainingMode.choices, default=TrainingMode.ON_SITE)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "培训"
        verbose_name_plural = "培训"
        ordering = ["person_id", "start"]
        indexes = [models.Index(fields=["person", "start"], name="training_person_start_idx")]
        constraints = [
            _end_not_before_start("training_end_not_before_start"),
            models.CheckConstraint(
                condition=Q(hours__gte=0),
                name="training_hours_not_negative",
                violation_error_message="学时不能为负数。",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": END_BEFORE_START})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Venture(models.Model):
    """致富项目: a business founded by one or more people of the registry."""

    name = models.CharField("项目名称", max_length=200)
    industry = models.CharField("行业", max_length=15, choices=Industry.choices)
    division = models.ForeignKey(Division, verbose_name="所在区划", on_delete=models.PROTECT, related_name="ventures")
    founded_on = models.DateField("创办日期")
    investment = models.DecimalField(
        "投资额(万元)", max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    jobs_created = models.PositiveIntegerField("带动就业(人)", default=0)
    annual_revenue = models.DecimalField(
        "年营业收入(万元)", max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    founders = models.ManyToManyField(Person, verbose_name="创办人", through="VentureFounder", related_name="ventures")

    objects = VentureQuerySet.as_manager()

    class Meta:
        verbose_name = "致富项目"
        verbose_name_plural = "致富项目"
        ordering = ["id"]
        indexes = [models.Index(fields=["division"], name="venture_division_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(investment__gte=0) & Q(annual_revenue__gte=0),
                name="venture_amounts_not_negative",
                violation_error_message="投资额和营业收入不能为负数。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class VentureFounder(models.Model):
    venture = models.ForeignKey(Venture, verbose_name="致富项目", on_delete=models.CASCADE)
    person = models.ForeignKey(Person, verbose_name="创办人", on_delete=models.CASCADE, related_name="founded")

    class Meta:
        verbose_name = "项目创办人"
        verbose_name_plural = "项目创办人"
        constraints = [
            models.UniqueConstraint(fields=["venture", "person"], name="venture_founder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.venture_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class MobilityEvent(models.Model):
    """有序流动: where a graduate official went, and the cadre level reached where it applies."""

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.CASCADE, related_name="mobility_events")
    date = models.DateField("流动日期")
    channel = models.CharField("流动去向", max_length=20, choices=MobilityChannel.choices)
    destination_org = models.CharField("去向单位", max_length=200, blank=True)
    destination_division = models.ForeignKey(
        Division,
        verbose_name="去向区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mobility_arrivals",
    )
    cadre_level = models.CharField("提拔职级", max_length=20, choices=CadreLevel.choices, blank=True)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "流动记录"
        verbose_name_plural = "流动记录"
        ordering = ["person_id", "date"]
        indexes = [
            models.Index(fields=["person", "date"], name="mobility_person_date_idx"),
            models.Index(fields=["channel", "date"], name="mobility_channel_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date} {self.get_channel_display()}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class StaffAccount(models.Model):
    """What a staff user may do and where: a role, a jurisdiction (a division; the account sees
    and changes only records within it) and, separately, the right to see personal data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="staff"
    )
    jurisdiction = models.ForeignKey(
        Division, verbose_name="管辖区划", on_delete=models.PROTECT, related_name="staff_accounts"
    )
    role = models.CharField("角色", max_length=10, choices=StaffRole.choices, default=StaffRole.VIEWER)
    personal_data = models.BooleanField("可查看个人敏感信息", default=False)

    objects = StaffAccountQuerySet.as_manager()

    class Meta:
        verbose_name = "工作人员账号"
        verbose_name_plural = "工作人员账号"

    def __str__(self) -> str:
        return f"{self.user} @ {self.jurisdiction_id} ({self.get_role_display()})"


# --- Promotion eligibility -----------------------------------------------------------------

RULE_CODE_VALIDATOR = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "规则代码只能包含小写字母、数字和连字符。")
ROLE_OR_CLASS_CHOICES = Role.choices + RoleClass.choices


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EligibilityRule(models.Model):
    """A promotion-eligibility rule, stored as data and versioned: editing a rule adds a new
    version and retires the old one, so reports keep the exact version they used.

    Every criterion is optional; a person is eligible on a date when every criterion given
    holds on that date (docs/eligibility.md)."""

    code = models.CharField("规则代码", max_length=60, validators=[RULE_CODE_VALIDATOR])
    version = models.PositiveIntegerField("版本", default=1)
    is_current = models.BooleanField("现行版本", default=True)
    active = models.BooleanField("启用", default=True)
    name = models.CharField("规则名称", max_length=200)
    target = models.CharField("拟任岗位/用途", max_length=200, blank=True)
    applies_to = models.CharField("适用人员类别", max_length=20, choices=Group.choices, null=True, blank=True)
    min_service_years = models.PositiveSmallIntegerField("大学生村官服务满(年)", null=True, blank=True)
    min_role_years = models.PositiveSmallIntegerField("任职满(年)", null=True, blank=True)
    roles = ArrayField(
        models.CharField(max_length=30, choices=ROLE_OR_CLASS_CHOICES),
        verbose_name="计算任职年限的职务或职务类别",
        default=list,
        blank=True,
    )
    role_service_continuous = models.BooleanField("须连续任职", default=False)
    min_assessment_grade = models.CharField(
        "年度考核不低于", max_length=12, choices=Grade.choices, null=True, blank=True
    )
    assessment_years = models.PositiveSmallIntegerField("最近几年的年度考核(空=历年全部)", null=True, blank=True)
    missing_assessment_ok = models.BooleanField("缺少考核结果视为符合", default=False)
    max_age = models.PositiveSmallIntegerField("年龄不超过(周岁)", null=True, blank=True)
    min_education = models.CharField("学历不低于", max_length=20, choices=Education.choices, null=True, blank=True)
    current_role_class = models.CharField(
        "须现任职务类别", max_length=10, choices=RoleClass.choices, null=True, blank=True
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "资格规则"
        verbose_name_plural = "资格规则"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="rule_code_version_unique", violation_error_message="规则版本重复。"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(is_current=True),
                name="rule_one_current_version",
                violation_error_message="每条规则只能有一个现行版本。",
            ),
            models.CheckConstraint(
                condition=Q(min_role_years__isnull=True) | ~Q(roles=[]),
                name="rule_role_years_need_roles",
                violation_error_message="设置任职年限时须指定职务或职务类别。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code} v{self.version})"

    def clean(self) -> None:
        if self.min_role_years is not None and not self.roles:
            raise ValidationError({"roles": "设置任职年限时须指定职务或职务类别。"})
        if self.assessment_years is not None and self.min_assessment_grade is None:
            raise ValidationError({"min_assessment_grade": "指定考核年数时须指定考核等次。"})


class EligibilityFact(models.Model):
    """Precomputed, date-independent part of eligibility: for each person and current rule,
    the first day each service criterion is met given the data known now (service only grows
    with the date). Kept current by database triggers on posts and service terms in the same
    transaction as the write, and rebuilt for a rule when the rule changes."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="eligibility_facts")
    # Reads by rule go through the unique (rule, person) and the (rule, …) indexes below.
    rule = models.ForeignKey(EligibilityRule, on_delete=models.CASCADE, related_name="facts", db_index=False)
    service_met_on = models.DateField("服务年限满足日期", null=True)
    role_met_on = models.DateField("任职年限满足日期", null=True)
    # The days on which the rule's service criteria are met and its age limit still holds (the
    # birth date is data, the limit calendar arithmetic): from the later of the two dates above
    # until the day before the (max_age + 1)-th birthday, open-ended without an age limit;
    # NULL when a service criterion is never met. A candidates page asks the GiST index which
    # facts contain its date, so only the people near eligibility are read (migration 0008),
    # from the index alone: it carries the person (migration 0010).
    met_during = DateRangeField("年限与年龄条件同时满足的期间", null=True)

    class Meta:
        verbose_name = "资格预计算"
        verbose_name_plural = "资格预计算"
        constraints = [models.UniqueConstraint(fields=["rule", "person"], name="fact_rule_person_unique")]
        indexes = [
            models.Index(fields=["rule", "service_met_on"], name="fact_rule_service_idx"),
            models.Index(fields=["rule", "role_met_on"], name="fact_rule_role_idx"),
            GistIndex(fields=["rule", "met_during"], include=["person"], name="fact_rule_met_during_gist_p"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.rule_id}: {self.service_met_on} {self.role_met_on}"


class PersonPlace(models.Model):
    """Where a person is "within" (talent.querysets.person_under), in an indexed form: one row
    for each significant prefix (province, city, county, township, village) of the person's
    home division and of the villages of their posts and service terms. "Within X" becomes
    one index range in person order, instead of a test of every person's home, posts and terms.
    Derived data, kept by database triggers in the same transaction as each write (migration
    0009) and rebuilt by ``talent.eligibility.places_rebuild``."""

    pk = models.CompositePrimaryKey("prefix", "person")
    prefix = models.CharField("区划代码前缀", max_length=12)
    # The foreign key is declared in the database with ON DELETE CASCADE (migration 0009): a
    # person's places go with the person, with no query from Django.
    person = models.ForeignKey(Person, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)

    class Meta:
        verbose_name = "人员所在区划"
        verbose_name_plural = "人员所在区划"

    def __str__(self) -> str:
        return f"{self.person_id}@{self.prefix}"


# --- Reports and imports -------------------------------------------------------------------


class Report(models.Model):
    """A report built by a Celery worker: what was asked, by whom, how far it got, and the
    exact inputs it used (rule version, a fingerprint of the data) so it can be reproduced or
    shown to be stale."""

    kind = models.CharField("报表类型", max_length=20, choices=ReportKind.choices)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField("当前步骤", max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        Division, verbose_name="申请人管辖区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    personal_data = models.BooleanField("申请人可查看个人敏感信息", default=False)
    rule = models.ForeignKey(
        EligibilityRule, verbose_name="规则版本", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField("数据指纹", max_length=64, blank=True)
    error = models.TextField("错误信息", blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "报表"
        verbose_name_plural = "报表"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="report_progress_range",
                violation_error_message="进度应在0至100之间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReportFile(models.Model):
    report = models.ForeignKey(Report, verbose_name="报表", on_delete=models.CASCADE, related_name="files")
    format = models.CharField("格式", max_length=5, choices=FileFormat.choices)
    masked = models.BooleanField("个人敏感信息已脱敏", default=True)
    file = models.FileField("文件", upload_to="reports/%Y/%m/")
    size = models.PositiveBigIntegerField("大小(字节)", default=0)
    rows = models.PositiveIntegerField("行数", default=0)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "报表文件"
        verbose_name_plural = "报表文件"
        constraints = [
            models.UniqueConstraint(fields=["report", "format", "masked"], name="report_file_one_per_format")
        ]

    def __str__(self) -> str:
        return f"{self.report} ({self.format})"


class RosterImport(models.Model):
    """An uploaded roster (花名册): validated in full first (a dry run), committed all or nothing
    by a second, explicit call."""

    kind = models.CharField("花名册类型", max_length=20, choices=ImportKind.choices)
    mode = models.CharField("导入方式", max_length=10, choices=ImportMode.choices, default=ImportMode.CREATE)
    status = models.CharField("状态", max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    file = models.FileField("上传文件", upload_to="imports/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        Division, verbose_name="上传人管辖区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.JSONField("校验结果汇总", default=dict, blank=True)
    errors = models.JSONField("错误明细(前1000条)", default=list, blank=True)
    annotated_file = models.FileField("标注错误的文件", upload_to="imports/%Y/%m/", blank=True)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField("当前步骤", max_length=200, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    validated_at = models.DateTimeField("校验时间", null=True, blank=True)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)

    class Meta:
        verbose_name = "花名册导入"
        verbose_name_plural = "花名册导入"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.original_name} #{self.pk}"


# --- Audit of personal-data reads ------------------------------------------------------------


class PersonalDataReadQuerySet(models.QuerySet):
    """Reads are placed in the reader's jurisdiction (where they were made from)."""

    def under(self, prefix: str) -> PersonalDataReadQuerySet:
        return self.filter(jurisdiction__startswith=prefix)

    def within(self, code: str) -> PersonalDataReadQuerySet:
        from talent.querysets import significant_prefix

        return self.under(significant_prefix(code))

    def visible_to(self, user) -> PersonalDataReadQuerySet:
        from talent.access import scope_for

        scope = scope_for(user)
        if scope is None or not scope.allows(StaffRole.ADMIN):
            return self.none()
        return self.under(scope.prefix) if scope.prefix else self


class PersonalDataRead(models.Model):
    """个人敏感信息查阅记录: one row per response that showed full ID or phone numbers, or that
    handed over a report or roster file: who, when, from where, through which endpoint, and which
    people or which file. Append-only: a database trigger refuses UPDATE and DELETE, and neither
    the API nor the admin offers a way to change a row (docs/security.md)."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    # The account may be deleted later; the row keeps its id and name as they were.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150)
    jurisdiction = models.CharField("账号管辖区划", max_length=12, blank=True, help_text="空 = 全国")
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    method = models.CharField("请求方法", max_length=7)
    path = models.CharField("请求路径", max_length=300)
    query = models.CharField("查询参数(身份证号码和电话已脱敏)", max_length=500, blank=True)
    view = models.CharField("接口", max_length=60, help_text="URL 名称,如 person-list、report-download")
    person_ids = ArrayField(models.BigIntegerField(), verbose_name="涉及人员", default=list, blank=True)
    report_id = models.BigIntegerField("报表", null=True, blank=True)
    roster_import_id = models.BigIntegerField("花名册导入", null=True, blank=True)
    full = models.BooleanField("含完整个人敏感信息", default=True)

    objects = PersonalDataReadQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息查阅记录"
        verbose_name_plural = "个人信息查阅记录"
        ordering = ["-id"]
        indexes = [
            GinIndex(fields=["person_ids"], name="pdread_person_ids_gin"),
            models.Index(fields=["jurisdiction", "at"], name="pdread_jurisdiction_at_idx"),
            models.Index(fields=["user", "at"], name="pdread_user_at_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.view} {self.at:%Y-%m-%d %H:%M:%S}"
