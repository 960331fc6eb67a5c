"""The Django admin, in Chinese, for every model of the registry.

Written for the registry's real size (about a million people and tens of thousands of villages):
foreign keys to divisions and people are autocomplete widgets, never a select of every row;
change lists join what they show (``list_select_related``) and skip the unfiltered count
(``show_full_result_count = False``); searches are shaped so that PostgreSQL can use the
indexes (a full ID number is an exact match on the unique index, a division code a prefix
match on the pattern index).

Access follows the staff account, as in the API (talent.access): every list and autocomplete
is narrowed with ``visible_to(user)``; viewers read, editors write registry data, admins also
divisions and staff accounts (on top of Django's model permissions); ID numbers and phone
numbers are masked for accounts without the personal-data right.

Every admin page that shows full ID or phone numbers to an account with the right is recorded
in the personal-data read audit exactly as API answers are (api/audit.py: ``audit.note`` on the
request, one row per response written by ``PersonalDataReadMiddleware``): the person change
page, the person change list (its ID-number column), the history pages (a person's events),
an import's error list, and pghistory's raw events pages. Masked pages record nothing.

Each change page's "历史" button shows the record's change history from the django-pghistory
event tables (written by database triggers, so bulk updates, COPY and API writes appear too),
with the acting user from the history context. For a person and a venture the history also
covers every record that names them (pghistory's ``references``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pghistory.admin
import pghistory.models
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from pghistory import core as pghistory_core

from api import audit
from talent import identity
from talent.access import mask_id_number, mask_phone, scope_for
from talent.choices import Group, Level, RoleClass, StaffRole
from talent.models import (
    POST_OVERLAP,
    TERM_OVERLAP,
    Assessment,
    Division,
    EligibilityFact,
    EligibilityRule,
    GraduateOfficial,
    MobilityEvent,
    Person,
    Post,
    Report,
    Returnee,
    RosterImport,
    RuralTalent,
    ServiceTerm,
    StaffAccount,
    Training,
    Venture,
    VentureFounder,
)

EMPTY = "—"
OUTSIDE_JURISDICTION = "只能选择您管辖范围({jurisdiction})内的区划。"
PERSONAL_MASKS = {"id_number": mask_id_number, "phone": mask_phone}


# --- Access: jurisdiction, role, personal data ---------------------------------------------


def may_see_personal_data(request: HttpRequest) -> bool:
    scope = scope_for(request.user)
    return bool(scope and scope.personal_data)


def national_with_personal_data(request: HttpRequest) -> bool:
    scope = scope_for(request.user)
    return bool(scope is not None and scope.personal_data and not scope.prefix)


def may_read_raw_events(request: HttpRequest) -> bool:
    """pghistory's own events pages show every stored value unmasked and cannot be narrowed to
    a jurisdiction: national accounts with the personal-data right only (and Django's
    ``pghistory.view_events`` permission)."""
    return national_with_personal_data(request) and request.user.has_perm("pghistory.view_events")


def scoped(queryset: QuerySet, request: HttpRequest) -> QuerySet:
    """Narrow a queryset to the user's jurisdiction: by the model's own ``visible_to``, else
    through its person or venture; records placed nowhere (rules) are read by every account."""
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(request.user)
    if scope_for(request.user) is None:
        return queryset.none()
    field_names = {f.name for f in queryset.model._meta.get_fields()}
    if "person" in field_names:
        return queryset.filter(person__in=Person.objects.visible_to(request.user))
    if "venture" in field_names:
        return queryset.filter(venture__in=Venture.objects.visible_to(request.user))
    return queryset


# Foreign keys that place a record in a division: the choice must lie in the jurisdiction.
# (A person's home division is checked in PersonForm, a mobility destination may lie anywhere.)
PLACING_DIVISION_FIELDS = {"village", "division", "jurisdiction"}


class AccessMixin:
    """Role gates over Django's model permissions, and foreign-key choices within the
    jurisdiction. Shared by the model admins and the inlines."""

    read_role = StaffRole.VIEWER
    write_role = StaffRole.EDITOR

    def _allows(self, request, role) -> bool:
        scope = scope_for(request.user)
        return scope is not None and scope.allows(role)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allows(request, self.read_role)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and self._allows(request, self.write_role)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allows(request, self.write_role)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allows(request, self.write_role)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = scope_for(request.user)
        if scope is not None and scope.prefix:
            related = db_field.related_model
            if related in (Person, Venture):
                kwargs["queryset"] = related.objects.visible_to(request.user)
            elif related is Division and db_field.name in PLACING_DIVISION_FIELDS:
                kwargs["queryset"] = Division.objects.under(scope.prefix)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Searching -----------------------------------------------------------------------------


def person_search_q(term: str, prefix: str = "") -> Q:
    """Index-friendly search of people: a full ID number is an exact match (unique index),
    leading digits a prefix of the ID number, anything else the start of the name."""
    term = identity.normalize_id_number(term)
    if identity.ID_PATTERN.match(term):
        return Q(**{f"{prefix}id_number": term})
    if term.isdigit():
        return Q(**{f"{prefix}id_number__startswith": term})
    return Q(**{f"{prefix}name__startswith": term})


def is_autocomplete_for(request: HttpRequest, field_name: str) -> bool:
    return request.path.endswith("/autocomplete/") and request.GET.get("field_name") == field_name


class PersonSearchMixin:
    """Search a model that has a ``person`` foreign key by the person's name or ID number."""

    search_fields = ["person__name", "person__id_number"]
    search_help_text = "按姓名(开头)或居民身份证号码(完整或前几位)搜索。"

    def extra_search_q(self, term: str) -> Q | None:
        return None

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = person_search_q(term, "person__")
        extra = self.extra_search_q(term)
        if extra is not None:
            condition |= extra
        return queryset.filter(condition), False


