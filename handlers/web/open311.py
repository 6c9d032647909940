"""Open311 GeoReport v2 under /open311/v2/ (http://wiki.open311.org/GeoReport_v2): our topics as
services, our concerns as service requests, in JSON and XML, and POST requests for systems that
feed concerns in with a client's api_key.

The records are the public pages' (bot/services/public.py): no name, phone number or e-mail
address; words through the redaction function. Errors are the spec's list of {code,
description}, with its HTTP statuses: 403 for the key, 404 for what does not exist, 400 else.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from aiohttp import web

from bot.clock import format_local
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.services.layer import ServiceLayer
from bot.services.open311 import Open311Error
from bot.services.public import PublicConcern, RequestFilter
from handlers.web.caching import PUBLIC_CACHE, revalidated
from handlers.web.render import LANGUAGES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API's shape last changed (the discovery document's "changeset"): bump it with it.
CHANGESET = "2026-12-02T00:00:00Z"
FORMATS = "{format:(json|xml)}"
CONTENT_TYPES = {"json": "application/json", "xml": "text/xml"}
# The order of the spec's field list; every field is sent, empty (null) when we have no value.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
# The end of the day a forwarded concern's agency must answer by, in the unit's zone.
DUE_TIME = time(23, 59, 59)

Record = dict[str, Any]


class Open311Api:
    def __init__(self, services: ServiceLayer, settings: Settings) -> None:
        self._services = services
        self._settings = settings
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)

    def routes(self) -> list[web.RouteDef]:
        base = "/open311/v2"
        return [
            web.get(f"{base}/discovery.{FORMATS}", self.discovery),
            web.get(f"{base}/services.{FORMATS}", self.services),
            web.get(f"{base}/requests.{FORMATS}", self.requests),
            web.post(f"{base}/requests.{FORMATS}", self.post),
            web.get(f"{base}/requests/{{id}}.{FORMATS}", self.request),
            web.route("*", "/open311/{tail:.*}", self.unknown),
        ]

    async def discovery(self, request: web.Request) -> web.Response:
        base = self._settings.web.public_url or f"{request.scheme}://{request.host}"
        changeset = CHANGESET
        document = {
            "changeset": changeset,
            "contact": self._settings.open311.contact or self._settings.privacy.contact,
            "key_service": self._t(request, "key_service"),
            "endpoints": [{
                "specification": SPECIFICATION, "url": f"{base}/open311/v2", "changeset": changeset,
                "type": "production", "formats": list(CONTENT_TYPES.values()),
            }],
        }
        if _format(request) == "json":
            return revalidated(request, _json(document, PUBLIC_CACHE))
        root = ET.Element("discovery")
        for key in ("changeset", "contact", "key_service"):
            ET.SubElement(root, key).text = str(document[key])
        endpoint = ET.SubElement(ET.SubElement(root, "endpoints"), "endpoint")
        for key, value in document["endpoints"][0].items():  # type: ignore[index]
            if key == "formats":
                formats = ET.SubElement(endpoint, "formats")
                for mime in value:
                    ET.SubElement(formats, "format").text = mime
            else:
                ET.SubElement(endpoint, key).text = value
        return revalidated(request, _xml(root, PUBLIC_CACHE))

    async def services(self, request: web.Request) -> web.Response:
        language = _language(request)
        records = [
            {
                "service_code": topic.id, "service_name": topic.label(language),
                "description": f"{topic.label(language)} ({topic.agency})" if topic.agency else topic.label(language),
                "metadata": False, "type": "realtime",
                "keywords": ", ".join(sorted({topic.name, topic.name_en or topic.name})), "group": None,
            }
            for topic in self._topics.all()
        ]
        return revalidated(request, _respond(request, "services", "service", records, SERVICE_FIELDS))

    async def requests(self, request: web.Request) -> web.Response:
        try:
            wanted = _filter(request.query)
        except Open311Error as error:
            return self._error(request, error)
        language = _language(request)
        found = await self._services.public.requests(wanted, language)
        records = [self._record(c, language) for c in found]
        return revalidated(request, _respond(request, "service_requests", "request", records, REQUEST_FIELDS))

    async def request(self, request: web.Request) -> web.Response:
        language = _language(request)
        concern = await self._services.public.concern(request.match_info["id"][:40], language)
        if concern is None:
            return self._error(request, Open311Error(404, "no_request", id=request.match_info["id"][:40]))
        return revalidated(request, _respond(request, "service_requests", "request", [self._record(concern, language)], REQUEST_FIELDS))

    async def post(self, request: web.Request) -> web.Response:
        form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
        language = _language(request)
        try:
            submitted = await self._services.open311.submit(form, language)
        except Open311Error as error:
            return self._error(request, error)
        record = {"service_request_id": submitted.concern.code, "service_notice": submitted.notice,
                  "account_id": form.get("account_id") or None}
        response = _respond(request, "service_requests", "request", [record], tuple(record))
        response.set_status(201)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def unknown(self, request: web.Request) -> web.Response:
        return self._error(request, Open311Error(404, "no_such_path"))

    def _record(self, concern: PublicConcern, language: str) -> Record:
        zone = self._settings.zone
        answer = concern.answer
        topic = self._topics.get(concern.topic_id)
        meeting = self._services.catalog.t(language, "open311.to_meeting", id=concern.meeting_id)
        expected = None
        if answer is not None and answer.awaiting_agency and answer.due_date is not None:
            expected = _w3(datetime.combine(answer.due_date, DUE_TIME, zone))
        return {
            "service_request_id": concern.code,
            "status": "closed" if concern.closed else "open",
            "status_notes": self._notes(concern, language),
            "service_name": topic.label(language) if topic else None,
            "service_code": concern.topic_id,
            "description": concern.text,
            "agency_responsible": (answer.agency if answer and answer.agency else topic.agency if topic else None) or None,
            "service_notice": meeting,
            "requested_datetime": _w3(concern.submitted_at.astimezone(zone)),
            "updated_datetime": _w3(concern.updated_at.astimezone(zone)),
            "expected_datetime": expected,
            "address": self._areas.path_label(concern.area_id, language) if concern.area_id and self._areas.get(concern.area_id) else None,
            "address_id": concern.area_id,
            "zipcode": None,
            "lat": concern.latitude,
            "long": concern.longitude,
            "media_url": concern.media_url,
        }

    def _notes(self, concern: PublicConcern, language: str) -> str:
        """The disposition and the answer, as /status words them; or why the concern stands where it does."""
        t = self._services.catalog.t
        answer = concern.answer
        # An answered concern's notes are its answer; otherwise where it stands.
        notes = [] if answer is not None else [t(language, f"status.{concern.status}")]
        if concern.merged_into:
            notes = [t(language, "open311.merged_into", code=concern.merged_into)]
        if concern.reason:
            notes.append(concern.reason)
        if answer is not None:
            notes.append(t(language, "status.answer", disposition=t(language, f"disposition.{answer.disposition}"),
                           answer=answer.answer, by=answer.answered_by))
            if answer.awaiting_agency and answer.due_date is not None:
                notes.append(t(language, "status.forwarded", agency=answer.agency or "", due=answer.due_date.strftime("%d/%m/%Y")))
            if answer.final_answer:
                notes.append(t(language, "status.final", agency=answer.agency or "", answer=answer.final_answer))
                if answer.final_at:
                    notes.append(format_local(answer.final_at, self._settings.zone))
        return "\n".join(notes)

    def _t(self, request: web.Request, key: str, **values: object) -> str:
        return self._services.catalog.t(_language(request), f"open311.{key}", **values)

    def _error(self, request: web.Request, error: Open311Error) -> web.Response:
        description = error.describe(self._services.catalog, _language(request))
        response = _respond(request, "errors", "error", [{"code": error.status, "description": description}],
                            ("code", "description"))
        response.set_status(error.status)
        response.headers["Cache-Control"] = "no-store"
        return response


def _format(request: web.Request) -> str:
    named = request.match_info.get("format")
    if named:
        return named
    return "json" if request.path.endswith(".json") else "xml"  # XML: the spec's required format


def _language(request: web.Request) -> str:
    chosen = request.query.get("lang", "")
    return chosen if chosen in LANGUAGES else "vi"


def _w3(instant: datetime) -> str:
    """W3C date and time, with the zone's offset (the spec: 2010-01-01T00:00:00+07:00)."""
    return instant.replace(microsecond=0).isoformat()


