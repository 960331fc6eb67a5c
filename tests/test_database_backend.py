"""registry.postgresql: the health check of a kept connection asks the socket first. An idle
connection nothing happened to is usable without a round trip; one the server closed is not;
anything else pending on the socket goes to Django's own SELECT 1."""

from __future__ import annotations

import select
import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_backend

from registry.postgresql.base import DatabaseWrapper


@pytest.fixture
def kept(db):
    """A second connection to the test database, as a worker keeps it between requests."""
    wrapper = connections.create_connection("default")
    assert isinstance(wrapper, DatabaseWrapper)
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def server_checks(monkeypatch):
    """Counts the times Django's SELECT 1 is asked."""
    asked = []
    original = django_backend.DatabaseWrapper.is_usable

    def counted(self):
        asked.append(1)
        return original(self)

    monkeypatch.setattr(django_backend.DatabaseWrapper, "is_usable", counted)
    return asked


def _until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_an_idle_connection_is_usable_without_asking_the_server(kept, server_checks):
    for _ in range(3):
        assert kept.is_usable()
        with kept.cursor() as cursor:
            cursor.execute("SELECT 2")
            assert cursor.fetchone() == (2,)
    assert server_checks == []


def test_a_connection_the_server_closed_is_not_usable(kept, server_checks):
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    # The server's last message and the end of the stream arrive shortly after.
    _until(lambda: not kept.is_usable())
    assert server_checks  # Django's check confirmed it
    kept.close_if_unusable_or_obsolete()
    kept.close()
    kept.ensure_connection()  # a new one, as the next request would make
    assert kept.is_usable()


def test_a_notification_pending_on_the_socket_is_left_to_the_server_check(kept, server_checks):
    with kept.cursor() as cursor:
        cursor.execute("LISTEN registry_backend_test")
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_notify('registry_backend_test', 'x')")
    finally:
        other.close()
    socket = kept.connection.pgconn.socket
    _until(lambda: select.select([socket], [], [], 0)[0])
    assert kept.is_usable()  # the notification is no reason to drop the connection
    assert server_checks == [1]


def test_inside_a_transaction_the_server_is_asked(kept, server_checks):
    kept.set_autocommit(False)
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert kept.is_usable()
    assert server_checks == [1]
    kept.rollback()
    kept.set_autocommit(True)
