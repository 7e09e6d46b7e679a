"""Read a policy document (.txt, .docx, .pdf or pasted text) into plain text with one paragraph a line."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from minsheng.core.errors import MinshengError
from minsheng.text.normalize import BinaryContent, decode

__all__ = ["MAX_DOCUMENT_BYTES", "PlanImportError", "read_pasted", "read_plan_bytes", "read_plan_file"]

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LINE_BREAKS_RE = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class PlanImportError(MinshengError):
    """A policy document that cannot be read: empty, binary, unsupported, damaged or too large."""

    status_code = 422
    default_message = "无法读取该政策文件"


def read_plan_file(path: Path) -> str:
    """Read a policy document from disk, choosing the reader by content and suffix."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise PlanImportError(f"无法打开文件 {path.name}：{error.strerror or error}") from error
    if size > MAX_DOCUMENT_BYTES:
        raise PlanImportError(_too_large(path.name, size))
    return read_plan_bytes(path.read_bytes(), name=path.name)


def read_plan_bytes(data: bytes, *, name: str) -> str:
    """Read an uploaded policy document: .docx, .pdf or text in UTF-8, GBK or GB18030."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise PlanImportError(_too_large(name, len(data)))
    if not data.strip():
        raise PlanImportError(f"文件 {name} 是空的")
    suffix = Path(name).suffix.lower()
    # The content decides over the suffix: portals often serve .docx as .doc and PDFs without a suffix.
    if data.startswith(b"%PDF"):
        text = _pdf_text(data, name)
    elif data.startswith(b"PK\x03\x04"):
        text = _docx_text(data, name)
    elif data.startswith(_OLE_MAGIC) or suffix in {".doc", ".wps"}:
        raise PlanImportError(f"文件 {name} 是旧版 Word（.doc/.wps）格式，请另存为 .docx 或 .txt 后再导入")
    elif suffix in {".docx", ".pdf"}:
        raise PlanImportError(f"文件 {name} 已损坏或不是有效的 {suffix} 文件")
    else:
        text = _plain_text(data, name)
    return _checked(text, name)


def read_pasted(text: str) -> str:
    """Clean text pasted into a form the same way as a file's text."""
    return _checked(text, "粘贴的文本")


def _too_large(name: str, size: int) -> str:
    limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
    return f"文件 {name} 过大（{size / 1024 / 1024:.1f} MB），上限为 {limit} MB"


def _checked(text: str, name: str) -> str:
    text = _LINE_BREAKS_RE.sub("\n", text.replace("\ufeff", "").replace("\x00", ""))
    if not text.strip():
        raise PlanImportError(f"{name} 中没有可识别的文字")
    return text


def _plain_text(data: bytes, name: str) -> str:
    try:
        decoded = decode(data)
    except BinaryContent as error:
        raise PlanImportError(_binary(name)) from error
    # Text has almost no control characters; an archive or image that slipped past the magic numbers has many.
    if len(_CONTROL_RE.findall(decoded.text[:8192])) > max(4, len(decoded.text[:8192]) // 200):
        raise PlanImportError(_binary(name))
    if decoded.lossy and decoded.text.count("\ufffd") > max(8, len(decoded.text) // 100):
        raise PlanImportError(f"文件 {name} 的字符编码无法识别（支持 UTF-8、GBK、GB18030）")
    return decoded.text


def _binary(name: str) -> str:
    return f"文件 {name} 是二进制数据，不是文本、.docx 或 .pdf 文件"


def _docx_text(data: bytes, name: str) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise PlanImportError(f"文件 {name} 不是有效的 .docx 文件") from error
    return "\n".join(_docx_blocks(document))


def _docx_blocks(document: object) -> Iterator[str]:
    """Yield paragraphs and table rows in document order; a row's cells are joined by a tab."""
    from docx.document import Document as DocumentType
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    assert isinstance(document, DocumentType)
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block.text
        elif isinstance(block, Table):
            yield from _table_rows(block)


def _table_rows(table: object) -> Iterator[str]:
    from docx.table import Table

    assert isinstance(table, Table)
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep its text once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(part.strip() for part in cell.text.splitlines() if part.strip()))
        if any(cells):
            yield "\t".join(cells)


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PlanImportError(f"文件 {name} 是加密的 PDF，请先解除密码保护")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PlanImportError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise PlanImportError(f"文件 {name} 是损坏的 PDF，无法读取") from error
    text = "\n".join(pages)
    if not text.strip():
        raise PlanImportError(f"文件 {name} 中没有文字层（可能是扫描件），请先做文字识别")
    return text
