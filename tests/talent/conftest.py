"""Fixtures of the roster tests: uploads and reports written under a temporary MEDIA_ROOT, the
divisions of tests/talent/test_roster_support.py and an editor of the county."""

from __future__ import annotations

import pytest

from tests.talent.test_roster_support import editor, places


@pytest.fixture
def media(settings, tmp_path):
    """Files under a temporary folder (``pytestmark = pytest.mark.usefixtures("media")``)."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(db):
    return places()


@pytest.fixture
def user(world):
    return editor()
