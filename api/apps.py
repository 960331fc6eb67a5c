from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "接口"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from api.authentication import identities_changed, identity_models

        # Whatever changes a token, a user or a staff account ends the identities kept.
        for model in identity_models():
            post_save.connect(identities_changed, sender=model, dispatch_uid=f"identities-saved-{model._meta.label}")
            post_delete.connect(
                identities_changed, sender=model, dispatch_uid=f"identities-deleted-{model._meta.label}"
            )
