"""One FilterSet per resource. Every filter users need is declared here; a test fails when a
model field has no filter and is not on that filterset's list of deliberately unfiltered
fields."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError as FormValidationError
from django.db.models import Exists, OuterRef, Q
from django_filters import utils
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from api import kept
from talent import identity
from talent.access import scope_for
from talent.choices import (
    AssessmentKind,
    CadreLevel,
    Education,
    Ethnicity,
    Gender,
    Grade,
    GraduateStatus,
    Group,
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
from talent.dates import latest_birth_date_for_age
from talent.eligibility import eligible_q
from talent.models import (
    Assessment,
    Division,
    MobilityEvent,
    Person,
    PersonalDataRead,
    Post,
    Report,
    ServiceTerm,
    StaffAccount,
    Training,
    Venture,
)
from talent.querysets import Condition, post_held, significant_prefix

# Ages are whole years; the bound keeps the birth-date arithmetic inside the calendar.
MAX_AGE = 150


def _prefix(code: str, param: str = "within") -> str:
    try:
        return significant_prefix(code)
    except ValueError:
        raise ValidationError({param: str(identity.CODE_NO_LEVEL).format(code=code)}) from None


def within_implies_scope(filterset_class, query_params, scope) -> bool:
    """Whether a list's ``within`` parameter names a division inside the account's jurisdiction
    (``scope``), with the filter set's plain ``within`` filter (``qs.under``): its condition
    then implies the jurisdiction's (what is under X is under every division X lies under),
    and the jurisdiction's can be left out. One place test instead of two: for a county's page
    of people, PostgreSQL spent more time planning the second than running the query."""
    if scope is None or not scope.prefix or filterset_class is None:
        return False
    within = filterset_class.base_filters.get("within")
    if not isinstance(within, DivisionCodeFilter) or within.lookup_prefix:
        return False
    values = query_params.getlist("within")
    if len(values) != 1:
        return False
    try:
        return significant_prefix(values[0]).startswith(scope.prefix)
    except ValueError:
        return False


class _CheckedCharField(forms.CharField):
    """A text parameter that its filter checks further (a division code, a rule code), answering
    400 with the code ``invalid`` (documented in the schema from this message)."""

    default_error_messages = {"invalid": "取值无效。"}


def _in_utc(field, value):
    """A moment as UTC, or the field's ``invalid`` error when it cannot be one: an offset
    PostgreSQL refuses (beyond ±15:59) or a moment outside the calendar once converted (year
    1 with a negative offset)."""
    if value is None:
        return None
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise FormValidationError(field.error_messages["invalid"], code="invalid") from None


class _UtcDateTimeField(forms.DateTimeField):
    def to_python(self, value):
        return _in_utc(self, super().to_python(value))


class _UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        return _in_utc(self, super().to_python(value))


class DateTimeFilter(filters.DateTimeFilter):
    """A moment, with or without an offset; compared in UTC."""

    field_class = _UtcDateTimeField


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 moment; compared in UTC."""

    field_class = _UtcIsoDateTimeField


class CheckedCharFilter(filters.CharFilter):
    field_class = _CheckedCharField


class AddressFilter(filters.CharFilter):
    field_class = forms.GenericIPAddressField


@extend_schema_field({"type": "string", "pattern": r"^\d{12}$", "example": "430104000000"})
class DivisionCodeFilter(filters.CharFilter):
    """Everything under a division: a prefix match on the code's significant digits."""

    field_class = _CheckedCharField

    def __init__(self, *args, lookup_prefix: str = "", **kwargs):
        self.lookup_prefix = lookup_prefix
        kwargs.setdefault("help_text", "12位区划代码:只返回该区划之内的记录。Only records within this division.")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        prefix = _prefix(value, self.field_name)
        if self.lookup_prefix:
            return qs.filter(**{f"{self.lookup_prefix}__startswith": prefix})
        return qs.under(prefix)


class _StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error rather than silently no filter."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "应为 true 或 false。"}

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        text = str(value or "").strip().lower()
        if not text:
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise FormValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(filters.BooleanFilter):
    field_class = _StrictBooleanField


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_AGE})
class AgeFilter(filters.NumberFilter):
    """Whole years, 0 to MAX_AGE."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_AGE)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None


class StableOrderingFilter(filters.OrderingFilter):
    """Ordering with the primary key last: rows with equal values (two people of the same
    name) come in a fixed order, so page-number pages never overlap or skip."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value and not any(str(field).lstrip("-") in ("id", "pk") for field in qs.query.order_by):
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs


