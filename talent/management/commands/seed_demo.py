"""``manage.py seed_demo``: a realistic, reproducible demo registry of Hunan."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from talent.demo import SCALES, DemoError, demo_seed


class Command(BaseCommand):
    help = "生成湖南省演示数据(真实的省、地、县区划,模拟的乡镇、村和人员),同一随机种子结果完全相同。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small", help="数据规模,默认 small")
        parser.add_argument("--seed", type=int, default=1, help="随机种子,默认 1")
        parser.add_argument("--reset", action="store_true", help="先清空全部登记数据和变更历史(含区划)")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **options):
        try:
            summary = demo_seed(
                scale=options["scale"],
                seed=options["seed"],
                reset=options["reset"],
                progress=False if options["no_progress"] else None,
                log=self.stdout.write,
            )
        except DemoError as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("演示数据已生成。"))
