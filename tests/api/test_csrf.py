"""CSRF for session authentication: the admin's browser session may use the API, but a write
without the CSRF token is refused (token requests carry no cookie and need none)."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.api.conftest import COUNTY_A


def test_session_authenticated_writes_need_the_csrf_token(world, client_for):
    """Token requests carry no cookie and need no CSRF token; a browser session (the admin's
    cookie) must send one, or the write is refused."""
    staff = client_for("editor", COUNTY_A).user
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(staff)
    url = f"/api/v1/people/{world['a'].other.pk}/"
    refused = browser.patch(url, {"notes": "跨站请求"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"][0]["detail"]
    assert browser.get(url).status_code == 200  # reading needs no token
    assert browser.get("/admin/").status_code == 200  # a page with a form sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    allowed = browser.patch(url, {"notes": "本人修改"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200, allowed.json()
