"""Requesting reports: parameters checked, the requester's jurisdiction enforced, the rule
version and a fingerprint of the data recorded. Building them is the workers' job; this module
only announces a new report (``report_requested``) once its transaction has committed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import pickle
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from talent import identity
from talent.access import Scope, scope_for
from talent.choices import JobStatus, ReportKind, StaffRole
from talent.eligibility import current_rule
from talent.models import Division, EligibilityRule, Report

SYSTEM_SCOPE = Scope(prefix="", role=StaffRole.ADMIN, personal_data=False, jurisdiction=None)

# Sent after the report's row has committed, with ``report_id``; the workers app listens.
report_requested = Signal()

NO_STAFF_ACCOUNT = "当前用户没有工作人员账号。"
WITHIN_OUTSIDE = "只能统计您管辖范围({jurisdiction})之内的数据。"
WITHIN_UNKNOWN = "区划代码 {code} 不存在。"
RULE_REQUIRED = "资格条件报表须指定规则代码。"
RULE_UNKNOWN = "资格规则 {code} 不存在。"
BAD_DATE = "日期格式应为 YYYY-MM-DD。"
BAD_YEARS = "批次年份应为整数列表。"

# Registry tables whose history tables say whether the data changed since a report was built.
FINGERPRINT_TABLES = (
    "talent_personevent",
    "talent_graduateofficialevent",
    "talent_servicetermevent",
    "talent_postevent",
    "talent_assessmentevent",
    "talent_mobilityeventevent",
    "talent_ventureevent",
    "talent_venturefounderevent",
    "talent_returneeevent",
    "talent_ruraltalentevent",
    "talent_divisionevent",
)


def data_fingerprint(rule: EligibilityRule | None = None) -> str:
    """Changes whenever registry data (or the rule) changes: every write leaves a history
    event, so the newest event id of each table is enough."""
    parts = ", ".join(f"(SELECT max(pgh_id) FROM {table})" for table in FINGERPRINT_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")  # table names are the constants above
        newest = cursor.fetchone()
    text = "|".join(str(value) for value in newest) + f"|rule={rule.pk if rule else ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def _date(value: Any, field: str) -> str:
    if value in (None, ""):
        return timezone.localdate().isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError({field: BAD_DATE}) from None


@transaction.atomic
def report_request(*, kind: str, params: Mapping[str, Any], actor, extra: Mapping[str, Any] | None = None) -> Report:
    """Record a report to build and have it built after commit.

    ``params``: ``as_of`` (default today), ``within`` (a division code inside the requester's
    jurisdiction; default the jurisdiction), ``rule`` (eligibility), ``batch_years``
    (mobility), ``horizon_days`` (eligibility, default 183). ``extra`` holds what the API
    resolved itself (the roster's people query)."""
    # No actor: a scheduled report of the whole registry, without personal data.
    scope = SYSTEM_SCOPE if actor is None else scope_for(actor)
    if scope is None:
        raise ValidationError(NO_STAFF_ACCOUNT)
    if kind not in ReportKind.values:
        raise ValidationError({"kind": f"未知的报表类型 {kind}。"})
    clean: dict[str, Any] = {"as_of": _date(params.get("as_of"), "as_of")}
    within = params.get("within") or scope.jurisdiction
    if within:
        if identity.code_level(within) is None or not Division.objects.filter(code=within).exists():
            raise ValidationError({"within": WITHIN_UNKNOWN.format(code=within)})
        if not within.startswith(scope.prefix):
            raise ValidationError({"within": WITHIN_OUTSIDE.format(jurisdiction=scope.jurisdiction)})
    clean["within"] = within
    rule = None
    if kind == ReportKind.ELIGIBILITY:
        code = params.get("rule")
        if not code:
            raise ValidationError({"rule": RULE_REQUIRED})
        rule = current_rule(code)
        if rule is None:
            raise ValidationError({"rule": RULE_UNKNOWN.format(code=code)})
        clean["rule"] = code
        clean["horizon_days"] = int(params.get("horizon_days") or 183)
    if kind == ReportKind.MOBILITY and params.get("batch_years"):
        try:
            clean["batch_years"] = sorted({int(y) for y in params["batch_years"]})
        except (TypeError, ValueError):
            raise ValidationError({"batch_years": BAD_YEARS}) from None
    if extra:
        clean.update(extra)
    report = Report.objects.create(
        kind=kind,
        params=clean,
        status=JobStatus.QUEUED,
        requested_by=actor if getattr(actor, "pk", None) else None,
        jurisdiction_id=scope.jurisdiction,
        personal_data=scope.personal_data,
        rule=rule,
        fingerprint=data_fingerprint(rule),
    )
    transaction.on_commit(lambda: report_requested.send(sender=Report, report_id=report.pk))
    return report


def report_is_stale(report: Report) -> bool:
    """True when registry data (or the rule) changed since the report's data was read."""
    return bool(report.fingerprint) and report.fingerprint != data_fingerprint(report.rule)


def queryset_dump(queryset) -> str:
    """A people query, pickled as Django documents for re-running a query later, for a roster
    report: the API resolves its filters, the worker runs exactly that query."""
    return base64.b64encode(pickle.dumps(queryset.query)).decode()


def queryset_load(model, dump: str):
    queryset = model.objects.all()
    queryset.query = pickle.loads(base64.b64decode(dump))  # written by queryset_dump only
    return queryset


SYSTEM_USERNAME = "system"


def system_account():
    """The account scheduled reports are asked for by: a staff account without personal data
    whose jurisdiction is settings.SCHEDULED_REPORTS_JURISDICTION (so that staff of that level
    see its reports). None, the whole registry, when that division is not loaded."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from talent.rules import staff_account_save

    division = Division.objects.filter(code=settings.SCHEDULED_REPORTS_JURISDICTION).first()
    if division is None:
        return None
    user, created = get_user_model().objects.get_or_create(username=SYSTEM_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    staff_account_save(username=user.username, jurisdiction=division, role=StaffRole.VIEWER, personal_data=False)
    return user