def _choices(enum, help_text: str, **kwargs) -> filters.MultipleChoiceFilter:
    """Repeat the parameter to match any of several values: ``?role=a&role=b``."""
    return filters.MultipleChoiceFilter(choices=enum.choices, help_text=help_text, **kwargs)


class FilterSet(filters.FilterSet):
    """django-filter's, able to bind only the filters a request names (``named_only``, as
    FilterBackend filters a request): django-filter copies every filter, and its form every
    field, for each request (the people's filter set has 37), which cost a page more than some
    of its queries. A filter left out would have found its parameter empty and done nothing.
    Form classes are built once per filter set, model and filters bound."""

    _form_classes: dict = {}
    FORM_CLASSES_KEPT = 512  # bounds the cache against requests naming every combination

    def __init__(self, data=None, *args, named_only: bool = False, **kwargs):
        if data is not None and named_only:
            # A parameter ``x`` or ``x_<suffix>`` (the suffixed widgets) names the filter ``x``.
            keys = list(data.keys())
            self.base_filters = {
                name: filter_
                for name, filter_ in type(self).base_filters.items()
                if any(key == name or key.startswith(name + "_") for key in keys)
            }
        super().__init__(data, *args, **kwargs)

    def get_form_class(self):
        key = (type(self), self.queryset.model, tuple(self.filters))
        form_class = FilterSet._form_classes.get(key)
        if form_class is None:
            if len(FilterSet._form_classes) >= self.FORM_CLASSES_KEPT:
                FilterSet._form_classes.clear()
            form_class = FilterSet._form_classes[key] = super().get_form_class()
        return form_class


