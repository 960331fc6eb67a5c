"""Reports (asynchronous, built by Celery workers) and dashboard statistics (synchronous).
Visible only within the requester's jurisdiction; downloads respect personal-data masking."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from api import audit
from api.exceptions import django_to_drf
from api.fields import DivisionCodeField
from api.filtersets import PersonFilterSet, ReportFilterSet
from api.pagination import RegistryPagination
from api.permissions import StaffPermission
from talent.access import scope_for
from talent.choices import FileFormat, ReportKind, StaffRole
from talent.models import Person, Report
from talent.reporting import queryset_dump, report_is_stale, report_request
from talent.statistics import mobility_figures, share

PRIVATE_PARAMS = {"query"}


class ReportFileSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=FileFormat.choices)
    masked = serializers.BooleanField(help_text="个人敏感信息已脱敏")
    size = serializers.IntegerField(help_text="字节")
    rows = serializers.IntegerField(help_text="数据行数")


class ReportSerializer(serializers.ModelSerializer):
    params = serializers.SerializerMethodField(help_text="报表参数")
    requested_by = serializers.CharField(source="requested_by.username", default=None, read_only=True, allow_null=True)
    rule_version = serializers.IntegerField(source="rule.version", default=None, read_only=True, allow_null=True)
    stale = serializers.SerializerMethodField(help_text="生成后数据已有变化")
    files = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "params",
            "status",
            "progress",
            "stage",
            "error",
            "requested_by",
            "rule_version",
            "fingerprint",
            "stale",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "files",
        ]

    def get_params(self, report) -> dict:
        return {k: v for k, v in report.params.items() if k not in PRIVATE_PARAMS}

    def get_stale(self, report) -> bool:
        return report.status == "succeeded" and report_is_stale(report)

    @extend_schema_field(ReportFileSerializer(many=True))
    def get_files(self, report):
        visible = _visible_files(report, self.context["request"].user)
        return ReportFileSerializer(visible, many=True).data


def _visible_files(report, user):
    """Full files only for accounts that may see personal data; masked ones for the rest."""
    scope = scope_for(user)
    files = list(report.files.all())
    if scope and scope.personal_data and any(not f.masked for f in files):
        return [f for f in files if not f.masked]
    return [f for f in files if f.masked]


class FileFormatNegotiation(DefaultContentNegotiation):
    """On the download, ``?format=`` names the file (xlsx or csv), not a renderer: answers that
    are not the file (errors) are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices, help_text="报表类型")
    as_of = serializers.DateField(required=False, help_text="统计日期,默认今天")
    within = DivisionCodeField(required=False, allow_null=True, help_text="统计范围,默认本人管辖区划")
    rule = serializers.CharField(required=False, help_text="资格规则代码(资格条件报表)")
    horizon_days = serializers.IntegerField(required=False, min_value=1, max_value=3660, help_text="即将符合的期限(天)")
    batch_years = serializers.ListField(
        child=serializers.IntegerField(min_value=1995, max_value=2100), required=False, help_text="选聘批次(流动报表)"
    )
    filters = serializers.DictField(
        required=False, help_text='人员筛选条件(花名册),与人员列表的查询参数相同,如 {"group": "returnee"}'
    )


@extend_schema_view(
    list=extend_schema(summary="报表列表 List reports"),
    retrieve=extend_schema(summary="报表详情与进度 Read a report and its progress"),
    create=extend_schema(
        summary="申请生成报表 Request a report",
        request=ReportRequestSerializer,
        responses={202: ReportSerializer},
    ),
)
@extend_validation_errors(["invalid"], field_name="format", actions=["download"])
class ReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReportSerializer
    permission_classes = [StaffPermission]
    # Asking for a report only reads the registry: viewers may.
    write_role = StaffRole.VIEWER
    pagination_class = RegistryPagination
    filterset_class = ReportFilterSet
    # requested_by and rule: shown on every report; files: listed on every report
    queryset = Report.objects.select_related("requested_by", "rule").prefetch_related("files")

    def get_queryset(self):
        scope = scope_for(self.request.user)
        if scope is None:
            return Report.objects.none()
        queryset = super().get_queryset()
        if scope.prefix:
            queryset = queryset.filter(jurisdiction__code__startswith=scope.prefix)
        return queryset

    def create(self, request, *args, **kwargs):
        payload = ReportRequestSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        kind = data.pop("kind")
        if data.get("within") is not None:
            data["within"] = data["within"].code
        if data.get("as_of"):
            data["as_of"] = data["as_of"].isoformat()
        extra = None
        if kind == ReportKind.ROSTER:
            filters = {k: v for k, v in (data.pop("filters", None) or {}).items()}
            if data.get("within"):
                filters.setdefault("within", data["within"])
            query = QueryDict(mutable=True)
            for key, value in filters.items():
                query.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
            people = PersonFilterSet(query, queryset=Person.objects.visible_to(request.user), request=request)
            if not people.is_valid():
                raise serializers.ValidationError({f"filters.{k}": v for k, v in people.errors.items()})
            extra = {"query": queryset_dump(people.qs), "filters": filters}
        try:
            report = report_request(kind=kind, params=data, actor=request.user, extra=extra)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc
        return Response(ReportSerializer(report, context=self.get_serializer_context()).data, status=202)

    @extend_schema(
        summary="下载报表文件 Download a report file",
        parameters=[OpenApiParameter("format", str, enum=["xlsx", "csv"], description="文件格式,默认 xlsx")],
        responses={(200, "application/octet-stream"): bytes},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FileFormatNegotiation,
    )
    def download(self, request, *args, **kwargs):
        report = self.get_object()
        fmt = request.query_params.get("format", FileFormat.XLSX)
        if fmt not in FileFormat.values:
            raise serializers.ValidationError({"format": "文件格式应为 xlsx 或 csv。"})
        match = [f for f in _visible_files(report, request.user) if f.format == fmt]
        if not match:
            raise NotFound("报表尚未生成该格式的文件。")
        stored = match[0]
        # Every report download is recorded, full or masked (api/audit.py).
        audit.note(request, report_id=report.pk, full=not stored.masked)
        name = f"{report.get_kind_display()}-{report.pk}.{fmt}"
        return FileResponse(stored.file.open("rb"), as_attachment=True, filename=name)


