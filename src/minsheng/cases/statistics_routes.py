"""Statistics dashboard and exports for staff, and the public open-data download."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from minsheng.cases.exports import open_data_csv, open_data_records, report_workbook
from minsheng.cases.statistics import COLUMNS, GROUPINGS, RATE_COLUMNS, case_report, report_chart
from minsheng.core.errors import ValidationFailed
from minsheng.core.i18n import translate
from minsheng.core.settings import Settings
from minsheng.core.timeutil import to_local, utcnow
from minsheng.web.deps import AppSettings, CurrentUser, DbSession, render
from minsheng.web.ratelimit import rate_limit

router = APIRouter()
MAX_DAYS = 3 * 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period(settings: Settings, start: str, end: str) -> tuple[date, date, datetime, datetime]:
    """Read a local date range (end inclusive, default the last 30 days); return the dates and bounds."""
    zone = ZoneInfo(settings.timezone)
    today = to_local(utcnow(), settings.timezone).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError:
        raise ValidationFailed("日期格式应为 2026-11-23") from None
    if first > last:
        raise ValidationFailed("开始日期不能晚于结束日期")
    if (last - first).days > MAX_DAYS:
        raise ValidationFailed("统计区间最长三年")
    lower = datetime.combine(first, time.min, zone)
    upper = datetime.combine(last + timedelta(days=1), time.min, zone)
    return first, last, lower, upper


@router.get("/statistics/cases", response_class=HTMLResponse)
def statistics_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    by: str = "department",
    start: str = "",
    end: str = "",
) -> HTMLResponse:
    """Show the case statistics of a period, grouped as asked, with a chart."""
    first, last, lower, upper = period(settings, start, end)
    report = case_report(db, user=user, grouping=by, start=lower, end=upper, zone=settings.timezone)
    locale = request.state.ctx.locale
    context = {
        "report": report,
        "groupings": GROUPINGS,
        "columns": COLUMNS,
        "rate_columns": RATE_COLUMNS,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "chart_options": report_chart(report, translate_label=lambda text: translate(text, locale)),
    }
    return render(request, "cases/statistics.html", context)


@router.get("/statistics/cases.xlsx")
def statistics_workbook(
    db: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    by: str = "department",
    start: str = "",
    end: str = "",
) -> Response:
    """Download the same statistics as an XLSX workbook."""
    first, last, lower, upper = period(settings, start, end)
    report = case_report(db, user=user, grouping=by, start=lower, end=upper, zone=settings.timezone)
    title = f"工单统计 {first.isoformat()} 至 {last.isoformat()}（按{GROUPINGS[report.grouping]}）"
    filename = f"case-statistics-{first.isoformat()}-{last.isoformat()}.xlsx"
    return Response(
        report_workbook(report, title=title),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/open-data/cases.{fmt}", dependencies=[Depends(rate_limit("public"))])
def open_data(db: DbSession, settings: AppSettings, fmt: str, start: str = "", end: str = "") -> Response:
    """Publish finished public cases without personal data or free text (CSV or JSON)."""
    _, _, lower, upper = period(settings, start, end)
    records = open_data_records(db, start=lower, end=upper, zone=settings.timezone)
    if fmt == "json":
        return JSONResponse(list(records))
    if fmt == "csv":
        return Response(
            open_data_csv(records),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cases-open-data.csv"'},
        )
    raise ValidationFailed("格式只能是 csv 或 json")
