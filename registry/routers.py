"""Sends the report builders' reads to a read replica when one is configured.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database and this router.
Only code that asks for it reads from the replica (``reading_from_replica()``: the report
builders, whose long aggregate queries should not load the primary); everything else, and
every write, uses the primary, so requests never read their own writes from a lagging copy.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.conf import settings

REPLICA = "replica"
_state = threading.local()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The database alias for reads right now: the replica inside ``reading_from_replica()``."""
    return REPLICA if getattr(_state, "replica", False) and replica_configured() else "default"


@contextmanager
def reading_from_replica():
    previous = getattr(_state, "replica", False)
    _state.replica = True
    try:
        yield
    finally:
        _state.replica = previous


class ReportReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data, whichever copy a row was read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