# --- Filters -------------------------------------------------------------------------------


class WithinDivisionFilter(admin.SimpleListFilter):
    """``?within=<code>``: records within a division, by the model's ``within()`` (a prefix
    match on the significant digits of the code). Shown while set; the division change list
    links to it ("辖区人员", "下级区划")."""

    title = "所在区划(含下级)"
    parameter_name = "within"

    def lookups(self, request, model_admin):
        code = self.value()
        if not code:
            return []
        division = Division.objects.filter(code=code).first()
        return [(code, str(division) if division else code)]

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        if identity.code_level(code) is None:
            raise IncorrectLookupParameters(str(identity.CODE_NO_LEVEL).format(code=code))
        return queryset.within(code)


def _exists(model) -> Q:
    return Q(Exists(model.objects.filter(person=OuterRef("pk"))))


class PersonGroupFilter(admin.SimpleListFilter):
    title = "人员类别"
    parameter_name = "group"

    # A village cadre is anyone who holds (or held) a post; the other groups are records.
    MODELS = {
        Group.VILLAGE_CADRE: Post,
        Group.GRADUATE_OFFICIAL: GraduateOfficial,
        Group.RETURNEE: Returnee,
        Group.RURAL_TALENT: RuralTalent,
    }

    def lookups(self, request, model_admin):
        return Group.choices

    def queryset(self, request, queryset):
        model = self.MODELS.get(self.value() or "")
        return queryset.filter(_exists(model)) if model else queryset


class OpenEndFilter(admin.SimpleListFilter):
    """Whether a post or service term is still running (no end date)."""

    title = "是否在任"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", "在任(未结束)"), ("no", "已结束")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(end__isnull=True)
        if self.value() == "no":
            return queryset.filter(end__isnull=False)
        return queryset


class AssessmentYearFilter(admin.SimpleListFilter):
    """Recent years as fixed choices: listing the distinct years stored would read the whole
    assessment table on every page."""

    title = "年度"
    parameter_name = "year"
    first_listed = 2005

    def lookups(self, request, model_admin):
        this_year = dt.date.today().year
        years = [(str(y), f"{y}年") for y in range(this_year, self.first_listed - 1, -1)]
        return [*years, ("earlier", f"{self.first_listed - 1}年及以前")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "earlier":
            return queryset.filter(year__lt=self.first_listed)
        if value and value.isdigit():
            return queryset.filter(year=int(value))
        return queryset


class RoleClassFilter(admin.SimpleListFilter):
    # role_class is a generated column; Django's GeneratedField does not carry the choices
    # of its output field, so the list filter names them here.
    title = "职务类别"
    parameter_name = "role_class"

    def lookups(self, request, model_admin):
        return RoleClass.choices

    def queryset(self, request, queryset):
        return queryset.filter(role_class=self.value()) if self.value() else queryset


# --- Display helpers -----------------------------------------------------------------------


def format_period(period: Any) -> str:
    """An inclusive [start, end] reading of a stored date range; '至今' for an open end."""
    if period is None or period.lower is None:
        return EMPTY
    if period.upper is None:
        return f"{period.lower:%Y-%m-%d} 至今"
    last = period.upper if period.upper_inc else period.upper - dt.timedelta(days=1)
    return f"{period.lower:%Y-%m-%d} 至 {last:%Y-%m-%d}"


class GeneratedColumnsForm(forms.ModelForm):
    """Checks the constraints on generated columns before saving.

    A ModelForm leaves every field that is not on the form out of constraint validation, and
    the generated ``period`` never is on a form, so the exclusion constraints on posts and
    service terms would be skipped and the database would refuse the row with an error page.
    A generated field is validated whenever the fields it is computed from are."""

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        for field in self.instance._meta.concrete_fields:
            if field.generated and not any(
                ref[0] in exclude for ref in self.instance._get_expr_references(field.expression)
            ):
                exclude.discard(field.name)
        return exclude


class NoOverlapFormSet(forms.BaseInlineFormSet):
    """Refuses two rows of one submission whose periods overlap on the same ``overlap_key``
    (each row alone is checked against the database by its form)."""

    overlap_key: tuple[str, ...] = ()
    overlap_message = ""

    def clean(self):
        super().clean()
        seen: list[tuple[tuple, dt.date, dt.date]] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("start"):
                continue
            key = tuple(data.get(name) for name in self.overlap_key)
            start, end = data["start"], data.get("end") or dt.date.max
            for other_key, other_start, other_end in seen:
                if other_key == key and start <= other_end and other_start <= end:
                    raise forms.ValidationError(self.overlap_message)
            seen.append((key, start, end))


class PostFormSet(NoOverlapFormSet):
    overlap_key = ("village", "role")
    overlap_message = POST_OVERLAP


class ServiceTermFormSet(NoOverlapFormSet):
    overlap_key = ()
    overlap_message = TERM_OVERLAP


class GeneratedColumnsMixin:
    """Read-only display of the generated columns ``period`` and ``role_class`` (an unsaved
    row has no value yet)."""

    @admin.display(description="职务类别", ordering="role_class")
    def role_class_display(self, obj) -> str:
        if not obj.pk or obj.role_class not in RoleClass.values:
            return EMPTY
        return RoleClass(obj.role_class).label

    @admin.display(description="起止")
    def period_display(self, obj) -> str:
        return format_period(obj.period) if obj.pk else EMPTY


# --- Change history (django-pghistory) -----------------------------------------------------

EVENT_LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}
HIDDEN_HISTORY_COLUMNS = {"created_at", "updated_at"}