class FilterBackend(DjangoFilterBackend):
    """django-filter's, filtering a request with only the filters it names; the browsable
    API's form and the schema (drf-spectacular, drf-standardized-errors) see every filter."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        if issubclass(filterset_class, FilterSet):
            kwargs["named_only"] = True
        filterset = filterset_class(**kwargs)
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        return filterset.qs


class RegistryFilterSet(FilterSet):
    """Base: ``within`` for every resource."""

    within = DivisionCodeFilter()


class PeriodFilterSet(FilterSet):
    """Dated records ([start, end], end open while current)."""

    start = filters.DateFilter(help_text="开始日期")
    start_after = filters.DateFilter(field_name="start", lookup_expr="gte", help_text="开始日期不早于")
    start_before = filters.DateFilter(field_name="start", lookup_expr="lte", help_text="开始日期不晚于")
    end = filters.DateFilter(help_text="结束日期")
    end_after = filters.DateFilter(field_name="end", lookup_expr="gte", help_text="结束日期不早于")
    end_before = filters.DateFilter(field_name="end", lookup_expr="lte", help_text="结束日期不晚于")
    is_open = BooleanFilter(field_name="end", lookup_expr="isnull", help_text="尚未结束")
    active_on = filters.DateFilter(method="filter_active_on", help_text="在该日期有效(含起止日)")

    def filter_active_on(self, qs, name, value: dt.date):
        return qs.filter(Q(start__lte=value) & (Q(end__isnull=True) | Q(end__gte=value)))


# --- Divisions -----------------------------------------------------------------------------


class DivisionFilterSet(RegistryFilterSet):
    code = filters.CharFilter(help_text="区划代码")
    name = filters.CharFilter(lookup_expr="icontains", help_text="名称包含")
    level = _choices(Level, "级别")
    parent = filters.CharFilter(field_name="parent_id", help_text="上级区划代码")
    kind = _choices(VillageKind, "村/社区")
    urban_rural_class = _choices(UrbanRuralClass, "城乡分类")
    q = filters.CharFilter(method="filter_q", help_text="按名称或代码搜索")

    class Meta:
        model = Division
        fields = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if value.isdigit():
            return qs.filter(code__startswith=value)
        return qs.filter(name__icontains=value)


# --- People --------------------------------------------------------------------------------


class PersonFilterSet(RegistryFilterSet):
    q = filters.CharFilter(method="filter_q", help_text="搜索姓名、完整身份证号码或专长")
    name = filters.CharFilter(lookup_expr="icontains", help_text="姓名包含")
    id_number = filters.CharFilter(method="filter_id_number", help_text="完整身份证号码")
    group = _choices(Group, "人员类别(可多选,满足其一)", method="filter_noop")
    gender = _choices(Gender, "性别")
    birth_date_after = filters.DateFilter(field_name="birth_date", lookup_expr="gte", help_text="出生日期不早于")
    birth_date_before = filters.DateFilter(field_name="birth_date", lookup_expr="lte", help_text="出生日期不晚于")
    as_of = filters.DateFilter(method="filter_noop", help_text="计算年龄的日期(默认今天)")
    age_min = AgeFilter(method="filter_noop", help_text="年龄不小于(周岁)")
    age_max = AgeFilter(method="filter_noop", help_text="年龄不大于(周岁)")
    ethnicity = _choices(Ethnicity, "民族")
    political_status = _choices(PoliticalStatus, "政治面貌")
    party_joined_after = filters.DateFilter(field_name="party_joined_on", lookup_expr="gte", help_text="入党不早于")
    party_joined_before = filters.DateFilter(field_name="party_joined_on", lookup_expr="lte", help_text="入党不晚于")
    education = _choices(Education, "学历")
    school = filters.CharFilter(lookup_expr="icontains", help_text="毕业院校包含")
    major = filters.CharFilter(lookup_expr="icontains", help_text="专业包含")
    key_university = BooleanFilter(help_text="重点院校")
    phone = filters.CharFilter(method="filter_phone", help_text="完整电话号码")
    home_division = DivisionCodeFilter(lookup_prefix="home_division__code", help_text="户籍所在地在该区划之内")
    role = _choices(Role, "担任(过)该职务;与 on 同用时为当天在任", method="filter_noop")
    role_class = _choices(RoleClass, "担任(过)该类职务;与 on 同用时为当天在任", method="filter_noop")
    on = filters.DateFilter(
        method="filter_noop", help_text="当天在任(与 role/role_class 同用时为当天担任该职务;单用时为当天担任任一职务)"
    )
    batch_year = filters.NumberFilter(field_name="graduate_official__batch_year", help_text="大学生村官选聘批次")
    graduate_status = filters.ChoiceFilter(
        field_name="graduate_official__status", choices=GraduateStatus.choices, help_text="大学生村官状态"
    )
    mobility_channel = _choices(MobilityChannel, "有该去向的流动记录", method="filter_noop")
    previous_city = filters.CharFilter(
        field_name="returnee__previous_city", lookup_expr="icontains", help_text="返乡创业人员原务工城市包含"
    )
    returned_after = filters.DateFilter(
        field_name="returnee__returned_on", lookup_expr="gte", help_text="返乡时间不早于"
    )
    returned_before = filters.DateFilter(
        field_name="returnee__returned_on", lookup_expr="lte", help_text="返乡时间不晚于"
    )
    talent_category = filters.ChoiceFilter(
        field_name="rural_talent__category", choices=TalentCategory.choices, help_text="农村实用人才类别"
    )
    title_level = filters.ChoiceFilter(
        field_name="rural_talent__title_level", choices=TitleLevel.choices, help_text="农民技术职称"
    )
    specialty = filters.CharFilter(method="filter_specialty", help_text="专长(完全匹配其一)")
    eligible_for = CheckedCharFilter(method="filter_noop", help_text="在 as_of 当日(默认今天)符合该资格规则(规则代码)")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="创建时间不早于")
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gte", help_text="更新时间不早于")
    ordering = StableOrderingFilter(
        fields=(("id", "id"), ("name", "name"), ("birth_date", "birth_date"), ("updated_at", "updated_at")),
        help_text="排序:id、name、birth_date、updated_at,前加 - 为倒序",
    )

    class Meta:
        model = Person
        fields = []

    def filter_noop(self, qs, name, value):
        # group, as_of/age_*, role/role_class/on and mobility_channel are applied together in
        # filter_queryset, where they can see each other.
        return qs

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(id_number=identity.normalize_id_number(value))
            | Q(rural_talent__specialties__contains=[value])
        )

    def filter_id_number(self, qs, name, value):
        return qs.filter(id_number=identity.normalize_id_number(value))

    def filter_phone(self, qs, name, value):
        return qs.filter(phone=value.strip())

    def filter_specialty(self, qs, name, value):
        return qs.filter(rural_talent__specialties__contains=[value.strip()])

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        queryset = self._filter_groups(queryset, data.get("group"))
        queryset = self._filter_age(queryset, data)
        queryset = self._filter_posts(queryset, data, getattr(self.request, "user", None))
        if data.get("eligible_for"):
            rule = kept.current_rule(data["eligible_for"], self.request)
            if rule is None:
                raise ValidationError({"eligible_for": f"资格规则 {data['eligible_for']} 不存在。"})
            queryset = queryset.filter(eligible_q(rule, data.get("as_of") or dt.date.today()))
        if data.get("mobility_channel"):
            queryset = queryset.filter(
                Exists(MobilityEvent.objects.filter(person=OuterRef("pk"), channel__in=data["mobility_channel"]))
            )
        return queryset

    @staticmethod
    def _filter_groups(qs, groups):
        return qs.in_groups(groups) if groups else qs

    @staticmethod
    def _filter_age(qs, data):
        as_of = data.get("as_of") or dt.date.today()
        if data.get("age_min") is not None:
            try:
                qs = qs.filter(birth_date__lte=latest_birth_date_for_age(as_of, int(data["age_min"])))
            except ValueError:  # born before year 1: nobody is that old
                qs = qs.none()
        if data.get("age_max") is not None:
            try:
                qs = qs.filter(birth_date__gt=latest_birth_date_for_age(as_of, int(data["age_max"]) + 1))
            except ValueError:  # everyone is younger than that
                pass
        return qs

    @staticmethod
    def _filter_posts(qs, data, user):
        """Held a post (of these roles or classes; on that day if ``on`` is given). Only posts
        within the account's jurisdiction count: posts elsewhere are not the account's to see.

        Written in SQL (``talent.querysets.post_held``), as the candidates' criteria are: the
        ORM's ``Exists`` of a posts queryset cost a page more to build and resolve than its probe
        of the posts' index costs PostgreSQL. tests/api/test_filters.py holds it to that
        queryset."""
        roles, classes, on = data.get("role"), data.get("role_class"), data.get("on")
        if not (roles or classes or on):
            return qs
        scope = scope_for(user)
        if scope is None:  # no staff account: no post is the reader's to see
            return qs.filter(Condition("FALSE"))
        return qs.filter(post_held(roles=roles or (), classes=classes or (), on=on, prefix=scope.prefix))


# --- Records -------------------------------------------------------------------------------


class PersonRecordFilterSet(RegistryFilterSet):
    person = filters.NumberFilter(field_name="person_id", help_text="人员 id")


class PostFilterSet(PersonRecordFilterSet, PeriodFilterSet):
    village = filters.CharFilter(field_name="village_id", help_text="村(社区)区划代码")
    role = _choices(Role, "职务")
    role_class = _choices(RoleClass, "职务类别")
    end_reason = _choices(PostEndReason, "离任原因")

    class Meta:
        model = Post
        fields = []


class ServiceTermFilterSet(PersonRecordFilterSet, PeriodFilterSet):
    village = filters.CharFilter(field_name="village_id", help_text="服务村(社区)区划代码")
    term_number = filters.NumberFilter(help_text="第几聘期")
    batch_year = filters.NumberFilter(field_name="person__graduate_official__batch_year", help_text="选聘批次")

    class Meta:
        model = ServiceTerm
        fields = []


class AssessmentFilterSet(PersonRecordFilterSet):
    year = filters.NumberFilter(help_text="年度")
    year_min = filters.NumberFilter(field_name="year", lookup_expr="gte", help_text="年度不早于")
    year_max = filters.NumberFilter(field_name="year", lookup_expr="lte", help_text="年度不晚于")
    kind = _choices(AssessmentKind, "考核类型")
    grade = _choices(Grade, "考核等次")

    class Meta:
        model = Assessment
        fields = []


class TrainingFilterSet(PersonRecordFilterSet, PeriodFilterSet):
    title = filters.CharFilter(lookup_expr="icontains", help_text="培训名称包含")
    organizer = filters.CharFilter(lookup_expr="icontains", help_text="主办单位包含")
    mode = _choices(TrainingMode, "培训方式")
    hours_min = filters.NumberFilter(field_name="hours", lookup_expr="gte", help_text="学时不少于")
    hours = filters.NumberFilter(help_text="学时")

    class Meta:
        model = Training
        fields = []


class VentureFilterSet(RegistryFilterSet):
    name = filters.CharFilter(lookup_expr="icontains", help_text="项目名称包含")
    industry = _choices(Industry, "行业")
    division = filters.CharFilter(field_name="division_id", help_text="所在区划代码")
    founder = filters.NumberFilter(field_name="founders", help_text="创办人 id")
    founded_after = filters.DateFilter(field_name="founded_on", lookup_expr="gte", help_text="创办日期不早于")
    founded_before = filters.DateFilter(field_name="founded_on", lookup_expr="lte", help_text="创办日期不晚于")
    investment_min = filters.NumberFilter(field_name="investment", lookup_expr="gte", help_text="投资额不少于(万元)")
    jobs_created_min = filters.NumberFilter(field_name="jobs_created", lookup_expr="gte", help_text="带动就业不少于")
    annual_revenue_min = filters.NumberFilter(
        field_name="annual_revenue", lookup_expr="gte", help_text="年营业收入不少于(万元)"
    )

    class Meta:
        model = Venture
        fields = []

    def filter_queryset(self, queryset):
        # Filtering by founder joins the founders table; keep one row per venture.
        queryset = super().filter_queryset(queryset)
        return queryset.distinct() if self.form.cleaned_data.get("founder") else queryset


class MobilityEventFilterSet(PersonRecordFilterSet):
    channel = _choices(MobilityChannel, "流动去向")
    cadre_level = _choices(CadreLevel, "提拔职级")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="流动日期不早于")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="流动日期不晚于")
    destination_org = filters.CharFilter(lookup_expr="icontains", help_text="去向单位包含")
    destination_division = DivisionCodeFilter(
        lookup_prefix="destination_division__code", help_text="去向区划在该区划之内"
    )

    class Meta:
        model = MobilityEvent
        fields = []


# --- Accounts ------------------------------------------------------------------------------


class StaffAccountFilterSet(RegistryFilterSet):
    """``within``: accounts whose jurisdiction lies within the division."""

    username = filters.CharFilter(field_name="user__username", lookup_expr="icontains", help_text="用户名包含")
    jurisdiction = filters.CharFilter(field_name="jurisdiction_id", help_text="管辖区划代码")
    role = _choices(StaffRole, "角色")
    personal_data = BooleanFilter(help_text="可查看个人敏感信息")

    class Meta:
        model = StaffAccount
        fields = []


class ReportFilterSet(FilterSet):
    within = DivisionCodeFilter(lookup_prefix="jurisdiction__code", help_text="申请人管辖区划在该区划之内")
    kind = _choices(ReportKind, "报表类型")
    status = _choices(JobStatus, "状态")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="申请时间不早于")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lte", help_text="申请时间不晚于")
    requested_by = filters.CharFilter(field_name="requested_by__username", help_text="申请人用户名")
    rule = filters.CharFilter(field_name="rule__code", help_text="资格规则代码")

    class Meta:
        model = Report
        fields = []


# --- Audit of personal-data reads ------------------------------------------------------------


BIGINT_MAX = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(filters.NumberFilter):
    """A record id: a whole number within the database's bigint."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None