# A roster's people filters are checked as the people list checks them: an error names the
# filter, "filters.<name>".
for _name in PersonFilterSet.base_filters:
    ReportViewSet = extend_validation_errors(["invalid"], field_name=f"filters.{_name}", actions=["create"])(
        ReportViewSet
    )


class StatsQuerySerializer(serializers.Serializer):
    within = DivisionCodeField(required=False, help_text="统计范围,默认本人管辖区划")
    as_of = serializers.DateField(required=False, help_text="统计日期,默认今天")


class GraduateOfficialStatsSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    within = serializers.CharField(allow_null=True)
    selected = serializers.IntegerField(help_text="入选总数")
    serving = serializers.IntegerField(help_text="在岗")
    finished = serializers.IntegerField(help_text="服务期满")
    moved_on = serializers.IntegerField(help_text="有序流动")
    channels = serializers.DictField(child=serializers.IntegerField(), help_text="各流动去向人数")
    promoted = serializers.IntegerField(help_text="提拔乡科级")
    on_committee = serializers.IntegerField(help_text="进入村两委")
    founders = serializers.IntegerField(help_text="创业人数")
    ventures_founded = serializers.IntegerField(help_text="创办项目数")
    key_or_postgrad_share = serializers.FloatField(allow_null=True, help_text="重点院校或研究生占比(%)")
    villages = serializers.IntegerField(help_text="行政村数")
    villages_covered = serializers.IntegerField(help_text="有在岗村官的行政村数")
    coverage = serializers.FloatField(allow_null=True, help_text="覆盖率(%)")
    median_months_before_move = serializers.FloatField(allow_null=True, help_text="流动前服务月数中位数")
    by_batch_year = serializers.DictField(child=serializers.IntegerField(), help_text="各选聘批次入选人数")


@extend_validation_errors(["invalid"], field_name="within")  # outside the account's jurisdiction
class GraduateOfficialStatsView(APIView):
    """Headline figures of the mobility report, computed on request (set-based SQL)."""

    permission_classes = [StaffPermission]
    query_serializer = StatsQuerySerializer

    @extend_schema(
        summary="大学生村官统计 Graduate-official statistics",
        parameters=[StatsQuerySerializer],
        responses=GraduateOfficialStatsSerializer,
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = scope_for(request.user)
        within = query.validated_data.get("within")
        code = within.code if within else scope.jurisdiction
        if code and not code.startswith(scope.prefix):
            raise serializers.ValidationError({"within": f"只能统计您管辖范围({scope.jurisdiction})之内的数据。"})
        as_of = query.validated_data.get("as_of") or dt.date.today()
        data = mobility_figures(as_of=as_of, within=code)
        total = data["total"]
        body = {
            "as_of": as_of,
            "within": code,
            "selected": total["selected"],
            "serving": total["serving"],
            "finished": total["finished"],
            "moved_on": total["moved_on"],
            "channels": {k[3:]: v for k, v in total.items() if k.startswith("ch_")},
            "promoted": total["promoted"],
            "on_committee": total["on_committee"],
            "founders": total["founders"],
            "ventures_founded": total["ventures_founded"],
            "key_or_postgrad_share": share(total["key_or_postgrad"], total["selected"]),
            "villages": total.get("villages", 0),
            "villages_covered": total.get("villages_covered", 0),
            "coverage": share(total.get("villages_covered", 0), total.get("villages", 0)),
            "median_months_before_move": total["median_months_before_move"],
            "by_batch_year": {str(g["batch_year"]): g["selected"] for g in data["groups"] if not g["no_year"]},
        }
        return Response(GraduateOfficialStatsSerializer(body).data)
