"""Attachments of cases: type checked by content, size capped, stored outside the database by digest."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.service import record, record_read
from minsheng.cases.models import Case, CaseAttachment
from minsheng.core.errors import NotFound, ValidationFailed
from minsheng.core.settings import Settings

MAX_PER_CASE = 20
# Recognised by their first bytes, never by the name or the type the browser claims.
_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"PK\x03\x04", "application/zip", ".zip"),
]
_OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class AttachmentRefused(ValidationFailed):
    default_message = "附件无法接收"


def _detect(content: bytes, filename: str) -> str:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for magic, content_type, _ in _SIGNATURES:
        if content.startswith(magic):
            if content_type == "application/zip":
                suffix = Path(filename).suffix.lower()
                if suffix in _OFFICE:
                    return _OFFICE[suffix]
                break
            return content_type
    if filename.lower().endswith(".txt"):
        try:
            content.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            pass
    raise AttachmentRefused("只接受图片（PNG、JPEG、GIF、WebP）、PDF、Word、Excel 和 UTF-8 文本文件")


def clean_filename(filename: str) -> str:
    """Keep a display name without path parts or control characters."""
    name = _UNSAFE_NAME.sub("_", Path(filename or "附件").name).strip(" .") or "附件"
    return name[-200:]


def storage_path(settings: Settings, digest: str) -> Path:
    """Where the bytes of an attachment with this digest are kept."""
    return settings.data_dir / "attachments" / digest[:2] / digest


def _store(settings: Settings, content: bytes, digest: str) -> None:
    target = storage_path(settings, digest)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a crash never leaves a half-written file under the final name.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, target)


def add_attachment(
    session: Session,
    *,
    case: Case,
    filename: str,
    content: bytes,
    settings: Settings,
    user_id: int | None,
    is_public: bool = False,
) -> CaseAttachment:
    """Check and store one file and attach it to the case."""
    limit = settings.case_attachment_mb * 1024 * 1024
    if not content:
        raise AttachmentRefused("附件是空文件")
    if len(content) > limit:
        raise AttachmentRefused(f"附件不能超过 {settings.case_attachment_mb} MB")
    count = len(session.scalars(select(CaseAttachment.id).where(CaseAttachment.case_id == case.id)).all())
    if count >= MAX_PER_CASE:
        raise AttachmentRefused(f"每张工单最多 {MAX_PER_CASE} 个附件")
    name = clean_filename(filename)
    content_type = _detect(content, name)
    digest = hashlib.sha256(content).hexdigest()
    _store(settings, content, digest)
    attachment = CaseAttachment(
        case_id=case.id,
        filename=name,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        is_public=is_public,
        uploaded_by_id=user_id,
    )
    session.add(attachment)
    session.flush()
    record(
        session,
        action="create",
        entity_type="case_attachment",
        entity_id=attachment.id,
        summary=f"{case.tracking_no} 附件 {name}",
        after={"case_id": case.id, "size": len(content), "sha256": digest, "content_type": content_type},
    )
    return attachment


def list_attachments(session: Session, *, case_id: int) -> list[CaseAttachment]:
    """List a case's attachments in upload order."""
    stmt = select(CaseAttachment).where(CaseAttachment.case_id == case_id).order_by(CaseAttachment.id)
    return list(session.scalars(stmt))


def read_attachment(
    session: Session, *, case: Case, attachment_id: int, settings: Settings
) -> tuple[CaseAttachment, bytes]:
    """Return an attachment of the case and its bytes, logging the read (files may carry personal data)."""
    attachment = session.get(CaseAttachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        raise NotFound("附件不存在")
    path = storage_path(settings, attachment.sha256)
    if not path.is_file():
        raise NotFound("附件文件已丢失，请联系管理员从备份恢复")
    record_read(
        session,
        entity_type="case_attachment",
        entity_id=attachment.id,
        fields=["file"],
        summary=f"{case.tracking_no} 下载附件 {attachment.filename}",
    )
    return attachment, path.read_bytes()
