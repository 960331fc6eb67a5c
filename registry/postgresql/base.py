"""Django's PostgreSQL backend, with a health check that costs no round trip when it can.

With CONN_HEALTH_CHECKS, Django runs ``SELECT 1`` on a kept connection before the first query of
each request: a round trip (about 0.1 ms), a few per cent of a person's detail. A server that
closed the connection (a restart, ``pg_terminate_backend``, ``idle_session_timeout``, a proxy
gone) sends its last message and the end of the stream, which leaves the socket readable; an idle
connection that nothing happened to has nothing to read. So the check asks the socket first,
without waiting: nothing pending, the connection is usable; anything pending (the end, an error,
or a notice), Django's own ``SELECT 1`` decides. A server that vanished without a word (its host
gone, nothing sent) looks usable either way until a query times out, as before."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection.closed or connection.pgconn.status != pq.ConnStatus.OK:
            return False
        if connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN)
            pending = poller.poll(0)
        except Exception:  # the socket is gone: ask the server as Django does
            return super().is_usable()
        return not pending or super().is_usable()
