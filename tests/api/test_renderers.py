"""api.renderers.JSONRenderer writes what DRF's JSONRenderer writes, byte for byte: for the
API's own responses (pages, details, explanations, errors, reports) and for every kind of value
DRF's encoder knows; indented output and values orjson refuses are DRF's own rendering."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONRenderer
from talent.choices import Role
from tests.api.conftest import COUNTY_A

DRF = renderers.JSONRenderer()
OURS = JSONRenderer()


def test_it_is_the_api_renderer():
    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer


VALUES = {
    "text": '张三 village 村 "quoted" \\ back\nline\ttab \x01 control',
    "separators": "a\u2028b\u2029c",
    "emoji": "🌾",
    "numbers": [0, -1, 2**63 - 1, -(2**63), 1.5, 0.1, 0.0001, 123456789.125, 1e15 + 0.5, -0.0, True, False, None],
    "aware": dt.datetime(2015, 6, 30, 8, 1, 2, 345678, tzinfo=dt.UTC),
    "shanghai": timezone.make_aware(dt.datetime(2015, 6, 30, 16, 1, 2), timezone.get_fixed_timezone(480)),
    "naive": dt.datetime(2015, 6, 30, 8, 1, 2, 999),
    "date": dt.date(2015, 6, 30),
    "time": dt.time(8, 1, 2, 5000),
    "timedelta": dt.timedelta(days=3, seconds=7),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Invalid token."),
    "error": ErrorDetail("这个字段是必填项。", code="required"),
    "choice": Role.PARTY_SECRETARY,
    "int keys": {1: "a", 2: "b"},
    "nested": ReturnDict({"a": ReturnList([1, {"b": (2, 3)}], serializer=None)}, serializer=None),
    "set": {7},
    "generator": (i for i in range(3)),
    "bytes": b"raw",
    "empty": {},
}


@pytest.mark.parametrize("key", list(VALUES))
def test_each_kind_of_value_as_drf_writes_it(key):
    value = VALUES[key]
    if key == "generator":  # consumed by the first rendering
        assert OURS.render({key: (i for i in range(3))}) == DRF.render({key: (i for i in range(3))})
        return
    if key == "set":
        assert OURS.render({key: value}) == DRF.render({key: value}) == b'{"set":[7]}'
        return
    assert OURS.render({key: value}) == DRF.render({key: value})
    assert OURS.render([value]) == DRF.render([value])


def test_all_of_them_at_once_and_the_separators_escaped():
    values = {k: v for k, v in VALUES.items() if k != "generator"}
    out = OURS.render(values)
    assert out == DRF.render(values)
    assert b"a\\u2028b\\u2029c" in out
    assert OURS.render(None) == b"" == DRF.render(None)


def test_what_orjson_refuses_drf_writes():
    # Beyond 64 bits: DRF's rendering (Python's integers have no limit).
    huge = {"n": 2**70, "m": -(2**64)}
    assert OURS.render(huge) == DRF.render(huge) == b'{"n":1180591620717411303424,"m":-18446744073709551616}'
    # A value neither knows fails as DRF fails.
    with pytest.raises(TypeError):
        DRF.render({"x": object()})
    with pytest.raises(TypeError):
        OURS.render({"x": object()})


def test_indented_output_is_drfs():
    context = {"indent": 4}
    data = {"a": [1, {"b": "村"}]}
    assert OURS.render(data, "application/json", context) == DRF.render(data, "application/json", context)
    accepted = "application/json; indent=2"
    pretty = '{\n  "a": [\n    1,\n    {\n      "b": "村"\n    }\n  ]\n}'.encode()
    assert OURS.render(data, accepted, {}) == DRF.render(data, accepted, {}) == pretty


def test_floats_in_exponent_form_are_the_same_numbers():
    """The one difference in form: a very small float. Python writes its exponent with two
    digits at least (1e-05, 2.5e-09), orjson with one, or none (0.00001, 2.5e-9). Both are
    JSON, and the same number. Nothing the API returns is that small."""
    values = [1e-5, 2.5e-9, 1e16, -3e100, 1.7976931348623157e308, 5e-324]
    assert OURS.render(values) == b"[0.00001,2.5e-9,1e+16,-3e+100,1.7976931348623157e+308,5e-324]"
    assert DRF.render(values) == b"[1e-05,2.5e-09,1e+16,-3e+100,1.7976931348623157e+308,5e-324]"
    assert json.loads(OURS.render(values)) == json.loads(DRF.render(values)) == values


def test_nan_is_null_where_drf_fails():
    with pytest.raises(ValueError):
        DRF.render({"x": float("nan")})
    assert OURS.render({"x": float("nan"), "y": float("inf")}) == b'{"x":null,"y":null}'


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/people/",
        "/api/v1/people/?within=430104000000&group=graduate_official",
        "/api/v1/eligibility-rules/",
        "/api/v1/eligibility-rules/township-institution-post/candidates/?as_of=2016-08-01&status=not_eligible",
        "/api/v1/people/?birth_date_after=not-a-date",
        "/api/v1/people/999999999/",
        "/api/v1/stats/graduate-officials/",
        "/api/v1/stats/graduate-officials/?within=430104000000&as_of=2014-01-01",
    ],
)
def test_the_apis_responses_are_drfs_bytes(world, client_for, path):
    client = client_for("viewer", COUNTY_A, personal_data=True)
    response = client.get(path)
    assert response.status_code in (200, 400, 404), response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.content == DRF.render(response.data)


def test_a_person_in_full_and_their_eligibility(world, client_for):
    client = client_for("viewer", COUNTY_A, personal_data=True)
    person = world["a"].person
    for path in (f"/api/v1/people/{person.pk}/", f"/api/v1/people/{person.pk}/eligibility/?as_of=2016-08-01"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        assert response.content == DRF.render(response.data)
        assert ("张" if path.endswith("/") else "大学生村官") in response.content.decode()  # UTF-8, not escapes
