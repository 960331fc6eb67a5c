"""The personal-data read audit in the Django admin: read-only, for admins, within their
jurisdiction (as ``GET /api/v1/personal-data-reads/``). Registered here, beside the API
that writes the rows (api/audit.py); the registry's own models are in talent/admin.py."""

from __future__ import annotations

from django.contrib import admin

from talent.access import scope_for
from talent.choices import StaffRole
from talent.models import PersonalDataRead


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "jurisdiction", "address", "view", "method", "path", "people", "report_id",
                    "roster_import_id", "full"]  # fmt: skip
    list_filter = ["view", "full"]
    search_fields = ["username", "path"]
    search_help_text = "按用户名或请求路径搜索;按人员查找请用 API 的 ?person= 参数。"
    date_hierarchy = "at"
    show_full_result_count = False  # an append-only table that only grows
    list_per_page = 50

    @admin.display(description="涉及人员")
    def people(self, obj) -> str:
        ids = obj.person_ids or []
        shown = ", ".join(str(pk) for pk in ids[:10])
        return f"{shown} … (共{len(ids)}人)" if len(ids) > 10 else shown

    def get_queryset(self, request):
        return PersonalDataRead.objects.visible_to(request.user)

    def _is_admin(self, request) -> bool:
        scope = scope_for(request.user)
        return scope is not None and scope.allows(StaffRole.ADMIN)

    def has_module_permission(self, request):
        return self._is_admin(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request) and super().has_view_permission(request, obj)

    # Nobody adds, changes or deletes a row here (and the database refuses UPDATE and DELETE).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
