"""The HTTP edge: a stdlib ThreadingHTTPServer on loopback, and the `SandboxServer` handle.

The stdlib server is used on purpose: it gives the socket-level control a faithful simulator
needs (closing a connection with no response, or with an RST). Responses are written in one
`send` with TCP_NODELAY, so keep-alive clients do not stall on Nagle/delayed-ACK.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.credentials import ADMIN_TOKEN, tokens
from sandbox.cursors import CursorCodec
from sandbox.endpoints import App
from sandbox.faults import FaultConfig, FaultInjector
from sandbox.responses import Drop, Request, Response
from sandbox.world import World

log = logging.getLogger(__name__)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    app: App

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (e.g. timed out on a slow response) is routine here, not a
        # traceback on stderr.
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "devin-sandbox/1.0"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection's thread ends after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        request = Request(
            method=method,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            outcome = self.server.app.handle(request)
        except Exception:  # a sandbox bug must still answer, or clients hang
            log.exception("sandbox error on %s %s", method, url.path)
            outcome = Response(500, b'{"detail":"sandbox internal error"}')
        if outcome.delay:
            time.sleep(outcome.delay)
        if isinstance(outcome, Drop):
            self._drop(outcome.reset)
        else:
            self._send(outcome)

    def _send(self, response: Response) -> None:
        status = HTTPStatus(response.status)
        lines = [
            f"HTTP/1.1 {status.value} {status.phrase}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            *(f"{name}: {value}" for name, value in response.headers),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + response.body)

    def _drop(self, reset: bool) -> None:
        # Mid-request hang-up: the client has sent its request and gets nothing back.
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class SandboxServer:
    """A running (or ready-to-run) Devin API simulator on loopback.

    `start()` serves in a daemon thread and returns self; `stop()` shuts it down. Also a
    context manager. `warm=True` builds the retained history in a background thread so the
    first unfiltered query of a long history does not pay for generating it (~15 us an event,
    ~7 s for the default 400 days); it is off by default because it competes for the GIL with
    whatever else the embedding process does, and windowed queries never need it.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        warm: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self._port = port
        self.clock = Clock(self.config.clock_start)
        self.world = World(self.config, self.clock)
        self._faults = FaultInjector(self.config.faults)
        self.app = App(self.world, self.clock, self._faults, CursorCodec())
        self._warm = warm
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self._port), _Handler)
        httpd.app = self.app
        self._httpd = httpd
        self._stopping.clear()
        serve = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-http-{self.port}",
            daemon=True,
        )
        serve.start()
        self._threads = [serve]
        if self._warm:
            warm = threading.Thread(
                target=self.world.warm, args=(self._stopping,), name="sandbox-warm", daemon=True
            )
            warm.start()
            self._threads.append(warm)
        log.info("sandbox serving at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the socket (idempotent)."""
        httpd, self._httpd = self._httpd, None
        self._stopping.set()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- handles -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one when constructed with port=0)."""
        if self._httpd is None:
            return self._port
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:54321"."""
        return f"http://{self.host}:{self.port}"

    @property
    def admin_token(self) -> str:
        """A cog_ token holding every permission (== sandbox.ADMIN_TOKEN)."""
        return ADMIN_TOKEN

    @property
    def tokens(self) -> dict[str, str]:
        """Credential name -> token: admin, no_audit, no_members, no_sessions, no_orgs,
        self_only."""
        return tokens()

    @property
    def faults(self) -> FaultConfig:
        """The fault knobs in force."""
        return self._faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault knobs (and restart the fault dice from their seed)."""
        self._faults.configure(faults)


def serve(host: str = "127.0.0.1", port: int = 8000, config: SandboxConfig | None = None) -> None:
    """Run a sandbox in the foreground until interrupted; prints its URL and admin token."""
    server = SandboxServer(config, host=host, port=port, warm=True).start()
    print(f"Devin API sandbox listening on {server.url}", flush=True)
    print(f"Admin token: {server.admin_token}", flush=True)
    for name, token in server.tokens.items():
        if name != "admin":
            print(f"  {name}: {token}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
