from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document

from minsheng.core.errors import MinshengError
from minsheng.plans import reading
from minsheng.plans.reading import PlanImportError, read_pasted, read_plan_bytes, read_plan_file
from tests.conftest import SHARED, shared_missing

SEED = SHARED / "seeds" / "003_775ed6d9f15a3fe1.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.exists():
        shared_missing("shared seed documents are not available")
    return SEED.read_text(encoding="utf-8")


def test_read_utf8_seed_keeps_the_text_exactly(seed_text: str) -> None:
    assert read_plan_file(SEED) == seed_text


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_read_gbk_and_gb18030_text(tmp_path: Path, seed_text: str, encoding: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(seed_text.encode(encoding))
    assert read_plan_file(path) == seed_text


def test_read_normalises_line_breaks_and_bom() -> None:
    data = "\ufeff一、总体要求\r\n（一）发展目标\r".encode()
    assert read_plan_bytes(data, name="plan.txt") == "一、总体要求\n（一）发展目标\n"
    assert read_pasted("1.推进\r\n2.建设") == "1.推进\n2.建设"


def _docx_bytes() -> bytes:
    document = Document()
    document.add_paragraph("关于加快推进互联网应用的实施计划")
    document.add_paragraph("一、重点任务")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "序号"
    table.cell(0, 1).text = "任务"
    table.cell(0, 2).text = "牵头单位"
    table.cell(1, 0).text = "1"
    table.cell(1, 1).text = "建成10个智慧农业示范综合区"
    table.cell(1, 2).text = "市农业局"
    merged = document.add_table(rows=1, cols=2)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    document.add_paragraph("二、保障措施（责任单位：市财政局）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_read_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(_docx_bytes())
    assert read_plan_file(path).split("\n") == [
        "关于加快推进互联网应用的实施计划",
        "一、重点任务",
        "序号\t任务\t牵头单位",
        "1\t建成10个智慧农业示范综合区\t市农业局",
        "合并单元格",
        "二、保障措施（责任单位：市财政局）",
    ]


def test_read_docx_is_recognised_by_content_not_suffix() -> None:
    assert "一、重点任务" in read_plan_bytes(_docx_bytes(), name="plan.doc")


def _pdf_bytes(text: str) -> bytes:
    """Build a one-page PDF showing `text` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_read_pdf_text() -> None:
    assert "Broadband 100Mbps by 2020" in read_plan_bytes(
        _pdf_bytes("Broadband 100Mbps by 2020"), name="a.pdf"
    )


def test_pdf_without_text_layer_is_refused() -> None:
    with pytest.raises(PlanImportError, match="扫描件"):
        read_plan_bytes(_pdf_bytes(""), name="scan.pdf")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "是空的"),
        (b"  \n\t\r\n", "blank.txt", "是空的"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image.txt", "二进制"),
        (bytes(range(256)) * 8, "noise.bin", "二进制"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old.doc", ".docx"),
        (b"PK\x03\x04 this is not a zip archive", "broken.docx", "不是有效的 .docx"),
        (b"%PDF-1.4 garbage", "broken.pdf", "PDF"),
        (b"plain words", "fake.docx", "不是有效的 .docx"),
    ],
)
def test_unreadable_input_gives_a_clear_chinese_error(data: bytes, name: str, message: str) -> None:
    with pytest.raises(PlanImportError, match=message) as caught:
        read_plan_bytes(data, name=name)
    assert name in caught.value.message


def test_oversized_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_DOCUMENT_BYTES", 10)
    path = tmp_path / "big.txt"
    path.write_text("一、总体要求。二、主要任务。", encoding="utf-8")
    with pytest.raises(PlanImportError, match="过大"):
        read_plan_file(path)


def test_missing_file_is_an_import_error(tmp_path: Path) -> None:
    with pytest.raises(PlanImportError, match="无法打开"):
        read_plan_file(tmp_path / "missing.txt")


def test_import_error_is_a_domain_error_with_a_status() -> None:
    assert issubclass(PlanImportError, MinshengError)
    assert PlanImportError().status_code == 422
