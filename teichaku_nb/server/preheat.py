"""In a preheated kernel: wait until the server hands this kernel to a page.

This runs in the kernel (``ConferenceApp.wait_for_viewer``), not in the server, but it is the
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


def wait_for_request() -> None:
    """Block until a page takes this kernel (at once outside a preheated kernel)."""
    if os.environ.get("VOILA_PREHEAT", "False") == "False":
        return
    from websockets.sync.client import connect

    token = os.environ.get("JUPYTER_TOKEN", "")
    headers = {"Authorization": f"token {token}"} if token else {}
    with connect(query_url(), additional_headers=headers, open_timeout=OPEN_TIMEOUT) as websocket:
        request = websocket.recv()
    for key, value in json.loads(request).items():
        os.environ[key] = value
