from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "接口"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from api.kept import kept_changed, kept_models

        # Whatever changes a token, a user, a staff account or a rule ends the rows kept.
        for model in kept_models():
            post_save.connect(kept_changed, sender=model, dispatch_uid=f"kept-saved-{model._meta.label}")
            post_delete.connect(kept_changed, sender=model, dispatch_uid=f"kept-deleted-{model._meta.label}")
