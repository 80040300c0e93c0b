"""Network faults on loopback for the fault tests, without touching the shared servers: a server
that accepts connections and never answers (a hung Redis or PostgreSQL, as after SIGSTOP), and a
proxy in front of a real server that can crash (every connection cut, nothing listening), hang,
and come back on the same port (a restart)."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.servers import free_port


class _Listener:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listening: socket.socket | None = None

    def _listen(self) -> None:
        listening = socket.socket()
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", self.port))
        listening.listen(128)
        listening.settimeout(0.1)
        self._listening = listening
        threading.Thread(target=self._accept_loop, args=(listening,), daemon=True).start()

    def _accept_loop(self, listening: socket.socket) -> None:
        while self._listening is listening:
            try:
                client, _ = listening.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._keep(client)
            self.accepted(client)

    def accepted(self, client: socket.socket) -> None:
        """Held open, never read, never answered."""

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def cut_connections(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        listening, self._listening = self._listening, None
        if listening is not None:
            listening.close()
        self.cut_connections()


class HungServer(_Listener):
    """Accepts every connection and never says a word."""

    def __enter__(self) -> HungServer:
        self._listen()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TcpProxy(_Listener):
    """Forwards 127.0.0.1:port to the target until told otherwise."""

    def __init__(self, target_host: str, target_port: int) -> None:
        super().__init__()
        self.target = (target_host, target_port)
        self.hanging = False

    def start(self) -> TcpProxy:
        self.hanging = False
        self._listen()
        return self

    def crash(self) -> None:
        """Like a server killed: every connection cut, and nothing listening any more."""
        self.close()

    def hang(self) -> None:
        """Like a server stopped (SIGSTOP) after its connections died: new connections are
        accepted and never answered."""
        self.hanging = True
        self.cut_connections()

    def accepted(self, client: socket.socket) -> None:
        if self.hanging:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._keep(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
