"""Case exports: the statistics workbook and the anonymised open-data records (no free text, coarse place)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minsheng.cases.models import Case
from minsheng.cases.states import PUBLIC_LABELS, TERMINAL, CaseStatus
from minsheng.cases.statistics import COLUMNS, RATE_COLUMNS, Report
from minsheng.core.timeutil import to_local

OPEN_DATA_FIELDS = [
    "service_request_id",
    "type",
    "category",
    "county_code",
    "requested_date",
    "status",
    "closed_date",
    "agency_responsible",
    "satisfaction",
]
# Open data is published for closed matters and at county level, so nobody is identifiable from it.
_OPEN_DATA_LIMIT = 100_000


def report_workbook(report: Report, *, title: str) -> bytes:
    """Write the statistics as an XLSX workbook with rates formatted as percentages."""
    book = Workbook()
    sheet = book.active
    sheet.title = "统计"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in [*report.rows, report.total]:
        sheet.append([row[key] for key, _ in COLUMNS])
    for column_index, (key, _) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=2, column=column_index).column_letter
        sheet.column_dimensions[letter].width = 22 if column_index == 1 else 14
        if key in RATE_COLUMNS:
            for cell in sheet[letter][2:]:
                cell.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def open_data_records(
    session: Session, *, start: datetime, end: datetime, zone: str
) -> Iterator[dict[str, object]]:
    """Yield closed public cases received in [start, end) as anonymised records."""
    stmt = (
        select(Case)
        .where(Case.submitted_at >= start, Case.submitted_at < end, Case.status.in_(list(TERMINAL)))
        .options(selectinload(Case.case_type), selectinload(Case.lead_department))
        .order_by(Case.submitted_at)
        .limit(_OPEN_DATA_LIMIT)
    )
    for case in session.scalars(stmt):
        if not case.case_type.is_public:
            continue
        yield {
            "service_request_id": case.tracking_no,
            "type": case.case_type.code,
            "category": case.category or "",
            "county_code": (case.region_code or "")[:6],
            "requested_date": to_local(case.submitted_at, zone).date().isoformat(),
            "status": PUBLIC_LABELS[CaseStatus(case.status)],
            "closed_date": to_local(case.closed_at, zone).date().isoformat() if case.closed_at else "",
            "agency_responsible": case.lead_department.name if case.lead_department else "",
            "satisfaction": case.satisfaction or "",
        }


def open_data_csv(records: Iterator[dict[str, object]]) -> str:
    """Write open-data records as CSV with a BOM so spreadsheet programs read the Chinese correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=OPEN_DATA_FIELDS)
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()
