"""OpenAPI tweaks, in one place (enum names are set in settings: SPECTACULAR_SETTINGS).

Besides the error shape of drf-standardized-errors, every operation documents:

- 503 (the database is unreachable; ``Retry-After``) and, when throttled, 429 (``Retry-After``);
- on the registry resources: the ``ETag`` of each detail response, the ``If-Match`` request
  header of PUT, PATCH and DELETE, and their 412 (stale version) and 428 (``If-Match``
  required by the server's REQUIRE_IF_MATCH) answers (api/conditional.py).
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from drf_standardized_errors.openapi_utils import get_flat_serializer_fields, get_serializer_fields_with_error_codes
from rest_framework import serializers
from rest_framework.settings import api_settings

from api.conditional import CONDITIONAL_ACTIONS
from api.pagination import RegistryPagination

ETAG_ACTIONS = {"retrieve", "create", "update", "partial_update"}


class ErrorCode412Enum(models.TextChoices):
    PRECONDITION_FAILED = "precondition_failed"


class ErrorCode428Enum(models.TextChoices):
    PRECONDITION_REQUIRED = "precondition_required"


class ErrorCode503Enum(models.TextChoices):
    SERVICE_UNAVAILABLE = "service_unavailable"


def _error_serializers(code: str, code_enum, type_enum):
    error = type(
        f"Error{code}Serializer",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=code_enum.choices),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    return type(
        f"ErrorResponse{code}Serializer",
        (serializers.Serializer,),
        {"type": serializers.ChoiceField(choices=type_enum.choices), "errors": error(many=True)},
    )


ErrorResponse412Serializer = _error_serializers("412", ErrorCode412Enum, ClientErrorEnum)
ErrorResponse428Serializer = _error_serializers("428", ErrorCode428Enum, ClientErrorEnum)
ErrorResponse503Serializer = _error_serializers("503", ErrorCode503Enum, ServerErrorEnum)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "读取记录时得到的 ETag;记录已被他人修改时返回 412,不写入。服务器要求时(REQUIRE_IF_MATCH)必填,缺少时返回 428。"
        "The ETag the record was read with: 412 and nothing written when it changed since; "
        "required (428 without it) when the server sets REQUIRE_IF_MATCH."
    ),
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=["200", "201", "412"],
    description="记录的版本(强 ETag),修改或删除时放在 If-Match 中。The record's version (a strong ETag), for If-Match.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=["429", "503"],
    description="可以重试之前等待的秒数。Seconds to wait before trying again.",
)


def is_conditional(view) -> bool:
    """Registry resources: detail responses carry an ETag and writes honour If-Match."""
    from api.viewsets import RegistryViewSet

    return isinstance(view, RegistryViewSet)


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-spectacular's schema with every error response documented in the one error shape."""

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if is_conditional(self.view):
            if self._action() in CONDITIONAL_ACTIONS:
                parameters.append(IF_MATCH)
            if self._action() in ETAG_ACTIONS | CONDITIONAL_ACTIONS:
                parameters.append(ETAG)
        parameters.append(RETRY_AFTER)
        return parameters

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in ("412", "428"):
            return (
                is_conditional(self.view)
                and self._action() in CONDITIONAL_ACTIONS
                and super()._should_add_error_response(responses, status_code)
            )
        return super()._should_add_error_response(responses, status_code)

    def _determine_fields_with_error_codes(self):
        # A request body given per media type ({"multipart/form-data": Serializer}): the
        # fields of each (drf-standardized-errors expects a single serializer).
        if self.method in ("PUT", "PATCH", "POST"):
            serializer = self.get_request_serializer()
            if isinstance(serializer, dict):
                fields = [f for one in serializer.values() for f in get_flat_serializer_fields(one)]
                return get_serializer_fields_with_error_codes(fields)
        return super()._determine_fields_with_error_codes()

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        """The 400 answers the project's own code gives, besides those of the serializer and
        filter fields (drf-standardized-errors collects those):

        - a page-numbered list: ``page`` and ``page_size`` that are not positive whole numbers;
        - a write: model validation and database constraints (talent.rules, turned into the
          API's errors by api.exceptions.django_to_drf) may refuse any field of the request,
          or the record as a whole, with the code ``invalid``;
        - a view or action with a ``query_serializer``: the errors of its fields.
        """
        extra = {name: set(codes) for name, codes in super()._get_extra_validation_errors().items()}

        def add(name: str, codes) -> None:
            extra.setdefault(name, set()).update(codes)

        if self._is_list_view() and isinstance(self._get_paginator(), RegistryPagination):
            add("page", {"invalid"})
            add("page_size", {"invalid"})
        if self.method in ("PUT", "PATCH", "POST"):
            serializer = self.get_request_serializer()
            for one in serializer.values() if isinstance(serializer, dict) else [serializer]:
                for field in get_flat_serializer_fields(one) if one is not None else []:
                    add(field.name, {"invalid"})
            if serializer is not None:
                add(api_settings.NON_FIELD_ERRORS_KEY, {"invalid"})
        query_serializer = getattr(self.view, "query_serializer", None)
        if query_serializer is not None and self.method == "GET":
            fields = get_flat_serializer_fields(force_instance(query_serializer))
            for field in get_serializer_fields_with_error_codes(fields):
                add(field.name, field.error_codes)
        return extra

    def _should_add_http404_error_response(self) -> bool:
        # A paginated list answers 404 for a cursor that is not one of its own.
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None) is not None
        return paginated or super()._should_add_http404_error_response()


class RegistryFilterExtension(DjangoFilterExtension):
    """django-filter parameters, keeping each filter's help_text as its description also when
    the filter's schema comes from ``@extend_schema_field`` (DivisionCodeFilter, AgeFilter):
    spectacular takes the description from the override alone, which has none."""

    priority = 1  # before spectacular's own extension for the same backend

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters


def list_item_attrs(result, generator, request, public):
    """Postprocessing hook: an error on an item of a list field names the item by its position
    (``rural_talent.specialties.2``), which drf-standardized-errors documents with the
    placeholder ``INDEX`` (``rural_talent.specialties.INDEX``) as if it were the literal name.
    Document such an ``attr`` as the pattern it is, ``^rural_talent\\.specialties\\.[0-9]+$``, and
    drop the discriminator of the error lists that hold one (a discriminator maps literal
    values only; the attrs stay mutually exclusive, so ``oneOf`` still picks one)."""
    import re

    placeholder = "INDEX"
    schemas = result.get("components", {}).get("schemas", {})
    patterned = set()
    for name, schema in schemas.items():
        attr = schema.get("properties", {}).get("attr", {})
        values = attr.get("enum") or []
        if len(values) == 1 and isinstance(values[0], str) and placeholder in values[0].split("."):
            parts = [("[0-9]+" if part == placeholder else re.escape(part)) for part in values[0].split(".")]
            schema["properties"]["attr"] = {
                "type": "string",
                "pattern": "^" + r"\.".join(parts) + "$",
                "description": "列表中出错的一项,以序号(从0开始)标明。The item of the list, by its position.",
            }
            patterned.add(f"#/components/schemas/{name}")
    for schema in schemas.values():
        refs = {option.get("$ref") for option in schema.get("oneOf", [])}
        if refs & patterned and schema.get("discriminator", {}).get("propertyName") == "attr":
            del schema["discriminator"]
    return result
