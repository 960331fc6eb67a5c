"""One error shape for the whole API (drf-standardized-errors):

    {"type": "validation_error", "errors": [{"code": "invalid", "detail": "…", "attr": "graduate_official.batch_year"}]}

Model validation errors and database constraint violations become 400s naming the field;
nothing reaches the client as a 500 for bad input. A database that cannot be reached (or
that gave up on the transaction: a deadlock, a serialization failure) answers 503 with
``Retry-After``, in the same shape.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.settings import api_settings

from api import throttling
from api.conditional import PreconditionFailed
from talent.rules import constraint_error

DATABASE_UNAVAILABLE = "数据库暂时不可用,请稍后重试。The database is unavailable; try again shortly."
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = DATABASE_UNAVAILABLE
    default_code = "service_unavailable"

    def __init__(self):
        super().__init__()
        self.wait = RETRY_AFTER_SECONDS  # sent as Retry-After


def django_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return exceptions.ValidationError(detail)


def is_database_unavailable(exc: BaseException) -> bool:
    """A connection that failed or broke, or a transaction the server aborted (deadlock,
    serialization failure, statement timeout, shutdown): nothing the client did wrong."""
    return isinstance(exc, (OperationalError, InterfaceError))


class RegistryExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return django_to_drf(exc)
        if isinstance(exc, IntegrityError):
            diag = getattr(getattr(exc, "__cause__", None), "diag", None)
            return django_to_drf(constraint_error(getattr(diag, "constraint_name", None)))
        if is_database_unavailable(exc):
            return DatabaseUnavailable()
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            wait = throttling.unauthenticated_wait(self.context["request"])
            if wait is not None:
                return exceptions.Throttled(wait=wait)
        return super().convert_known_exceptions(exc)

    def get_headers(self, exc: exceptions.APIException) -> dict:
        headers = super().get_headers(exc)
        if isinstance(exc, PreconditionFailed) and exc.etag:
            headers["ETag"] = exc.etag  # the current version, to read again with
        return headers

    def report_exception(self, exc, response) -> None:
        if isinstance(exc, DatabaseUnavailable):
            # Logged once as a warning (the cause is in the server's log), not as a 500.
            import logging

            logging.getLogger("api").warning("database unavailable: %r", self.exc)
            return
        super().report_exception(exc, response)
