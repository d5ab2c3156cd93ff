"""A loopback TCP proxy that loses the answers to chosen requests, or freezes.

Every byte is relayed as it comes, in both directions, except on a connection whose
request line matches `lose`: its request reaches the server whole (the server acts on
it), and the connection is cut when the server's final answer arrives, which the
client never sees, as when a network drops it.

From the first request matching `freeze`, the server seems frozen (a stopped process,
a hung host): connections are still accepted, and nothing is relayed any more, that
request included, in either direction.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

_REQUEST = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r\n", re.MULTILINE)
_FINAL = re.compile(rb"HTTP/1\.[01] [2-5]\d\d ")


class LosingProxy:
    def __init__(
        self,
        upstream: tuple[str, int],
        lose: Callable[[str, str], bool],
        freeze: Callable[[str, str], bool] = lambda method, path: False,
    ) -> None:
        self.upstream = upstream
        self.lose = lose
        self.freeze = freeze
        self.lost: list[str] = []  # "METHOD path" of each answer lost
        self.frozen_at: float | None = None  # time.monotonic() of the freeze
        self._server = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def _accept(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client = self._server.accept()[0]
            except TimeoutError:
                continue
            except OSError:
                return
            if self.frozen_at is not None:  # the kernel takes it; nothing ever reads it
                self._sockets.append(client)
                continue
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            losing = threading.Event()
            for source, sink, up in ((client, server, True), (server, client, False)):
                thread = threading.Thread(
                    target=self._relay, args=(source, sink, up, losing, client, server)
                )
                thread.daemon = True
                thread.start()
                self._threads.append(thread)

    def _relay(
        self,
        source: socket.socket,
        sink: socket.socket,
        up: bool,
        losing: threading.Event,
        client: socket.socket,
        server: socket.socket,
    ) -> None:
        try:
            while data := source.recv(65536):
                requests = _REQUEST.findall(data) if up else []
                if self.frozen_at is None and any(
                    self.freeze(method.decode(), path.decode()) for method, path in requests
                ):
                    self.frozen_at = time.monotonic()
                if self.frozen_at is not None:
                    continue
                if up:
                    for method, path in requests:
                        if self.lose(method.decode(), path.decode()):
                            self.lost.append(f"{method.decode()} {path.decode()}")
                            losing.set()
                elif losing.is_set():
                    if _FINAL.search(data):  # stored, answered: the answer goes nowhere
                        break
                    if b" 100 " not in data:
                        continue
                sink.sendall(data)
        except OSError:
            pass
        for each in (client, server):
            with suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)

    def start(self) -> None:
        self._threads[0].start()

    def stop(self) -> None:
        self._stop.set()
        self._server.close()
        for each in self._sockets:  # a shutdown wakes the relay blocked in recv
            with suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()
        for thread in self._threads:
            thread.join(5)


@contextmanager
def losing(
    upstream: str,
    lose: Callable[[str, str], bool],
    freeze: Callable[[str, str], bool] = lambda method, path: False,
) -> Iterator[LosingProxy]:
    """A proxy to `upstream` (http://HOST:PORT) on a free loopback port, stopped after."""
    host, port = upstream.removeprefix("http://").split(":")
    proxy = LosingProxy((host, int(port)), lose, freeze)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
