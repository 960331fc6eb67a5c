"""Audit of personal-data reads (docs/security.md, "Who saw personal data").

Whatever builds a response notes on the request what it showed:

- every person serialized with full ID and phone numbers (``PersonSerializer`` and
  ``PersonBriefSerializer``, so people lists, searches, details, create and edit answers and
  eligibility candidates are covered wherever they appear) notes the person's id;
- a person's history with full numbers, an import's error list with full values, a report
  or roster file handed over (full or masked) note themselves.

``PersonalDataReadMiddleware`` then writes one row for the response (talent.rules
.personal_data_read_record): one INSERT, the people as an array, only when the response
succeeded. If that INSERT fails the response fails with it: nothing is shown unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from api.filtersets import PersonalDataReadFilterSet
from api.pagination import RegistryPagination
from api.permissions import StaffPermission
from api.throttling import client_address
from talent import rules
from talent.access import mask_id_number, mask_phone, scope_for
from talent.choices import StaffRole
from talent.models import PersonalDataRead

# Query parameters that may carry an ID or phone number: masked in the audit row itself.
MASKED_PARAMETERS = {"id_number": mask_id_number, "phone": mask_phone, "q": mask_id_number}


@dataclass
class Note:
    person_ids: set[int] = field(default_factory=set)
    report_id: int | None = None
    roster_import_id: int | None = None
    full: bool = False


def _http_request(request):
    """The Django request under a DRF one."""
    return getattr(request, "_request", request)


def may_see_personal_data(request) -> bool:
    scope = scope_for(getattr(request, "user", None))
    return bool(scope and scope.personal_data)


def note(
    request,
    *,
    person_ids=(),
    report_id: int | None = None,
    roster_import_id: int | None = None,
    full: bool = True,
) -> None:
    """Note on ``request`` that its response shows personal data (or hands over a file)."""
    if request is None:
        return
    http = _http_request(request)
    current = getattr(http, "_personal_data_read", None)
    if current is None:
        current = http._personal_data_read = Note()
    current.person_ids.update(int(pk) for pk in person_ids if pk is not None)
    current.report_id = report_id if report_id is not None else current.report_id
    current.roster_import_id = roster_import_id if roster_import_id is not None else current.roster_import_id
    current.full = current.full or full


def note_person_shown(context, person) -> None:
    """From a serializer: ``person`` is shown in full to the requester (if they may)."""
    request = context.get("request")
    if request is not None and person is not None and person.pk is not None and may_see_personal_data(request):
        note(request, person_ids=[person.pk])


def masked_query(query_dict) -> str:
    pairs = []
    for key, values in query_dict.lists():
        masker = MASKED_PARAMETERS.get(key)
        pairs.extend((key, masker(value) if masker and value else value) for value in values)
    return urlencode(pairs)[:500]


class PersonalDataReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        noted = getattr(request, "_personal_data_read", None)
        if noted is not None and 200 <= response.status_code < 300:
            user = getattr(request, "user", None)
            match = getattr(request, "resolver_match", None)
            rules.personal_data_read_record(
                actor=user,
                view=(match.view_name if match else "")[:60],
                method=request.method,
                path=request.path[:300],
                query=masked_query(request.GET),
                address=client_address(request),
                person_ids=sorted(noted.person_ids),
                report_id=noted.report_id,
                roster_import_id=noted.roster_import_id,
                full=noted.full,
            )
        return response


# --- The audit as a read-only resource (admins, within their jurisdiction) -------------------


class PersonalDataReadSerializer(serializers.ModelSerializer):
    person_ids = serializers.ListField(child=serializers.IntegerField(), help_text="涉及人员的 id")

    class Meta:
        model = PersonalDataRead
        fields = [
            "id",
            "at",
            "user",
            "username",
            "jurisdiction",
            "address",
            "method",
            "path",
            "query",
            "view",
            "person_ids",
            "report_id",
            "roster_import_id",
            "full",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="个人信息查阅记录(管理员) Personal-data reads (admins)",
        description=(
            "显示完整身份证号码或电话的每个响应、每次报表和花名册文件下载:谁、何时、从哪个地址、哪些人员或哪个文件。"
            "只读;管理员只能看到其管辖范围内账号的记录。Who saw full personal data, when, from where, and whose."
        ),
    ),
    retrieve=extend_schema(summary="个人信息查阅记录(管理员) A personal-data read (admins)"),
)
class PersonalDataReadViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only: nothing in the API (or the admin) changes or deletes a row, and the
    database refuses UPDATE and DELETE on the table."""

    queryset = PersonalDataRead.objects.all()
    serializer_class = PersonalDataReadSerializer
    filterset_class = PersonalDataReadFilterSet
    permission_classes = [StaffPermission]
    pagination_class = RegistryPagination
    read_role = StaffRole.ADMIN
    write_role = StaffRole.ADMIN
    cursor_ordering = ("-id",)

    def get_queryset(self):
        return PersonalDataRead.objects.visible_to(self.request.user).order_by("-id")
