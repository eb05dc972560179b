"""A loopback HTTP(S) server and a network backend that takes one public address to it: the guard's tests reach
"the internet" without leaving the machine, and see what was connected to."""

from __future__ import annotations

import http.server
import ssl
import threading
from urllib.parse import parse_qs, urlsplit

import httpcore

from agora.outbound.policy import system_resolver
from tests.conftest import free_port

PUBLIC = "93.184.215.14"  # a public address; RoutingBackend takes connections to it to 127.0.0.1


class Server:
    """Answers /ok with the Host header it got, /redirect?to=URL with a 302 there, /loop with a redirect to itself;
    records every path asked for."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.paths: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.paths.append(self.path)
                parts = urlsplit(self.path)
                if parts.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", parse_qs(parts.query)["to"][0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if parts.path == "/loop":
                    self.send_response(302)
                    self.send_header("Location", "/loop")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = f"host={self.headers['Host']}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class RoutingBackend(httpcore.SyncBackend):
    """Connects to 127.0.0.1 when asked for PUBLIC; records every address asked for."""

    def __init__(self) -> None:
        self.connected: list[str] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        self.connected.append(host)
        return super().connect_tcp("127.0.0.1" if host == PUBLIC else host, port, timeout, local_address, socket_options)


class AsyncRoutingBackend(httpcore.AnyIOBackend):
    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        self.connected.append(host)
        return await super().connect_tcp("127.0.0.1" if host == PUBLIC else host, port, timeout, local_address, socket_options)


class Resolver:
    """A resolver answering from a table (a list of answers for a name answers them in turn: a rebinding name)."""

    def __init__(self, table: dict[str, list[str] | list[list[str]]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            return system_resolver(host, port)  # IP literals in any notation: what libc makes of them
        answer = self.table[host]
        if answer and isinstance(answer[0], list):
            return answer.pop(0)  # type: ignore[return-value]
        return answer  # type: ignore[return-value]
