"""Render Open311 documents as XML (required by the specification) or JSON, errors included."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response

from minsheng.core.errors import NotFound

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The element each item of a list is wrapped in, named after its list as in the specification.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Characters XML 1.0 cannot carry even escaped; text from older channels may still hold some.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_format(fmt: str) -> str:
    """Accept the two formats this server speaks; any other extension names no resource."""
    if fmt not in FORMATS:
        raise NotFound(f"不支持的格式 .{fmt[:16]}，请使用 .xml 或 .json")
    return fmt


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _append(element, ITEM_TAGS[tag], item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    else:
        element.text = _text(value)


def to_xml(root: str, document: Any) -> bytes:
    """Serialise a document (a list of items or a mapping) under the named root element."""
    element = ET.Element(root)
    _fill(element, root, document)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode").encode()


def to_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def respond(fmt: str, root: str, document: Any, *, status_code: int = 200) -> Response:
    """Answer in the format the path's extension asked for."""
    body = to_xml(root, document) if fmt == "xml" else to_json(document)
    return Response(body, status_code=status_code, media_type=FORMATS[fmt])


def path_format(path: str) -> str:
    """Tell the format an Open311 path asks for; errors on unknown extensions are given in XML."""
    return "json" if path.endswith(".json") else "xml"


# The specification answers bad input with 400 and a missing or bad key with 403.
_SPEC_STATUS = {401: 403, 409: 400, 422: 400}


def render_error(request: Request, status_code: int, message: str) -> Response:
    """Render an error as the specification's `errors` document, in the format the path asked for."""
    status = _SPEC_STATUS.get(status_code, status_code)
    errors = [{"code": status, "description": message}]
    return respond(path_format(request.url.path), "errors", errors, status_code=status)
