"""The GeoReport v2 endpoints under /open311/v2: every resource in XML and JSON, by its extension."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from minsheng.audit.service import AuditActor, audit_context
from minsheng.cases.forms import engine_of
from minsheng.core.errors import NotFound
from minsheng.open311 import service
from minsheng.open311.intake import submit_request
from minsheng.open311.keys import authenticate_key
from minsheng.open311.params import Params, request_query
from minsheng.open311.serialize import check_format, respond
from minsheng.web.csrf import csrf_exempt
from minsheng.web.deps import AppSettings, DbSession
from minsheng.web.ratelimit import rate_limit

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["open311"])


async def _form(request: Request) -> Params:
    form = await request.form()
    return Params(form.multi_items())


Form = Annotated[Params, Depends(_form)]


def _path_value(value: str) -> str:
    """Refuse path values no record can have before they reach the database."""
    if "\x00" in value or len(value) > 64:
        raise NotFound("未找到所请求的内容")
    return value


@router.get("/discovery.{fmt}")
def discovery(request: Request, settings: AppSettings, fmt: str) -> Response:
    """Describe this endpoint for service discovery."""
    url = str(request.base_url).rstrip("/") + PREFIX
    return respond(check_format(fmt), "discovery", service.discovery(url=url, settings=settings))


@router.get("/services.{fmt}")
def services(db: DbSession, fmt: str) -> Response:
    """List the services: one per public case type."""
    return respond(check_format(fmt), "services", service.services(db))


@router.get("/services/{service_code}.{fmt}")
def service_definition(db: DbSession, service_code: str, fmt: str) -> Response:
    """Describe the attributes a service takes."""
    fmt = check_format(fmt)
    document = service.service_definition(db, service_code=_path_value(service_code))
    return respond(fmt, "service_definition", document)


@router.post("/requests.{fmt}", dependencies=[Depends(rate_limit("public"))])
@csrf_exempt
def create_request(
    request: Request, db: DbSession, settings: AppSettings, fmt: str, params: Form
) -> Response:
    """Take in a service request from a client holding an api_key."""
    fmt = check_format(fmt)
    key = authenticate_key(db, plain=params.get("api_key"))
    ctx = request.state.ctx
    actor = AuditActor(user_id=None, name=f"open311:{key.name}"[:64], request_id=ctx.request_id, ip=ctx.ip)
    with audit_context(actor):
        done = submit_request(db, params=params, key=key, settings=settings, engine=engine_of(request, db))
    document = [
        {
            "service_request_id": done.case.tracking_no,
            "token": done.token,
            "service_notice": done.notice,
            "account_id": done.account_id,
        }
    ]
    return respond(fmt, "service_requests", document)


@router.get("/requests.{fmt}")
def requests(request: Request, db: DbSession, settings: AppSettings, fmt: str) -> Response:
    """List public service requests of a 90-day window, filtered and paged."""
    fmt = check_format(fmt)
    params = Params(request.query_params.multi_items())
    query = request_query(params, zone=ZoneInfo(settings.timezone))
    return respond(fmt, "service_requests", service.find_requests(db, query=query, settings=settings))


@router.get("/requests/{service_request_id}.{fmt}")
def one_request(db: DbSession, settings: AppSettings, service_request_id: str, fmt: str) -> Response:
    """Show one public service request."""
    fmt = check_format(fmt)
    found = service.find_request(db, service_request_id=_path_value(service_request_id), settings=settings)
    return respond(fmt, "service_requests", [found])


@router.get("/tokens/{token}.{fmt}")
def token(db: DbSession, token: str, fmt: str) -> Response:
    """Tell the service request id a submission token stands for."""
    fmt = check_format(fmt)
    return respond(fmt, "service_requests", [service.find_token(db, token=_path_value(token))])
