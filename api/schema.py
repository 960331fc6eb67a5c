"""OpenAPI tweaks, in one place (enum names are set in settings: SPECTACULAR_SETTINGS)."""

from __future__ import annotations

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-spectacular's schema with every error response documented in the one error shape."""

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