def _history_range(text: str) -> str:
    """'[2015-08-01,2017-08-01)' -> '2015-08-01 至 2017-07-31'."""
    try:
        lower, upper = text[1:-1].split(",")
        start = dt.date.fromisoformat(lower) if lower else None
        end = dt.date.fromisoformat(upper) if upper else None
    except ValueError:
        return text
    if start is None:
        return text
    if end is None:
        return f"{start:%Y-%m-%d} 至今"
    if text.endswith(")"):
        end -= dt.timedelta(days=1)
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"


def history_value(field, value: Any) -> str:
    """One stored value of an event, shown as staff read it."""
    if value is None or value == "":
        return EMPTY
    if field is None:
        return str(value)
    source = field.output_field if getattr(field, "generated", False) else field
    choices = dict(source.flatchoices) if source.choices else {}
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or EMPTY
    if field.name == "period" and isinstance(value, str):
        return _history_range(value)
    return str(value)


def _as_dict(value: Any) -> dict:
    if isinstance(value, str):
        value = json.loads(value)
    return value or {}


class EventReader:
    """Turns pghistory events into labelled lines: the changed fields of an update (old → new),
    the filled fields of an insert or delete, in the model's field order. Foreign keys are
    shown by the related record's name, fetched once per page; ID and phone numbers are masked
    unless ``personal``."""

    def __init__(self, events: list, *, personal: bool, hide_person: bool):
        self.personal = personal
        self.hide_person = hide_person
        # People whose ID or phone number was shown in full: recorded in the audit.
        self.people_shown: set[int] = set()
        wanted: dict[type, set] = {}
        for event in events:
            model = apps.get_model(event.pgh_obj_model)
            for field in model._meta.concrete_fields:
                if field.is_relation and field.column in _as_dict(event.pgh_data):
                    values = {_as_dict(event.pgh_data).get(field.column)}
                    values |= set(_as_dict(event.pgh_diff).get(field.column) or [])
                    wanted.setdefault(field.related_model, set()).update(v for v in values if v is not None)
        self.names = {
            related: {str(pk): str(instance) for pk, instance in related._default_manager.in_bulk(pks).items()}
            for related, pks in wanted.items()
        }

    def show(self, field, value) -> str:
        if not self.personal and field.name in PERSONAL_MASKS and value:
            return PERSONAL_MASKS[field.name](value)
        if field.is_relation and value is not None:
            return self.names.get(field.related_model, {}).get(str(value), str(value))
        return history_value(field, value)

    def read(self, event, model) -> dict:
        data, diff = _as_dict(event.pgh_data), _as_dict(event.pgh_diff)
        fields = [
            f
            for f in model._meta.concrete_fields
            if f.name not in HIDDEN_HISTORY_COLUMNS and not (self.hide_person and f.name == "person")
        ]
        if event.pgh_label == "update" and diff:
            shown = [f for f in fields if f.column in diff]
            self._note_personal(event, model, shown)
            changes = [
                (capfirst(f.verbose_name), self.show(f, diff[f.column][0]), self.show(f, diff[f.column][1]))
                for f in shown
            ]
            return {"changes": changes, "values": []}
        # An insert or delete, or an update with no earlier event to compare with.
        shown = [f for f in fields if not f.primary_key and data.get(f.column) not in (None, "", [])]
        self._note_personal(event, model, shown)
        values = [(capfirst(f.verbose_name), self.show(f, data[f.column])) for f in shown]
        return {"changes": [], "values": values}

    def _note_personal(self, event, model, fields) -> None:
        if self.personal and issubclass(model, Person) and any(f.name in PERSONAL_MASKS for f in fields):
            self.people_shown.add(int(event.pgh_obj_id))


