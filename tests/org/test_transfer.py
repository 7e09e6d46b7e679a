"""Importing and exporting departments as CSV and XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.errors import Conflict
from minsheng.org.models import Department
from minsheng.org.regions import load_regions
from minsheng.org.service import get_department_by_code
from minsheng.org.tabular import MAX_TABLE_BYTES, InvalidTable, TableFormat
from minsheng.org.transfer import export_departments, import_departments

HEADER = "编码,名称,简称/别名,上级编码,行政区划代码,启用"
# The child comes before its parent on purpose.
ROWS = [
    "JXW,市经济和信息化委员会,市经信委、经信委,ZF,371500,是",
    "ZF,聊城市人民政府,市政府;市府,,371500,是",
    "DCF,东昌府区人民政府,东昌府区政府,ZF,371502,否",
]


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join(lines).encode(encoding)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Department)) or 0


@pytest.fixture
def regions(session: Session) -> Session:
    load_regions(session, root_code="371500")
    return session


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(regions: Session, encoding: str) -> None:
    report = import_departments(
        regions, content=csv_bytes(HEADER, *ROWS, encoding=encoding), filename="部门.csv"
    )
    assert report.is_ok and report.applied
    assert sorted(report.created) == ["DCF", "JXW", "ZF"]
    jxw = get_department_by_code(regions, code="JXW")
    assert jxw.aliases == ["市经信委", "经信委"]
    assert jxw.parent_id == get_department_by_code(regions, code="ZF").id
    assert get_department_by_code(regions, code="ZF").aliases == ["市政府", "市府"]
    assert get_department_by_code(regions, code="DCF").is_active is False
    assert [change.action for change in report.changes] == ["import_create"] * 3
    regions.commit()


def test_english_and_loose_headers(session: Session) -> None:
    content = csv_bytes("Code , NAME,alias,parent, is_active ", "A,甲局,甲,,yes", "B,乙局,,A,0")
    report = import_departments(session, content=content, filename="x.csv")
    assert report.is_ok
    assert get_department_by_code(session, code="B").is_active is False
    content = csv_bytes("编码*,部门名称*,别名", "A,甲局,甲、甲甲")
    report = import_departments(session, content=content, filename="x.csv")
    assert (report.updated, get_department_by_code(session, code="A").aliases) == (["A"], ["甲", "甲甲"])


@pytest.mark.parametrize("fmt", list(TableFormat))
def test_round_trip(regions: Session, fmt: TableFormat) -> None:
    import_departments(regions, content=csv_bytes(HEADER, *ROWS), filename="a.csv")
    regions.commit()
    exported = export_departments(regions, fmt=fmt)
    report = import_departments(regions, content=exported, filename=f"export.{fmt}")
    assert report.is_ok
    assert sorted(report.unchanged) == ["DCF", "JXW", "ZF"]
    assert report.created == report.updated == report.changes == []
    assert not regions.dirty


def test_export_headers(regions: Session) -> None:
    import_departments(regions, content=csv_bytes(HEADER, *ROWS), filename="a.csv")
    exported = export_departments(regions, fmt=TableFormat.csv)
    assert exported.startswith("\ufeff".encode())
    lines = exported.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert "JXW,市经济和信息化委员会,市经信委、经信委,ZF,371500,是" in lines


def test_xlsx_numeric_cells(regions: Session) -> None:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(["编码", "名称", "行政区划代码", "启用"])
    sheet.append([1001, "东昌府区政府", 371502, True])
    sheet.append([None, None, None, None])
    sheet.append([1002, "莘县政府", 371522.0, "否"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_departments(regions, content=buffer.getvalue(), filename="部门.xlsx")
    assert report.is_ok, report.errors
    assert get_department_by_code(regions, code="1002").region_code == "371522"


def test_update_and_dry_run(session: Session) -> None:
    import_departments(session, content=csv_bytes("编码,名称", "A,甲局", "B,乙局"), filename="a.csv")
    content = csv_bytes("编码,名称,上级编码", "A,甲局,", "B,乙局改,A", "C,丙局,B")
    preview = import_departments(session, content=content, filename="a.csv", dry_run=True)
    assert (preview.created, preview.updated, preview.unchanged) == (["C"], ["B"], ["A"])
    assert not preview.applied and count(session) == 2
    assert get_department_by_code(session, code="B").name == "乙局"
    report = import_departments(session, content=content, filename="a.csv")
    assert (report.created, report.updated, report.unchanged) == (["C"], ["B"], ["A"])
    update = next(change for change in report.changes if change.action == "import_update")
    assert update.before is not None and update.before["name"] == "乙局"
    assert update.after["name"] == "乙局改"


def test_row_errors_reject_or_skip(regions: Session) -> None:
    import_departments(regions, content=csv_bytes("编码,名称,别名", "OLD,旧局,老局"), filename="a.csv")
    content = csv_bytes(
        HEADER,
        "A,甲局,,,,是",
        ",无编码局,,,,",
        "B,乙局,老局,,,",
        "C,丙局,,NOPE,,",
        "A,甲局二,,,,",
        "D,丁局,,,999999,",
        "E,戊局,,,,也许",
        "",
        "F,己局,甲局,,,",
        "G,庚局,,H,,",
        "H,辛局,,G,,",
    )
    report = import_departments(regions, content=content, filename="a.csv")
    assert not report.applied and count(regions) == 1
    assert [error.row for error in report.errors] == [3, 4, 5, 6, 7, 8, 10, 11, 12]
    messages = {error.row: error.message for error in report.errors}
    assert "编码不能为空" in messages[3]
    assert "老局" in messages[4]
    assert "NOPE" in messages[5]
    assert "第 2 行重复" in messages[6]
    assert "999999" in messages[7]
    assert "启用" in messages[8]
    assert "甲局" in messages[10]
    assert "循环" in messages[11] and "循环" in messages[12]

    skipped = import_departments(regions, content=content, filename="a.csv", skip_invalid=True)
    assert skipped.applied and skipped.created == ["A"]
    assert count(regions) == 2
    regions.commit()


def test_skip_drops_children_of_bad_rows(session: Session) -> None:
    content = csv_bytes("编码,名称,上级编码", "P,甲局,", "Q,甲局,", "R,乙局,Q")
    report = import_departments(session, content=content, filename="a.csv", skip_invalid=True)
    assert report.created == ["P"]
    assert [error.row for error in report.errors] == [3, 4]


@pytest.mark.parametrize(
    ("content", "filename", "fragment"),
    [
        (b"", "a.csv", "为空"),
        (b"  \r\n ", "a.csv", "为空"),
        (b"\xd0\xcf\x11\xe0rest", "a.xls", ".xls"),
        (b"%PDF-1.4", "a.pdf", "不支持"),
        (b"PK\x03\x04broken", "a.xlsx", "Excel"),
        (b"not excel", "a.xlsx", "xlsx"),
        (b"\x00\x01\x02\x03", "a.csv", "CSV"),
        ("名称,别名\r\n甲局,甲".encode(), "a.csv", "编码"),
        ("编码,名称".encode(), "a.csv", "没有数据"),
        ("编码,名称,编码\r\nA,甲,A".encode(), "a.csv", "两次"),
        (b"a" * (MAX_TABLE_BYTES + 1), "a.csv", "过大"),
    ],
)
def test_bad_files(session: Session, content: bytes, filename: str, fragment: str) -> None:
    with pytest.raises(InvalidTable) as caught:
        import_departments(session, content=content, filename=filename)
    assert fragment in caught.value.message
    assert caught.value.status_code == 422


def test_tab_separated_text(session: Session) -> None:
    content = "编码\t名称\t别名\r\nA\t甲局\t甲,甲甲\r\n".encode()
    report = import_departments(session, content=content, filename="paste.txt")
    assert report.created == ["A"]
    assert get_department_by_code(session, code="A").aliases == ["甲", "甲甲"]


def test_name_swap_is_a_conflict(session: Session) -> None:
    import_departments(session, content=csv_bytes("编码,名称", "A,甲局", "B,乙局"), filename="a.csv")
    session.commit()
    with pytest.raises(Conflict, match="分两次"):
        import_departments(session, content=csv_bytes("编码,名称", "A,乙局", "B,甲局"), filename="a.csv")
    assert get_department_by_code(session, code="A").name == "甲局"
