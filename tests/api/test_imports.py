"""/api/v1/imports/: upload (dry run), commit, progress, errors, annotated copy, template;
roles, jurisdiction and masking; large files through a Celery worker."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from talent.models import Person, Post, RosterImport
from tests.api.conftest import CITY, COUNTY_A, COUNTY_B
from tests.talent.test_roster_support import csv_bytes, person_row, places

URL = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def setup(world):
    places()
    return world


def _upload(client, rows, *, kind="people", mode="create", name="花名册.csv"):
    content = csv_bytes(kind, rows)
    return client.post(URL, {"file": SimpleUploadedFile(name, content), "kind": kind, "mode": mode}, format="multipart")


def test_upload_validates_and_commit_writes(setup, client_for):
    client = client_for("editor", COUNTY_A)
    rows = [person_row(n) for n in range(1, 4)]
    response = _upload(client, rows)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "valid" and body["progress"] == 100
    assert {k: body["summary"][k] for k in ("rows", "new", "updated", "unchanged", "errors")} == {
        "rows": 3, "new": 3, "updated": 0, "unchanged": 0, "errors": 0
    }  # fmt: skip
    assert not Person.objects.filter(id_number=rows[0]["居民身份证号码"]).exists()

    response = client.post(f"{URL}{body['id']}/commit/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "committed"
    assert Person.objects.filter(id_number__in=[r["居民身份证号码"] for r in rows]).count() == 3
    assert Post.objects.filter(person__id_number=rows[0]["居民身份证号码"]).exists()
    # A second commit is refused.
    response = client.post(f"{URL}{body['id']}/commit/")
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == "该花名册已导入。"


def test_invalid_upload_cannot_be_committed(setup, client_for):
    client = client_for("editor", COUNTY_A)
    response = _upload(client, [person_row(1, 出生日期="2014.12")])
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invalid" and body["error_count"] == 1
    response = client.post(f"{URL}{body['id']}/commit/")
    assert response.status_code == 400
    assert "校验通过" in response.json()["errors"][0]["detail"]


def test_viewers_may_not_upload(setup, client_for):
    response = _upload(client_for("viewer", COUNTY_A), [person_row(1)])
    assert response.status_code == 403


def test_bad_requests(setup, client_for):
    client = client_for("editor", COUNTY_A)
    response = client.post(URL, {"kind": "people"}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "file"
    response = client.post(URL, {"file": SimpleUploadedFile("a.xls", b"x"), "kind": "people"}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "file"
    response = client.post(URL, {"file": SimpleUploadedFile("a.csv", b"x"), "kind": "nobody"}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "kind"


def test_imports_are_visible_only_within_the_jurisdiction(setup, client_for):
    uploader = client_for("editor", COUNTY_A)
    import_id = _upload(uploader, [person_row(1)]).json()["id"]
    assert client_for("viewer", COUNTY_A).get(f"{URL}{import_id}/").status_code == 200
    assert client_for("viewer", CITY).get(f"{URL}{import_id}/").status_code == 200
    sibling = client_for("editor", COUNTY_B)
    assert sibling.get(f"{URL}{import_id}/").status_code == 404
    assert sibling.get(f"{URL}{import_id}/errors/").status_code == 404
    assert sibling.post(f"{URL}{import_id}/commit/").status_code == 404
    assert sibling.get(URL).json()["results"] == []
    listed = client_for("viewer", CITY).get(URL, {"within": COUNTY_A}).json()["results"]
    assert [r["id"] for r in listed] == [import_id]


def test_errors_are_masked_without_the_personal_data_right(setup, client_for):
    uploader = client_for("editor", COUNTY_A, personal_data=True)
    bad_id = person_row(1)["居民身份证号码"][:17] + "0"
    if bad_id == person_row(1)["居民身份证号码"]:
        bad_id = bad_id[:17] + "1"
    import_id = _upload(uploader, [person_row(1, 居民身份证号码=bad_id, 联系电话="123")]).json()["id"]
    full = uploader.get(f"{URL}{import_id}/errors/").json()
    assert full["total"] == full["shown"] == 2
    values = {e["column"]: e["value"] for e in full["errors"]}
    assert values["居民身份证号码"] == bad_id
    masked = client_for("viewer", COUNTY_A).get(f"{URL}{import_id}/errors/").json()
    values = {e["column"]: e["value"] for e in masked["errors"]}
    assert values["居民身份证号码"] == bad_id[:4] + "*" * 10 + bad_id[-4:]
    assert values["联系电话"] == "***"
    error = masked["errors"][0]
    assert set(error) == {"row", "column", "field", "value", "code", "message"} and error["row"] == 2


def test_annotated_download(setup, client_for):
    uploader = client_for("editor", COUNTY_A)
    rows = [person_row(1), person_row(2, 学历="大学")]
    import_id = _upload(uploader, rows).json()["id"]
    response = uploader.get(f"{URL}{import_id}/annotated/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    commented = [c.coordinate for row in sheet.iter_rows() for c in row if c.comment]
    column = list(rows[0]).index("学历")
    assert commented == [f"{chr(ord('A') + column)}3"]
    # A copy of the upload carries personal data: not for colleagues without the right.
    assert client_for("viewer", COUNTY_A).get(f"{URL}{import_id}/annotated/").status_code == 403
    assert client_for("viewer", COUNTY_A, personal_data=True).get(f"{URL}{import_id}/annotated/").status_code == 200
    clean_id = _upload(uploader, [person_row(3)]).json()["id"]
    assert uploader.get(f"{URL}{clean_id}/annotated/").status_code == 404


def test_template_download(setup, client_for):
    client = client_for("viewer", COUNTY_A)
    response = client.get(f"{URL}template/", {"kind": "service_terms"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.worksheets[0][1]][:3] == ["姓名", "居民身份证号码", "服务村(社区)代码"]
    assert workbook.worksheets[1].title == "填写说明"
    assert client.get(f"{URL}template/", {"kind": "x"}).status_code == 400


def test_large_files_go_to_a_worker(setup, client_for, settings, django_capture_on_commit_callbacks):
    """Over ROSTER_IMPORT_SYNC_ROWS the upload answers 202 and a Celery task validates it
    (run eagerly here; tests/workers run a real worker); commit likewise."""
    import workers.import_tasks  # noqa: F401  (connects the hand-over to Celery)

    settings.ROSTER_IMPORT_SYNC_ROWS = 2
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from registry.celery import app

    app.conf.task_always_eager = True
    try:
        client = client_for("editor", COUNTY_A)
        rows = [person_row(n) for n in range(1, 6)]
        with django_capture_on_commit_callbacks(execute=True):
            response = _upload(client, rows)
        assert response.status_code == 202
        import_id = response.json()["id"]
        body = client.get(f"{URL}{import_id}/").json()
        assert body["status"] == "valid" and body["progress"] == 100 and body["summary"]["rows"] == 5
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{URL}{import_id}/commit/")
        assert response.status_code == 202
        assert RosterImport.objects.get(pk=import_id).status == "committed"
        assert Person.objects.filter(id_number__in=[r["居民身份证号码"] for r in rows]).count() == 5
    finally:
        app.conf.task_always_eager = False
