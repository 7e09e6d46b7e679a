"""Turn fetched bytes and raw text into clean, simplified, half-width text for analysis."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import charset_normalizer
from opencc_pyo3 import OpenCC
from selectolax.lexbor import LexborHTMLParser

from minsheng.core.errors import ValidationFailed

__all__ = [
    "BinaryContent",
    "Decoded",
    "decode",
    "fold_width",
    "html_to_text",
    "normalize_for_analysis",
    "scrub_surrogates",
    "to_simplified",
]

Method = Literal["empty", "bom", "declared", "http", "meta", "detected", "fallback"]


class BinaryContent(ValidationFailed):
    default_message = "内容为二进制数据（如图片或压缩包），不是文本"


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the Python codec used, and how that codec was chosen."""

    text: str
    encoding: str
    method: Method
    lossy: bool = False
    # A charset from the HTTP header or <meta> that the bytes contradicted, kept for the fetch log.
    ignored_declaration: str | None = None


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# GB2312 and GBK pages routinely contain GBK-only or GB18030-only characters; GB18030 decodes all of them.
# Likewise Big5 pages from Hong Kong use HKSCS additions.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ascii": "utf-8",
    "iso8859_1": "utf-8",
    "cp1252": "utf-8",
    "utf_8": "utf-8",
    "utf_8_sig": "utf-8",
}
_DETECTABLE = ["gb18030", "big5hkscs", "big5", "gbk", "gb2312"]
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"Rar!", b"\x7fELF")
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_META_RE = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)


def _codec(label: str | None) -> str | None:
    """Map a charset label to the Python codec that should decode it, or None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _SUPERSETS.get(name, name)


def _is_binary(head: bytes) -> bool:
    if head.startswith(_MAGIC):
        return True
    return head.count(0) > max(1, len(head) // 100)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _lossy(data: bytes, codec: str) -> tuple[str, int]:
    text = data.decode(codec, errors="replace")
    return text, text.count("\ufffd")


def _detect(data: bytes) -> Decoded | None:
    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", "detected")
    best = charset_normalizer.from_bytes(data, cp_isolation=_DETECTABLE, enable_fallback=False).best()
    if best is None:
        return None
    codec = _codec(best.encoding) or "gb18030"
    text = _strict(data, codec)
    return None if text is None else Decoded(text, codec, "detected")


def decode(data: bytes, *, content_type: str | None = None, declared: str | None = None) -> Decoded:
    """Decode fetched bytes: BOM, then `declared`, then the HTTP charset, then <meta>, then detection."""
    if not data:
        return Decoded("", "utf-8", "empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text, bad = _lossy(data[len(bom) :], codec)
            return Decoded(text, codec, "bom", lossy=bad > 0)
    override = _codec(declared)
    if override is None and _is_binary(data[:8192]):
        raise BinaryContent()
    if override is not None:
        # The operator's override is for sources known to mislabel themselves, so it wins even when lossy.
        text, bad = _lossy(data, override)
        return Decoded(text, override, "declared", lossy=bad > 0)

    ignored: str | None = None
    header = _CHARSET_RE.search(content_type.encode("ascii", "ignore")) if content_type else None
    meta = _META_RE.search(data[:4096])
    declarations: tuple[tuple[Method, re.Match[bytes] | None], ...] = (("http", header), ("meta", meta))
    for method, match in declarations:
        if match is None:
            continue
        label = match.group(1).decode("ascii")
        codec = _codec(label)
        text = _strict(data, codec) if codec else None
        if text is not None:
            return Decoded(text, codec, method, ignored_declaration=ignored)
        ignored = ignored or label
    found = _detect(data)
    if found is not None:
        return Decoded(found.text, found.encoding, found.method, ignored_declaration=ignored)
    # Nothing decodes cleanly: keep the codec that loses the fewest characters, and say it was lossy.
    candidates = [c for c in (_codec(ignored), "utf-8", "gb18030", "big5hkscs") if c]
    (text, _), codec = min(((_lossy(data, c), c) for c in candidates), key=lambda pair: pair[0][1])
    return Decoded(text, codec, "fallback", lossy=True, ignored_declaration=ignored)


_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20
# These full-width forms are the standard Chinese punctuation marks (GB/T 15834), not wide ASCII: keep them.
for _kept in "，！？：；（）":
    del _WIDTH_TABLE[ord(_kept)]
_WIDE_RE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in _WIDTH_TABLE) + "]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]+")


_WIDE_RUN_RE = re.compile(_WIDE_RE.pattern + "+")
_NEEDS_FIXING_RE = re.compile(_WIDE_RE.pattern[:-1] + _INVISIBLE_RE.pattern[1:-2] + "]")


def fold_width(text: str) -> str:
    """Fold full-width letters, digits, symbols and the ideographic space to ASCII; keep ，！？：；（）."""
    if _WIDE_RE.search(text) is None:
        return text
    # Translating only the wide runs is faster than translating the whole text, which is mostly CJK.
    return _WIDE_RUN_RE.sub(lambda m: m.group().translate(_WIDTH_TABLE), text)


def scrub_surrogates(text: str) -> str:
    """Replace lone surrogates, which no codec or native library accepts, with U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text)


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_re() -> re.Pattern[str]:
    """Match any character that OpenCC's t2s changes on its own, found by converting every CJK character."""
    ranges = (range(0x3400, 0x4DC0), range(0x4E00, 0xA000), range(0xF900, 0xFB00))
    chars = [chr(cp) for block in ranges for cp in block]
    converted = _t2s().convert("\n".join(chars)).split("\n")
    changed = [c for c, s in zip(chars, converted, strict=True) if c != s]
    return re.compile("[" + "".join(changed) + "]")


def to_simplified(text: str) -> str:
    """Return the simplified-Chinese form of `text`; the caller keeps the original for display."""
    try:
        return _t2s().convert(text)
    except UnicodeEncodeError:
        return _t2s().convert(scrub_surrogates(text))


def normalize_for_analysis(text: str) -> str:
    """Fold width, convert to simplified, drop invisible characters and collapse whitespace runs."""
    if _NEEDS_FIXING_RE.search(text) is not None:
        text = _INVISIBLE_RE.sub("", fold_width(text))
    # Searching for a traditional-only character is ~10x faster than converting text that has none.
    if _traditional_re().search(text) is not None:
        text = to_simplified(text)
    return " ".join(text.split())


_DROPPED = "script, style, nav, noscript, template, svg, iframe, head, object"
_BLOCKS = (
    "p, div, br, li, dd, dt, tr, h1, h2, h3, h4, h5, h6, section, article, header, footer, aside, "
    "blockquote, pre, table, ul, ol, dl, form, hr, main, figure, figcaption, address"
)
_LINE_SPACE_RE = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE = re.compile(r"\s*\n\s*")


def html_to_text(html: str) -> str:
    """Extract readable text from HTML, one paragraph per line, without scripts, styles or navigation."""
    if not html or not html.strip():
        return ""
    tree = LexborHTMLParser(scrub_surrogates(html))
    for node in tree.css(_DROPPED):
        node.decompose()
    for node in tree.css(_BLOCKS):
        node.insert_before("\n")
        node.insert_after("\n")
    for node in tree.css("td, th"):
        node.insert_after(" ")
    root = tree.body or tree.root
    if root is None:
        return ""
    text = _LINE_SPACE_RE.sub(" ", root.text(separator=""))
    return _BLANK_LINES_RE.sub("\n", text).strip()
