"""Eligibility rules and their candidates: serializers and the viewset (one module per
resource). The decisions are talent.eligibility's; this module only shapes them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api import filtersets, kept
from api.exceptions import django_to_drf
from api.pagination import RegistryPagination
from api.permissions import StaffPermission
from api.serializers import FieldsBuiltOnce, PersonBriefSerializer
from talent import eligibility
from talent.access import scope_for
from talent.choices import Criterion, StaffRole
from talent.models import EligibilityRule, Person

MAX_HORIZON_DAYS = 3660


class EligibilityRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = EligibilityRule
        # The rule's own fields are the ones a new version copies (talent.eligibility).
        fields = ["code", "version", *eligibility.RULE_FIELDS, "created_at"]
        read_only_fields = ["version", "created_at"]
        validators = []

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError("规则代码不能修改。")
        if self.instance is None and EligibilityRule.objects.filter(code=value).exists():
            raise serializers.ValidationError("该规则代码已存在。")
        return value

    def _save(self, code, data):
        try:
            return eligibility.rule_save(code=code, data=data, actor=self.context["request"].user)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc

    def create(self, validated_data):
        return self._save(None, validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("code", None)
        return self._save(instance.code, validated_data)


class CriterionSerializer(serializers.Serializer):
    criterion = serializers.ChoiceField(choices=Criterion.choices, help_text="条件")
    label = serializers.CharField(help_text="条件名称")
    met = serializers.BooleanField(help_text="是否满足")
    met_on = serializers.DateField(allow_null=True, help_text="满足的日期(按现有数据)")
    value = serializers.CharField(help_text="实际情况,如“6年2个月(2,253天)”")
    required = serializers.CharField(help_text="要求")
    shortfall = serializers.CharField(allow_null=True, help_text="差距,如“还差4个月(122天)”")
    days = serializers.IntegerField(allow_null=True, help_text="服务天数(年限条件)")
    required_days = serializers.IntegerField(allow_null=True, help_text="所需天数(年限条件)")

    def to_representation(self, result: eligibility.CriterionResult) -> dict:
        """The fields above describe the shape (and the schema); a ``CriterionResult`` holds
        plain values already, written out directly: through DRF's field machinery, 7 criteria
        × 50 candidates cost a page more than its queries. tests/api/test_eligibility_api.py
        checks this equals DRF's own rendering."""
        return {
            "criterion": str(result.criterion),
            "label": str(result.label),
            "met": bool(result.met),
            "met_on": result.met_on.isoformat() if result.met_on is not None else None,
            "value": str(result.value),
            "required": str(result.required),
            "shortfall": str(result.shortfall) if result.shortfall is not None else None,
            "days": int(result.days) if result.days is not None else None,
            "required_days": int(result.required_days) if result.required_days is not None else None,
        }


class CandidateSerializer(FieldsBuiltOnce, serializers.Serializer):
    person = PersonBriefSerializer()
    eligible = serializers.BooleanField(help_text="在 as_of 当日是否符合")
    eligible_on = serializers.DateField(
        allow_null=True, help_text="符合全部条件的首日(按现有数据);即将符合时为预计日期"
    )
    criteria = CriterionSerializer(many=True)

    def to_representation(self, row: eligibility.Candidate) -> dict:
        """Written directly, as CriterionSerializer's are (the person through its own
        serializer); tests/api/test_eligibility_api.py checks this equals DRF's rendering."""
        criterion = self.fields["criteria"].child
        return {
            "person": self.fields["person"].to_representation(row.person),
            "eligible": bool(row.eligible),
            "eligible_on": row.eligible_on.isoformat() if row.eligible_on is not None else None,
            "criteria": [criterion.to_representation(result) for result in row.criteria],
        }


class RuleEvaluationSerializer(serializers.Serializer):
    rule = serializers.CharField(source="rule.code", help_text="规则代码")
    version = serializers.IntegerField(source="rule.version", help_text="规则版本")
    name = serializers.CharField(source="rule.name")
    as_of = serializers.DateField()
    eligible = serializers.BooleanField()
    eligible_on = serializers.DateField(allow_null=True)
    criteria = CriterionSerializer(many=True)


class CandidateQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="评估日期,默认今天")
    status = serializers.ChoiceField(
        choices=eligibility.CANDIDATE_STATUSES, default="eligible", help_text="符合/即将符合/不符合"
    )
    horizon_days = serializers.IntegerField(
        min_value=1, max_value=MAX_HORIZON_DAYS, default=180, help_text="即将符合的期限(天)"
    )


CANDIDATE_PARAMETERS = [
    OpenApiParameter("as_of", dt.date, description="评估日期(默认今天)。As-of date."),
    OpenApiParameter(
        "status",
        str,
        enum=list(eligibility.CANDIDATE_STATUSES),
        description="eligible:当日符合;upcoming:期限内将符合;not_eligible:不符合及差距",
    ),
    OpenApiParameter("horizon_days", int, description="upcoming 的期限(天),默认180"),
]


@extend_schema_view(
    list=extend_schema(summary="资格规则列表(现行版本) List rules"),
    retrieve=extend_schema(summary="资格规则 Read a rule"),
    create=extend_schema(summary="新增资格规则(管理员) Add a rule"),
    update=extend_schema(summary="修改资格规则:生成新版本(管理员) Edit a rule (new version)"),
    partial_update=extend_schema(summary="修改资格规则:生成新版本(管理员) Edit a rule (new version)"),
)
class EligibilityRuleViewSet(viewsets.ModelViewSet):
    """Rules are keyed by code; editing one adds a version. Candidates are people within the
    account's jurisdiction, with the people filters."""

    queryset = EligibilityRule.objects.filter(is_current=True).order_by("code")
    serializer_class = EligibilityRuleSerializer
    permission_classes = [StaffPermission]
    pagination_class = RegistryPagination
    filterset_class = None
    lookup_field = "code"
    lookup_value_regex = r"[a-z0-9][a-z0-9-]*"
    write_role = StaffRole.ADMIN
    cursor_ordering = ("code",)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    query_serializer = None  # the candidates' (their errors are documented)

    @transaction.atomic
    def perform_update(self, serializer):
        serializer.save()

    @extend_schema(summary="规则的全部版本 All versions of a rule", responses=EligibilityRuleSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, *args, **kwargs):
        rule = self.get_object()
        versions = EligibilityRule.objects.filter(code=rule.code).order_by("-version")
        return Response(EligibilityRuleSerializer(versions, many=True).data)

    @extend_schema(
        summary="符合条件的人员 Candidates",
        description=(
            "在 as_of 当日符合规则全部条件的人员(status=eligible),期限内将符合的人员(upcoming),"
            "或不符合的人员及每项差距(not_eligible)。可与人员列表的全部筛选条件同用。"
        ),
        parameters=CANDIDATE_PARAMETERS,
        responses=CandidateSerializer(many=True),
        filters=True,
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=filtersets.PersonFilterSet,
        queryset=Person.objects.all(),
        lookup_field="code",
        query_serializer=CandidateQuerySerializer,
        cursor_ordering=("id",),  # people, not rules
    )
    def candidates(self, request, *args, **kwargs):
        rule = kept.current_rule(kwargs["code"], request)
        if rule is None:
            raise NotFound()
        query = CandidateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or dt.date.today()
        status = query.validated_data["status"]
        people = Person.objects.all()
        if not filtersets.within_implies_scope(self.filterset_class, request.query_params, scope_for(request.user)):
            people = people.visible_to(request.user)  # else the within filter's condition implies it
        selected = eligibility.candidates(
            rule,
            status=status,
            as_of=as_of,
            horizon_days=query.validated_data["horizon_days"],
            people=self.filter_queryset(people),
            fields=PersonBriefSerializer.Meta.fields,  # the page's people as the brief shows them
        )
        page = self.paginate_queryset(selected)
        rows = eligibility.candidates_explain(rule, page, status=status, as_of=as_of)
        data = CandidateSerializer(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def get_queryset(self):
        if self.action == "candidates":
            return Person.objects.visible_to(self.request.user)
        return super().get_queryset()


class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="评估日期,默认今天")


def person_evaluations(person: Person, *, as_of: dt.date) -> list[eligibility.Evaluation]:
    """Every active rule, explained for one person."""
    rules = EligibilityRule.objects.filter(is_current=True, active=True).order_by("code")
    return [eligibility.rule_evaluate(rule, as_of=as_of, person_ids=[person.pk])[person.pk] for rule in rules]
