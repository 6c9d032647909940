"""Logging in to the staff console without a password: one-time links, sessions, and who is asking.

A member of staff asks the bot for a link (`/web` in a private chat, or an admin on the CLI);
the link is good for one login within LINK_LIFETIME. Logging in starts a session that ends
after the configured idle time or at logout. Only SHA-256 hashes of the secrets are stored.
What a session may do is read from the config on every request, so someone taken off the
staff list loses the console at their next click. Every issue, login, refusal and logout is
audited, with the console ("web") as the surface in the actor's name.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.config import IDENTITY_KEYS, OLDER_KEYS_CHANNEL, Settings
from bot.domain.identity import Identity
from bot.domain.refusal import Refusal
from bot.domain.vocabulary import Role
from bot.services.audit import AuditService
from bot.services.roles import Roles
from storage.db import Database
from storage.web import LoginLink, WebLoginRepository

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=10)
# Failed attempts one address may make in ATTEMPT_WINDOW before every attempt is refused for a while.
FAILED_ATTEMPTS_ALLOWED = 10
ATTEMPT_WINDOW = timedelta(minutes=10)
# Addresses whose failures are remembered at once: past this, the ones seen longest ago are
# forgotten first, so that a flood from many addresses cannot fill the memory.
TRACKED_ADDRESSES = 10_000
# Spent links and old sessions are deleted once they are this old: nobody needs them.
KEPT_FOR = timedelta(days=7)
SECRET_BYTES = 32
WEB_SURFACE = "web"


class WebLoginError(Refusal):
    """Why no login link was given (a catalog key under [refusal])."""


class LoginProblem(StrEnum):
    """Why a login link did not log anyone in; each has its page in the console."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    NOT_STAFF = "not_staff"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class IssuedLink:
    identity: Identity
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Login:
    """A session just started: its secret goes into the cookie and nowhere else."""

    session_secret: str
    identity: Identity


@dataclass(frozen=True)
class Visitor:
    """Who is behind a live session, and what they may do right now."""

    identity: Identity
    roles: frozenset[Role]
    csrf_token: str
    name: str | None

    @property
    def actor(self) -> str:
        """How the audit log names what this person does in the console."""
        return web_actor(self.identity)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


