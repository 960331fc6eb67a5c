from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "talent"
    verbose_name = "人才信息库"
    default_auto_field = "django.db.models.BigAutoField"
