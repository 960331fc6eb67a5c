"""Roster imports (花名册导入): serializers and the viewset (one module per resource). The
decisions are talent.roster's; this module only takes the upload and shapes the answers.

    POST /api/v1/imports/                 upload and validate (a dry run): 201, or 202 when large
    GET  /api/v1/imports/{id}/            status, progress and summary
    POST /api/v1/imports/{id}/commit/     write a validated import: 200, or 202 when large
    GET  /api/v1/imports/{id}/errors/     the errors (row, column, value, reason)
    GET  /api/v1/imports/{id}/annotated/  the upload with bad cells highlighted and commented
    GET  /api/v1/imports/template/?kind=  the blank XLSX template with its explanation sheet
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api import audit
from api.exceptions import django_to_drf
from api.filtersets import DivisionCodeFilter, IsoDateTimeFilter
from api.pagination import RegistryPagination
from api.permissions import StaffPermission
from talent import roster
from talent.access import mask_id_number, mask_phone, scope_for
from talent.choices import ImportKind, ImportMode, ImportStatus, StaffRole
from talent.models import RosterImport
from talent.roster import service

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MASKERS = {"id_number": mask_id_number, "phone": mask_phone}
ANNOTATED_FORBIDDEN = "标注文件是上传文件的副本,含个人敏感信息:仅上传人和可查看个人敏感信息的账号可以下载。"


class ImportSummarySerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="数据行数")
    new = serializers.IntegerField(help_text="新增的记录(人员花名册按人计)")
    updated = serializers.IntegerField(help_text="将更新(已更新)的记录")
    unchanged = serializers.IntegerField(help_text="与信息库一致、无需改动的记录")
    errors = serializers.IntegerField(help_text="错误总数")


class RosterImportSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices, read_only=True)
    mode = serializers.ChoiceField(choices=ImportMode.choices, read_only=True)
    status = serializers.ChoiceField(choices=ImportStatus.choices, read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text="上传人")
    jurisdiction = serializers.CharField(source="jurisdiction_id", read_only=True, allow_null=True)
    summary = serializers.SerializerMethodField(help_text="校验(或导入)结果汇总")
    error_count = serializers.SerializerMethodField(help_text="错误总数")

    class Meta:
        model = RosterImport
        fields = [
            "id",
            "kind",
            "mode",
            "status",
            "original_name",
            "uploaded_by",
            "jurisdiction",
            "summary",
            "error_count",
            "progress",
            "stage",
            "created_at",
            "validated_at",
            "committed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportSummarySerializer)
    def get_summary(self, obj) -> dict:
        return obj.summary

    def get_error_count(self, obj) -> int:
        return int((obj.summary or {}).get("errors", 0))


class RosterImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="花名册文件(.xlsx 或 .csv;CSV 可为 UTF-8 或 GB18030 编码)")
    kind = serializers.ChoiceField(choices=ImportKind.choices, help_text="花名册类型")
    mode = serializers.ChoiceField(
        choices=ImportMode.choices, default=ImportMode.CREATE, help_text="导入方式,默认仅新增"
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="行号(与 Excel 一致,表头为第1行)")
    column = serializers.CharField(help_text="列名(中文表头)")
    field = serializers.CharField(help_text="列的英文标识")
    value = serializers.CharField(allow_null=True, help_text="单元格的值(无权查看个人敏感信息时脱敏)")
    code = serializers.CharField(help_text="错误代码(docs/import.md)")
    message = serializers.CharField(help_text="错误原因")


class ImportErrorListSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="错误总数")
    shown = serializers.IntegerField(help_text="此处列出的条数(最多保存前1000条)")
    errors = ImportErrorSerializer(many=True)


class RosterImportFilterSet(django_filters.FilterSet):
    within = DivisionCodeFilter(
        field_name="within", lookup_prefix="jurisdiction__code", help_text="上传人管辖区划在该区划之内(12位区划代码)"
    )
    kind = django_filters.ChoiceFilter(choices=ImportKind.choices, help_text="花名册类型")
    mode = django_filters.ChoiceFilter(choices=ImportMode.choices, help_text="导入方式")
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices, help_text="状态")
    uploaded_by = django_filters.CharFilter(field_name="uploaded_by__username", help_text="上传人用户名")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="上传时间不早于(ISO 8601)")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="上传时间早于(ISO 8601)")

    class Meta:
        model = RosterImport
        fields = ["within", "kind", "mode", "status", "uploaded_by", "created_after", "created_before"]


def masked_errors(errors: list[dict], user) -> list[dict]:
    """The stored errors, with ID and phone numbers masked for accounts without the right."""
    scope = scope_for(user)
    if scope is not None and scope.personal_data:
        return errors
    out = []
    for error in errors:
        masker = MASKERS.get(error.get("field") or "")
        if masker and error.get("value"):
            error = {**error, "value": masker(error["value"])}
        out.append(error)
    return out


@extend_validation_errors(["invalid"], field_name="kind", actions=["template"])
class RosterImportViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Imports are visible within the uploader's jurisdiction (404 elsewhere); editors and
    admins upload and commit, viewers read."""

    queryset = RosterImport.objects.select_related("uploaded_by")  # uploaded_by: the username shown
    serializer_class = RosterImportSerializer
    permission_classes = [StaffPermission]
    pagination_class = RegistryPagination
    filterset_class = RosterImportFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    write_role = StaffRole.EDITOR
    cursor_ordering = ("-id",)

    def get_queryset(self):
        return service.imports_visible_to(self.request.user).select_related("uploaded_by").order_by("-id")

    def get_serializer_class(self):
        if self.action == "create":
            return RosterImportCreateSerializer
        return super().get_serializer_class()

    def _answer(self, roster_import: RosterImport, handed_over: bool, created: bool = False) -> Response:
        roster_import.refresh_from_db()
        data = RosterImportSerializer(roster_import, context=self.get_serializer_context()).data
        if handed_over:
            code = status.HTTP_202_ACCEPTED
        else:
            code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(data, status=code)

    @extend_schema(
        summary="上传花名册并校验(不写入) Upload a roster and validate it (dry run)",
        description=(
            "校验每一行、每一格,返回汇总(rows、new、updated、unchanged、errors)。文件较大时由后台任务校验,"
            "返回 202,请轮询本导入的 progress。校验通过后调用 commit 写入。"
        ),
        request={"multipart/form-data": RosterImportCreateSerializer},
        responses={201: RosterImportSerializer, 202: RosterImportSerializer},
    )
    def create(self, request, *args, **kwargs):
        payload = RosterImportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        try:
            roster_import = service.import_create(
                upload=upload,
                original_name=upload.name,
                kind=payload.validated_data["kind"],
                mode=payload.validated_data["mode"],
                actor=request.user,
            )
            handed_over = service.import_request(roster_import=roster_import, action="validate", actor=request.user)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc
        return self._answer(roster_import, handed_over, created=True)

    @extend_schema(summary="导入列表 List imports")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="导入详情与进度 Read an import and its progress")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="提交导入(全部写入或全部不写) Commit a validated import",
        description="重新校验后在一个事务中写入;有任何错误或故障时不写入任何数据。文件较大时返回 202。",
        request=None,
        responses={200: RosterImportSerializer, 202: RosterImportSerializer},
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, *args, **kwargs):
        roster_import = self.get_object()
        try:
            handed_over = service.import_request(roster_import=roster_import, action="commit", actor=request.user)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc
        return self._answer(roster_import, handed_over)

    @extend_schema(
        summary="错误明细 Errors",
        responses=ImportErrorListSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def errors(self, request, *args, **kwargs):
        roster_import = self.get_object()
        errors = masked_errors(roster_import.errors or [], request.user)
        if audit.may_see_personal_data(request) and any(
            e.get("value") and (e.get("field") or "") in MASKERS for e in errors
        ):  # full ID or phone numbers shown: recorded (api/audit.py)
            audit.note(request, roster_import_id=roster_import.pk)
        total = int((roster_import.summary or {}).get("errors", len(errors)))
        return Response(ImportErrorListSerializer({"total": total, "shown": len(errors), "errors": errors}).data)

    @extend_schema(
        summary="标注错误的文件 Annotated copy of the upload",
        description="上传文件的副本(XLSX),出错的单元格标红并附批注说明原因;最后一页为错误清单。",
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX")},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def annotated(self, request, *args, **kwargs):
        roster_import = self.get_object()
        scope = scope_for(request.user)
        if roster_import.uploaded_by_id != request.user.pk and not (scope and scope.personal_data):
            raise PermissionDenied(ANNOTATED_FORBIDDEN)
        stored = service.annotated_store(roster_import)
        if stored is None:
            raise NotFound(service.NO_ERRORS)
        # A copy of the upload, personal data in full: every download is recorded (api/audit.py).
        audit.note(request, roster_import_id=roster_import.pk)
        stem = roster_import.original_name.rsplit(".", 1)[0]
        return FileResponse(stored.open("rb"), as_attachment=True, filename=f"{stem}-错误标注.xlsx", content_type=XLSX)

    @extend_schema(
        summary="花名册模板 Blank roster template",
        description="中文表头的 XLSX 模板;第二页说明每列的含义和可填写的值(选项可填中文或英文标识,日期写法)。",
        parameters=[OpenApiParameter("kind", str, required=True, enum=ImportKind.values, description="花名册类型")],
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX")},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def template(self, request, *args, **kwargs):
        kind = request.query_params.get("kind", "")
        if kind not in ImportKind.values:
            raise serializers.ValidationError({"kind": f"kind 应为 {'、'.join(ImportKind.values)} 之一。"})
        response = HttpResponse(roster.roster_template(kind), content_type=XLSX)
        filename = f"{ImportKind(kind).label}花名册模板.xlsx"
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
