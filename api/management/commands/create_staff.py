"""``manage.py create_staff USERNAME --jurisdiction CODE --role viewer|editor|admin [--personal-data]``

Creates or updates a staff account and prints its API token."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from talent import rules
from talent.choices import StaffRole
from talent.models import Division


class Command(BaseCommand):
    help = "创建或更新工作人员账号并输出其 API 令牌。Create or update a staff account and print its token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--jurisdiction", required=True, help="12-digit division code of the jurisdiction")
        parser.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
        parser.add_argument("--personal-data", action="store_true", help="may see full ID numbers and phones")

    def handle(self, *args, username, jurisdiction, role, personal_data, **options):
        division = Division.objects.filter(code=jurisdiction).first()
        if division is None:
            raise CommandError(f"区划代码 {jurisdiction} 不存在。")
        try:
            account = rules.staff_account_save(
                username=username, jurisdiction=division, role=role, personal_data=personal_data
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        token, _ = Token.objects.get_or_create(user=account.user)
        self.stderr.write(f"{account}")
        self.stdout.write(token.key)
