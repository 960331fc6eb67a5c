"""Writes to the registry. Every write validates the model in full (the same checks the
database holds, with messages naming the field), runs in one transaction, and refuses to
place a record outside the acting account's jurisdiction. History is written by the
database triggers, with the acting user taken from the pghistory context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from talent.access import scope_for
from talent.models import Division, GraduateOfficial, Person, Returnee, RuralTalent, StaffAccount, Venture

OUTSIDE_JURISDICTION = "该记录将位于您的管辖范围({jurisdiction})之外。"
NO_STAFF_ACCOUNT = "当前用户没有工作人员账号。"
DIVISION_OUTSIDE_JURISDICTION = "只能维护您管辖范围({jurisdiction})内的区划。"

# The field whose value places a record in a division; named in the error when a write
# would put the record outside the jurisdiction.
PLACING_FIELD: dict[type[models.Model], str] = {
    Person: "home_division",
    Venture: "division",
    StaffAccount: "jurisdiction",
}
GROUP_MODELS: dict[str, type[models.Model]] = {
    "graduate_official": GraduateOfficial,
    "returnee": Returnee,
    "rural_talent": RuralTalent,
}


def _placing_field(model: type[models.Model]) -> str:
    if model in PLACING_FIELD:
        return PLACING_FIELD[model]
    field_names = {f.name for f in model._meta.get_fields()}
    return "village" if "village" in field_names else "person"


def _ensure_visible(instance: models.Model, *, actor) -> None:
    """After a write (inside its transaction): refuse when the record left the jurisdiction."""
    scope = scope_for(actor)
    if scope is None:
        raise ValidationError(NO_STAFF_ACCOUNT)
    if not scope.prefix:
        return
    model = type(instance)
    if not model._default_manager.visible_to(actor).filter(pk=instance.pk).exists():
        raise ValidationError({_placing_field(model): OUTSIDE_JURISDICTION.format(jurisdiction=scope.jurisdiction)})


def _assign(instance: models.Model, data: Mapping[str, Any]) -> None:
    many = {}
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            many[name] = value
        else:
            setattr(instance, name, value)
    instance._pending_m2m = many


def _save_m2m(instance: models.Model) -> None:
    for name, value in getattr(instance, "_pending_m2m", {}).items():
        getattr(instance, name).set(value)


@transaction.atomic
def record_save(*, instance: models.Model, data: Mapping[str, Any], actor) -> models.Model:
    """Create or update one registry record from validated data."""
    _assign(instance, data)
    instance.full_clean()
    instance.save()
    _save_m2m(instance)
    _ensure_visible(instance, actor=actor)
    return instance


@transaction.atomic
def record_delete(*, instance: models.Model, actor) -> None:
    if scope_for(actor) is None:
        raise ValidationError(NO_STAFF_ACCOUNT)
    instance.delete()


@transaction.atomic
def person_save(
    *, person: Person, data: Mapping[str, Any], groups: Mapping[str, Mapping[str, Any] | None], actor
) -> Person:
    """Create or update a person with any of their group records in one transaction.

    ``groups`` maps a group name to its fields (create or update the record) or to None
    (remove it); a group not named is left as it is.
    """
    _assign(person, data)
    errors: dict[str, Any] = {}
    try:
        person.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    records = []
    for name, values in groups.items():
        model = GROUP_MODELS[name]
        existing = model._default_manager.filter(person_id=person.pk).first() if person.pk else None
        if values is None:
            records.append((existing, None))
            continue
        record = existing or model()
        _assign(record, values)
        try:
            record.full_clean(exclude=["person"])
        except ValidationError as exc:
            # Nested field paths: "graduate_official.batch_year".
            errors.update({f"{name}.{field}": messages for field, messages in exc.message_dict.items()})
        records.append((existing, record))
    if errors:
        raise ValidationError(errors)
    person.save()
    for existing, record in records:
        if record is None:
            if existing is not None:
                existing.delete()
        else:
            record.person = person
            record.save()
    _ensure_visible(person, actor=actor)
    return person


@transaction.atomic
def division_save(*, division: Division, data: Mapping[str, Any], actor) -> Division:
    """Add or rename a division (townships and villages come from imports and the API)."""
    _assign(division, data)
    scope = scope_for(actor)
    if scope is None:
        raise ValidationError(NO_STAFF_ACCOUNT)
    if scope.prefix and not (division.code or "").startswith(scope.prefix):
        raise ValidationError({"code": DIVISION_OUTSIDE_JURISDICTION.format(jurisdiction=scope.jurisdiction)})
    division.full_clean()
    division.save()
    return division


# The field to name when the database refuses a row by constraint (a race that full_clean()
# could not see, or a write that bypassed it). Unnamed constraints report on the record.
CONSTRAINT_FIELD = {
    "division_code_digits": "code",
    "division_code_matches_level": "level",
    "division_parent_is_prefix": "parent",
    "division_kind_only_for_villages": "kind",
    "person_id_number_valid": "id_number",
    "person_id_number_birth_date": "birth_date",
    "person_id_number_gender": "gender",
    "person_party_joined_after_birth": "party_joined_on",
    "talent_person_id_number_key": "id_number",
    "term_end_not_before_start": "end",
    "term_in_village": "village",
    "term_number_unique": "term_number",
    "term_no_overlap": "start",
    "term_person_is_graduate_official": "person",
    "post_end_not_before_start": "end",
    "post_in_village": "village",
    "post_end_reason_only_when_ended": "end_reason",
    "post_one_open_per_role": "role",
    "post_no_overlap_same_role": "start",
    "assessment_unique_per_year_kind": "year",
    "training_end_not_before_start": "end",
    "venture_founder_unique": "founders",
}
CONSTRAINT_FALLBACK = "数据违反了数据库约束 {name}。"


def constraint_error(name: str | None) -> ValidationError:
    """A ValidationError naming the field and the reason for a database constraint."""
    from django.apps import apps

    message = None
    for model in apps.get_app_config("talent").get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name:
                message = str(constraint.violation_error_message)
    if name == "talent_person_id_number_key":
        message = "已有人员使用该居民身份证号码。"
    message = message or CONSTRAINT_FALLBACK.format(name=name)
    field = CONSTRAINT_FIELD.get(name or "")
    return ValidationError({field: message} if field else message)


@transaction.atomic
def staff_account_save(*, username: str, jurisdiction: Division, role: str, personal_data: bool) -> StaffAccount:
    """Create or update a staff user and its account (role, jurisdiction, personal-data right)."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    account = StaffAccount.objects.filter(user=user).first() or StaffAccount(user=user)
    account.jurisdiction = jurisdiction
    account.role = role
    account.personal_data = personal_data
    account.full_clean()
    account.save()
    return account


