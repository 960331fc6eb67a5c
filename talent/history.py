"""Reading the change history that the pghistory triggers write.

Each tracked model ``X`` has an event model ``XEvent`` holding a snapshot of the row per insert,
update and delete, with the context (acting user, URL) of the write. A record's history is its
events in order, each compared with the snapshot before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

# One-to-one group records shown in their person's history, under their own name.
PERSON_PARTS = ("graduate_official", "returnee", "rural_talent")
SKIP_FIELDS = {"updated_at", "created_at"}


@dataclass
class Change:
    field: str
    before: Any
    after: Any


@dataclass
class HistoryEvent:
    id: str
    action: str
    at: Any
    user: str | None
    changes: list[Change] = field(default_factory=list)


def _event_model(model: type[models.Model]) -> type[models.Model]:
    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")


def _tracked_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in SKIP_FIELDS and not f.primary_key]


def _snapshot(event, fields) -> dict[str, Any]:
    out = {}
    for f in fields:
        value = getattr(event, f.attname)
        out[f.name] = value if value is None or isinstance(value, (bool, int, str, list)) else str(value)
    return out


def _events_of(model: type[models.Model], pk, prefix: str = "") -> list[tuple[Any, HistoryEvent, int | None]]:
    event_model = _event_model(model)
    fields = _tracked_fields(model)
    rows = event_model.objects.filter(pgh_obj_id=pk).select_related("pgh_context").order_by("pgh_id")
    out = []
    previous: dict[str, Any] | None = None
    for event in rows:
        snapshot = _snapshot(event, fields)
        if event.pgh_label == "delete":
            changes = [Change(f"{prefix}{k}", v, None) for k, v in snapshot.items() if v not in (None, "", [])]
        else:
            before = previous or {}
            changes = [
                Change(f"{prefix}{k}", before.get(k), v)
                for k, v in snapshot.items()
                if before.get(k) != v and not (previous is None and v in (None, "", []))
            ]
        previous = snapshot
        if event.pgh_label == "update" and not changes:
            continue  # a save that changed nothing but the timestamps
        metadata = event.pgh_context.metadata if event.pgh_context_id else {}
        user_id = metadata.get("user")
        out.append(
            (
                event.pgh_created_at,
                HistoryEvent(
                    id=f"{model.__name__.lower()}-{event.pgh_id}", action=event.pgh_label, at=event.pgh_created_at,
                    user=None, changes=changes,
                ),
                user_id,
            )
        )  # fmt: skip
    return out


def record_history(instance: models.Model) -> list[HistoryEvent]:
    """The record's events, oldest first; a person's include their group records."""
    from talent.models import Person

    collected = _events_of(type(instance), instance.pk)
    if isinstance(instance, Person):
        for name in PERSON_PARTS:
            related = Person._meta.get_field(name).related_model
            collected += _events_of(related, instance.pk, prefix=f"{name}.")
    # Events of one transaction share a timestamp: inserts, then updates, then deletes.
    order = {"insert": 0, "update": 1, "delete": 2}
    collected.sort(key=lambda item: (item[0], order.get(item[1].action, 3)))
    user_ids = {user_id for _, _, user_id in collected if user_id is not None}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    events = []
    for _, event, user_id in collected:
        event.user = names.get(user_id, None if user_id is None else str(user_id))
        events.append(event)
    return events
