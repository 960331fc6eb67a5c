"""Roles: viewer reads; editor writes registry data; admin also manages divisions, rules and
accounts. No credentials: 401. A user without a staff account, or with too low a role: 403."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from talent.access import scope_for
from talent.choices import StaffRole


class StaffPermission(BasePermission):
    message = "您的账号没有执行此操作的权限。"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        scope = scope_for(request.user)
        if scope is None:
            self.message = "当前用户没有工作人员账号。"
            return False
        if request.method in SAFE_METHODS:
            return scope.allows(getattr(view, "read_role", StaffRole.VIEWER))
        return scope.allows(getattr(view, "write_role", StaffRole.EDITOR))
