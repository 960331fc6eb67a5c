"""Each person's places in an indexed form (``PersonPlace``; migration 0009).

"Within X" (talent.querysets.person_under) reads ``talent_personplace``: one row per
significant prefix of a person's home division and of the villages of their posts and service
terms. Database triggers keep it in the same transaction as every write; ``places_rebuild``
recomputes it from the registry (``seed_demo`` calls it once after its load).
"""

from __future__ import annotations

from django.db import connection


def places_rebuild(person_ids: list[int] | None = None) -> None:
    """Recompute the places of the given people, or of everybody."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT talent_refresh_places(%s::bigint[])", [person_ids])
