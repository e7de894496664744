"""The web server of ``teichaku app``: Voila, with every route behind the sign-in (staff
accounts, or the token of one computer: ``login``) or carrying nothing secret.
``launcher.voila_command`` runs it as ``python -m teichaku_nb.server``.

What it changes in Voila (0.5):

- the page's kernel learns who signed in from the server: ``PageHandler`` writes the person
  into the request as ``staff.HEADER`` (over anything a browser sent under that name), and
  Voila's ``http_header_envs``, set here to that header only, puts it into the kernel's
  environment; a page's connection to its kernel is counted as its session's activity and
  the kernel belongs to the session (``login.AccountsIdentityProvider.seen``), so a session
  that ends takes its kernels along;
- over HTTPS with the office's certificate (``certfile``, ``keyfile``): Voila 0.5 listens on
  plain HTTP only;
- the preheated kernel's request websocket (``/voila/query/<kernel id>``) requires the token
  (with staff accounts, the token opens that websocket only).  Voila's takes anyone who
  knows a kernel's id (``ps`` shows it), hands them the request of the page that opens that
  kernel and keeps the request in a cache for later callers; a caller that came first took
  the kernel's place, so the kernel never heard of its page.  The kernel authenticates with the token it has in its
  environment (``preheat.PageRequest``); a request is handed out once;
- a page's connection to its kernel (``/api/kernels/<id>/channels``) waits while that kernel
  says it is building its page (``KernelChannelHandler``): the first page after the start is
  sent while its kernel still reads the records, and its widgets are made before the browser
  connects, so the browser receives them whole, as with a kernel prepared ahead;
- the page handler forgets the token once the request is authenticated, so the request a
  kernel is told about (``QUERY_STRING``, ``VOILA_REQUEST_URL``) does not carry it;
- kernels end when nobody uses them (``TeichakuKernelManager``): a kernel handed to a page
  that never connects after ``unopened_timeout`` seconds, one whose page connected and went
  away without closing after ``cull_idle_timeout``;
- the pool is filled again once the page that took its kernel is shown (its kernel connected
  and idle), not a second later as Voila does: the next kernel runs the whole notebook, and
  on a machine of two cores it would halve the speed of the page being opened;
- ``/voila/templates/...`` answers 404 for anything but the page's own template files, and
  jupyter_server's pages (logout, errors) are Japanese ones from ``templates/server`` (its
  own need a ``static_path`` Voila does not set: they answered 500);
- every page's config names the class the page script reads (``page.page_config_hook``);
- the log hides the token: requests are logged by jupyter_server's ``log_request``, and
  tornado's own messages (``404 GET /api/kernels/...?token=...``) go through ``HideToken``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import jinja2
from jupyter_core.utils import ensure_async
from jupyter_server._tz import utcnow
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.log import log_request
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer, Unicode
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from ..staff import HEADER, Staff
from .page import page_config_hook
from .preheat import BUILDING, BUILT

PAGES = Path(__file__).resolve().parent.parent / "templates" / "server"
TOKEN_PARAMETER = "token"
BUILD_WAIT = 600.0         # seconds at most a page's connection waits for its kernel to build the page
                           # (a kernel that ends lets it in at once: its connection closes)


def forget_token(request) -> None:
    """Take the ``token`` parameter out of an (already authenticated) request's URL."""
    if TOKEN_PARAMETER not in request.query_arguments:
        return
    kept = [(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True) if k != TOKEN_PARAMETER]
    request.query = urlencode(kept)
    request.uri = request.path + (f"?{request.query}" if request.query else "")
    request.query_arguments.pop(TOKEN_PARAMETER, None)
    request.arguments.pop(TOKEN_PARAMETER, None)


def tell_staff(request, staff: Staff | None) -> None:
    """Write who signed in into the request the kernel learns (``staff.HEADER``), over
    whatever the browser sent under that name."""
    request.headers.pop(HEADER, None)
    if staff is not None:
        request.headers[HEADER] = staff.to_header()


class PageHandler(TornadoVoilaHandler):
    """The app's page; what the kernel learns about the request has no token, and names the
    signed-in person as the server knows them."""

    async def prepare(self):
        await super().prepare()                 # authenticates (the token may be in the URL)
        forget_token(self.request)
        provider = self.identity_provider
        tell_staff(self.request, provider.staff_of(self.current_user) if self.current_user else None)