class PersonIdFilter(IdFilter):
    """Rows that name the person (``person_ids @> ARRAY[id]``, the GIN index)."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(person_ids__contains=[int(value)])


class PersonalDataReadFilterSet(FilterSet):
    within = DivisionCodeFilter(lookup_prefix="jurisdiction", help_text="查阅人管辖区划在该区划之内")
    username = filters.CharFilter(help_text="查阅人用户名")
    user = IdFilter(field_name="user_id", help_text="查阅人账号 id")
    jurisdiction = filters.CharFilter(help_text="查阅人管辖区划代码(完全一致)")
    person = PersonIdFilter(field_name="person_ids", help_text="涉及该人员(人员 id)")
    report = IdFilter(field_name="report_id", help_text="报表 id")
    roster_import = IdFilter(field_name="roster_import_id", help_text="花名册导入 id")
    view = filters.CharFilter(help_text="接口(URL 名称),如 person-detail、report-download")
    address = AddressFilter(method="filter_address", help_text="来源地址(IPv4 或 IPv6)")
    at_after = IsoDateTimeFilter(field_name="at", lookup_expr="gte", help_text="时间不早于(ISO 8601)")
    at_before = IsoDateTimeFilter(field_name="at", lookup_expr="lt", help_text="时间早于(ISO 8601)")
    full = BooleanFilter(help_text="含完整个人敏感信息")

    class Meta:
        model = PersonalDataRead
        fields = []

    def filter_address(self, queryset, name, value):
        return queryset.filter(address=value) if value else queryset
