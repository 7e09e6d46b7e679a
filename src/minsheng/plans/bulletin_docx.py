"""Write a plan's progress bulletin (进展通报) as a Word document, its score chart drawn with shaded cells."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

from minsheng.plans.bulletin import INDICATOR_COLUMNS, SCORE_COLUMNS, TASK_COLUMNS, Bulletin

# SimSun ships with Chinese Windows and WPS; Word and LibreOffice elsewhere substitute their own CJK font.
CJK_FONT = "SimSun"
LATIN_FONT = "Times New Roman"
_BAR_CELLS = 20
_BAR_COLOUR = "1F5FAE"
_CHART_ROWS = 20


def _use_fonts(document: DocumentObject) -> None:
    """Name the East Asian font on every style used, dropping theme fonts that would override it."""
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[name]
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in list(fonts.attrib):
            if attribute.endswith("Theme") or attribute.endswith("theme"):
                del fonts.attrib[attribute]
        fonts.set(qn("w:ascii"), LATIN_FONT)
        fonts.set(qn("w:hAnsi"), LATIN_FONT)
        fonts.set(qn("w:eastAsia"), CJK_FONT)
    document.styles["Normal"].font.size = Pt(10.5)


def _shade(cell: _Cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(document: DocumentObject, columns: tuple[str, ...], rows: list[list[str]]) -> Table:
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, columns, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(label).bold = True
        _shade(cell, "E8EEF6")
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    return table


def _score_chart(document: DocumentObject, bulletin: Bulletin) -> None:
    """Draw each department's total as a row of shaded cells, one cell per five points."""
    ranked = [s for s in bulletin.scores if s.total is not None][:_CHART_ROWS]
    if not ranked:
        return
    table = document.add_table(rows=0, cols=_BAR_CELLS + 2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for score in ranked:
        cells = table.add_row().cells
        cells[0].text = score.name
        cells[0].width = Cm(4)
        filled = round((score.total or 0) / (100 / _BAR_CELLS))
        for index, cell in enumerate(cells[1:-1]):
            cell.width = Cm(0.45)
            if index < filled:
                _shade(cell, _BAR_COLOUR)
        cells[-1].text = f"{score.total:g}"
        cells[-1].width = Cm(1.5)
    caption = document.add_paragraph("图：各单位考核总分（每格 5 分，满分 100 分）")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def bulletin_docx(bulletin: Bulletin) -> bytes:
    """Write the bulletin as a .docx: summary, tasks, indicators, department scores and their chart."""
    document = Document()
    _use_fonts(document)
    document.add_heading(f"《{bulletin.plan.title}》落实情况进展通报", level=0)
    issued = f"{bulletin.issued_on:%Y年%m月%d日}"
    meta = document.add_paragraph(f"通报期间：{bulletin.period}　　印发日期：{issued}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("一、总体情况", level=1)
    document.add_paragraph("；".join(f"{label} {value}" for label, value in bulletin.summary) + "。")

    document.add_heading("二、任务推进情况", level=1)
    task_rows = [[t.number, t.title, t.lead_unit, t.status, t.deadline, t.progress] for t in bulletin.tasks]
    _table(document, TASK_COLUMNS, task_rows)

    document.add_heading("三、量化指标完成情况", level=1)
    indicator_rows = [[i.name, i.target, i.latest, i.status, i.department] for i in bulletin.indicators]
    _table(document, INDICATOR_COLUMNS, indicator_rows)

    document.add_heading("四、各单位考核得分", level=1)
    score_rows = [
        [
            str(rank),
            s.name,
            _rate(s.on_time_rate),
            _rate(s.target_rate),
            _rate(s.report_rate),
            str(s.overdue),
            str(s.supervision_levels),
            f"{s.deduction:g}",
            "—" if s.total is None else f"{s.total:g}",
        ]
        for rank, s in enumerate(bulletin.scores, start=1)
    ]
    _table(document, SCORE_COLUMNS, score_rows)
    document.add_paragraph()
    _score_chart(document, bulletin)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
