"""manage.py import_roster FILE [--kind people] [--mode upsert] [--commit] [--as USERNAME]

Validates a roster (花名册, .xlsx or .csv) with the same checks as the API and prints the
summary and the errors; with --commit, writes it all or nothing, the user of --as named on
every history event. A progress bar goes to stderr. Exit status 1 when the roster has errors
or the commit failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from talent.access import scope_for
from talent.choices import ImportKind, ImportMode, ImportStatus
from talent.models import RosterImport
from talent.roster import service

SHOW_ERRORS = 50


class Command(BaseCommand):
    help = "校验并(可选)导入花名册:同样的校验规则,全部写入或全部不写。Validate and optionally import a roster."

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--kind", default=ImportKind.PEOPLE, choices=ImportKind.values, help="花名册类型")
        parser.add_argument("--mode", default=ImportMode.CREATE, choices=ImportMode.values, help="导入方式")
        parser.add_argument("--commit", action="store_true", help="校验通过后写入信息库")
        parser.add_argument(
            "--as", dest="username", help="以该用户的身份和管辖范围导入(写入历史记录);不填则为全国范围、无用户"
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="以 JSON 输出汇总和错误")

    def handle(self, *args, file, kind, mode, commit, username, as_json=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在:{file}")
        actor, jurisdiction = None, None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"用户 {username} 不存在。")
            scope = scope_for(actor)
            if scope is None:
                raise CommandError(f"用户 {username} 没有工作人员账号。")
            jurisdiction = scope.jurisdiction
        elif commit:
            raise CommandError("写入信息库须用 --as 指明操作人。")
        with path.open("rb") as handle:
            roster_import = RosterImport(
                kind=kind, mode=mode, original_name=path.name, uploaded_by=actor, jurisdiction_id=jurisdiction
            )
            roster_import.file.save(path.name, File(handle), save=False)
        roster_import.save()

        bar = tqdm(total=100, file=sys.stderr, unit="%", bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}")

        def progress(stage: str, percent: int) -> None:
            bar.set_description_str(stage)
            bar.update(max(percent - bar.n, 0))

        try:
            service.import_validate(roster_import=roster_import, progress=progress)
            if roster_import.status == ImportStatus.VALID and commit:
                service.import_commit(roster_import=roster_import, actor=actor, progress=progress)
            progress(roster_import.get_status_display(), 100)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        finally:
            bar.close()
        roster_import.refresh_from_db()
        self._report(roster_import, as_json=as_json)
        if roster_import.status not in (ImportStatus.VALID, ImportStatus.COMMITTED):
            sys.exit(1)

    def _report(self, roster_import: RosterImport, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "id": roster_import.pk,
                        "status": roster_import.status,
                        "summary": roster_import.summary,
                        "errors": roster_import.errors,
                    },
                    ensure_ascii=False,
                )
            )
            return
        summary = roster_import.summary or {}
        self.stdout.write(
            f"导入 #{roster_import.pk} {roster_import.original_name}:{roster_import.get_status_display()}"
        )
        if roster_import.stage and roster_import.status == ImportStatus.FAILED:
            self.stdout.write(roster_import.stage)
        self.stdout.write(
            "行数 {rows},新增 {new},更新 {updated},无变化 {unchanged},错误 {errors}".format(
                **{k: summary.get(k, 0) for k in ("rows", "new", "updated", "unchanged", "errors")}
            )
        )
        if summary.get("seconds"):
            rate = summary.get("rows", 0) / summary["seconds"] if summary["seconds"] else 0
            self.stdout.write(f"用时 {summary['seconds']:.2f} 秒({rate:,.0f} 行/秒)")
        if summary.get("ignored_columns"):
            self.stdout.write("忽略的列:" + "、".join(summary["ignored_columns"]))
        for error in (roster_import.errors or [])[:SHOW_ERRORS]:
            value = "" if error["value"] is None else f"“{error['value']}”"
            self.stdout.write(f"第{error['row']}行 {error['column']} {value}:{error['message']} [{error['code']}]")
        if summary.get("errors", 0) > SHOW_ERRORS:
            self.stdout.write(f"……共 {summary['errors']} 处错误(导入 #{roster_import.pk} 保存了前 1000 条)。")