class HistoryAdminMixin:
    """Replaces the admin's "历史" page with the pghistory events of the object.

    ``history_scope = "tracks"`` shows the object's own events; ``"references"`` also shows
    the events of every tracked row with a foreign key to the object. Only event models whose
    tracked model the user may view are included; ID and phone numbers are masked for accounts
    without the personal-data right.
    """

    history_scope = "tracks"
    object_history_template = "admin/talent/pghistory_object_history.html"
    history_per_page = 100

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied

        scope = "tracks" if request.GET.get("scope") == "tracks" else self.history_scope
        if scope == "references":
            candidates = pghistory_core.event_models(references_model=self.model)
        else:
            candidates = pghistory_core.event_models(tracks_model=self.model)
        event_models = [m for m in candidates if self._may_view(request, m.pgh_tracked_model)]

        events = pghistory.models.Events.objects.order_by("-pgh_created_at", "-pgh_id")
        events = events.references(obj) if scope == "references" else events.tracks(obj)
        events = events.across(*event_models) if event_models else events.none()

        paginator = self.get_paginator(request, events, self.history_per_page)
        page_obj = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        rows = self.history_rows(request, list(page_obj.object_list), obj)

        context = {
            **self.admin_site.each_context(request),
            "title": f"变更历史:{obj}",
            "subtitle": None,
            "page_obj": page_obj,
            "rows": rows,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "scope": scope,
            "can_widen": self.history_scope == "references",
            "events_admin_url": self._events_admin_url(request, obj, scope),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    @staticmethod
    def _may_view(request, model) -> bool:
        opts = model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or request.user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    def _events_admin_url(self, request, obj, scope: str) -> str | None:
        """pghistory's own events view of the object (raw data and diffs), for those who may
        see it: it shows every value unmasked."""
        if not may_read_raw_events(request):
            return None
        try:
            url = reverse("admin:pghistory_events_changelist", current_app=self.admin_site.name)
        except NoReverseMatch:
            return None
        return f"{url}?method={scope}&obj={self.opts.label}:{obj.pk}"

    def history_rows(self, request, events: list, obj) -> list[dict]:
        contexts = [_as_dict(e.pgh_context) for e in events]
        user_ids = {c["user"] for c in contexts if c.get("user") is not None}
        users = {}
        if user_ids:
            users = {str(u.pk): u.get_username() for u in get_user_model().objects.filter(pk__in=user_ids)}
        reader = EventReader(events, personal=may_see_personal_data(request), hide_person=isinstance(obj, Person))
        rows = []
        for event, context in zip(events, contexts, strict=True):
            model = apps.get_model(event.pgh_obj_model)
            user = context.get("user")
            rows.append(
                {
                    "when": event.pgh_created_at,
                    "action": EVENT_LABELS.get(event.pgh_label, event.pgh_label),
                    "model": capfirst(model._meta.verbose_name),
                    "object_id": event.pgh_obj_id,
                    "object_url": None if event.pgh_label == "delete" else self._object_url(model, event.pgh_obj_id),
                    "user": None if user is None else users.get(str(user), f"#{user}"),
                    "url": context.get("url"),
                    "context": {k: v for k, v in context.items() if k not in {"user", "url"}},
                    "has_context": bool(context),
                    **reader.read(event, model),
                }
            )
        # Full ID or phone numbers on the page: recorded like an API answer (api/audit.py).
        if reader.people_shown:
            audit.note(request, person_ids=reader.people_shown)
        return rows

    def _object_url(self, model, pk) -> str | None:
        if model not in self.admin_site._registry or pk is None:
            return None
        try:
            return reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[pk],
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:
            return None


class RegistryAdmin(AccessMixin, HistoryAdminMixin, admin.ModelAdmin):
    list_per_page = 50

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request)


class BigTableAdmin(RegistryAdmin):
    # On tables of a million rows, counting the unfiltered table for "共 N 条" costs a full scan.
    show_full_result_count = False


class RegistryTabularInline(AccessMixin, admin.TabularInline):
    extra = 0


class RegistryStackedInline(AccessMixin, admin.StackedInline):
    extra = 0


