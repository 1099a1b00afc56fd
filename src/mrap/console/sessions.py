"""Console sessions, kept server-side, and the limit on failed sign-ins.

Sessions live in the memory of the gateway process that serves the console (only one process
does, even with several workers), so a restart signs everyone out. The browser holds only an
unguessable session id; the credentials never leave the server.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from mrap.console.client import Credentials

IDLE_SECONDS = 12 * 3600  # a session unused this long is gone
FAILED_SIGN_INS = 5  # failed attempts allowed per client address…
FAILED_WINDOW = 60.0  # …within this many seconds


@dataclass
class Session:
    """One signed-in browser: whose credentials, and the token its forms must carry."""

    credentials: Credentials
    account: str
    arn: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_seen: float = field(default_factory=time.monotonic)


class SessionStore:
    """Sessions by id, forgotten after `idle` seconds without a request."""

    def __init__(self, idle: float = IDLE_SECONDS) -> None:
        self._idle = idle
        self._sessions: dict[str, Session] = {}

    def create(self, credentials: Credentials, account: str, arn: str) -> tuple[str, Session]:
        """A new session and its id (the cookie's value)."""
        self._expire()
        session_id = secrets.token_urlsafe(32)
        session = Session(credentials, account, arn)
        self._sessions[session_id] = session
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session with this id, its idle clock restarted; None if unknown or idle."""
        session = self._sessions.get(session_id)
        now = time.monotonic()
        if session is None:
            return None
        if now - session.last_seen > self._idle:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        return session

    def delete(self, session_id: str) -> None:
        """Sign out."""
        self._sessions.pop(session_id, None)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self._idle
        for session_id in [k for k, s in self._sessions.items() if s.last_seen < cutoff]:
            del self._sessions[session_id]


class SignInLimiter:
    """Counts failed sign-ins per client address in a sliding window."""

    def __init__(self, limit: int = FAILED_SIGN_INS, window: float = FAILED_WINDOW) -> None:
        self._limit = limit
        self._window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        cutoff = time.monotonic() - self._window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def blocked(self, address: str) -> bool:
        """Whether this address has used up its failed attempts for now."""
        return len(self._recent(address)) >= self._limit

    def failed(self, address: str) -> None:
        """Record one failed attempt."""
        self._recent(address)
        self._failures.setdefault(address, deque()).append(time.monotonic())
