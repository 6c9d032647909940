"""Open311 GeoReport v2 against the spec's field lists and formats (http://wiki.open311.org/GeoReport_v2),
in JSON and in XML parsed back; its filters; a POST with a bad key; a POST that staff then find in
their queue, with where it came from; and nothing personal in any answer."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import httpx

from bot.services.web_queue import QueueFilter
from tests.publickit import API_KEY, SECRETS, Site, site

__all__ = ["site"]

# The spec's "GET Service Requests" response, field by field, in its order.
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
# W3C date and time with its zone, as the spec requires ("2010-01-01T00:00:00Z" or "+07:00").
W3 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
TREE = "Cây xanh ngã đổ chắn lối đi trước nhà số 5 hẻm 20 Lũy Bán Bích, nguy hiểm cho người đi đường."


def client(site: Site) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=site.url + "/open311/v2", timeout=30)


async def get_json(site: Site, path: str, **params: str) -> Any:
    async with client(site) as http:
        response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


async def get_xml(site: Site, path: str, **params: str) -> ET.Element:
    async with client(site) as http:
        response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def check_request(record: dict[str, Any]) -> None:
    assert list(record) == REQUEST_FIELDS
    assert record["status"] in ("open", "closed")
    assert W3.match(record["requested_datetime"]) and W3.match(record["updated_datetime"])
    assert record["expected_datetime"] is None or W3.match(record["expected_datetime"])
    assert record["updated_datetime"] >= record["requested_datetime"]


def nothing_personal(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


async def post(site: Site, path: str = "/requests.json", **form: str) -> httpx.Response:
    async with client(site) as http:
        return await http.post(path, data=form)


async def test_services_are_the_topics_in_json_and_xml(site: Site) -> None:
    services = await get_json(site, "/services.json")
    assert [s["service_code"] for s in services] == [t.id for t in site.settings.topics]
    for service in services:
        assert list(service) == SERVICE_FIELDS
        assert service["metadata"] is False and service["type"] == "realtime"
    assert services[0]["service_name"] == site.settings.topics[0].name
    english = await get_json(site, "/services.json", lang="en")
    assert english[0]["service_name"] == site.settings.topics[0].name_en
    root = await get_xml(site, "/services.xml")
    assert root.tag == "services"
    assert [[child.tag for child in s] for s in root] == [SERVICE_FIELDS] * len(services)
    assert [s.findtext("service_code") for s in root] == [s["service_code"] for s in services]
    assert {s.findtext("metadata") for s in root} == {"false"}


async def test_the_discovery_document_names_the_endpoint(site: Site) -> None:
    discovery = await get_json(site, "/discovery.json")
    assert list(discovery) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint, = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{site.url}/open311/v2" and set(endpoint["formats"]) == {"application/json", "text/xml"}
    root = await get_xml(site, "/discovery.xml")
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == endpoint["formats"]


async def test_requests_carry_every_field_and_no_personal_data(site: Site) -> None:
    requests = await get_json(site, "/requests.json")
    assert {r["service_request_id"] for r in requests} == {site.lamp, site.drain}
    for record in requests:
        check_request(record)
        assert record["status"] == "open"
    drain = next(r for r in requests if r["service_request_id"] == site.drain)
    assert "[số điện thoại đã ẩn]" in drain["description"] and "[địa chỉ e-mail đã ẩn]" in drain["description"]
    assert drain["lat"] is None and drain["long"] is None  # her location is not public ([public] show_location)
    assert drain["address_id"] == "kp1-t2" and "Khu phố 1" in drain["address"]
    root = await get_xml(site, "/requests.xml")
    assert root.tag == "service_requests"
    assert [[child.tag for child in r] for r in root] == [REQUEST_FIELDS] * 2
    assert [r.findtext("service_request_id") for r in root] == [r["service_request_id"] for r in requests]
    async with client(site) as http:
        for path in ("/requests.json", "/requests.xml", f"/requests/{site.drain}.json", f"/requests/{site.drain}.xml"):
            nothing_personal((await http.get(path)).text)


async def test_answers_once_published_are_status_notes_agency_and_due_date(site: Site) -> None:
    before = await get_json(site, f"/requests/{site.drain}.json")
    due = await site.answer_and_publish()
    lamp, = await get_json(site, f"/requests/{site.lamp}.json")
    check_request(lamp)
    assert lamp["status"] == "closed"
    assert "Phường đã thay bóng đèn hẻm 48" in lamp["status_notes"] and "Đã trả lời tại hội nghị" in lamp["status_notes"]
    drain, = await get_json(site, f"/requests/{site.drain}.json")
    check_request(drain)
    assert drain["status"] == "open"  # forwarded: open until the agency answers
    assert drain["agency_responsible"] == "Công ty Thoát nước đô thị"
    assert drain["expected_datetime"].startswith(due.isoformat() + "T")
    assert drain["updated_datetime"] > before[0]["updated_datetime"]
    await site.services.followup.finalise(site.drain, "Công ty đã nạo vét cống hẻm 12.", "test")
    drain, = await get_json(site, f"/requests/{site.drain}.json")
    assert drain["status"] == "closed" and "Công ty đã nạo vét cống hẻm 12." in drain["status_notes"]
    root = await get_xml(site, f"/requests/{site.drain}.xml")
    assert root[0].findtext("status") == "closed" and root[0].findtext("expected_datetime") == ""


async def test_the_filters_of_get_requests(site: Site) -> None:
    site.clock.advance(timedelta(hours=2))
    await post(site, api_key=API_KEY, service_code="moi-truong", description=TREE, address_string="5 hẻm 20 Lũy Bán Bích")
    everything = await get_json(site, "/requests.json")
    assert len(everything) == 3
    tree = everything[0]["service_request_id"]  # newest first
    by_id = await get_json(site, "/requests.json", service_request_id=f"{site.lamp},{tree}", status="closed")
    assert {r["service_request_id"] for r in by_id} == {site.lamp, tree}  # the spec: ids override the rest
    by_code = await get_json(site, "/requests.json", service_code="moi-truong")
    assert [r["service_request_id"] for r in by_code] == [tree]
    by_two = await get_json(site, "/requests.json", service_code="moi-truong,hem-chieu-sang")
    assert len(by_two) == 3
    later = everything[0]["requested_datetime"]
    assert [r["service_request_id"] for r in await get_json(site, "/requests.json", start_date=later)] == [tree]
    assert {r["service_request_id"] for r in await get_json(site, "/requests.json", end_date=everything[1]["requested_datetime"])} == {site.lamp, site.drain}
    await site.answer_and_publish()
    closed = await get_json(site, "/requests.json", status="closed")
    assert [r["service_request_id"] for r in closed] == [site.lamp]
    opened = await get_json(site, "/requests.json", status="open")
    assert {r["service_request_id"] for r in opened} == {site.drain, tree}
    both = await get_json(site, "/requests.json", status="open,closed")
    assert len(both) == 3
    xml = await get_xml(site, "/requests.xml", status="closed")
    assert [r.findtext("service_request_id") for r in xml] == [site.lamp]


async def test_errors_are_in_the_georeport_format(site: Site) -> None:
    async with client(site) as http:
        missing = await http.get("/requests/TT-9999.json")
        assert missing.status_code == 404
        assert missing.json() == [{"code": 404, "description": "Không có ý kiến mã TT-9999."}]
        bad_date = await http.get("/requests.xml", params={"start_date": "2026-03-01"})
        assert bad_date.status_code == 400
        error = ET.fromstring(bad_date.content)
        assert error.tag == "errors" and [c.tag for c in error[0]] == ["code", "description"]
        assert error[0].findtext("code") == "400" and "start_date" in (error[0].findtext("description") or "")
        nowhere = await http.get("/tokens/1.json")
        assert nowhere.status_code == 404 and nowhere.json()[0]["code"] == 404


async def test_a_post_with_a_bad_key_is_refused_and_stores_nothing(site: Site) -> None:
    for key in ("", "not-the-key", API_KEY + "x"):
        refused = await post(site, api_key=key, service_code="hem-chieu-sang", description=TREE, address_id="kp1-t1")
        assert refused.status_code == 403
        assert refused.json()[0]["code"] == 403 and "api_key" in refused.json()[0]["description"]
    xml = await post(site, "/requests.xml", api_key="wrong", service_code="hem-chieu-sang", description=TREE, address_id="kp1-t1")
    assert xml.status_code == 403 and ET.fromstring(xml.content)[0].findtext("code") == "403"
    assert (await site.database.fetch_one("SELECT count(*) FROM concerns"))[0] == 2


async def test_a_posted_concern_is_in_the_staff_queue_with_its_source(site: Site) -> None:
    sent = await post(site, api_key=API_KEY, service_code="moi-truong", description=TREE,
                      address_id="kp2", first_name="Hà", last_name="Văn Minh", phone="0987 654 321",
                      email="minh@example.vn", account_id="hotline-4411", media_url="https://hotline.example.vn/anh/4411.jpg")
    assert sent.status_code == 201, sent.text
    created, = sent.json()
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    code = created["service_request_id"]
    assert created["account_id"] == "hotline-4411" and "Hội nghị đối thoại quý I/2026" in created["service_notice"]
    queue = await site.services.queue_search.search(1, QueueFilter())
    row = next(r for r in queue.rows if r.concern.code == code)
    assert row.concern.topic_id == "moi-truong" and row.concern.area_id == "kp2"
    assert row.concern.contact_name == "Hà Văn Minh" and row.concern.contact_phone == "+84987654321"  # for staff to call
    source = await site.services.public.source_of(code)
    assert source is not None and source.client == "hotline" and source.source == "open311"
    record, = await get_json(site, f"/requests/{code}.json")
    check_request(record)
    assert record["media_url"] == "https://hotline.example.vn/anh/4411.jpg"
    for secret in ("Văn Minh", "0987", "987654321", "minh@example.vn"):
        assert secret not in str(record)
    audited = await site.database.fetch_one("SELECT actor FROM audit_log WHERE action = 'open311.submit'")
    assert audited["actor"] == "open311:hotline"
    # Published answers are not pushed to a client's residents: the client reads them back.
    await site.answer_and_publish()
    queued = await site.database.fetch_all("SELECT channel FROM outbox")
    assert "open311" not in {row["channel"] for row in queued}


async def test_a_post_is_checked_like_a_chat_concern(site: Site) -> None:
    limits = site.settings.limits
    cases = {
        (400, "service_code"): dict(description=TREE, address_id="kp1"),
        (404, "trash"): dict(service_code="trash", description=TREE, address_id="kp1"),
        (400, "ngắn"): dict(service_code="hem-chieu-sang", description="Đèn hư", address_id="kp1"),
        # One short word is short, as in the chat (bot/domain/concern_text.py), not wordless.
        (400, "quá ngắn"): dict(service_code="hem-chieu-sang", description="hu", address_id="kp1"),
        (400, str(limits.text_max_chars)): dict(service_code="hem-chieu-sang", description="đèn " * 600, address_id="kp1"),
        (400, "chữ"): dict(service_code="hem-chieu-sang", description="1234567890 !!!", address_id="kp1"),
        (400, "address_id"): dict(service_code="hem-chieu-sang", description=TREE),
        (400, "lat"): dict(service_code="hem-chieu-sang", description=TREE, lat="95", long="106.6"),
        (404, "kp99"): dict(service_code="hem-chieu-sang", description=TREE, address_id="kp99"),
        (400, "điện thoại"): dict(service_code="hem-chieu-sang", description=TREE, address_id="kp1", phone="12345"),
    }
    for (status, said), form in cases.items():
        refused = await post(site, api_key=API_KEY, **form)
        assert refused.status_code == status, (form, refused.text)
        assert said in refused.json()[0]["description"], (form, refused.text)
    assert (await site.database.fetch_one("SELECT count(*) FROM concerns"))[0] == 2
    site.clock.advance(timedelta(days=11))  # the intake has closed
    late = await post(site, api_key=API_KEY, service_code="hem-chieu-sang", description=TREE, address_id="kp1")
    assert late.status_code == 400 and "không có hội nghị" in late.json()[0]["description"].lower()


async def test_a_client_is_held_to_the_chat_rate_limit(site: Site) -> None:
    per_minute = site.settings.limits.messages_per_minute
    statuses = [
        (await post(site, api_key=API_KEY, service_code="hem-chieu-sang", description=f"{TREE} Lần {n}.",
                    address_id="kp1", account_id="caller-7")).status_code
        for n in range(per_minute + 1)
    ]
    assert statuses == [201] * per_minute + [429]
    other = await post(site, api_key=API_KEY, service_code="hem-chieu-sang", description=TREE, address_id="kp1", account_id="caller-8")
    assert other.status_code == 201
    site.clock.advance(timedelta(minutes=1))
    again = await post(site, api_key=API_KEY, service_code="hem-chieu-sang", description=TREE, address_id="kp1", account_id="caller-7")
    assert again.status_code == 201
