"""The OpenAPI schema: valid without warnings, complete (every /api/v1/ route), with stable
operationIds and enum names, the people filters and pagination documented, and every error
response in the one error shape."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from api.filtersets import PersonFilterSet
from api.pagination import MAX_PAGE_SIZE
from talent import choices
from tests.api.processes import PROJECT_DIR, subprocess_env

RESOURCES = (
    "assessments",
    "divisions",
    "mobility_events",
    "people",
    "posts",
    "service_terms",
    "staff_accounts",
    "trainings",
    "ventures",
)
CRUD = ("list", "create", "retrieve", "update", "partial_update", "destroy", "history_list")
# Clients and the docs use these names; renaming one breaks them, so it must fail here first.
OPERATION_IDS = (
    {f"{resource}_{action}" for resource in RESOURCES for action in CRUD}
    - {"staff_accounts_create", "staff_accounts_update"}  # accounts come from create_staff
    | {"divisions_merge_create", "auth_token_create"}
)
# Enum components named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] after talent.choices.
DOMAIN_ENUMS = (
    "Level VillageKind UrbanRuralClass Gender Ethnicity PoliticalStatus Education GraduateStatus TalentCategory "
    "TitleLevel Role RoleClass PostEndReason AssessmentKind Grade TrainingMode Industry MobilityChannel CadreLevel "
    "StaffRole Group"
).split()
# Enums spectacular names itself and that need no override: BlankEnum/NullEnum for optional
# choices, and the history events' action (insert/update/delete).
BUILT_IN_ENUMS = {"BlankEnum", "NullEnum", "ActionEnum"}
PAGINATION_PARAMETERS = {"page", "page_size", "pagination", "cursor"}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    """The schema as ``manage.py spectacular --validate --fail-on-warn`` writes it, in a fresh
    process (so every warning is emitted and counted)."""
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--format",
            "openapi-json",
            "--file",
            str(path),
        ],
        cwd=PROJECT_DIR,
        env=subprocess_env(DJANGO_SETTINGS_MODULE="registry.settings.test"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"spectacular failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def operations(schema) -> dict[str, tuple[str, str, dict]]:
    """operationId -> (path, method, operation)."""
    found = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                assert operation["operationId"] not in found, f"duplicate operationId {operation['operationId']}"
                found[operation["operationId"]] = (path, method, operation)
    return found


def _api_routes() -> dict[str, set[str]]:
    """{OpenAPI path with parameters blanked: {methods}} of every route under /api/v1/,
    read from the URLconf (not from the schema generator)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    routes: dict[str, set[str]] = {}
    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "format" in route or pattern.name == "api-root":
            continue  # format-suffix twins and the browsable root are not API operations
        view = pattern.callback.cls
        actions = getattr(pattern.callback, "actions", None)
        methods = set(actions) if actions else {m for m in view.http_method_names if hasattr(view, m)}
        methods &= set(view.http_method_names) & HTTP_METHODS
        path = "/" + re.sub(r"\(\?P<\w+>[^)]*\)|<[^>]+>", "{}", route.replace("^", "").replace("$", ""))
        routes[path] = methods
    return routes


def _blank_parameters(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _resolve(schema: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if not ref:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_spectacular_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == settings.SPECTACULAR_SETTINGS["TITLE"]


def test_every_api_route_and_method_is_in_the_schema(schema):
    routes = _api_routes()
    assert len(routes) >= 20, routes  # the walk found the router's routes
    documented = {
        _blank_parameters(path): {m for m in item if m in HTTP_METHODS} for path, item in schema["paths"].items()
    }
    assert documented == routes


def test_operation_ids_are_stable(operations):
    # Every name clients use is still there, on the same operation...
    assert OPERATION_IDS <= set(operations), OPERATION_IDS - set(operations)
    # ...and every operation is named <resource>_[<action>_]<verb> after its path, so new
    # operations get predictable names too.
    for operation_id, (path, _, _) in operations.items():
        resource = path.split("/")[3].replace("-", "_")
        verbs = "list|create|retrieve|update|partial_update|destroy"
        assert re.fullmatch(rf"{resource}(_[a-z]+)*_({verbs})", operation_id), (operation_id, path)
    # Spot checks of the names the docs and the generated client use.
    assert operations["people_list"][:2] == ("/api/v1/people/", "get")
    assert operations["people_retrieve"][:2] == ("/api/v1/people/{id}/", "get")
    assert operations["people_create"][:2] == ("/api/v1/people/", "post")
    assert operations["people_history_list"][:2] == ("/api/v1/people/{id}/history/", "get")
    assert operations["posts_create"][:2] == ("/api/v1/posts/", "post")
    assert operations["divisions_retrieve"][:2] == ("/api/v1/divisions/{code}/", "get")
    assert operations["auth_token_create"][:2] == ("/api/v1/auth/token/", "post")


def test_named_enums_are_components_with_the_domain_values(schema):
    components = schema["components"]["schemas"]
    for name in DOMAIN_ENUMS:
        component = components.get(f"{name}Enum")
        assert component is not None, f"{name}Enum missing"
        assert component["enum"] == [member.value for member in getattr(choices, name)], name
    # No enum left to a name spectacular made up from a field name (or a hash): those change
    # when a field is renamed or another field gets the same name.
    enums = {name for name, component in components.items() if "enum" in component}
    unnamed = enums - set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]) - BUILT_IN_ENUMS
    assert not unnamed, f"enums without a stable name (add them to ENUM_NAME_OVERRIDES): {sorted(unnamed)}"


