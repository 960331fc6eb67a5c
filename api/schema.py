"""OpenAPI tweaks, in one place (enum names are set in settings: SPECTACULAR_SETTINGS)."""

from __future__ import annotations

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-spectacular's schema with every error response documented in the one error shape."""
