"""Reports over the API: request (validated, within the jurisdiction), progress, visibility,
downloads with masking; and the synchronous statistics for dashboards."""

from __future__ import annotations

import openpyxl
import pytest

from talent.models import Report
from tests.api.conftest import errors_by_attr
from tests.hand_registry import AS_OF
from workers.reports import report_run

PROVINCE, YUELU, KAIFU = "430000000000", "430104000000", "430105000000"


@pytest.fixture
def built(django_capture_on_commit_callbacks):
    """Run the builder in process for a report requested through the API (the worker's job)."""

    def build(response):
        assert response.status_code == 202, response.content
        report_run(response.json()["id"])
        return Report.objects.get(pk=response.json()["id"])

    return build


def test_request_progress_and_download(registry, client_for, built):
    client = client_for("viewer", PROVINCE)
    response = client.post("/api/v1/reports/", {"kind": "mobility", "as_of": AS_OF.isoformat()}, format="json")
    body = response.json()
    assert (body["status"], body["progress"], body["params"]["within"]) == ("queued", 0, PROVINCE)
    report = built(response)
    detail = client.get(f"/api/v1/reports/{report.pk}/").json()
    assert (detail["status"], detail["progress"], detail["stale"]) == ("succeeded", 100, False)
    assert {(f["format"], f["masked"]) for f in detail["files"]} == {("xlsx", True), ("csv", True)}

    download = client.get(f"/api/v1/reports/{report.pk}/download/", {"format": "csv"})
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith("\ufeff".encode())
    assert client.get(f"/api/v1/reports/{report.pk}/download/", {"format": "pdf"}).status_code == 400


def test_stale_after_a_change(registry, client_for, built):
    client = client_for("editor", PROVINCE)
    report = built(client.post("/api/v1/reports/", {"kind": "mobility"}, format="json"))
    person = registry["officials"][1]
    client.patch(f"/api/v1/people/{person.pk}/", {"notes": "已核实"})
    assert client.get(f"/api/v1/reports/{report.pk}/").json()["stale"] is True


def test_county_staff_ask_only_about_their_county(registry, client_for, built):
    yuelu = client_for("viewer", YUELU)
    refused = yuelu.post("/api/v1/reports/", {"kind": "mobility", "within": KAIFU}, format="json")
    assert refused.status_code == 400
    assert "within" in errors_by_attr(refused)
    mine = built(yuelu.post("/api/v1/reports/", {"kind": "mobility"}, format="json"))
    theirs = built(client_for("viewer", KAIFU).post("/api/v1/reports/", {"kind": "mobility"}, format="json"))
    listed = {row["id"] for row in yuelu.get("/api/v1/reports/").json()["results"]}
    assert mine.pk in listed and theirs.pk not in listed
    assert yuelu.get(f"/api/v1/reports/{theirs.pk}/").status_code == 404
    assert yuelu.get(f"/api/v1/reports/{theirs.pk}/download/").status_code == 404
    # The province sees both.
    province = {row["id"] for row in client_for("viewer", PROVINCE).get("/api/v1/reports/").json()["results"]}
    assert {mine.pk, theirs.pk} <= province


def test_downloads_respect_masking(registry, client_for, built, tmp_path):
    officials = registry["officials"]
    allowed = client_for("viewer", PROVINCE, personal_data=True)
    report = built(
        allowed.post(
            "/api/v1/reports/",
            {"kind": "eligibility", "rule": "township-institution-post", "as_of": "2015-02-01"},
            format="json",
        )
    )

    def roster_ids(client):
        response = client.get(f"/api/v1/reports/{report.pk}/download/", {"format": "xlsx"})
        path = tmp_path / "r.xlsx"
        path.write_bytes(b"".join(response.streaming_content))
        return [row[3] for row in openpyxl.load_workbook(path)["名单"].iter_rows(min_row=2, values_only=True)]

    assert roster_ids(allowed) == [officials[1].id_number]
    masked = roster_ids(client_for("viewer", PROVINCE))
    assert masked != [officials[1].id_number] and "*" in masked[0]


def test_roster_export_uses_the_people_filters(registry, client_for, built):
    client = client_for("viewer", PROVINCE)
    bad = client.post("/api/v1/reports/", {"kind": "roster", "filters": {"group": "nobody"}}, format="json")
    assert bad.status_code == 400
    assert "filters.group" in errors_by_attr(bad)
    report = built(client.post("/api/v1/reports/", {"kind": "roster", "filters": {"group": "returnee"}}, format="json"))
    assert report.status == "succeeded", report.error
    assert report.files.get(format="csv", masked=True).rows == 1  # the one returnee


def test_statistics_for_dashboards(registry, client_for):
    response = client_for("viewer", PROVINCE).get("/api/v1/stats/graduate-officials/", {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert (body["selected"], body["serving"], body["moved_on"], body["promoted"]) == (6, 3, 3, 1)
    assert body["coverage"] == 75.0
    assert body["channels"]["civil_service"] == 1
    assert body["by_batch_year"] == {"2009": 2, "2010": 2, "2012": 1, "2014": 1}
    county = client_for("viewer", KAIFU)
    assert county.get("/api/v1/stats/graduate-officials/", {"as_of": AS_OF.isoformat()}).json()["selected"] == 2
    outside = county.get("/api/v1/stats/graduate-officials/", {"within": YUELU})
    assert outside.status_code == 400 and "within" in errors_by_attr(outside)