MERGE_DIFFERENT_LEVEL = "只能合并同级区划。"
MERGE_HAS_CHILDREN = "区划 {code} 仍有下级区划,请先合并或迁移其下级区划。"
MERGE_SAME = "不能将区划合并到其自身。"


@transaction.atomic
def division_merge(*, source: Division, target: Division, actor) -> Division:
    """Merge ``source`` into ``target`` (撤并): every record that pointed at the source points
    at the target, then the source is deleted. Only divisions without children merge."""
    from talent.models import MobilityEvent, Post, ServiceTerm

    scope = scope_for(actor)
    if scope is None:
        raise ValidationError(NO_STAFF_ACCOUNT)
    for division, field in ((source, "code"), (target, "into")):
        if scope.prefix and not division.code.startswith(scope.prefix):
            raise ValidationError({field: DIVISION_OUTSIDE_JURISDICTION.format(jurisdiction=scope.jurisdiction)})
    if source.pk == target.pk:
        raise ValidationError({"into": MERGE_SAME})
    if source.level != target.level:
        raise ValidationError({"into": MERGE_DIFFERENT_LEVEL})
    if source.children.exists():
        raise ValidationError({"code": MERGE_HAS_CHILDREN.format(code=source.code)})
    Person.objects.filter(home_division=source).update(home_division=target)
    Post.objects.filter(village=source).update(village=target)
    ServiceTerm.objects.filter(village=source).update(village=target)
    Venture.objects.filter(division=source).update(division=target)
    MobilityEvent.objects.filter(destination_division=source).update(destination_division=target)
    # The accounts one by one, saved as any change to an account is: whatever keeps an
    # account's jurisdiction hears of it (post_save).
    for account in StaffAccount.objects.filter(jurisdiction=source):
        account.jurisdiction = target
        account.save(update_fields=["jurisdiction"])
    source.delete()
    return target


def personal_data_read_record(
    *,
    actor,
    view: str,
    method: str,
    path: str,
    query: str = "",
    address: str | None,
    person_ids: list[int],
    report_id: int | None = None,
    roster_import_id: int | None = None,
    full: bool = True,
):
    """Record that a response showed personal data (or handed over a file): one row, one
    INSERT. Rows are never changed or deleted (a database trigger refuses it)."""
    from talent.models import PersonalDataRead

    scope = scope_for(actor)
    authenticated = actor is not None and actor.is_authenticated
    return PersonalDataRead.objects.create(
        user=actor if authenticated else None,
        username=actor.get_username() if authenticated else "",
        jurisdiction=(scope.jurisdiction or "") if scope else "",
        address=address or None,
        method=method,
        path=path,
        query=query,
        view=view,
        person_ids=person_ids,
        report_id=report_id,
        roster_import_id=roster_import_id,
        full=full,
    )