def _refs(prop: dict) -> set[str]:
    """Component names a property points at, directly or through allOf/oneOf/items."""
    found = {prop["$ref"].rsplit("/", 1)[-1]} if "$ref" in prop else set()
    for key in ("allOf", "oneOf"):
        for option in prop.get(key, []):
            found |= _refs(option)
    if "items" in prop:
        found |= _refs(prop["items"])
    return found


@pytest.mark.parametrize(
    ("component", "field", "enum"),
    [
        ("Person", "gender", "GenderEnum"),
        ("Person", "education", "EducationEnum"),
        ("Person", "groups", "GroupEnum"),
        ("Post", "role", "RoleEnum"),
        ("Post", "role_class", "RoleClassEnum"),
        ("PostBrief", "role_class", "RoleClassEnum"),
        ("Post", "end_reason", "PostEndReasonEnum"),
        ("Assessment", "grade", "GradeEnum"),
        ("MobilityEvent", "channel", "MobilityChannelEnum"),
        ("StaffAccount", "role", "StaffRoleEnum"),
        ("Division", "level", "LevelEnum"),
    ],
)
def test_fields_use_the_named_enums(schema, component, field, enum):
    assert enum in _refs(schema["components"]["schemas"][component]["properties"][field])


def test_people_list_documents_every_filter_and_pagination(operations):
    _, _, operation = operations["people_list"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    filters = set(PersonFilterSet.base_filters)
    assert {"within", "group", "age_min", "age_max", "role", "on", "q", "ordering"} <= filters
    assert set(parameters) == filters | PAGINATION_PARAMETERS
    for name, parameter in parameters.items():
        assert parameter["in"] == "query", name
        assert parameter.get("description"), f"people_list parameter {name} has no description"
    assert parameters["within"]["schema"]["pattern"] == r"^\d{12}$"
    assert "区划" in parameters["within"]["description"]
    assert parameters["role"]["schema"]["items"]["enum"] == sorted(choices.Role.values)
    assert parameters["role"]["explode"] is True  # ?role=a&role=b
    assert parameters["group"]["schema"]["items"]["enum"] == sorted(choices.Group.values)
    assert parameters["age_min"]["schema"]["type"] in {"integer", "number"}
    assert parameters["on"]["schema"] == {"type": "string", "format": "date"}
    assert "-birth_date" in parameters["ordering"]["schema"]["items"]["enum"]
    assert parameters["page_size"]["schema"]["maximum"] == MAX_PAGE_SIZE
    assert parameters["pagination"]["schema"]["enum"] == ["page", "cursor"]


def test_list_operations_are_paginated_without_counts(schema, operations):
    for operation_id, (path, _, operation) in operations.items():
        if not operation_id.endswith("_list") or "{" in path:
            continue  # collections only: a record's history and other detail lists are whole
        names = {p["name"] for p in operation["parameters"]}
        assert PAGINATION_PARAMETERS <= names, operation_id
        body = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
        assert set(body["properties"]) == {"next", "previous", "results"}, operation_id


def test_error_responses_are_documented_in_the_error_shape(schema, operations):
    for operation_id, (_, _, operation) in operations.items():
        responses = operation["responses"]
        # Anyone may ask for a token: no 401/403 there. A 404 is possible where a record is
        # named in the path or a list is paged by cursor; creating names no record.
        expected = {"400"} if operation_id == "auth_token_create" else {"400", "401", "403"}
        names_a_record = "{" in operations[operation_id][0]
        if names_a_record or operation_id.endswith("_list"):
            expected.add("404")
        assert expected <= set(responses), f"{operation_id} documents only {sorted(responses)}"
        for status in expected:
            body = _resolve(schema, responses[status]["content"]["application/json"]["schema"])
            if "oneOf" in body:  # 400: a validation error or a parse error
                bodies = [_resolve(schema, option) for option in body["oneOf"]]
            else:
                bodies = [body]
            for option in bodies:
                assert set(option["properties"]) == {"type", "errors"}, (operation_id, status)
                error = _resolve(schema, option["properties"]["errors"]["items"])
                if "oneOf" in error:  # one component per field
                    error = _resolve(schema, error["oneOf"][0])
                assert {"code", "detail", "attr"} <= set(error["properties"]), (operation_id, status)


def test_validation_errors_name_the_filters_and_fields(schema, operations):
    """A 400 documents which ``attr`` values it can carry: the filters of a list, the fields
    (with nested paths) of a write."""

    def attrs(operation_id: str) -> set[str]:
        response = operations[operation_id][2]["responses"]["400"]
        body = _resolve(schema, response["content"]["application/json"]["schema"])
        validation = next(
            _resolve(schema, option)
            for option in body["oneOf"]
            if "ValidationError" in option["$ref"] and "Parse" not in option["$ref"]
        )
        error = _resolve(schema, validation["properties"]["errors"]["items"])
        found = set()
        for option in error["oneOf"]:
            attr = _resolve(schema, option)["properties"]["attr"]
            found.update(attr.get("enum", []))
        return found

    assert {"within", "age_min", "role", "on"} <= attrs("people_list")
    assert {"id_number", "graduate_official.batch_year", "non_field_errors"} <= attrs("people_create")
    assert {"person", "village", "role", "start"} <= attrs("posts_create")


def test_authentication_is_documented(schema, operations):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert operations["people_list"][2]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    # Getting a token needs no credentials.
    assert operations["auth_token_create"][2]["security"] == [{}]


def test_schema_and_docs_are_public(client):
    """Documentation is public; data is not."""
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
    response = client.get("/api/v1/people/")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
