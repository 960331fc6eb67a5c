"""Building reports (in process): files, sheets, charts, masking, failure, re-runs."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from talent import rules
from talent.choices import JobStatus
from talent.models import Division, Report, ReportFile
from talent.reporting import report_request
from tests.factories import user_make
from tests.hand_registry import AS_OF
from workers import reports as runner
from workers.reports import ReportError, report_run


def staff(jurisdiction="430000000000", *, personal_data=False, role="viewer"):
    user = user_make()
    rules.staff_account_save(
        username=user.username,
        jurisdiction=Division.objects.get(code=jurisdiction),
        role=role,
        personal_data=personal_data,
    )
    return user


def files_of(report) -> dict[tuple[str, bool], ReportFile]:
    return {(f.format, f.masked): f for f in report.files.all()}


def test_mobility_report_files(registry):
    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=staff())
    report_run(report.pk)
    report.refresh_from_db()
    assert (report.status, report.progress, report.attempts) == (JobStatus.SUCCEEDED, 100, 1)
    assert report.fingerprint
    files = files_of(report)
    assert set(files) == {("xlsx", True), ("csv", True)}  # no personal-data right: masked only

    workbook = openpyxl.load_workbook(files[("xlsx", True)].file.path)
    assert workbook.sheetnames == ["汇总", "流动去向", "按选聘批次", "按市县", "流向转移表"]
    summary = workbook["汇总"]
    assert summary.freeze_panes == "A2"
    assert [c.value for c in summary[1]] == ["指标", "数值"]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert values["大学生村官入选总数"] == 6
    assert values["行政村覆盖率(%)"] == 75.0
    assert values["提拔为乡科级领导干部"] == 1
    years = [row[0] for row in workbook["按选聘批次"].iter_rows(min_row=2, values_only=True)]
    assert years == [2009, 2010, 2012, 2014]
    assert summary.column_dimensions["A"].width >= 20  # widths follow the Chinese labels
    with zipfile.ZipFile(files[("xlsx", True)].file.path) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 2  # the channel pie and the batch trend

    raw = files[("csv", True)].file.read()
    assert raw.startswith("\ufeff".encode())  # BOM: Excel shows the Chinese
    text = raw.decode("utf-8-sig")
    assert "【汇总】" in text and "大学生村官入选总数,6" in text
    assert files[("csv", True)].rows == files[("xlsx", True)].rows > 0


def test_eligibility_report_counts_and_roster(registry):
    officials = registry["officials"]
    report = report_request(
        kind="eligibility",
        params={"as_of": "2015-02-01", "rule": "township-institution-post"},
        actor=staff(personal_data=True),
    )
    assert report.rule.code == "township-institution-post" and report.rule.version == 1
    report_run(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.SUCCEEDED, report.error
    files = files_of(report)
    assert set(files) == {("xlsx", True), ("csv", True), ("xlsx", False), ("csv", False)}
    full = openpyxl.load_workbook(files[("xlsx", False)].file.path)
    regions = {row[0]: row[1:] for row in full["按地区"].iter_rows(min_row=2, values_only=True)}
    # 一号 (岳麓区): deputy three years by 2014-12-31, six years' service on 2015-07-31, 180 days on.
    assert regions["岳麓区"][:3] == (0, 1, 1)
    roster = list(full["名单"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5]) for r in roster] == [("一号", "即将符合")]
    assert roster[0][3] == officials[1].id_number
    assert roster[0][6].date() == dt.date(2015, 7, 31)
    masked = openpyxl.load_workbook(files[("xlsx", True)].file.path)
    masked_row = next(masked["名单"].iter_rows(min_row=2, values_only=True))
    assert masked_row[3] != officials[1].id_number and "*" in masked_row[3]


def test_a_report_already_done_is_left_alone(registry):
    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=staff())
    report_run(report.pk)
    first = sorted(f.file.name for f in Report.objects.get(pk=report.pk).files.all())
    report_run(report.pk)  # a redelivered message
    report.refresh_from_db()
    assert report.attempts == 1
    assert sorted(f.file.name for f in report.files.all()) == first


def test_a_rerun_after_a_dead_attempt_keeps_one_set_of_files(registry, django_capture_on_commit_callbacks):
    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=staff())
    # An attempt that died after claiming the report: running, attempts 1, no files.
    runner.report_claim(report.pk)
    report_run(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts, report.files.count()) == (JobStatus.SUCCEEDED, 2, 2)
    # Forced to run again (status reset by hand): the files are replaced, never added.
    old = {f.file.name for f in report.files.all()}
    Report.objects.filter(pk=report.pk).update(status=JobStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):  # the old files go after commit
        report_run(report.pk)
    report.refresh_from_db()
    assert report.files.count() == 2
    new = {f.file.name for f in report.files.all()}
    assert old.isdisjoint(new)
    from django.core.files.storage import default_storage

    assert not any(default_storage.exists(name) for name in old)  # the replaced files are gone


def test_a_failing_builder_marks_the_report_failed(registry, monkeypatch):
    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=staff())

    def broken(report, progress):
        progress(30, "统计")
        raise ReportError("统计范围内没有数据。")

    monkeypatch.setitem(runner.BUILDERS, "mobility", broken)
    with pytest.raises(ReportError):
        report_run(report.pk)
    report.refresh_from_db()
    assert (report.status, report.error, report.files.count()) == (JobStatus.FAILED, "统计范围内没有数据。", 0)


def test_request_checks_parameters_and_jurisdiction(registry):
    from django.core.exceptions import ValidationError

    county = staff("430104000000")
    with pytest.raises(ValidationError) as outside:
        report_request(kind="mobility", params={"within": "430105000000"}, actor=county)
    assert "within" in outside.value.message_dict
    with pytest.raises(ValidationError) as no_rule:
        report_request(kind="eligibility", params={}, actor=county)
    assert "rule" in no_rule.value.message_dict
    with pytest.raises(ValidationError) as bad_date:
        report_request(kind="mobility", params={"as_of": "2014-13-01"}, actor=county)
    assert "as_of" in bad_date.value.message_dict
    report = report_request(kind="mobility", params={}, actor=county)
    assert report.params["within"] == "430104000000"  # the jurisdiction by default
    assert report.params["as_of"] == dt.date.today().isoformat()


def test_csv_and_xlsx_stream_with_bounded_memory(tmp_path):
    """Writing 100k rows keeps memory flat: rows come from a generator, XlsxWriter in
    constant-memory mode flushes each row."""
    import tracemalloc

    from workers.reports.writers import Table, write_csv, write_xlsx

    def rows():
        for i in range(100_000):
            yield [f"人员{i}", "男", "1990-01-01", f"4301**********{i % 10000:04d}", "岳麓区"]

    table = Table("人员花名册", ["姓名", "性别", "出生日期", "居民身份证号码", "户籍所在地"], rows)
    tracemalloc.start()
    write_xlsx(tmp_path / "big.xlsx", [table])
    write_csv(tmp_path / "big.csv", [table])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert table.rows_written == 100_000
    assert peak < 20 * 1024 * 1024  # well under what 100k rows held in memory would take
    with open(tmp_path / "big.csv", encoding="utf-8-sig") as handle:
        assert sum(1 for _ in csv.reader(handle)) == 100_001


def test_files_of_a_dead_attempt_are_removed(registry):
    """An attempt that died after storing its files but before committing leaves them behind;
    the next attempt removes them."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=staff())
    runner.report_claim(report.pk)  # attempt 1 ...
    orphan = default_storage.save(f"reports/{report.pk}/mobility-{report.pk}-1.xlsx", ContentFile(b"half"))
    report_run(report.pk)  # ... died; attempt 2
    report.refresh_from_db()
    assert not default_storage.exists(orphan)
    _, names = default_storage.listdir(f"reports/{report.pk}")
    assert sorted(names) == sorted(Path(f.file.name).name for f in report.files.all())
