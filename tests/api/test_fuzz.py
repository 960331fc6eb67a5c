"""API fuzzing: schemathesis against the OpenAPI schema served by a live gunicorn, as an
editor within a county (with the personal-data right), every /api/v1/ operation, with valid
and invalid data: no response is a server error and every response matches the schema.

One test over a world of two counties, one subtest per operation
(``test_every_operation [GET /api/v1/people/{id}/]``), with at least 50 examples each (CI);
``FUZZ_EXAMPLES=10`` lowers it for a quick local run. Derandomized, so a run is reproducible
and its time predictable. Path parameters are drawn half the time from records that exist (so
detail operations reach their validation and conditional-write paths, not only the 404), half
the time freely. The operations fuzzed are checked against those of the schema the project
generates, so none is skipped.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from tests.api.conftest import COUNTY_A
from tests.api.processes import PROJECT_DIR

pytest_plugins = ["tests.api.live"]
pytestmark = [pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
# Hypothesis keeps what it gathers (constants of the code) in the git-ignored state folder.
set_hypothesis_home_dir(PROJECT_DIR / ".state" / "hypothesis")
CHECKS = [not_a_server_error, response_schema_conformance]
METHODS = ("get", "put", "post", "patch", "delete")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def generated_operations() -> list[str]:
    """Every /api/v1/ operation of the schema the project generates ("GET /api/v1/people/")."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        f"{method.upper()} {path}"
        for path, item in generated["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in METHODS
    )


def existing_records(world) -> dict[str, dict]:
    """Path prefix -> path parameters naming a record of 岳麓区 that exists."""
    a = world["a"]
    return {
        "/api/v1/people/{id}/": {"id": a.person.pk},
        "/api/v1/posts/{id}/": {"id": a.post.pk},
        "/api/v1/service-terms/{id}/": {"id": a.term.pk},
        "/api/v1/assessments/{id}/": {"id": a.records["assessment"].pk},
        "/api/v1/trainings/{id}/": {"id": a.records["training"].pk},
        "/api/v1/ventures/{id}/": {"id": a.venture.pk},
        "/api/v1/mobility-events/{id}/": {"id": a.mobility.pk},
        "/api/v1/divisions/{code}/": {"code": a.village.code},
        "/api/v1/eligibility-rules/{code}/": {"code": "township-institution-post"},
    }


def fuzz_operation(operation, *, base_url: str, token: str, path_parameters: dict | None) -> None:
    strategies = [operation.as_strategy(mode) for mode in MODES]
    if path_parameters is not None:
        strategies += [operation.as_strategy(mode, path_parameters=path_parameters) for mode in MODES]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(case=st.one_of(strategies))
    def fuzz(case):
        case.call_and_validate(
            base_url=base_url, headers={"Authorization": f"Token {token}"}, checks=CHECKS, timeout=30
        )

    fuzz()


def test_every_operation(transactional_db, world, client_for, live_gunicorn, subtests):
    token = Token.objects.get(user=client_for("editor", COUNTY_A, personal_data=True).user).key
    schema = schemathesis.openapi.from_url(f"{live_gunicorn.url}/api/schema/?format=json", timeout=30)
    schema.config.generation.update(deterministic=True, database="none")
    operations = {
        result.ok().label: result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/")
    }
    assert sorted(operations) == generated_operations()
    known = existing_records(world)
    for label, operation in sorted(operations.items()):
        with subtests.test(msg=label):
            path_parameters = next((ids for path, ids in known.items() if operation.path.startswith(path)), None)
            fuzz_operation(operation, base_url=live_gunicorn.url, token=token, path_parameters=path_parameters)
