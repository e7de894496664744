"""In a preheated kernel: wait until the server hands this kernel to a page, and tell the
server when the page is built.

This runs in the kernel (``app.opening.AppPage``), not in the server, but it is the
server's protocol: the other half of ``web.QueryHandler``, so the two change together.
The kernel says ``BUILDING`` as soon as it connects and ``BUILT`` once its page's widgets
are made: meanwhile the server holds the page's connection to the kernel
(``web.KernelChannelHandler``), so the browser receives the page whole, never widgets half
made.
Voila's ``voila.utils.wait_for_request`` does the same without credentials; the app's server
wants the token, which the kernel has in its environment (``JUPYTER_TOKEN``, from
``launcher.server_env``).  The request's details (``QUERY_STRING``, ``SCRIPT_NAME``, ...) go
into ``os.environ`` as Voila's do.
"""

from __future__ import annotations

import json
import os

OPEN_TIMEOUT = 30          # seconds to reach the server (Voila's 5 s is short on a busy machine)
BUILDING, BUILT = "building", "built"       # what the kernel says on its connection


def query_url(environ=os.environ) -> str:
    """The server's ``/voila/query/<kernel id>`` websocket, from the variables Voila gives kernels."""
    protocol = environ.get("VOILA_WS_PROTOCOL", "ws")
    ip = environ.get("VOILA_APP_IP", "127.0.0.1")
    port = environ.get("VOILA_APP_PORT", "8866")
    base = environ.get("VOILA_WS_BASE_URL", environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{ip}:{port}{base}voila/query/{environ.get('VOILA_KERNEL_ID', '')}"


def _connect():
    from websockets.sync.client import connect

    token = os.environ.get("JUPYTER_TOKEN", "")
    headers = {"Authorization": f"token {token}"} if token else {}
    url = query_url()
    options = {"ssl": own_server_tls()} if url.startswith("wss:") else {}
    connection = connect(url, additional_headers=headers, open_timeout=OPEN_TIMEOUT, **options)
    return connection.__enter__()      # kept open across calls; websockets warns about one never entered


def own_server_tls():
    """TLS to the app's own server over HTTPS: its certificate is the office's, made out to the
    name people use (not the address the kernel calls), so neither name nor issuer is checked:
    the kernel calls its own server on this machine and authenticates with the token."""
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class PageRequest:
    """A preheated kernel's connection to the server, on which it hears that a page took it.

    ``PageRequest.open()`` connects and says the page is being built (None outside a preheated
    kernel); ``arrived`` tells whether a page is already waiting (the first page after the
    server started asks before its kernel is ready); ``wait`` blocks until one comes.  Either
    way the request's details go into ``os.environ``.  ``built`` says the page is ready.  The
    connection closes once both are done.  One connection from first look to last: a request
    the server sends while a connection closes would be lost."""

    def __init__(self, websocket):
        self._websocket = websocket
        self._taken = self._built = False

    @classmethod
    def open(cls) -> PageRequest | None:
        if os.environ.get("VOILA_PREHEAT", "False") == "False":
            return None
        websocket = _connect()
        websocket.send(BUILDING)
        return cls(websocket)

    def arrived(self, timeout: float = 0.2) -> bool:
        """Whether a page has taken this kernel (waiting at most ``timeout`` seconds)."""
        if self._taken:
            return True
        try:
            request = self._websocket.recv(timeout=timeout)
        except TimeoutError:
            return False
        self._take(request)
        return True

    def wait(self) -> None:
        if not self._taken:
            self._take(self._websocket.recv())

    def built(self) -> None:
        """The page is built: the server lets its browser connect (said once)."""
        if not self._built:
            self._built = True
            try:
                self._websocket.send(BUILT)
            finally:
                self._close_when_done()

    def _take(self, request) -> None:
        self._taken = True
        for key, value in json.loads(request).items():
            os.environ[key] = value
        self._close_when_done()

    def _close_when_done(self) -> None:
        if self._taken and self._built:
            self.close()

    def close(self) -> None:
        """Closed, the connection also tells the server the page is not being built any more."""
        self._websocket.close()

