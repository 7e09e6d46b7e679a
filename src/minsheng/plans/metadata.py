"""Read a policy document's title, issuing authority, document number and dates from its text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["DocumentMeta", "read_metadata"]

_HEAD_LINES = 40
_TITLE_TYPES = (
    "实施意见|指导意见|意见|通知|办法|方案|规定|计划|决定|规划|细则|措施|纲要|要点|通告|公告|批复|条例|规则|"
    "制度|指南|清单|若干措施|行动计划|报告|函|决议"
)
_TITLE_END_RE = re.compile(rf"(?:{_TITLE_TYPES})(?:[(（][^()（）]{{1,12}}[)）])?$")
_NOT_TITLE_RE = re.compile(r"[。:：>|｜]|^(?:现将|各|为|根据|当前位置|附件|索引号|标\s*题)")
_CONTINUATION_RE = re.compile(r"[。，,:：;；>|｜]")
_TITLE_LABEL_RE = re.compile(r"^标\s*题\s*[:：]\s*(?P<title>.+)$", re.MULTILINE)
_DOC_NUMBER_RE = re.compile(
    r"(?P<number>[\u4e00-\u9fff]{1,12}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*号)"
)
_DOC_NUMBER_LABEL_RE = re.compile(r"(?:发文字号|文\s*号|发文号)\s*[:：|｜\s]*")
_AUTHORITY_SUFFIX_RE = re.compile(
    r"(?:人民政府|人民政府办公厅|人民政府办公室|办公厅|办公室|委员会|委|局|部|厅|署|院|中心|总局|政府|党委|省委|市委|县委|区委)$"
)
_AUTHORITY_LABEL_RE = re.compile(r"(?:发文机关|发布机构|发文单位|制发机关|发布单位)\s*[:：|｜\s]*([^|｜\n]+)")
_CN_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_HAN_DATE_RE = re.compile(
    r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_HAN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_ISO_DATE_RE = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
_PUBLISHED_LABEL_RE = re.compile(r"(?:发布日期|公开日期|发布时间|发文日期|印发日期)\s*[:：|｜\s]*")
_SIGNED_LABEL_RE = re.compile(r"成文日期\s*[:：|｜\s]*")
_SPACES_RE = re.compile(r"[\s\u3000\xa0]+")


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What a policy document says about itself; each field is None when the text does not say."""

    title: str | None
    authority: str | None
    doc_number: str | None
    signed_on: date | None
    published_on: date | None


def read_metadata(text: str) -> DocumentMeta:
    """Find the title, issuing authority, document number, signing date and publication date."""
    lines = [line.strip(" \t\u3000\xa0") for line in text.split("\n")]
    title = _title(lines)
    signature = _signature(lines)
    authority = signature[0] if signature else None
    authority = authority or _title_authority(title) or _labelled_authority(text)
    signed = signature[1] if signature else None
    return DocumentMeta(
        title=title,
        authority=authority,
        doc_number=_doc_number(text),
        signed_on=_labelled_date(text, _SIGNED_LABEL_RE) or signed,
        published_on=_labelled_date(text, _PUBLISHED_LABEL_RE),
    )


def _title(lines: list[str]) -> str | None:
    """Return the first line ending in a document type (意见, 通知 ...), joined with its wrapped lines."""
    labelled = _TITLE_LABEL_RE.search("\n".join(lines[:_HEAD_LINES]))
    if labelled:
        return _SPACES_RE.sub(" ", labelled.group("title")).strip()
    for index, line in enumerate(lines[:_HEAD_LINES]):
        if not line or len(line) > 80 or _NOT_TITLE_RE.search(line) or not _TITLE_END_RE.search(line):
            continue
        parts = [line]
        previous = index - 1
        # Long titles are wrapped over two or three short lines with no punctuation at their ends.
        while previous >= 0 and len(parts) < 4:
            # A blank line inside a wrapped title is common in pages copied from portals.
            if not lines[previous] and previous > 0 and _is_title_fragment(lines[previous - 1]):
                previous -= 1
            if not _is_title_fragment(lines[previous]):
                break
            parts.insert(0, lines[previous])
            previous -= 1
        return _SPACES_RE.sub(" ", "".join(parts)).strip()
    return None


def _is_title_fragment(line: str) -> bool:
    return (
        4 <= len(line) <= 30
        and not _CONTINUATION_RE.search(line)
        and not _DOC_NUMBER_RE.search(line)
        and not _any_date(line)
        and not _TITLE_END_RE.search(line)
    )


def _title_authority(title: str | None) -> str | None:
    if not title or "关于" not in title:
        return None
    head = re.split(r"关于|转发|印发", title, maxsplit=1)[0].strip()
    return head if head and _AUTHORITY_SUFFIX_RE.search(head) else None


def _labelled_authority(text: str) -> str | None:
    match = _AUTHORITY_LABEL_RE.search(text[:3000])
    return match.group(1).strip() if match else None


def _signature(lines: list[str]) -> tuple[str, date] | None:
    """Return the authority and date of the signature block: an organ's name on the line above a date."""
    for index, line in enumerate(lines):
        day = _any_date(line)
        if day is None:
            continue
        above = next((candidate for candidate in reversed(lines[:index]) if candidate), "")
        if (
            2 <= len(above) <= 30
            and _AUTHORITY_SUFFIX_RE.search(above)
            and not _CONTINUATION_RE.search(above)
        ):
            return above, day
    return None


def _any_date(line: str) -> date | None:
    """Return the date when `line` is nothing but a date (2017年5月23日 or 一九九七年二月四日)."""
    match = _CN_DATE_RE.fullmatch(line)
    if match:
        return _date(match)
    match = _HAN_DATE_RE.fullmatch(line)
    if match is None:
        return None
    year = int("".join(str(_HAN_DIGITS[c]) for c in match.group(1)))
    try:
        return date(year, _han_number(match.group(2)), _han_number(match.group(3)))
    except ValueError:
        return None


def _han_number(text: str) -> int:
    """Convert 一 … 三十一 to an int."""
    if "十" not in text:
        return _HAN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (_HAN_DIGITS[tens] if tens else 1) * 10 + (_HAN_DIGITS[units] if units else 0)


def _doc_number(text: str) -> str | None:
    """Return the document's own number: labelled or on a line of its own, never one cited in brackets."""
    head = text[:5000]
    label = _DOC_NUMBER_LABEL_RE.search(head)
    if label:
        match = _DOC_NUMBER_RE.match(head, label.end())
        if match:
            return _SPACES_RE.sub("", match.group("number"))
    for line in head.split("\n")[:_HEAD_LINES]:
        match = _DOC_NUMBER_RE.fullmatch(line.strip(" \t\u3000\xa0"))
        if match:
            return _SPACES_RE.sub("", match.group("number"))
    return None


def _labelled_date(text: str, label_re: re.Pattern[str]) -> date | None:
    label = label_re.search(text[:5000])
    if label is None:
        return None
    rest = text[label.end() : label.end() + 20]
    match = _ISO_DATE_RE.match(rest) or _CN_DATE_RE.match(rest)
    return _date(match) if match else None


def _date(match: re.Match[str]) -> date | None:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
