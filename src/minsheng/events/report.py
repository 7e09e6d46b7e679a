"""The upward report (上报) of an event as a Word document, its volume chart drawn as a PNG without plotting
libraries."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from minsheng.core.timeutil import format_local
from minsheng.events.models import Event
from minsheng.events.service import LEVELS, STATUS_LABELS
from minsheng.events.statistics import SENTIMENT_COLOURS, SENTIMENT_LABELS, VolumeSeries, sentiment_shares
from minsheng.items.models import Item
from minsheng.text.pii import mask

CJK_FONT = "SimSun"
LATIN_FONT = "Times New Roman"
VOLUME_COLUMNS = ("时段", "合计", "负面", "中性", "正面")
ITEM_COLUMNS = ("标题", "来源", "发布时间", "同组转载", "链接")
SUMMARY_LENGTH = 60
_CHART_SIZE = (640, 220)
_MARGIN = 12


@dataclass
class EventReport:
    """Everything the upward report prints, gathered by the route."""

    event: Event
    series: VolumeSeries
    representatives: list[tuple[Item, int]]
    sources: list[tuple[str, str, int]]
    office: str
    assessor: str | None
    generated_at: datetime
    timezone: str


def _use_fonts(document: DocumentObject) -> None:
    """Name the East Asian font on the styles used, dropping theme fonts that would override it."""
    for name in ("Normal", "Title", "Heading 1", "Table Grid"):
        fonts = document.styles[name].element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in list(fonts.attrib):
            if attribute.lower().endswith("theme"):
                del fonts.attrib[attribute]
        fonts.set(qn("w:ascii"), LATIN_FONT)
        fonts.set(qn("w:hAnsi"), LATIN_FONT)
        fonts.set(qn("w:eastAsia"), CJK_FONT)
    document.styles["Normal"].font.size = Pt(10.5)


def _table(document: DocumentObject, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, columns, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(label).bold = True
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), "E8EEF6")
        cell._tc.get_or_add_tcPr().append(shading)
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value


def _png(pixels: np.ndarray) -> bytes:
    """Encode an RGB array as a PNG (filter 0 on every row)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def volume_png(series: VolumeSeries) -> bytes | None:
    """Draw the volume per bucket as stacked bars by sentiment (no axes text: the table beside has it)."""
    totals = series.totals
    if not totals or not any(totals):
        return None
    width, height = _CHART_SIZE
    pixels = np.full((height, width, 3), 255, dtype=np.uint8)
    plot_height = height - 2 * _MARGIN
    slot = (width - 2 * _MARGIN) / len(totals)
    bar = max(1, int(slot * 0.7))
    top = max(totals)
    for gridline in range(1, 5):
        y = height - _MARGIN - int(plot_height * gridline / 4)
        pixels[y, _MARGIN : width - _MARGIN] = (230, 234, 240)
    for index in range(len(totals)):
        left = _MARGIN + int(index * slot + (slot - bar) / 2)
        base = height - _MARGIN
        for name in ("negative", "neutral", "positive", "unknown"):
            count = series.counts.get(name, [0] * len(totals))[index]
            if not count:
                continue
            rise = max(1, round(plot_height * count / top))
            pixels[base - rise : base, left : left + bar] = _rgb(SENTIMENT_COLOURS[name])
            base -= rise
    pixels[height - _MARGIN, _MARGIN : width - _MARGIN] = (90, 90, 90)
    return _png(pixels)


def _local(report: EventReport, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return format_local(moment, report.timezone, fmt) or "—"


def event_docx(report: EventReport) -> bytes:
    """Write the upward report: figures, volume, keywords, places, representative posts, assessment."""
    event = report.event
    document = Document()
    _use_fonts(document)
    document.add_heading(f"关于“{mask(event.title)}”的网络舆情报告", level=0)
    meta = document.add_paragraph(
        f"报送单位：{report.office}　　生成时间：{_local(report, report.generated_at)}（北京时间）"
    )
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("一、基本情况", level=1)
    negative = (event.negative_count / event.item_count) if event.item_count else 0.0
    facts = [
        f"时间跨度：{_local(report, event.first_seen_at)} 至 {_local(report, event.last_seen_at)}",
        f"相关信息 {event.item_count} 条，来自 {event.source_count} 个信息源"
        f"（其中重点源 {event.key_tier_count} 条）",
        f"负面信息 {event.negative_count} 条，占 {negative:.0%}；当前热度 {event.heat:g}",
        f"状态：{STATUS_LABELS.get(event.status, event.status)}；分类：{event.category or '未分类'}",
    ]
    mix = sentiment_shares(event)
    if mix:
        facts.append("情感分布：" + "，".join(f"{SENTIMENT_LABELS[n]} {c} 条（{s:.0%}）" for n, c, s in mix))
    if report.sources:
        facts.append("主要信息源：" + "，".join(f"{name} {count} 条" for name, _, count in report.sources))
    for fact in facts:
        document.add_paragraph(fact, style="List Bullet")

    document.add_heading("二、传播趋势", level=1)
    picture = volume_png(report.series)
    if picture is not None:
        document.add_picture(io.BytesIO(picture), width=Cm(15))
        legend = "、".join(
            f"{SENTIMENT_LABELS[name]}"
            for name in ("negative", "neutral", "positive")
            if name in report.series.counts
        )
        caption = document.add_paragraph(
            f"图：每{'小时' if report.series.unit == 'hour' else '日'}信息量（{legend}，自下而上）"
        )
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    rows = [
        [label, str(total), str(neg), str(neu), str(pos)]
        for label, total, neg, neu, pos in report.series.rows()
    ]
    _table(document, VOLUME_COLUMNS, [row for row in rows if row[1] != "0"] or [["—", "0", "0", "0", "0"]])

    document.add_heading("三、关键词与涉及地点", level=1)
    document.add_paragraph("关键词：" + ("、".join(event.keywords) or "—"))
    places = "、".join(f"{p.get('name')}（{p.get('count')}）" for p in event.places or [])
    document.add_paragraph("涉及地点：" + (places or "—"))

    document.add_heading("四、代表性信息", level=1)
    item_rows = [
        [
            mask(item.title or item.text[:SUMMARY_LENGTH]) or "（无标题）",
            item.source.name,
            _local(report, item.published_at),
            str(size),
            item.url or "—",
        ]
        for item, size in report.representatives
    ]
    _table(document, ITEM_COLUMNS, item_rows or [["—", "—", "—", "—", "—"]])
    for item, _ in report.representatives[:3]:
        summary = " ".join(mask(item.text).split())[: SUMMARY_LENGTH * 2]
        if summary:
            document.add_paragraph(f"{mask(item.title or '')}：{summary}…", style="List Bullet")

    document.add_heading("五、研判意见", level=1)
    if event.assessment:
        level = LEVELS.get(event.assessment_level or 0, "未定级")
        document.add_paragraph(f"研判等级：{level}")
        document.add_paragraph(event.assessment)
        who = report.assessor or "—"
        document.add_paragraph(f"研判人：{who}　　研判时间：{_local(report, event.assessed_at)}")
    else:
        document.add_paragraph("尚未研判。")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
