"""One error shape for the whole API (drf-standardized-errors):

    {"type": "validation_error", "errors": [{"code": "invalid", "detail": "…", "attr": "graduate_official.batch_year"}]}

Model validation errors and database constraint violations become 400s naming the field;
nothing reaches the client as a 500 for bad input.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.settings import api_settings

from talent.rules import constraint_error


def django_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return exceptions.ValidationError(detail)


class RegistryExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return django_to_drf(exc)
        if isinstance(exc, IntegrityError):
            diag = getattr(getattr(exc, "__cause__", None), "diag", None)
            return django_to_drf(constraint_error(getattr(diag, "constraint_name", None)))
        return super().convert_known_exceptions(exc)
