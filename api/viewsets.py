"""Viewsets are configuration. Jurisdiction scoping, permissions, pagination and the per-record
history live once, in RegistryViewSet."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api import audit, conditional, filtersets, serializers, throttling
from api.eligibility import AsOfSerializer, RuleEvaluationSerializer, person_evaluations
from api.exceptions import django_to_drf
from api.pagination import RegistryPagination
from api.permissions import StaffPermission
from talent import rules
from talent.access import mask_id_number, mask_phone, scope_for
from talent.choices import StaffRole
from talent.history import record_history
from talent.models import (
    Assessment,
    Division,
    GraduateOfficial,
    MobilityEvent,
    Person,
    Post,
    Returnee,
    RuralTalent,
    ServiceTerm,
    StaffAccount,
    Training,
    Venture,
)
from talent.person_read import page_read, person_read

PERSONAL_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}
# Actions whose answer is one record: their responses carry its ETag.
ETAG_ACTIONS = frozenset({"retrieve", "create", "update", "partial_update"})


class RegistryViewSet(viewsets.ModelViewSet):
    """Base for every resource: records outside the account's jurisdiction do not exist for
    it (404, never 403); writes go through talent.rules in one transaction."""

    permission_classes = [StaffPermission]
    pagination_class = RegistryPagination
    read_role = StaffRole.VIEWER
    write_role = StaffRole.EDITOR
    cursor_ordering = ("id",)
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    # The serializer that checks an action's query parameters (its errors are documented).
    query_serializer = None
    # One-to-one records keyed by this one's id that are part of it (a person's group records):
    # their versions are part of the ETag, and a write locks them with the record.
    version_parts: tuple = ()

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self.within_implies_scope():
            queryset = queryset.visible_to(self.request.user)
        if self.action in ETAG_ACTIONS | conditional.CONDITIONAL_ACTIONS:
            # row_version: the ETag of a detail response, and what If-Match is compared with
            queryset = queryset.annotate(row_version=conditional.row_version(queryset.model, self.version_parts))
        if self.action in conditional.CONDITIONAL_ACTIONS:
            # A write reads its record locked, inside its transaction (update, destroy): the
            # version compared is the latest committed one, and stays so until the write.
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    # Actions whose queryset always goes through the filter set (an invalid parameter is a 400):
    # there a ``within`` inside the jurisdiction stands in for it.
    WITHIN_SCOPED_ACTIONS = frozenset({"list"})

    def within_implies_scope(self) -> bool:
        return self.action in self.WITHIN_SCOPED_ACTIONS and filtersets.within_implies_scope(
            getattr(self, "filterset_class", None), self.request.query_params, scope_for(self.request.user)
        )

    def filter_queryset(self, queryset):
        if self.action in conditional.CONDITIONAL_ACTIONS:
            return queryset  # a write names its record by its id alone (and locks it)
        if not self.request.query_params:
            # No parameters, no filter: building the filter set's form (dozens of fields
            # deep-copied) would cost a detail read more than its queries.
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        if self.action in conditional.CONDITIONAL_ACTIONS and self.version_parts:
            pk = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            conditional.lock_for_write(self.queryset.model, pk, self.version_parts)
        instance = super().get_object()
        if self.action in conditional.CONDITIONAL_ACTIONS:
            conditional.check_if_match(self.request, instance.row_version)
        self._etag_instance = instance
        return instance

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)

    @transaction.atomic
    def perform_create(self, serializer):
        serializer.save()
        self._reread(serializer)

    @transaction.atomic
    def perform_update(self, serializer):
        serializer.save()
        self._reread(serializer)

    def _reread(self, serializer) -> None:
        # Answer with the record as stored (generated columns, group records, prefetches,
        # the new row version), read through the same queryset as a GET.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
        self._etag_instance = serializer.instance

    def finalize_response(self, request, response, *args, **kwargs):
        # Every detail response (read, create, replace, edit) carries the record's version.
        instance = getattr(self, "_etag_instance", None)
        if (
            instance is not None
            and self.action in ETAG_ACTIONS
            and response.status_code in (200, 201)
            and getattr(instance, "row_version", None) is not None
        ):
            response["ETag"] = conditional.etag_for(instance.row_version)
        return super().finalize_response(request, response, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            rules.record_delete(instance=instance, actor=self.request.user)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc

    @extend_schema(
        summary="变更历史 Change history",
        description="谁、何时、哪些字段由什么改为什么。Who changed which fields, when, from what to what.",
        responses=serializers.HistoryEventSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, *args, **kwargs):
        instance = self.get_object()
        events = record_history(instance)
        scope = scope_for(request.user)
        personal = [
            change
            for event in events
            for change in event.changes
            if change.field.rsplit(".", 1)[-1] in PERSONAL_FIELDS and (change.before or change.after)
        ]
        if scope and scope.personal_data:
            if personal:  # full ID or phone numbers shown: recorded (api/audit.py)
                audit.note(request, person_ids=[instance.pk] if isinstance(instance, Person) else [])
        else:
            for change in personal:
                masker = PERSONAL_FIELDS[change.field.rsplit(".", 1)[-1]]
                change.before = masker(change.before) if change.before else change.before
                change.after = masker(change.after) if change.after else change.after
        return Response(serializers.HistoryEventSerializer(events, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="区划列表 List divisions"),
    retrieve=extend_schema(summary="区划详情 Read a division"),
    create=extend_schema(summary="新增区划(管理员) Add a division (admins)"),
    update=extend_schema(summary="修改区划(管理员) Replace a division (admins)"),
    partial_update=extend_schema(summary="修改区划(管理员) Rename a division (admins)"),
    destroy=extend_schema(summary="删除区划(管理员) Delete an unused division (admins)"),
)
class DivisionViewSet(RegistryViewSet):
    queryset = Division.objects.all()
    serializer_class = serializers.DivisionSerializer
    filterset_class = filtersets.DivisionFilterSet
    write_role = StaffRole.ADMIN
    cursor_ordering = ("code",)
    lookup_value_regex = r"\d{12}"

    def perform_destroy(self, instance):
        scope = scope_for(self.request.user)
        if scope.prefix and not instance.code.startswith(scope.prefix):
            raise django_to_drf(DjangoValidationError({"code": rules.DIVISION_OUTSIDE_JURISDICTION.format(
                jurisdiction=scope.jurisdiction)}))  # fmt: skip
        super().perform_destroy(instance)

    @extend_schema(
        summary="合并区划(管理员) Merge a division into another (admins)",
        request=serializers.DivisionMergeSerializer,
        responses=serializers.DivisionSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, *args, **kwargs):
        source = self.get_object()
        payload = serializers.DivisionMergeSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        try:
            target = rules.division_merge(source=source, target=payload.validated_data["into"], actor=request.user)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc
        return Response(serializers.DivisionSerializer(target, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary="人员列表 List people"),
    retrieve=extend_schema(summary="人员详情 Read a person"),
    create=extend_schema(summary="新增人员(可同时登记各类别信息) Add a person with group records"),
    update=extend_schema(summary="修改人员 Replace a person"),
    partial_update=extend_schema(summary="修改人员 Edit a person"),
    destroy=extend_schema(summary="删除人员 Delete a person"),
)
class PersonViewSet(RegistryViewSet):
    queryset = Person.objects.select_related(
        # graduate_official, returnee, rural_talent: embedded group records
        "graduate_official",
        "returnee",
        "rural_talent",
    ).prefetch_related(
        # current_posts and groups (village_cadre): a person's posts with their villages
        Prefetch("posts", queryset=Post.objects.select_related("village").order_by("start", "id")),
    )
    serializer_class = serializers.PersonSerializer
    filterset_class = filtersets.PersonFilterSet
    version_parts = (GraduateOfficial, Returnee, RuralTalent)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # The page's group records and posts: paginate_queryset.
            queryset = queryset.select_related(None).prefetch_related(None)
        return queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if self.action == "list" and page is not None:
            # graduate_official, returnee, rural_talent, current_posts and groups: the page's
            # group records, posts and the posts' villages in one round trip of statements
            # written out (talent.person_read.page_read).
            page_read(page)
        return page

    def get_object(self):
        # A person's detail, the registry's most frequent read, in two statements written out
        # (talent.person_read: the same instances the queryset reads, 3 ms less Python). With
        # query parameters (filters on a detail) it goes through the queryset.
        if self.action != "retrieve" or self.request.query_params:
            return super().get_object()
        try:
            pk = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except ValueError:
            raise Http404 from None
        person = person_read(pk, prefix=scope_for(self.request.user).prefix)
        if person is None:
            raise Http404
        self.check_object_permissions(self.request, person)
        self._etag_instance = person
        return person

    @extend_schema(
        summary="人员在各项资格规则下的情况 Eligibility of a person under every active rule",
        parameters=[OpenApiParameter("as_of", dt.date, description="评估日期(默认今天)。As-of date.")],
        responses=RuleEvaluationSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[], query_serializer=AsOfSerializer)
    def eligibility(self, request, *args, **kwargs):
        person = self.get_object()
        query = AsOfSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or dt.date.today()
        evaluations = person_evaluations(person, as_of=as_of)
        return Response(RuleEvaluationSerializer(evaluations, many=True).data)


@extend_schema_view(list=extend_schema(summary="村两委职务列表 List posts"))
class PostViewSet(RegistryViewSet):
    queryset = Post.objects.all()
    serializer_class = serializers.PostSerializer
    filterset_class = filtersets.PostFilterSet


@extend_schema_view(list=extend_schema(summary="聘期列表 List service terms"))
class ServiceTermViewSet(RegistryViewSet):
    queryset = ServiceTerm.objects.all()
    serializer_class = serializers.ServiceTermSerializer
    filterset_class = filtersets.ServiceTermFilterSet


@extend_schema_view(list=extend_schema(summary="考核列表 List assessments"))
class AssessmentViewSet(RegistryViewSet):
    queryset = Assessment.objects.all()
    serializer_class = serializers.AssessmentSerializer
    filterset_class = filtersets.AssessmentFilterSet


@extend_schema_view(list=extend_schema(summary="培训列表 List trainings"))
class TrainingViewSet(RegistryViewSet):
    queryset = Training.objects.all()
    serializer_class = serializers.TrainingSerializer
    filterset_class = filtersets.TrainingFilterSet


@extend_schema_view(list=extend_schema(summary="致富项目列表 List ventures"))
class VentureViewSet(RegistryViewSet):
    # founders: the list of founder ids
    queryset = Venture.objects.prefetch_related("founders")
    serializer_class = serializers.VentureSerializer
    filterset_class = filtersets.VentureFilterSet


@extend_schema_view(list=extend_schema(summary="流动记录列表 List mobility events"))
class MobilityEventViewSet(RegistryViewSet):
    queryset = MobilityEvent.objects.all()
    serializer_class = serializers.MobilityEventSerializer
    filterset_class = filtersets.MobilityEventFilterSet


@extend_schema_view(list=extend_schema(summary="工作人员账号(管理员) Staff accounts (admins)"))
class StaffAccountViewSet(RegistryViewSet):
    # username: the account's user
    queryset = StaffAccount.objects.select_related("user")
    serializer_class = serializers.StaffAccountSerializer
    read_role = StaffRole.ADMIN
    write_role = StaffRole.ADMIN
    http_method_names = ["get", "patch", "delete", "head", "options"]
    filterset_class = filtersets.StaffAccountFilterSet


class AccountLocked(Throttled):
    default_detail = throttling.LOCKED_OUT


@extend_schema_view(
    post=extend_schema(
        summary="获取令牌 Get a token",
        description="用户名和密码换取 API 令牌,无需先登录。Exchange a username and password for the API token.",
    )
)
@extend_validation_errors(["authorization"], field_name="non_field_errors")  # wrong username or password
class ObtainTokenView(ObtainAuthToken):
    """DRF's token view, documented as what it is: open to anyone, no credentials needed.
    Password attempts are rate-limited per client address, and an account with too many
    failed attempts is locked for a while (django-axes): 429 with Retry-After either way."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (throttling.LoginRateThrottle,)

    def post(self, request, *args, **kwargs):
        from axes.handlers.proxy import AxesProxyHandler

        data = request.data if hasattr(request.data, "get") else {}
        credentials = {"username": data.get("username")}  # cleaned by AXES_USERNAME_CALLABLE
        if not AxesProxyHandler.is_allowed(request, credentials):
            raise AccountLocked(wait=throttling.cool_off_seconds())
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # The attempt that reaches the limit locks the account at once.
            if getattr(request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(request, credentials):
                raise AccountLocked(wait=throttling.cool_off_seconds()) from None
            raise
