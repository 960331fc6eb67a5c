"""A tiny TCP proxy for fault tests: it listens on a free loopback port and forwards each
connection to a target (a host and port, or a Unix socket), so a test can put it between a
server and PostgreSQL and then

- ``cut()``: drop every open connection and refuse new ones at once (the database is gone);
- ``blackhole()``: drop every open connection and accept new ones that never answer (the
  database's host is unreachable: only a timeout ends the wait);
- ``restore()``: forward again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

FORWARD, CUT, BLACKHOLE = "forward", "cut", "blackhole"


class TcpProxy:
    def __init__(self, target: tuple[str, int] | str):
        self.target = target
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # --- control ---------------------------------------------------------------------------

    def cut(self) -> None:
        self.mode = CUT
        self._drop_all()

    def blackhole(self) -> None:
        self.mode = BLACKHOLE
        self._drop_all()

    def restore(self) -> None:
        self.mode = FORWARD

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        self._drop_all()

    # --- plumbing --------------------------------------------------------------------------

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _connect_target(self) -> socket.socket:
        if isinstance(self.target, str):
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        upstream.connect(self.target)
        return upstream

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == CUT:
                client.close()
                continue
            self._track(client)
            if self.mode == BLACKHOLE:
                continue  # held open, never answered
            try:
                upstream = self._connect_target()
            except OSError:
                client.close()
                continue
            self._track(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
                with self._lock:
                    self._open.discard(sock)


@contextlib.contextmanager
def tcp_proxy(target: tuple[str, int] | str) -> Iterator[TcpProxy]:
    proxy = TcpProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()


def postgres_target(settings_dict: dict) -> tuple[str, int] | str:
    """Where Django's connection settings point: a Unix socket (the embedded server) or TCP."""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = int(settings_dict.get("PORT") or 5432)
    if host.startswith("/"):
        return f"{host}/.s.PGSQL.{port}"
    return (host, port)
