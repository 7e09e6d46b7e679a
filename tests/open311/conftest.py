import json
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from minsheng.cases.catalog import install_builtin_types
from minsheng.core.settings import Settings
from minsheng.open311.keys import issue_key
from minsheng.org.models import Department
from tests.factories import make_department

SCHEMAS = Path(__file__).parent / "schemas"
NAME = ("张", "三丰")  # last_name, first_name
PHONE = "13912345678"


@dataclass
class Open311World:
    key: str
    housing: Department


@pytest.fixture
def o311(session: Session, settings: Settings) -> Open311World:
    install_builtin_types(session)
    housing = make_department(session, name="市住房和城乡建设局", code="ZJJ")
    plain, _ = issue_key(session, name="测试客户端", created_by="pytest")
    session.commit()
    return Open311World(key=plain, housing=housing)


def check_schema(name: str, document: object) -> None:
    """Validate a JSON response against the GeoReport v2 schema written from the specification."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def parse_xml(response) -> ET.Element:
    """Parse an XML response, checking its declaration and content type on the way."""
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def report(client, key: str | None, fmt: str = "json", **fields: str):
    """POST a service request the way an Open311 client does: form-encoded, no cookies."""
    data = {
        "service_code": "complaint",
        "lat": "36.4560",
        "long": "115.9854",
        "address_string": "东昌府区柳园路88号",
        "description": f"小区门口下水道堵塞一周了，污水外溢，联系我 {PHONE}",
        "first_name": NAME[1],
        "last_name": NAME[0],
        "phone": PHONE,
        "email": "zhang@example.com",
        **fields,
    }
    if key is not None:
        data["api_key"] = key
    client.cookies.clear()
    return client.post(f"/open311/v2/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})
