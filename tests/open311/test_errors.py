"""Errors in the specification's own shape, with 400, 403 and 404, never 500 and never the app's HTML."""

import pytest

from tests.open311.conftest import check_schema, parse_xml, report


def _json_error(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    check_schema("errors", document)
    assert document[0]["code"] == status
    return document[0]["description"]


def _xml_error(response, status: int) -> str:
    assert response.status_code == status, response.text
    root = parse_xml(response)
    assert root.tag == "errors"
    error = root.find("error")
    assert [c.tag for c in error] == ["code", "description"]
    assert error.find("code").text == str(status)
    return error.find("description").text


@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/requests/261123-4F7K2-X",
        "/open311/v2/requests/99999999999999999999999999999",
        "/open311/v2/requests/-1",
        "/open311/v2/requests/%00",
        "/open311/v2/requests/" + "9" * 300,
        "/open311/v2/services/nope",
        "/open311/v2/tokens/" + "f" * 32,
        "/open311/v2/nothing-here",
    ],
)
def test_unknown_things_are_404_in_either_format(client, o311, path):
    _json_error(client.get(path + ".json", headers={"Accept": "text/html"}), 404)
    _xml_error(client.get(path + ".xml", headers={"Accept": "application/json"}), 404)


def test_unknown_extension_is_404_in_xml(client, o311):
    _xml_error(client.get("/open311/v2/services.csv"), 404)
    _xml_error(client.get("/open311/v2/services"), 404)


def test_post_without_or_with_a_bad_key_is_403(client, o311):
    assert "api_key" in _json_error(report(client, None), 403)
    _json_error(report(client, ""), 403)
    _xml_error(report(client, "o311_not-a-key", fmt="xml"), 403)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": ""}, "service_code"),
        ({"service_code": "nope"}, "service_code"),
        ({"service_code": "opinion_followup"}, "service_code"),
        ({"lat": None, "long": None, "address_string": None}, "lat"),
        ({"lat": "", "long": "", "address_string": ""}, "lat"),
        ({"long": None, "address_string": None}, "long"),
        ({"lat": "north"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"long": "nan"}, "long"),
        ({"description": None}, "description"),
        ({"description": "坏了"}, "description"),
        ({"phone": "12345"}, "phone"),
        ({"phone": None}, "phone"),
        ({"first_name": None, "last_name": None}, "first_name"),
        ({"first_name": None, "last_name": None, "phone": None, "email": None}, "匿名"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"account_id": "x" * 200}, "account_id"),
        ({"description": "下水道堵塞\x00好几天"}, "非法字符"),
    ],
)
def test_bad_posts_are_400_and_say_what_is_wrong(client, session, o311, fields, says):
    description = _json_error(report(client, o311.key, **fields), 400)
    assert says in description


def test_bad_attributes_are_400(client, o311):
    base = {
        "service_code": "illegal_content",
        "first_name": None,
        "last_name": None,
        "phone": None,
        "email": None,
    }
    missing = _json_error(report(client, o311.key, **base, **{"attribute[harm_kind]": "fraud"}), 400)
    assert "attribute[url]" in missing
    wrong = {"attribute[harm_kind]": "kittens", "attribute[url]": "https://bad.example.com"}
    assert "attribute[harm_kind]" in _json_error(report(client, o311.key, **base, **wrong), 400)
    breach = {"service_code": "data_breach", "attribute[organisation]": "某公司"}
    for when in ("yesterday", "2026-13-01T00:00:00"):
        said = _json_error(report(client, o311.key, **breach, **{"attribute[discovered_on]": when}), 400)
        assert said.endswith("（attribute[discovered_on]）")


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "start_date=yesterday",
        "end_date=2026-13-01",
        "start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00",
        "start_date=2026-06-01&end_date=2026-05-01",
        "page=0",
        "page=abc",
        "page_size=1001",
        "page=99999999999999999999",
        "service_request_id=" + ",".join(["261123-4F7K2-X"] * 101),
        "service_code=%00",
    ],
)
def test_bad_filters_are_400(client, o311, query):
    _json_error(client.get(f"/open311/v2/requests.json?{query}"), 400)
    _xml_error(client.get(f"/open311/v2/requests.xml?{query}"), 400)


def test_other_paths_keep_the_apps_error_format(client, o311):
    response = client.get("/api/v1/cases/1")
    assert response.status_code == 401
    assert "error" in response.json()
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_submissions_are_rate_limited(engine, settings, o311):
    from starlette.testclient import TestClient

    from minsheng.web.app import create_app

    strict = settings.model_copy(update={"public_rate_limit": "1/minute"})
    with TestClient(create_app(strict, run_jobs=False)) as client:
        assert report(client, o311.key).status_code == 200
        _xml_error(report(client, o311.key, fmt="xml"), 429)
        assert client.get("/open311/v2/requests.json").status_code == 200  # reading is not limited
