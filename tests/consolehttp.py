"""A minimal browser for the web console over plain HTTP (stdlib): one cookie jar, forms with
the page's CSRF token, the console's own Origin, no automatic redirects."""

from __future__ import annotations

import http.client
import re
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import ACCESS_KEY, SECRET_KEY, Gateway, free_port, make_gateway

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Page:
    """One response."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def csrf(self) -> str:
        found = _CSRF.search(self.text)
        assert found, "the page has no CSRF token"
        return unescape(found.group(1))


@dataclass
class ConsoleBrowser:
    """Requests to the console at 127.0.0.1:`port` with the cookies it set."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Page:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body or None, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.partition(";")[0]
            if value and "Max-Age=0" not in header and "expires=Thu, 01 Jan 1970" not in header:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return Page(response.status, response.headers, data)

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(
        self, path: str, fields: dict[str, str] | list[tuple[str, str]], origin: str | None = ""
    ) -> Page:
        """A form POST from the console's own origin (or `origin`; None sends none)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin is not None:
            headers["Origin"] = origin or self.origin
        return self.request("POST", path, urlencode(fields).encode(), headers)

    def submit(
        self, form_page: str, path: str, fields: dict[str, str] | list[tuple[str, str]]
    ) -> Page:
        """GET the page holding a form, then POST it with that page's CSRF token."""
        token = self.get(form_page).csrf()
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        return self.post(path, [("csrf", token), *pairs])

    def upload(self, path: str, csrf: str, prefix: str, filename: str, data: bytes) -> Page:
        """A multipart upload form with one file."""
        return self.upload_files(path, csrf, prefix, [(filename, data)])

    def upload_files(
        self, path: str, csrf: str, prefix: str, files: list[tuple[str, bytes]]
    ) -> Page:
        """A multipart upload form: the CSRF token first, then the prefix and the files."""
        boundary = "----mrap" + secrets.token_hex(8)
        parts = []
        for name, value in (("csrf", csrf), ("prefix", prefix)):
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            parts.append(f"{head}{value}\r\n".encode())
        for filename, data in files:
            parts.append(
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Origin": self.origin,
        }
        return self.request("POST", path, body, headers)

    def sign_in(self, access_key_id: str, secret: str, session_token: str = "") -> Page:
        return self.post(
            "/signin",
            {
                "access_key_id": access_key_id,
                "secret_access_key": secret,
                "session_token": session_token,
                "next": "/mraps",
            },
        )


def wait_for_port(port: int, within: float = 20.0) -> None:
    """Block until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start_console_gateway(tmp: Path) -> tuple[Gateway, int]:
    """A dedicated gateway with its console on a free port: (gateway, console port)."""
    port = free_port()
    gw = make_gateway(tmp, MRAP_CONSOLE_PORT=str(port), MRAP_PROPAGATION_DELAY="0.1")
    gw.start()
    wait_for_port(port)
    return gw, port


@pytest.fixture(scope="module")
def console_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Gateway, int]]:
    """A gateway with its console on, one per test module: (gateway, console port)."""
    gw, port = start_console_gateway(tmp_path_factory.mktemp(request.module.__name__))
    yield gw, port
    if gw.process is not None:
        gw.stop()


@pytest.fixture
def gw(console_gateway: tuple[Gateway, int]) -> Gateway:
    """The console's gateway."""
    return console_gateway[0]


@pytest.fixture
def browser(console_gateway: tuple[Gateway, int]) -> ConsoleBrowser:
    """A browser signed in to the console as the account's root user."""
    signed_in = ConsoleBrowser(console_gateway[1])
    assert signed_in.sign_in(ACCESS_KEY, SECRET_KEY).status == 303
    return signed_in
