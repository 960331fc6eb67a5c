"""Every model field users filter on has a filter (STYLE habit 4; after NetBox's
``utilities/testing/filtersets.py`` ``test_missing_filters``).

A field is covered by a filter of the same name, or by a declared filter whose ``field_name``
is the field (``birth_date_after`` on ``birth_date``, ``batch_year`` on
``graduate_official__batch_year``), or by an alias listed in ALIASES (method filters, whose
``field_name`` is their own name). Anything else must be on its FilterSet's NOT_FILTERABLE
list, with the reason. So a field added to a model without a filter fails here, and so does
a stale entry on either list.
"""

from __future__ import annotations

import django_filters
import pytest
from django.db import models

from api import filtersets
from api.imports import RosterImportFilterSet
from api.urls import router
from talent.models import GraduateOfficial, Returnee, RuralTalent

# Group records are part of the person resource: their fields are the person's, reached
# through the one-to-one relation ("graduate_official__batch_year").
EMBEDDED = {
    filtersets.PersonFilterSet: {
        "graduate_official": GraduateOfficial,
        "returnee": Returnee,
        "rural_talent": RuralTalent,
    }
}

# Field path -> the filter that covers it under another name.
ALIASES: dict[type[django_filters.FilterSet], dict[str, str]] = {
    filtersets.PersonFilterSet: {"rural_talent__specialties": "specialty"},
    filtersets.StaffAccountFilterSet: {"user": "username"},
    filtersets.ReportFilterSet: {"jurisdiction": "within"},
    filtersets.PersonalDataReadFilterSet: {"person_ids": "person"},
    RosterImportFilterSet: {"jurisdiction": "within"},
}

# Field path -> why no filter.
NOT_FILTERABLE: dict[type[django_filters.FilterSet], dict[str, str]] = {
    filtersets.DivisionFilterSet: {},
    filtersets.PersonFilterSet: {
        "notes": "free-text remarks, possibly sensitive; not a search key",
        "graduate_official__selected_on": "batch_year is the selection year that reports use",
        "returnee__previous_occupation": "free text",
        "rural_talent__operation_scale": "free text (\u201c养猪500头\u201d)",
    },
    filtersets.PostFilterSet: {"period": "generated from start and end; active_on filters it"},
    filtersets.ServiceTermFilterSet: {"period": "generated from start and end; active_on filters it"},
    filtersets.AssessmentFilterSet: {},
    filtersets.TrainingFilterSet: {},
    filtersets.VentureFilterSet: {},
    filtersets.MobilityEventFilterSet: {},
    filtersets.StaffAccountFilterSet: {},
    RosterImportFilterSet: {
        "file": "the uploaded file itself",
        "original_name": "free text of the uploader",
        "summary": "JSON counts of the validation",
        "errors": "JSON list of the errors",
        "annotated_file": "a file",
        "progress": "changes while the import runs",
        "stage": "free text of the worker",
        "validated_at": "created_after/created_before cover the dates of an import",
        "committed_at": "created_after/created_before cover the dates of an import",
    },
    filtersets.PersonalDataReadFilterSet: {
        "method": "GET nearly always; view names the endpoint",
        "path": "the record's URL; view, person, report and roster_import name what was read",
        "query": "free text (masked query string), shown for context",
    },
    filtersets.ReportFilterSet: {
        "params": "JSON parameters; kind, rule and dates cover what is asked of them",
        "progress": "changes while the report is built",
        "stage": "free text of the builder",
        "personal_data": "a property of the requester, shown, not searched",
        "fingerprint": "a hash, compared by the stale flag",
        "error": "free text",
        "attempts": "operational detail",
        "started_at": "created_after/created_before cover the dates of a report",
        "finished_at": "created_after/created_before cover the dates of a report",
    },
}


def model_field_paths(filterset: type[django_filters.FilterSet]) -> dict[str, models.Field]:
    """The fields a FilterSet answers for: the model's concrete and many-to-many fields
    (an automatic primary key aside), and those of its embedded group records."""
    model = filterset._meta.model
    paths = {
        f.name: f
        for f in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if not (f.primary_key and isinstance(f, models.AutoField))
    }
    for relation, related in EMBEDDED.get(filterset, {}).items():
        for f in related._meta.concrete_fields:
            if not f.primary_key:
                paths[f"{relation}__{f.name}"] = f
    return paths


def _targets(f: django_filters.Filter) -> set[str]:
    name = f.field_name or ""
    return {name, name.removesuffix("_id")}


def missing_filters(filterset: type[django_filters.FilterSet], filters: dict | None = None) -> list[str]:
    filters = filterset.base_filters if filters is None else filters
    aliases = ALIASES.get(filterset, {})
    ignored = NOT_FILTERABLE[filterset]
    targeted = set().union(*(_targets(f) for f in filters.values()))
    missing = []
    for path in model_field_paths(filterset):
        if path in ignored:
            continue
        if path in filters or path in targeted or aliases.get(path) in filters:
            continue
        missing.append(path)
    return missing


FILTERSETS = list(NOT_FILTERABLE)


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda f: f.__name__)
def test_every_model_field_has_a_filter(filterset):
    assert missing_filters(filterset) == [], (
        f"{filterset.__name__}: add a filter to api/filtersets.py, or list the field in NOT_FILTERABLE with the reason"
    )


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda f: f.__name__)
def test_the_lists_are_not_stale(filterset):
    paths = model_field_paths(filterset)
    filters = filterset.base_filters
    for path, alias in ALIASES.get(filterset, {}).items():
        assert path in paths, f"ALIASES names {path}, which is not a field"
        assert alias in filters, f"ALIASES names the filter {alias}, which does not exist"
    targeted = set().union(*(_targets(f) for f in filters.values()))
    for path in NOT_FILTERABLE[filterset]:
        assert path in paths, f"NOT_FILTERABLE names {path}, which is not a field"
        assert path not in filters and path not in targeted, f"{path} has a filter: take it off NOT_FILTERABLE"


# Routed resources deliberately without a FilterSet, with the reason.
NO_FILTERSET = {
    "eligibility-rules": "a handful of versioned rules keyed by code, listed whole; not placed in a division",
}


def test_every_resource_has_its_filterset():
    """Each routed resource has a FilterSet of its own model, and it is checked above."""
    seen = set()
    for prefix, viewset, _basename in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        if prefix in NO_FILTERSET:
            assert filterset is None, f"{prefix} has a FilterSet now: take it off NO_FILTERSET and check it here"
            continue
        assert filterset is not None, f"{viewset.__name__} has no filterset_class"
        assert filterset._meta.model is viewset.queryset.model, viewset.__name__
        assert filterset in NOT_FILTERABLE, f"{filterset.__name__} is not checked by this module"
        assert "within" in filterset.base_filters, f"{filterset.__name__} has no within filter"
        seen.add(filterset)
    assert seen == set(FILTERSETS)


def test_a_field_without_a_filter_is_reported():
    """The check itself: drop the gender and birth-date filters and it names both fields."""
    filters = {
        name: f
        for name, f in filtersets.PersonFilterSet.base_filters.items()
        if name not in ("gender", "birth_date_after", "birth_date_before")
    }
    assert missing_filters(filtersets.PersonFilterSet, filters) == ["gender", "birth_date"]
