"""The console's aiohttp application: sessions, CSRF and Origin checks, rendering, routes."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import jinja2
from aiohttp import web

from mrap.console import filters
from mrap.console.calls import Calls
from mrap.console.client import ApiError, GatewayClient
from mrap.console.replication_history import SAMPLE_SECONDS, History, parse_metrics
from mrap.console.sessions import Session, SessionStore, SignInLimiter

COOKIE = "mrap_console"
_HERE = Path(__file__).parent
_PUBLIC = ("/signin", "/static/")
_SAFE_METHODS = ("GET", "HEAD")
# Every asset comes from the console itself; nothing may frame it.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION = web.RequestKey("console.session", Session)
SESSION_ID = web.RequestKey("console.session_id", str)
# Handlers that stream a multipart form and check its CSRF token themselves, before acting.
_STREAMED_FORMS: set[Handler] = set()


def streams_its_form(handler: Handler) -> Handler:
    """Mark a handler that reads its multipart form as a stream and checks the CSRF token (its
    first field) itself; every other handler's form is read and checked by the guard."""
    _STREAMED_FORMS.add(handler)
    return handler


class ConsoleState:
    """What the console's handlers share: the gateway client, sessions, templates."""

    def __init__(self, gateway_address: str, domain: str, regions: tuple[str, ...]) -> None:
        self.gateway_address = gateway_address
        self.domain = domain
        self.regions = regions
        self.sessions = SessionStore()
        self.limiter = SignInLimiter()
        self.history = History()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"),
            autoescape=True,  # every value is escaped unless a template says otherwise
            undefined=jinja2.StrictUndefined,
        )
        filters.install(self.templates)
        self._http: aiohttp.ClientSession | None = None
        self._sampler: asyncio.Task[None] | None = None

    @property
    def client(self) -> GatewayClient:
        """The signed-request client of the gateway's S3 port."""
        assert self._http is not None
        return GatewayClient(self.gateway_address, self.domain, self._http)

    async def open(self) -> None:
        """Start the HTTP client (inside the event loop)."""
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60),
            auto_decompress=False,
        )
        self._sampler = asyncio.create_task(self._sample_forever())

    async def close(self) -> None:
        """Stop the sampler and the HTTP client."""
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        if self._http is not None:
            await self._http.close()

    async def sample(self) -> None:
        """Read the gateway's unsigned `/metrics` into the replication history."""
        assert self._http is not None
        url = f"http://{self.gateway_address}/metrics"
        async with self._http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
            text = await response.text()
            if response.status == 200:
                self.history.add(parse_metrics(text, time.time()))

    async def _sample_forever(self) -> None:
        while True:
            # A gateway still starting or briefly busy leaves a gap in the chart, nothing more.
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                await self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)


STATE = web.AppKey("state", ConsoleState)


def state(request: web.Request) -> ConsoleState:
    """The console's shared state."""
    return request.app[STATE]


def session(request: web.Request) -> Session:
    """The signed-in session of a request that passed the guard."""
    return request[SESSION]


def calls(request: web.Request) -> Calls:
    """The AWS operations, as the signed-in principal."""
    current = session(request)
    return Calls(state(request).client, current.credentials, current.account)


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page from a template, with the session's CSRF token and principal at hand."""
    current: Session | None = request.get(SESSION)
    page = state(request).templates.get_template(template)
    html = page.render(
        csrf=current.csrf if current else "",
        principal=current.arn if current else "",
        account=current.account if current else "",
        path=request.path,
        regions=state(request).regions,
        **values,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    """Go to another console page after a form (303, so the browser GETs it)."""
    return web.Response(status=303, headers={"Location": location})


def page_url(*parts: str, **query: str) -> str:
    """A console path from raw segments, each escaped, with an optional query."""
    path = "/" + "/".join(quote(p, safe="") for p in parts)
    if query:
        path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return path


def csrf_ok(current: Session, token: str) -> bool:
    """Whether a form carried this session's CSRF token."""
    return bool(token) and secrets.compare_digest(token, current.csrf)


def _same_origin(request: web.Request) -> bool:
    """A state-changing request must come from the console's own pages.

    Browsers send `Origin` with every POST; `Referer` stands in when a privacy setting drops it.
    """
    own = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer")
    if referer is not None:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" == own
    return True


def refuse(request: web.Request, message: str) -> web.Response:
    """A 403 page for a request the console will not act on."""
    return render(request, "refused.html", status=403, message=message)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions, Origin and CSRF checks before any handler; AWS errors as pages."""
    if request.method not in _SAFE_METHODS and not _same_origin(request):
        return refuse(request, "The request came from another site.")
    public = request.path.startswith(_PUBLIC)
    session_id = request.cookies.get(COOKIE, "")
    current = state(request).sessions.get(session_id) if session_id else None
    if current is not None:
        request[SESSION] = current
        request[SESSION_ID] = session_id
    elif not public:
        target = request.path_qs if request.method in _SAFE_METHODS else "/"
        return redirect(page_url("signin", next=target))
    # Uploads are multipart and check their token as the first part (pages_objects.upload);
    # only they: any other handler would act on a multipart form the guard had not checked.
    streamed = (
        request.match_info.handler in _STREAMED_FORMS
        and request.content_type == "multipart/form-data"
    )
    if current is not None and request.method not in _SAFE_METHODS and not public and not streamed:
        form = await request.post()
        if not csrf_ok(current, str(form.get("csrf", ""))):
            return refuse(request, "The form is missing its security token. Reload it.")
    try:
        response = await handler(request)
    except ApiError as exc:
        response = render(request, "api_error.html", status=exc.status, error=exc)
    except aiohttp.ClientError as exc:
        unreachable = ApiError("ServiceUnavailable", f"The gateway did not answer: {exc}", 502)
        response = render(request, "api_error.html", status=502, error=unreachable)
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def set_session_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    """The session cookie: script cannot read it, other sites cannot send it."""
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
