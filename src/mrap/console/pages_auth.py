"""Sign-in and sign-out pages."""

from __future__ import annotations

from aiohttp import web

from mrap.console.calls import Calls
from mrap.console.client import ApiError, Credentials
from mrap.console.web import (
    COOKIE,
    SESSION,
    SESSION_ID,
    redirect,
    render,
    set_session_cookie,
    state,
)


def _local(target: str) -> str:
    """Where to go after sign-in: a path of this console only (never `//other.host`)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The sign-in form."""
    if SESSION in request:
        return redirect("/")
    return render(request, "signin.html", next=_local(request.query.get("next", "/")), error=None)


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check the keys with STS GetCallerIdentity through the gateway, then start a session."""
    console = state(request)
    address = request.remote or ""
    form = await request.post()
    target = _local(str(form.get("next", "/")))
    if console.limiter.blocked(address):
        return render(
            request,
            "signin.html",
            status=429,
            next=target,
            error=ApiError(
                "TooManyRequests",
                "Too many failed sign-in attempts from this address. Wait a minute and try again.",
                429,
            ),
        )
    credentials = Credentials(
        str(form.get("access_key_id", "")).strip(),
        str(form.get("secret_access_key", "")).strip(),
        str(form.get("session_token", "")).strip(),
    )
    try:
        if not credentials.access_key_id or not credentials.secret_access_key:
            raise ApiError(
                "MissingParameter", "Enter an access key ID and a secret access key.", 400
            )
        caller = await Calls(console.client, credentials).get_caller_identity()
    except ApiError as exc:
        console.limiter.failed(address)
        return render(request, "signin.html", status=401, next=target, error=exc)
    session_id, _ = console.sessions.create(credentials, caller.account, caller.arn)
    response = redirect(target)
    set_session_cookie(request, response, session_id)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    """End the session and forget its credentials."""
    state(request).sessions.delete(request[SESSION_ID])
    response = redirect("/signin")
    response.del_cookie(COOKIE, path="/")
    return response


async def home(request: web.Request) -> web.StreamResponse:
    """The console opens on the Multi-Region Access Points list."""
    return redirect("/mraps")


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_get("/", home)
    router.add_get("/signin", sign_in_page)
    router.add_post("/signin", sign_in)
    router.add_post("/signout", sign_out)