def web_actor(identity: Identity) -> str:
    return f"{WEB_SURFACE}:{identity.channel}:{identity.user_id}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class WebLoginService:
    def __init__(self, settings: Settings, database: Database, clock: Clock, audit: AuditService) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._audit = audit
        self._roles = Roles(settings)
        self._names = {i: m.name for m in settings.staff.everyone() for i in m.identities}
        # In memory on purpose: a restart forgetting failed attempts costs an attacker nothing
        # worth having, as a link's secret cannot be guessed; this only stops hammering.
        self._failures: dict[str, deque[datetime]] = {}

    @property
    def idle_limit(self) -> timedelta:
        return timedelta(minutes=self._settings.web.session_idle_minutes)

    # --- links ---------------------------------------------------------------------------

    def staff_identity(self, who: str) -> Identity:
        """A member of staff as an operator names them: a Telegram id, `channel:id`, or their name in the config."""
        text = who.strip()
        channel, separator, user_id = text.partition(":")
        if separator and channel in IDENTITY_KEYS:
            return Identity(channel, user_id.strip())
        if text.isdecimal():
            return Identity(OLDER_KEYS_CHANNEL, text)
        for member in self._settings.staff.everyone():
            if member.name and member.name.casefold() == text.casefold():
                return min(member.identities, key=lambda i: (i.channel != OLDER_KEYS_CHANNEL, i.channel))
        raise WebLoginError("refusal.web_no_such_staff", who=text)

    async def issue(self, identity: Identity, actor: str) -> IssuedLink:
        """A new one-time link for a member of staff; anyone else is refused, and that is audited."""
        subject = f"staff:{identity.channel}:{identity.user_id}"
        if Role.STAFF not in self._roles.of(identity.channel, identity.user_id):
            await self._audit.record(actor, "web.link", subject, outcome="forbidden")
            raise WebLoginError("refusal.web_not_staff")
        secret = secrets.token_urlsafe(SECRET_BYTES)
        now = self._clock.now()
        expires = now + LINK_LIFETIME
        async with self._database.transaction() as connection:
            web = WebLoginRepository(connection)
            await web.forget_before(now - KEPT_FOR)
            await web.add_link(_hash(secret), identity, now, expires)
        await self._audit.record(actor, "web.link", subject, after={"expires_at": expires.isoformat()})
        return IssuedLink(identity, f"{self._settings.web.base_url}/login/{secret}", expires)

    async def check_link(self, secret: str, client: str) -> LoginProblem | None:
        """Whether the link would log in now, without using it (its page asks to confirm first,
        so that a chat app fetching a preview of the link does not spend it). A refusal is audited."""
        if self._limited(client):
            await self._refuse(None, client, LoginProblem.TOO_MANY)
            return LoginProblem.TOO_MANY
        async with self._database.transaction() as connection:
            link = await WebLoginRepository(connection).link(_hash(secret))
        problem = self._problem(link)
        if problem is not None:
            await self._refuse(link, client, problem)
        return problem

    async def redeem(self, secret: str, client: str) -> Login | LoginProblem:
        """Uses the link: a new session, or why not (audited either way)."""
        if self._limited(client):
            await self._refuse(None, client, LoginProblem.TOO_MANY)
            return LoginProblem.TOO_MANY
        now = self._clock.now()
        session_secret = secrets.token_urlsafe(SECRET_BYTES)
        async with self._database.transaction() as connection:
            web = WebLoginRepository(connection)
            link = await web.link(_hash(secret))
            problem = self._problem(link)
            if link is not None and problem is None and await web.use_link(_hash(secret), now):
                await web.add_session(_hash(session_secret), link.identity, secrets.token_urlsafe(SECRET_BYTES), now)
            elif problem is None:
                problem = LoginProblem.USED
        if problem is not None:
            await self._refuse(link, client, problem)
            return problem
        assert link is not None
        await self._audit.record(web_actor(link.identity), "web.login", "web", after={"client": client})
        return Login(session_secret, link.identity)

    async def _refuse(self, link: LoginLink | None, client: str, problem: LoginProblem) -> None:
        """A login refused: counted against the address it came from, and audited."""
        if problem is not LoginProblem.TOO_MANY:
            self._failed(client)
        actor = web_actor(link.identity) if link else f"{WEB_SURFACE}:{client}"
        await self._audit.record(actor, "web.login", "web", after={"client": client}, outcome=str(problem))
        log.info("console login refused (%s) from %s", problem, client)

    def _problem(self, link: LoginLink | None) -> LoginProblem | None:
        if link is None:
            return LoginProblem.UNKNOWN
        if link.used_at is not None:
            return LoginProblem.USED
        if self._clock.now() >= link.expires_at:
            return LoginProblem.EXPIRED
        if Role.STAFF not in self._roles.of(link.identity.channel, link.identity.user_id):
            return LoginProblem.NOT_STAFF
        return None

    def _limited(self, client: str) -> bool:
        failures = self._failures.get(client)
        if not failures:
            return False
        horizon = self._clock.now() - ATTEMPT_WINDOW
        while failures and failures[0] < horizon:
            failures.popleft()
        if not failures:
            del self._failures[client]  # nothing to remember about this address any more
        return len(failures) >= FAILED_ATTEMPTS_ALLOWED

    def _failed(self, client: str) -> None:
        failures = self._failures.pop(client, None) or deque(maxlen=FAILED_ATTEMPTS_ALLOWED)
        failures.append(self._clock.now())
        if len(self._failures) >= TRACKED_ADDRESSES:
            horizon = self._clock.now() - ATTEMPT_WINDOW
            self._failures = {a: f for a, f in self._failures.items() if f and f[-1] >= horizon}
            while len(self._failures) >= TRACKED_ADDRESSES:
                del self._failures[next(iter(self._failures))]
        self._failures[client] = failures  # last: the dict's order is the order addresses last failed

    @property
    def tracked_addresses(self) -> int:
        """Addresses whose failed logins are remembered now (bounded by TRACKED_ADDRESSES)."""
        return len(self._failures)

    # --- sessions ------------------------------------------------------------------------

    async def visitor(self, session_secret: str) -> Visitor | None:
        """Who holds this session, with their roles as the config gives them now; None when it is
        unknown, ended, idle too long, or its holder is no longer staff."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            web = WebLoginRepository(connection)
            session = await web.session(_hash(session_secret))
            if session is None or session.ended_at is not None:
                return None
            identity = session.identity
            roles = self._roles.of(identity.channel, identity.user_id)
            if now - session.last_seen_at > self.idle_limit or Role.STAFF not in roles:
                await web.end(_hash(session_secret), now)
                return None
            await web.touch(_hash(session_secret), now)
        return Visitor(identity, roles, session.csrf_token, self._names.get(identity))

    async def logout(self, session_secret: str) -> None:
        now = self._clock.now()
        async with self._database.transaction() as connection:
            web = WebLoginRepository(connection)
            session = await web.session(_hash(session_secret))
            await web.end(_hash(session_secret), now)
        if session is not None:
            await self._audit.record(web_actor(session.identity), "web.logout", "web")

    async def refused(self, visitor: Visitor | None, client: str, path: str, why: str) -> None:
        """A console request refused (no right to it, no CSRF token): kept, like refused staff commands."""
        actor = visitor.actor if visitor else f"{WEB_SURFACE}:{client}"
        await self._audit.record(actor, "web.refused", f"web:{path}", after={"why": why}, outcome="forbidden")
        log.info("console request %s refused (%s) for %s", path, why, actor)
