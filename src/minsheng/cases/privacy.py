"""The complainant's personal data: masked by default, revealed one case at a time with a reason, audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from minsheng.audit.service import record_read
from minsheng.auth.models import User
from minsheng.cases.models import Case, CaseContact
from minsheng.cases.queries import works_for_lead_department
from minsheng.core.errors import PermissionDenied, ValidationFailed
from minsheng.text.pii import PiiKind, mask, mask_value

# Who may see the real contact: the dispatcher who calls back and the handler of the lead department.
REVEAL_ROLES = ("admin", "dispatcher", "handler")
CONTACT_FIELDS = ("name", "phone", "email", "id_number", "address")


@dataclass(frozen=True)
class ContactView:
    """The contact as shown: masked values unless revealed."""

    is_anonymous: bool
    name: str | None
    phone: str | None
    email: str | None
    id_number: str | None
    address: str | None
    wants_reply: bool
    is_revealed: bool


def _mask_name(name: str | None) -> str | None:
    if not name:
        return None
    return name[0] + "*" * max(len(name) - 1, 1)


def _masked(kind: PiiKind, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return mask_value(kind, value)
    except (ValueError, IndexError):
        return "*" * len(value)


def _mask_address(address: str | None) -> str | None:
    if not address:
        return None
    masked = _masked(PiiKind.ADDRESS, address) or ""
    # An address without a house number would pass unchanged; keep only its leading place names then.
    return masked if masked != address else address[:6] + "****"


def masked_contact(contact: CaseContact | None) -> ContactView:
    """Return the contact with every field masked."""
    if contact is None or contact.is_anonymous:
        return ContactView(True, None, None, None, None, None, False, False)
    phone_kind = PiiKind.MOBILE if (contact.phone or "").startswith("1") else PiiKind.LANDLINE
    return ContactView(
        is_anonymous=False,
        name=_mask_name(contact.name),
        phone=_masked(phone_kind, contact.phone),
        email=_masked(PiiKind.EMAIL, contact.email),
        id_number=_masked(PiiKind.RESIDENT_ID, contact.id_number),
        address=_mask_address(contact.address),
        wants_reply=contact.wants_reply,
        is_revealed=False,
    )


def reveal_contact(session: Session, *, case: Case, user: User, reason: str) -> ContactView:
    """Show the real contact of one case to a user entitled to it, recording who, when and why."""
    if not user.has_role(*REVEAL_ROLES):
        raise PermissionDenied("您的角色不能查看来电人信息")
    if not works_for_lead_department(session, user=user, case=case):
        raise PermissionDenied("只有承办单位可以查看来电人信息")
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationFailed("请填写查看来电人信息的理由", field="reason")
    contact = session.get(CaseContact, case.id)
    if contact is None or contact.is_anonymous:
        return masked_contact(contact)
    shown = [f for f in CONTACT_FIELDS if getattr(contact, f)]
    record_read(
        session,
        entity_type="case",
        entity_id=case.id,
        fields=shown,
        summary=f"查看 {case.tracking_no} 来电人信息，理由：{reason[:200]}",
    )
    return ContactView(
        is_anonymous=False,
        name=contact.name,
        phone=contact.phone,
        email=contact.email,
        id_number=contact.id_number,
        address=contact.address,
        wants_reply=contact.wants_reply,
        is_revealed=True,
    )


def public_text(text: str | None) -> str:
    """Mask personal data in text shown outside the office (status page, open data)."""
    return mask(text) if text else ""
