"""Shared fixtures. Tests run against PostgreSQL: the embedded server by default, or the
server named by DATABASE_URL (CI)."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from talent import rules
from talent.models import Division
from tests import factories


@pytest.fixture
def hunan(db):
    """A small, hand-built tree: province, city, county, township and two villages."""
    province = Division.objects.create(code="430000000000", name="湖南省", level="province")
    city = Division.objects.create(code="430100000000", name="长沙市", level="city", parent=province)
    county = Division.objects.create(code="430104000000", name="岳麓区", level="county", parent=city)
    township = Division.objects.create(code="430104100000", name="莲花镇", level="township", parent=county)
    village = Division.objects.create(
        code="430104100201", name="桐木村", level="village", parent=township, kind="village", urban_rural_class="220"
    )
    community = Division.objects.create(
        code="430104100001",
        name="莲花社区",
        level="village",
        parent=township,
        kind="community",
        urban_rural_class="121",
    )
    return {
        "province": province,
        "city": city,
        "county": county,
        "township": township,
        "village": village,
        "community": community,
    }


@pytest.fixture
def day():
    return dt.date.fromisoformat


@pytest.fixture(scope="session", autouse=True)
def _private_folders():
    """Remove the test run's own media and broker folders (registry.settings.test) at the end."""
    import os
    import shutil

    from django.conf import settings

    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    if os.environ.get("CELERY_BROKER_FOLDER", "").find("test-broker-") >= 0:
        shutil.rmtree(os.environ["CELERY_BROKER_FOLDER"], ignore_errors=True)


@pytest.fixture
def registry(db):
    """The small hand-built registry of tests/hand_registry.py (mobility figures by hand)."""
    from tests.hand_registry import hand_registry

    return hand_registry()


@pytest.fixture
def client_for(db):
    """``client_for(role, jurisdiction, personal_data=False)`` -> an APIClient with a token."""

    def make(role: str = "viewer", jurisdiction: str = "430104000000", *, personal_data: bool = False) -> APIClient:
        user = factories.user_make()
        division = Division.objects.get(code=jurisdiction)
        rules.staff_account_save(username=user.username, jurisdiction=division, role=role, personal_data=personal_data)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make
