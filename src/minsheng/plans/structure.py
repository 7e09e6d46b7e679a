"""Find a policy document's heading hierarchy (一、 （一） 1. （1） ① ——) and each position's section."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["Heading", "Outline", "Paragraph", "deadline_year", "outline", "paragraphs"]

_CN_DIGITS = "一二三四五六七八九十百零〇"
# Rank orders the marker styles from outermost to innermost; a document may skip ranks.
_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"第[{_CN_DIGITS}\d]{{1,4}}章")),
    (1, re.compile(rf"第[{_CN_DIGITS}\d]{{1,4}}节")),
    (2, re.compile(rf"(?P<no>[{_CN_DIGITS}]{{1,3}})[、．]")),
    (3, re.compile(rf"[(（](?P<no>[{_CN_DIGITS}]{{1,3}})[)）]")),
    (4, re.compile(rf"第[{_CN_DIGITS}\d]{{1,4}}条")),
    (4, re.compile(r"(?P<no>\d{1,2})(?:[.．、](?![\d.．])|\s+(?=[\u4e00-\u9fff]))")),
    (5, re.compile(r"[(（](?P<no>\d{1,2})[)）]")),
    (6, re.compile(r"[①-⑳]")),
    (7, re.compile(r"——|－－")),
)
_LEAD_SPACE_RE = re.compile(r"^[\s\u3000\xa0]*")
_TITLE_END_RE = re.compile(r"[。！？]|[（(](?:牵头|责任|配合|负责)")
_TITLE_MAX = 60
_DEADLINE_RE = re.compile(
    r"(?:(?P<prefix>到|至|于|在|力争|争取|截至|截止到?)\s*)?(?<![\d\-—~～至])(?P<year>20\d{2})\s*年"
    r"(?P<suffix>底前|底|末|年底前|前|以前|内)?(?![\d一二三四五六七八九十]+月|度|[\-—~～至]\d)"
)
_OPENING_TIME_RE = re.compile(r"^[\s\u3000\xa0]*(?:到|至|力争|争取|力争到|争取到)\s*20\d{2}\s*年")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One line of the document and its character offsets."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Heading:
    """A numbered heading or item: its marker as written, its title up to the first 。 and its place."""

    rank: int
    marker: str
    number: str
    title: str
    start: int
    title_end: int
    paragraph: int
    parent: int | None
    year: int | None = None

    @property
    def label(self) -> str:
        """Return the heading as a reader would cite it (`1.大力推进智能制造`)."""
        return f"{self.marker}{self.title}"


@dataclass(slots=True)
class Outline:
    """The headings of a document in order, with lookups from a character offset."""

    text: str
    paragraphs: list[Paragraph]
    headings: list[Heading]
    _starts: list[int] = field(default_factory=list)
    _paragraph_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._starts = [heading.start for heading in self.headings]
        self._paragraph_starts = [paragraph.start for paragraph in self.paragraphs]

    def heading_at(self, offset: int) -> Heading | None:
        """Return the innermost heading whose section contains `offset`."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return self.headings[index] if index >= 0 else None

    def path(self, heading: Heading | None) -> list[Heading]:
        """Return `heading` and its ancestors, outermost first."""
        chain: list[Heading] = []
        while heading is not None:
            chain.append(heading)
            heading = None if heading.parent is None else self.headings[heading.parent]
        return chain[::-1]

    def section(self, offset: int) -> str:
        """Return the label of the nearest heading above `offset`, or an empty string."""
        heading = self.heading_at(offset)
        return heading.label if heading else ""

    def section_path(self, offset: int) -> list[str]:
        """Return the labels of every heading enclosing `offset`, outermost first."""
        return [heading.label for heading in self.path(self.heading_at(offset))]

    def governing_year(self, offset: int) -> int | None:
        """Return the year of a 到20XX年 that opens the paragraph at `offset` or an enclosing section."""
        paragraph = self.paragraphs[self._paragraph_index(offset)]
        heading = self.heading_at(offset)
        if heading is None or heading.paragraph != paragraph.index:
            year = _opening_year(paragraph.text)
            if year is not None:
                return year
        for enclosing in reversed(self.path(heading)):
            if enclosing.year is not None:
                return enclosing.year
        return None

    def _paragraph_index(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._paragraph_starts, offset) - 1)


def paragraphs(text: str) -> Iterator[Paragraph]:
    """Yield the document's lines with their offsets."""
    start = 0
    for index, line in enumerate(text.split("\n")):
        yield Paragraph(index, start, start + len(line), line)
        start += len(line) + 1


def deadline_year(text: str) -> int | None:
    """Return the year of the last deadline phrase (到2020年, 2018年底前) in `text`."""
    found = None
    for match in _DEADLINE_RE.finditer(text):
        if match.group("prefix") or match.group("suffix") or _ends_clause(text, match.end()):
            found = int(match.group("year"))
    return found


def _ends_clause(text: str, end: int) -> bool:
    return end >= len(text) or text[end] in "，,、：:"


def _opening_year(text: str) -> int | None:
    match = _OPENING_TIME_RE.match(text)
    return deadline_year(match.group()) if match else None


def _match_marker(line: str) -> tuple[int, re.Match[str]] | None:
    for rank, pattern in _MARKERS:
        match = pattern.match(line)
        if match:
            return rank, match
    return None


def _number(rank: int, match: re.Match[str]) -> str:
    """Return the item number as written: `1` for 1., `一` for 一、, `(一)` and `（1）` with brackets."""
    digits = match.groupdict().get("no")
    if digits is None or rank in (3, 5):
        return match.group().strip()
    return digits


def _title(rest: str) -> str:
    end = _TITLE_END_RE.search(rest)
    title = rest[: end.start()] if end else rest
    return title.strip(" \u3000\xa0:：;；,，")


def outline(text: str) -> Outline:
    """Find every heading of `text` and link each to its enclosing heading."""
    lines = list(paragraphs(text))
    headings: list[Heading] = []
    stack: list[int] = []
    for index, paragraph in enumerate(lines):
        indent = len(_LEAD_SPACE_RE.match(paragraph.text).group())  # type: ignore[union-attr]
        found = _match_marker(paragraph.text[indent:])
        if found is None:
            continue
        rank, match = found
        rest = paragraph.text[indent + match.end() :]
        title = _title(rest)
        if not title or len(title) > _TITLE_MAX * 3:
            continue
        while stack and headings[stack[-1]].rank >= rank:
            stack.pop()
        marker = match.group().strip()
        number = _number(rank, match)
        start = paragraph.start + indent
        title_start = start + match.end() + (len(rest) - len(rest.lstrip(" \u3000\xa0")))
        year = _section_year(rest[len(title) :], lines, index)
        headings.append(
            Heading(
                rank=rank,
                marker=marker,
                number=number,
                title=title,
                start=start,
                title_end=title_start + len(title),
                paragraph=index,
                parent=stack[-1] if stack else None,
                year=year,
            )
        )
        stack.append(len(headings) - 1)
    return Outline(text, lines, headings)


def _section_year(body: str, lines: list[Paragraph], index: int) -> int | None:
    """Return the year of a 到20XX年 opening a heading's body, on its line or on the next line."""
    body = body.lstrip("。.:：;； \u3000\xa0")
    if body:
        return _opening_year(body)
    following = next((p for p in lines[index + 1 :] if p.text.strip()), None)
    if following is None or _match_marker(following.text.lstrip(" \u3000\xa0")) is not None:
        return None
    return _opening_year(following.text)
