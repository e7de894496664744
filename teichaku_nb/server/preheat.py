"""In a preheated kernel: wait until the server hands this kernel to a page.

This runs in the kernel (``app.opening.AppPage``), not in the server, but it is the
server's protocol: the other half of ``web.QueryHandler``, so the two change together.
Voila's ``voila.utils.wait_for_request`` does the same without credentials; the app's server
wants the token, which the kernel has in its environment (``JUPYTER_TOKEN``, from
``launcher.server_env``).  The request's details (``QUERY_STRING``, ``SCRIPT_NAME``, ...) go
into ``os.environ`` as Voila's do.
"""

from __future__ import annotations

import json
import os

OPEN_TIMEOUT = 30          # seconds to reach the server (Voila's 5 s is short on a busy machine)


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
    return connect(query_url(), additional_headers=headers, open_timeout=OPEN_TIMEOUT)


def _take(request) -> None:
    for key, value in json.loads(request).items():
        os.environ[key] = value


class PageRequest:
    """A preheated kernel's connection to the server, on which it hears that a page took it.

    ``PageRequest.open()`` connects (None outside a preheated kernel); ``arrived`` tells whether
    a page is already waiting (the first page after the server started asks before its kernel
    is ready); ``wait`` blocks until one comes.  Either way the request's details go into
    ``os.environ`` and the connection is closed.  One connection from first look to last: a
    request the server sends while a connection closes would be lost."""

    def __init__(self, websocket):
        self._websocket = websocket

    @classmethod
    def open(cls) -> PageRequest | None:
        if os.environ.get("VOILA_PREHEAT", "False") == "False":
            return None
        return cls(_connect())

    def arrived(self, timeout: float = 0.2) -> bool:
        """Whether a page has taken this kernel (waiting at most ``timeout`` seconds)."""
        if self._websocket is None:
            return True
        try:
            request = self._websocket.recv(timeout=timeout)
        except TimeoutError:
            return False
        self._close()
        _take(request)
        return True

    def wait(self) -> None:
        if self._websocket is not None:
            request = self._websocket.recv()
            self._close()
            _take(request)

    def _close(self) -> None:
        self._websocket.close()
        self._websocket = None