# --- Divisions -----------------------------------------------------------------------------


@admin.register(Division)
class DivisionAdmin(BigTableAdmin):
    write_role = StaffRole.ADMIN
    list_display = ["code", "name", "level", "parent", "kind", "urban_rural_class", "links"]
    list_filter = [WithinDivisionFilter, "level", "kind", "urban_rural_class"]
    list_select_related = ["parent"]  # parent column
    search_fields = ["code", "name"]
    search_help_text = "按区划代码(前几位)或名称搜索。"
    autocomplete_fields = ["parent"]
    fields = ["code", "name", "level", "parent", "kind", "urban_rural_class"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the primary key: editing it would save a second division.
        return ["code"] if obj else []

    def get_search_results(self, request, queryset, search_term):
        if is_autocomplete_for(request, "village"):
            # Posts and service terms can only be held in a village or community.
            queryset = queryset.filter(level=Level.VILLAGE)
        elif is_autocomplete_for(request, "parent"):
            queryset = queryset.exclude(level=Level.VILLAGE)
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            # The pattern index (division_code_pattern_idx) serves the prefix match.
            return queryset.filter(code__startswith=term), False
        return queryset.filter(name__contains=term), False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = scope_for(request.user)
        if db_field.name == "parent" and scope is not None and scope.prefix:
            # A division in the jurisdiction hangs under the jurisdiction or one of its parents.
            kwargs["queryset"] = Division.objects.filter(
                Q(code__startswith=scope.prefix) | Q(code__in=identity.ancestor_codes(scope.jurisdiction))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        scope = scope_for(request.user)
        if obj is None and scope is not None and scope.prefix:

            class JurisdictionDivisionForm(form):
                def clean_code(self):
                    code = self.cleaned_data["code"]
                    if not code.startswith(scope.prefix):
                        raise forms.ValidationError(OUTSIDE_JURISDICTION.format(jurisdiction=scope.jurisdiction))
                    return code

            return JurisdictionDivisionForm
        return form

    @admin.display(description="查看")
    def links(self, obj: Division) -> str:
        return format_html(
            '<a href="{}?within={}">辖区人员</a> · <a href="{}?within={}">下级区划</a>',
            reverse("admin:talent_person_changelist"),
            obj.code,
            reverse("admin:talent_division_changelist"),
            obj.code,
        )


# --- People and their group records -------------------------------------------------------


class GraduateOfficialInline(RegistryStackedInline):
    model = GraduateOfficial
    max_num = 1


class ReturneeInline(RegistryStackedInline):
    model = Returnee
    max_num = 1


class RuralTalentInline(RegistryStackedInline):
    model = RuralTalent
    max_num = 1


class ServiceTermInline(GeneratedColumnsMixin, RegistryTabularInline):
    model = ServiceTerm
    form = GeneratedColumnsForm
    formset = ServiceTermFormSet
    fields = ["term_number", "village", "start", "end", "period_display"]
    readonly_fields = ["period_display"]
    autocomplete_fields = ["village"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("village")  # village label


class PostInline(GeneratedColumnsMixin, RegistryTabularInline):
    model = Post
    form = GeneratedColumnsForm
    formset = PostFormSet
    fields = ["village", "role", "role_class_display", "start", "end", "end_reason", "period_display"]
    readonly_fields = ["role_class_display", "period_display"]
    autocomplete_fields = ["village"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("village")  # village label


class AssessmentInline(RegistryTabularInline):
    model = Assessment
    fields = ["year", "kind", "grade"]


class TrainingInline(RegistryTabularInline):
    model = Training
    fields = ["title", "organizer", "start", "end", "hours", "mode"]


class MobilityEventInline(RegistryTabularInline):
    model = MobilityEvent
    fields = ["date", "channel", "destination_org", "destination_division", "cadre_level"]
    autocomplete_fields = ["destination_division"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("destination_division")  # division label


class FoundedVentureInline(RegistryTabularInline):
    model = VentureFounder
    fk_name = "person"
    verbose_name = "创办的致富项目"
    verbose_name_plural = "创办的致富项目"
    autocomplete_fields = ["venture"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("venture")  # venture label


class PersonForm(forms.ModelForm):
    """Holds a new or changed home division to the editor's jurisdiction (a person may stay
    registered elsewhere while holding a post in it)."""

    scope = None

    def clean_home_division(self):
        division = self.cleaned_data.get("home_division")
        scope = self.scope
        if division is None or scope is None or not scope.prefix or division.code.startswith(scope.prefix):
            return division
        if self.instance.pk and self.instance.home_division_id == division.code:
            return division
        raise forms.ValidationError(OUTSIDE_JURISDICTION.format(jurisdiction=scope.jurisdiction))


@admin.register(Person)
class PersonAdmin(BigTableAdmin):
    form = PersonForm
    list_display = [
        "name",
        "gender",
        "birth_date",
        "id_number",
        "ethnicity",
        "political_status",
        "education",
        "key_university",
        "home_division",
    ]
    list_display_links = ["name"]
    list_filter = [
        WithinDivisionFilter,
        PersonGroupFilter,
        "gender",
        "education",
        "key_university",
        "political_status",
        "ethnicity",
    ]
    list_select_related = ["home_division"]  # home_division column
    search_fields = ["name", "id_number"]
    search_help_text = "按姓名(开头)或居民身份证号码(完整或前几位)搜索。"
    autocomplete_fields = ["home_division"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "gender", "birth_date", "id_number", "ethnicity"]}),
        ("政治面貌", {"fields": ["political_status", "party_joined_on"]}),
        ("学历", {"fields": ["education", "school", "major", "key_university"]}),
        ("联系方式与户籍", {"fields": ["phone", "home_division"]}),
        ("其他", {"fields": ["notes", "created_at", "updated_at"]}),
    ]
    # The graduate-official record comes before the service terms: the database holds every
    # term to an existing graduate-official record, and inlines are saved in this order.
    inlines = [
        GraduateOfficialInline,
        ReturneeInline,
        RuralTalentInline,
        PostInline,
        ServiceTermInline,
        AssessmentInline,
        TrainingInline,
        MobilityEventInline,
        FoundedVentureInline,
    ]
    history_scope = "references"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(person_search_q(term)), False

    # Personal data: accounts without the right see masked ID and phone numbers and cannot
    # change them (they can still type them for a new person, and search by a full number).

    @admin.display(description="居民身份证号码", ordering="id_number")
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone) or EMPTY

    def get_list_display(self, request):
        fields = super().get_list_display(request)
        if may_see_personal_data(request):
            return fields
        return ["masked_id_number" if f == "id_number" else f for f in fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or may_see_personal_data(request):
            return fieldsets
        masked = {"id_number": "masked_id_number", "phone": "masked_phone"}
        return [
            (name, {**options, "fields": [masked.get(f, f) for f in options["fields"]]}) for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not may_see_personal_data(request):
            fields += ["masked_id_number", "masked_phone"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"scope": scope_for(request.user)})

    # The audit (api/audit.py): pages that show full numbers note the people on the request;
    # the middleware writes one row per successful response. Masked pages note nothing.

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and may_see_personal_data(request):
            audit.note(request, person_ids=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        # The ID-number column is in full only for accounts with the right (get_list_display).
        if changelist is not None and "id_number" in changelist.list_display:
            # The page's rows: evaluated here once, and the template reuses them.
            shown = [person.pk for person in changelist.result_list]
            if shown:
                audit.note(request, person_ids=shown)
        return response


class PersonRecordAdmin(PersonSearchMixin, RegistryAdmin):
    """Graduate official, returnee and rural talent: one record per person, keyed by them."""

    autocomplete_fields = ["person"]
    list_select_related = ["person"]  # person column
    list_filter = [WithinDivisionFilter]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # The person is the primary key: changing it would create a second record.
        return ["person", *readonly] if obj else readonly


@admin.register(GraduateOfficial)
class GraduateOfficialAdmin(PersonRecordAdmin):
    list_display = ["person", "batch_year", "selected_on", "status"]
    list_filter = [*PersonRecordAdmin.list_filter, "status", "batch_year"]
    date_hierarchy = "selected_on"


@admin.register(Returnee)
class ReturneeAdmin(PersonRecordAdmin):
    list_display = ["person", "previous_city", "previous_occupation", "returned_on"]
    list_filter = [*PersonRecordAdmin.list_filter, "previous_city"]
    date_hierarchy = "returned_on"


@admin.register(RuralTalent)
class RuralTalentAdmin(PersonRecordAdmin):
    list_display = ["person", "category", "title_level", "specialties_display", "operation_scale"]
    list_filter = [*PersonRecordAdmin.list_filter, "category", "title_level"]
    search_help_text = "按姓名(开头)、居民身份证号码或专长搜索。"

    @admin.display(description="专长")
    def specialties_display(self, obj: RuralTalent) -> str:
        return "、".join(obj.specialties) or EMPTY

    def extra_search_q(self, term):
        return Q(specialties__contains=[term])  # the GIN index on specialties


# --- Posts, terms, assessments, trainings, mobility ----------------------------------------


@admin.register(Post)
class PostAdmin(GeneratedColumnsMixin, PersonSearchMixin, BigTableAdmin):
    form = GeneratedColumnsForm
    list_display = ["person", "village", "role", "role_class_display", "start", "end", "end_reason"]
    list_filter = [WithinDivisionFilter, OpenEndFilter, "role", RoleClassFilter, "end_reason"]
    list_select_related = ["person", "village"]  # person and village columns
    autocomplete_fields = ["person", "village"]
    fields = ["person", "village", "role", "role_class_display", "start", "end", "end_reason", "period_display"]
    readonly_fields = ["role_class_display", "period_display"]


@admin.register(ServiceTerm)
class ServiceTermAdmin(GeneratedColumnsMixin, PersonSearchMixin, BigTableAdmin):
    form = GeneratedColumnsForm
    list_display = ["person", "term_number", "village", "start", "end", "period_display"]
    list_filter = [WithinDivisionFilter, OpenEndFilter, "term_number"]
    list_select_related = ["person", "village"]  # person and village columns
    autocomplete_fields = ["person", "village"]
    fields = ["person", "term_number", "village", "start", "end", "period_display"]
    readonly_fields = ["period_display"]
    date_hierarchy = "start"


@admin.register(Assessment)
class AssessmentAdmin(PersonSearchMixin, BigTableAdmin):
    list_display = ["person", "year", "kind", "grade"]
    list_filter = [WithinDivisionFilter, AssessmentYearFilter, "kind", "grade"]
    list_select_related = ["person"]  # person column
    autocomplete_fields = ["person"]


@admin.register(Training)
class TrainingAdmin(PersonSearchMixin, BigTableAdmin):
    list_display = ["title", "person", "organizer", "start", "end", "hours", "mode"]
    # No date hierarchy: its year links read every training row; the date filter costs nothing.
    list_filter = [WithinDivisionFilter, ("start", admin.DateFieldListFilter), "mode"]
    list_select_related = ["person"]  # person column
    autocomplete_fields = ["person"]
    search_fields = ["person__name", "person__id_number", "title"]
    search_help_text = "按姓名(开头)、居民身份证号码或培训名称搜索。"

    def extra_search_q(self, term):
        return Q(title__contains=term)


@admin.register(MobilityEvent)
class MobilityEventAdmin(PersonSearchMixin, BigTableAdmin):
    list_display = ["person", "date", "channel", "destination_org", "destination_division", "cadre_level"]
    list_filter = [WithinDivisionFilter, "channel", "cadre_level"]
    list_select_related = ["person", "destination_division"]  # person and destination columns
    autocomplete_fields = ["person", "destination_division"]
    date_hierarchy = "date"


# --- Ventures ------------------------------------------------------------------------------


class VentureFounderInline(RegistryTabularInline):
    model = VentureFounder
    autocomplete_fields = ["person"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")  # person label


@admin.register(Venture)
class VentureAdmin(RegistryAdmin):
    list_display = ["name", "industry", "division", "founded_on", "investment", "jobs_created", "annual_revenue"]
    list_filter = [WithinDivisionFilter, "industry"]
    list_select_related = ["division"]  # division column
    search_fields = ["name"]
    search_help_text = "按项目名称搜索。"
    autocomplete_fields = ["division"]
    date_hierarchy = "founded_on"
    inlines = [VentureFounderInline]
    history_scope = "references"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(name__contains=term) if term else queryset), False


@admin.register(VentureFounder)
class VentureFounderAdmin(PersonSearchMixin, RegistryAdmin):
    list_display = ["venture", "person"]
    list_select_related = ["venture", "person"]  # venture and person columns
    autocomplete_fields = ["venture", "person"]
    search_fields = ["person__name", "person__id_number", "venture__name"]
    search_help_text = "按创办人姓名(开头)、居民身份证号码或项目名称搜索。"

    def extra_search_q(self, term):
        return Q(venture__name__contains=term)


# --- Eligibility rules (read-only here) ---------------------------------------------------


class ReadOnlyAdmin(RegistryAdmin):
    """Shown, never edited here: facts are derived data kept current by database triggers;
    reports and imports are records of work done by the workers."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(RegistryAdmin):
    """Admins edit rules here as in the API: saving adds a new version (talent.eligibility
    .rule_save) and retires the old one, which stays readable; versions are never deleted."""

    read_role = StaffRole.VIEWER
    write_role = StaffRole.ADMIN
    list_display = ["code", "version", "name", "target", "applies_to", "is_current", "active", "created_at"]
    list_filter = ["is_current", "active", "applies_to"]
    list_select_related = ["created_by"]  # created_by on the change page
    search_fields = ["code", "name"]
    search_help_text = "按规则代码或名称搜索。"
    readonly_fields = ["version", "is_current", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The code names the rule across versions: set once.
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_current)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from talent import eligibility

        data = {name: form.cleaned_data[name] for name in eligibility.RULE_FIELDS if name in form.cleaned_data}
        if not change:
            data["code"] = form.cleaned_data["code"]
        saved = eligibility.rule_save(code=obj.code if change else None, data=data, actor=request.user)
        # The admin goes on with the version just written.
        obj.pk, obj.version, obj.is_current = saved.pk, saved.version, saved.is_current


@admin.register(EligibilityFact)
class EligibilityFactAdmin(PersonSearchMixin, ReadOnlyAdmin):
    show_full_result_count = False  # a row per person and rule
    list_display = ["person", "rule", "service_met_on", "role_met_on"]
    list_filter = ["rule"]
    list_select_related = ["person", "rule"]  # person and rule columns


# --- Staff accounts ------------------------------------------------------------------------


@admin.register(StaffAccount)
class StaffAccountAdmin(RegistryAdmin):
    read_role = StaffRole.ADMIN
    write_role = StaffRole.ADMIN
    list_display = ["user", "jurisdiction", "role", "personal_data"]
    list_filter = [WithinDivisionFilter, "role", "personal_data"]
    list_select_related = ["user", "jurisdiction"]  # user and jurisdiction columns
    search_fields = ["user__username", "jurisdiction__name"]
    autocomplete_fields = ["user", "jurisdiction"]


# --- Reports and imports -------------------------------------------------------------------


class JobRecordAdmin(ReadOnlyAdmin):
    """Reports and imports: those of the account's jurisdiction (where they were asked from)."""

    def get_queryset(self, request):
        scope = scope_for(request.user)
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if scope is None:
            return queryset.none()
        return queryset.filter(jurisdiction__code__startswith=scope.prefix) if scope.prefix else queryset


@admin.register(Report)
class ReportAdmin(JobRecordAdmin):
    list_display = ["id", "kind", "status", "progress", "stage", "requested_by", "jurisdiction", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["requested_by", "jurisdiction"]  # requested_by and jurisdiction columns


@admin.register(RosterImport)
class RosterImportAdmin(JobRecordAdmin):
    list_display = ["id", "original_name", "kind", "mode", "status", "uploaded_by", "jurisdiction", "created_at"]
    list_filter = ["kind", "mode", "status"]
    list_select_related = ["uploaded_by", "jurisdiction"]  # uploaded_by and jurisdiction columns
    # The stored errors carry the uploaded values (ID and phone numbers among them): never shown
    # raw, but as GET /api/v1/imports/{id}/errors/ shows them: masked for accounts without the
    # right, recorded in the audit when shown in full.
    exclude = ["errors"]

    def get_readonly_fields(self, request, obj=None):
        # A display function bound to the request (whose right decides the masking), made
        # once per request so that the form and the fieldsets name the same field.
        if not hasattr(request, "_roster_import_errors_field"):
            request._roster_import_errors_field = self._errors_field(request)
        return [*super().get_readonly_fields(request, obj), request._roster_import_errors_field]

    @staticmethod
    def _errors_field(request):
        from api.imports import MASKERS, masked_errors

        @admin.display(description=RosterImport._meta.get_field("errors").verbose_name)
        def errors_shown(obj: RosterImport) -> str:
            errors = masked_errors(obj.errors or [], request.user)
            if not errors:
                return EMPTY
            if may_see_personal_data(request) and any(
                e.get("value") and (e.get("field") or "") in MASKERS for e in errors
            ):
                audit.note(request, roster_import_id=obj.pk)
            return format_html_join(
                mark_safe("<br>"),
                "第{}行 {}:{} — {}",
                ((e.get("row"), e.get("column") or EMPTY, e.get("value") or EMPTY, e.get("message")) for e in errors),
            )

        return errors_shown


# --- pghistory's own events pages ----------------------------------------------------------


def _note_person_events(request: HttpRequest, events, columns) -> None:
    """People's events whose shown ``columns`` (``pgh_data``, ``pgh_diff``) hold an ID or phone
    number show it as stored: recorded."""
    shown = []
    for event in events:
        if event.pgh_obj_model != Person._meta.label or not event.pgh_obj_id:
            continue
        for column in columns:
            values = _as_dict(getattr(event, column, None))
            if any(values.get(name) not in (None, "", [], ["", ""]) for name in PERSONAL_MASKS):
                shown.append(int(event.pgh_obj_id))
                break
    if shown:
        audit.note(request, person_ids=shown)


class RawEventsAdmin(pghistory.admin.EventsAdmin):
    """pghistory's events pages (linked from a history page as "在事件总表中查看"), installed
    through ``PGHISTORY_ADMIN_CLASS``: they show every stored value unmasked, in every
    jurisdiction. So only national accounts with the personal-data right open them, and the
    people whose events they show are recorded in the audit."""

    def has_module_permission(self, request):
        return national_with_personal_data(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return national_with_personal_data(request) and super().has_view_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            columns = [c for c in ("pgh_data", "pgh_diff") if c in changelist.list_display]
            _note_person_events(request, changelist.result_list, columns)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            _note_person_events(request, [obj], ["pgh_data", "pgh_diff"])
        return super().render_change_form(request, context, add, change, form_url, obj)