class QueryHandler(WebSocketMixin, RequestInfoSocketHandler, JupyterHandler):
    """``/voila/query/<kernel id>``: where a preheated kernel waits for its page's request.

    Only with the token (403 otherwise); a request waiting for its kernel is handed out once;
    a connection that goes only removes itself.  The kernel says ``BUILDING`` when it starts
    its page and ``BUILT`` when the widgets are made; meanwhile ``until_built`` waits (a kernel
    whose connection goes counts as done)."""

    kernel_id = ""
    building: dict[str, asyncio.Event] = {}      # kernel id: set once its page is built
    accepts_kernel_token = True                  # with staff accounts, the token opens this route only

    def set_default_headers(self):
        """No page headers on a websocket (as jupyter_server's kernel websocket)."""

    @ws_authenticated
    async def get(self, kernel_id):
        if not await ensure_async(self.authorizer.is_authorized(self, self.current_user, "execute", "kernels")):
            raise web.HTTPError(403)
        await super().get(kernel_id)

    def open(self, kernel_id: str) -> None:
        self.kernel_id = kernel_id
        RequestInfoSocketHandler._waiters[kernel_id] = self
        payload = RequestInfoSocketHandler._cache.pop(kernel_id, None)
        if payload is not None:
            self.write_message(payload)

    def on_message(self, message) -> None:
        if message == BUILDING:
            QueryHandler.building.setdefault(self.kernel_id, asyncio.Event())
        elif message == BUILT:
            self.done(self.kernel_id)

    def on_close(self) -> None:
        if RequestInfoSocketHandler._waiters.get(self.kernel_id) is self:
            del RequestInfoSocketHandler._waiters[self.kernel_id]
        self.done(self.kernel_id)

    @classmethod
    def done(cls, kernel_id: str) -> None:
        event = cls.building.pop(kernel_id, None)
        if event is not None:
            event.set()

    @classmethod
    async def until_built(cls, kernel_id: str, timeout: float = BUILD_WAIT) -> bool:
        """False when the kernel still builds after ``timeout`` seconds."""
        event = cls.building.get(kernel_id)
        if event is None:
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


class KernelChannelHandler(VoilaKernelWebsocketHandler):
    """A page's connection to its kernel, once the kernel has built the page (``QueryHandler``)."""

    async def pre_get(self):
        if not await QueryHandler.until_built(self.kernel_id):     # after the token was checked (``get``)
            self.log.warning("Kernel %s did not build its page in %d seconds", self.kernel_id, BUILD_WAIT)
        await super().pre_get()
        seen_kernel = getattr(self.identity_provider, "seen_kernel", None)
        if seen_kernel is not None:                # the session ends this kernel when it ends
            seen_kernel(self.current_user, self.kernel_id)

    def on_message(self, ws_msg):
        seen = getattr(self.identity_provider, "seen", None)
        if seen is not None:                       # a click or keystroke: the session is in use
            seen(self.current_user)
        return super().on_message(ws_msg)


class TemplateStaticHandler(TemplateStaticFileHandler):
    """``/voila/templates/<template>/static/<file>`` for the page's own template only; 404
    for everything else (Voila's answered 500 to a path without ``/static/``)."""

    def initialize(self, template: str):
        super().initialize()
        self.template = template

    def parse_url_path(self, path):
        template, static, rest = (path.split("/", 2) + ["", ""])[:3]
        if template != self.template or static != "static" or not rest:
            raise web.HTTPError(404)
        return super().parse_url_path(path)

    @classmethod
    def get_absolute_path(cls, root, path):
        try:
            return super().get_absolute_path(root, path)
        except (AssertionError, ValueError):       # e.g. "t/static/../.." normalises away "static"
            raise web.HTTPError(404) from None


class TeichakuKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager (Voila adds its pool of preheated kernels on top,
    which it never culls), with two idle times: a kernel whose page never connected is
    culled after ``unopened_timeout``, one whose page connected and went away after
    ``cull_idle_timeout``.  A connected page's kernel is never culled (``cull_connected``
    stays False)."""

    unopened_timeout = Integer(120, config=True,
                               help="Seconds an idle kernel handed to a page waits for the page to connect.")
    refill_wait = Integer(30, config=True,
                          help="Seconds at most the pool waits for the pages that took its kernels to be shown.")
    REFILL_QUIET = 1.0          # seconds a served page's kernel has been idle when its page counts as shown

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._opened: dict[str, object] = {}       # kernel id: when its page connected
        voila_fill = getattr(self, "fill_if_needed", None)      # Voila's pool (preheated kernels)
        if voila_fill is not None:
            self.fill_if_needed = lambda delay=None, **fill: self._fill(voila_fill, delay, fill)

    def _fill(self, voila_fill, delay, fill: dict) -> None:
        """Voila fills the pool at start (``delay`` 0) and a second after it hands a kernel to
        a page (``delay`` None): that refill waits until the pages are shown instead."""
        if delay is not None:
            voila_fill(delay=delay, **fill)
            return
        asyncio.get_event_loop().create_task(self._fill_when_shown(voila_fill, fill))

    async def _fill_when_shown(self, voila_fill, fill: dict) -> None:
        deadline = asyncio.get_event_loop().time() + self.refill_wait
        while self._pages_loading() and asyncio.get_event_loop().time() < deadline:
            await asyncio.sleep(0.2)
        voila_fill(delay=0, **fill)

    def _pages_loading(self) -> bool:
        """Whether a kernel handed to a page is still running the notebook or its page has not
        connected and loaded its widgets yet (kernels in the pool wait for a page: they do not count)."""
        pooled = {task.result().get("kernel_id") for pool in getattr(self, "_pools", {}).values()
                  for task in pool if task.done() and not task.cancelled() and task.exception() is None}
        quiet = timedelta(seconds=self.REFILL_QUIET)
        for kernel_id, kernel in list(self._kernels.items()):
            if kernel_id in pooled:
                continue
            connected, last = self._opened.get(kernel_id), getattr(kernel, "last_activity", None)
            if (connected is None or last is None or getattr(kernel, "execution_state", None) != "idle"
                    or utcnow() - max(connected, last) < quiet):
                return True
        return False

    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        self._opened.setdefault(kernel_id, utcnow())

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self._opened.pop(kernel_id, None)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)
        QueryHandler.done(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    async def cull_kernel_if_idle(self, kernel_id):
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return
        last = getattr(kernel, "last_activity", None)
        if (kernel_id not in self._opened and last is not None and self.unopened_timeout > 0
                and getattr(kernel, "execution_state", None) not in ("busy", "starting")
                and not self._kernel_connections.get(kernel_id)):
            idle = utcnow() - last
            if idle > timedelta(seconds=self.unopened_timeout):
                self.log.warning("Culling kernel %s: its page did not connect in %d seconds",
                                 kernel_id, idle.total_seconds())
                await ensure_async(self.shutdown_kernel(kernel_id))
                return
        await super().cull_kernel_if_idle(kernel_id)


class HideToken(logging.Filter):
    """Writes ``[secret]`` for the token in a log record."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "[secret]"), ()
        return True


class TeichakuVoila(Voila):
    """Voila with the handlers and pages above, over HTTPS when given the office's certificate."""

    certfile = Unicode("", config=True, help="The server's certificate (PEM), for HTTPS.")
    keyfile = Unicode("", config=True, help="The certificate's private key (PEM).")

    def init_settings(self):
        self.voila_configuration.page_config_hook = page_config_hook     # before the kernel pool reads it
        self.voila_configuration.http_header_envs = [HEADER]     # the signed-in person, into the kernel
        settings = super().init_settings()
        hide = HideToken(self.identity_provider.token)
        for name in ("tornado.access", "tornado.application", "tornado.general", self.log.name):
            logging.getLogger(name).addFilter(hide)
        for name in ("jinja2_env", "voila_jinja2_env"):     # jupyter_server's pages, Voila's error pages
            env = settings[name]
            env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(PAGES)), env.loader])
            env.globals["mode"] = getattr(self.identity_provider, "mode", "token")
        settings["log_function"] = log_request
        return settings

    def init_handlers(self):
        replaced = {RequestInfoSocketHandler: QueryHandler, TornadoVoilaHandler: PageHandler,
                    VoilaKernelWebsocketHandler: KernelChannelHandler}
        handlers = []
        for pattern, handler, *rest in super().init_handlers():
            if handler is TemplateStaticFileHandler:
                handlers.append((pattern, TemplateStaticHandler, {"template": self.voila_configuration.template}))
            else:
                handlers.append((pattern, replaced.get(handler, handler), *rest))
        return handlers


    def listen(self):
        if self.certfile:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certfile, self.keyfile or None)
            plain = self.app.listen
            self.app.listen = lambda port, address="", **kw: plain(port, address, ssl_options=context, **kw)
        super().listen()


main = TeichakuVoila.launch_instance
