"""Pages from Jinja2 templates, every word from the catalogs in the reader's language.

A template reads its sentences with `t("key")` (a key under [web] in bot/text/*.toml); names
of areas and topics, times and masked texts come from the helpers below, so that nothing a
member of staff reads on a Vietnamese screen is English or an internal id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from bot.clock import format_local
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.evidence import ACCEPTED
from bot.domain.redaction import Masks, redact
from bot.domain.refusal import Refusal
from bot.domain.identity import Identity
from bot.services.web_login import WEB_SURFACE, Visitor
from bot.text import Catalog

LANGUAGES = ("vi", "en")
LANGUAGE_COOKIE = "doithoai_language"
# Who is logged in, as the guard found them; set on every request that needs a session. A typed
# key from aiohttp 3.14 on (which warns about plain ones); the project still accepts 3.9.
VISITOR: Any = web.RequestKey("visitor", Visitor) if hasattr(web, "RequestKey") else "visitor"
# The visitor's address (the proxy's X-Forwarded-For when the proxy is trusted).
CLIENT: Any = web.RequestKey("client", str) if hasattr(web, "RequestKey") else "client"


def download(name: str, content_type: str, content: bytes) -> web.Response:
    """A file the browser saves under `name` (Vietnamese letters kept, per RFC 6266)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return web.Response(body=content, headers={"Content-Type": content_type, "Content-Disposition": disposition})


def language_of(request: web.Request, default: str) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else default


class Renderer:
    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self._settings = settings
        self._catalog = catalog
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)
        self._environment = jinja2.Environment(
            loader=jinja2.PackageLoader("handlers.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,  # a misspelt name is an error in tests, not an empty spot
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._environment.globals["evidence_accept"] = ACCEPTED  # what the evidence buttons offer

    @property
    def default_language(self) -> str:
        return "vi"  # the ward office works in Vietnamese; English is a switch away

    def said(self, request: web.Request, refusal: Refusal) -> str:
        """Why something was refused, in the reader's language."""
        return refusal.render(self._catalog, language_of(request, self.default_language))

    def words(self, language: str) -> Words:
        return Words(self._catalog, language, self._settings, self._areas, self._topics)

    def page(self, request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
        language = language_of(request, self.default_language)
        words = self.words(language)
        values.setdefault("problem", None)  # the banner of a refused action, on any page
        values.setdefault("visitor", request.get(VISITOR))
        html = self._environment.get_template(template).render(
            t=words.t, words=words, language=language, path=request.path_qs, unit=words.unit_name(), **values,
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


    def render(self, template: str, **values: Any) -> str:
        """A template's HTML with exactly these values: the public pages, which have no visitor."""
        return self._environment.get_template(template).render(**values)


class Words:
    """What a template calls to word things in one language."""

    def __init__(self, catalog: Catalog, language: str, settings: Settings, areas: AreaTree, topics: TopicList) -> None:
        self.catalog = catalog
        self.language = language
        self._settings = settings
        self._areas = areas
        self._topics = topics
        self._known = catalog.keys(language)
        self._names = {i: m.name for m in settings.staff.everyone() if m.name for i in m.identities}

    def t(self, key: str, **values: object) -> str:
        return self.catalog.t(self.language, f"web.{key}", **values)

    def has(self, key: str) -> bool:
        return f"web.{key}" in self._known

    def any(self, key: str, **values: object) -> str:
        """A sentence from anywhere in the catalog (phases, statuses, dispositions)."""
        return self.catalog.t(self.language, key, **values)

    def when(self, instant: datetime | None) -> str:
        return format_local(instant, self._settings.zone) if instant else "—"

    def area(self, area_id: str) -> str:
        area = self._areas.get(area_id)
        return area.label(self.language) if area else area_id

    def area_path(self, area_id: str) -> str:
        """The area with the ones it lies in, as addresses are written."""
        return self._areas.path_label(area_id, self.language) if self._areas.get(area_id) else area_id

    def topic(self, topic_id: str) -> str:
        topic = self._topics.get(topic_id)
        return topic.label(self.language) if topic else topic_id

    def disposition(self, disposition: str) -> str:
        return self.catalog.t(self.language, f"disposition.{disposition}")

    def areas(self) -> list[tuple[str, str]]:
        return [(a.id, self.area(a.id)) for a in self._settings.areas]

    def topics(self) -> list[tuple[str, str]]:
        return [(t.id, t.label(self.language)) for t in self._topics.all()]

    def mask(self, text: str) -> str:
        """A resident's text as others may read it: numbers and e-mail addresses hidden."""
        masks = Masks(phone=self.catalog.t(self.language, "redaction.phone"),
                      email=self.catalog.t(self.language, "redaction.email"))
        return redact(text, masks)

    def actor(self, actor: str) -> str:
        """Who did something, as staff know them: their name in the config when it has one."""
        surface, _, rest = actor.partition(":")
        channel, _, user_id = (rest if surface == WEB_SURFACE else actor).partition(":")
        return self._names.get(Identity(channel, user_id), actor)

    def action(self, action: str, outcome: str) -> str:
        """What an audit row says was done, and how it ended when not simply done."""
        key = "audit." + action.replace(".", "_")
        said = self.t(key) if self.has(key) else self.any("web.audit.other", action=action)
        if outcome == "done":
            return said
        how = f"audit.outcome_{outcome}"
        return f"{said} ({self.t(how) if self.has(how) else outcome})"

    def refusal(self, refusal: Refusal) -> str:
        return refusal.render(self.catalog, self.language)

    def chair(self) -> str:
        """Who answers at the meeting, as the form suggests it."""
        unit = self._settings.unit
        return unit.chair_title_en if self.language == "en" and unit.chair_title_en else unit.chair_title

    def unit_name(self) -> str:
        unit = self._settings.unit
        return unit.name_en if self.language == "en" and unit.name_en else unit.name
