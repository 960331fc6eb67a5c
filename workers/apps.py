from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "后台任务"

    def ready(self) -> None:
        from talent.reporting import report_requested

        report_requested.connect(_enqueue_report, dispatch_uid="workers.enqueue_report")
        # Roster imports too large to validate or commit within the request: its module
        # connects talent.roster's roster_import_requested to its task.
        import workers.import_tasks  # noqa: F401


def _enqueue_report(sender, report_id: int, **kwargs) -> None:
    """talent sends this after the report's row has committed: hand it to a worker."""
    from workers.tasks import build_report

    build_report.delay(report_id)
