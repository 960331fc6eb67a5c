from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """The project itself, installed for its operator commands (``manage.py serve``)."""

    name = "registry"
    verbose_name = "信息库"