def _filter(query: Mapping[str, str]) -> RequestFilter:
    def listed(key: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in query.get(key, "").split(",") if part.strip())[:100]

    statuses = listed("status")
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "bad_status")
    closed = None if len(set(statuses)) != 1 else statuses[0] == "closed"
    return RequestFilter(codes=listed("service_request_id"), topics=listed("service_code"),
                         start=_when(query, "start_date"), end=_when(query, "end_date"), closed=closed)


def _when(query: Mapping[str, str], key: str) -> datetime | None:
    raw = query.get(key, "").strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Open311Error(400, "bad_date", field=key)
    return parsed


def _respond(request: web.Request, root: str, item: str, records: list[Record], fields: tuple[str, ...]) -> web.Response:
    if _format(request) == "json":
        return _json([{key: record.get(key) for key in fields} for record in records], PUBLIC_CACHE)
    element = ET.Element(root)
    for record in records:
        child = ET.SubElement(element, item)
        for key in fields:
            ET.SubElement(child, key).text = _xml_text(record.get(key))
    return _xml(element, PUBLIC_CACHE)


def _xml_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _json(document: object, cache: str) -> web.Response:
    response = web.Response(text=json.dumps(document, ensure_ascii=False), content_type="application/json", charset="utf-8")
    response.headers.update({"Cache-Control": cache, "Access-Control-Allow-Origin": "*"})
    return response


def _xml(element: ET.Element, cache: str) -> web.Response:
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    response = web.Response(text=body, content_type="text/xml", charset="utf-8")
    response.headers.update({"Cache-Control": cache, "Access-Control-Allow-Origin": "*"})
    return response
