"""Every GeoReport v2 resource in JSON (validated against schemas from the specification) and in XML."""

import re

import pytest

from tests.open311.conftest import check_schema, parse_xml, report

ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def test_discovery(client, o311):
    response = client.get("/open311/v2/discovery.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    check_schema("discovery", document)
    endpoint = document["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert ISO_LOCAL.match(document["changeset"])

    root = parse_xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    xml_endpoint = root.find("endpoints/endpoint")
    assert [c.tag for c in xml_endpoint] == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in xml_endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_services_list_public_types_only(client, o311):
    document = client.get("/open311/v2/services.json").json()
    check_schema("services", document)
    codes = [s["service_code"] for s in document]
    assert codes == [
        "complaint",
        "help",
        "consultation",
        "suggestion",
        "illegal_content",
        "security_incident",
        "data_breach",
    ]
    by_code = {s["service_code"]: s for s in document}
    assert by_code["complaint"]["metadata"] is False
    assert by_code["illegal_content"]["metadata"] is True
    assert {s["type"] for s in document} == {"realtime"}

    root = parse_xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert {c.tag for c in root} == {"service"}
    assert [c.tag for c in root[0]] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert root[0].find("metadata").text == "false"


def test_service_definition(client, o311):
    document = client.get("/open311/v2/services/illegal_content.json").json()
    check_schema("service_definition", document)
    assert document["service_code"] == "illegal_content"
    harm, url, platform = document["attributes"]
    assert (harm["code"], harm["datatype"], harm["required"], harm["order"]) == (
        "harm_kind",
        "singlevaluelist",
        True,
        1,
    )
    assert {"key": "fraud", "name": "网络诈骗"} in harm["values"]
    assert (url["datatype"], url["required"], platform["required"]) == ("string", True, False)
    dates = client.get("/open311/v2/services/data_breach.json").json()["attributes"]
    assert {a["code"]: a["datatype"] for a in dates} == {
        "organisation": "string",
        "affected_count": "number",
        "data_kinds": "string",
        "discovered_on": "datetime",
    }
    check_schema("service_definition", client.get("/open311/v2/services/complaint.json").json())

    root = parse_xml(client.get("/open311/v2/services/illegal_content.xml"))
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert [c.tag for c in attribute] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert attribute.find("variable").text == "true"
    value = attribute.find("values/value")
    assert [c.tag for c in value] == ["key", "name"]


@pytest.mark.parametrize("code", ["opinion_followup", "nope", "x" * 200])
def test_internal_and_unknown_services_are_not_found(client, o311, code):
    response = client.get(f"/open311/v2/services/{code}.json")
    assert response.status_code == 404
    check_schema("errors", response.json())


def test_post_and_read_back_in_both_formats(client, o311):
    response = report(client, o311.key, media_url="https://img.example.com/1.jpg", account_id="acct-7")
    assert response.status_code == 200, response.text
    document = response.json()
    check_schema("post_response", document)
    created = document[0]
    assert created["account_id"] == "acct-7"
    assert "工作日" in created["service_notice"]
    number = created["service_request_id"]

    xml_created = parse_xml(report(client, o311.key, fmt="xml"))
    assert xml_created.tag == "service_requests"
    assert [c.tag for c in xml_created.find("request")] == [
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    ]

    one = client.get(f"/open311/v2/requests/{number}.json").json()
    check_schema("service_requests", one)
    request = one[0]
    assert request["service_request_id"] == number
    assert (request["status"], request["service_code"], request["service_name"]) == (
        "open",
        "complaint",
        "投诉",
    )
    assert request["media_url"] == "https://img.example.com/1.jpg"
    assert (request["lat"], request["long"]) == (36.456, 115.9854)
    assert ISO_LOCAL.match(request["requested_datetime"]) and ISO_LOCAL.match(request["updated_datetime"])
    assert request["status_notes"].startswith("已提交")

    root = parse_xml(client.get(f"/open311/v2/requests/{number}.xml"))
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == REQUEST_FIELDS
    assert root.find("request/status").text == "open"
    assert ISO_LOCAL.match(root.find("request/requested_datetime").text)

    listed = client.get("/open311/v2/requests.json").json()
    check_schema("service_requests", listed)
    assert len(listed) == 2
    assert [
        c.tag for c in parse_xml(client.get("/open311/v2/requests.xml")).find("request")
    ] == REQUEST_FIELDS


def test_tokens_map_to_the_request(client, o311):
    created = report(client, o311.key).json()[0]
    document = client.get(f"/open311/v2/tokens/{created['token']}.json").json()
    check_schema("tokens", document)
    assert document == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    root = parse_xml(client.get(f"/open311/v2/tokens/{created['token']}.xml"))
    assert [c.tag for c in root.find("request")] == ["service_request_id", "token"]
    assert client.get("/open311/v2/tokens/unknown.json").status_code == 404
