"""Find and mask personal data: ID numbers, phones, bank cards, e-mail, credit codes, plates and addresses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum import luhn
from stdnum.cn import ric, uscc


class PiiKind(StrEnum):
    """The kinds of personal data the platform detects and masks."""

    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    LANDLINE = "landline"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    CREDIT_CODE = "credit_code"
    PLATE = "plate"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of personal data found in a text; `value` is the text as written."""

    kind: PiiKind
    start: int
    end: int
    value: str


_PROVINCE_PREFIXES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_RESIDENT_ID = re.compile(
    rf"(?<![0-9A-Za-z])[1-8]\d{{5}}(?:(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[0-9Xx]|\d{{2}}{_DATE}\d{{3}})(?![0-9A-Za-z])"
)
_MOBILE = re.compile(
    r"(?<![0-9])(?<!\d[ -])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])(?![ -]\d)"
)
_LANDLINE = re.compile(
    r"(?<![0-9])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ -])[ ]?[2-9]\d{6,7}(?:-\d{1,4})?(?![0-9])"
)
_BANK_CARD = re.compile(
    r"(?<![0-9])(?<!\d[ -])[3-6]\d{3}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?(?![0-9])(?![ -]\d)"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_CODE_CHARS = "0-9A-HJ-NPQRTUWXY"
_REGISTRATION_AUTHORITIES = frozenset("123456789ANY")
_CREDIT_CODE = re.compile(rf"(?<![0-9A-Za-z])[{_CODE_CHARS}]{{2}}\d{{6}}[{_CODE_CHARS}]{{10}}(?![0-9A-Za-z])")
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•・.\s]?"
    r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警])(?![0-9A-Za-z])"
)
_NUMERAL = "0-9０-９一二三四五六七八九十百零〇"
_HOUSE = rf"(?:[{_NUMERAL}]+(?:-[{_NUMERAL}]+)*(?:号院|号楼|号|栋|幢|座|单元|室|层|楼|户)[-之]?)"
_ADDRESS = re.compile(
    rf"(?:路|街|大道|巷|弄|胡同|小区|花园|家园|公寓|苑|村|社区|大厦|广场)(?P<house>{_HOUSE}+)(?![{_NUMERAL}])"
)
_ADDRESS_PLACE = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]{1,24}$")
_ADDRESS_BREAK = re.compile(r".*(?:位于|地址|住址|家住|住在|在|住|于|是|到)")
# Numbers written right after these words are order, waybill or transaction numbers, not cards.
_REFERENCE_WORDS = re.compile(r"(?:订单|单号|运单|快递|流水|编号|交易|工单|批次|货号|发票)[号码]?[:：\s#]*$")
_REFERENCE_WINDOW = 12


def _resident_id_ok(value: str) -> bool:
    # Birth date and GB 11643 check digit only: stdnum's birthplace check rejects real numbers whose region
    # code post-dates the holder's birth (codes assigned at first issue), and recall matters more here.
    if value[:2] not in _PROVINCE_PREFIXES or ric.calc_check_digit(value) != value[-1].upper():
        return False
    try:
        ric.get_birth_date(value)
    except Exception:
        return False
    return True


def _legacy_id_ok(value: str) -> bool:
    if value[:2] not in _PROVINCE_PREFIXES:
        return False
    try:
        date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        return False
    return True


def _any_resident_id_ok(value: str) -> bool:
    return _resident_id_ok(value) if len(value) == 18 else _legacy_id_ok(value)


def _digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def _bank_card_ok(value: str) -> bool:
    number = _digits(value)
    return 16 <= len(number) <= 19 and luhn.is_valid(number)


def _credit_code_ok(value: str) -> bool:
    # All-digit codes that are valid ID numbers are people, reported as resident IDs instead.
    if value[0] not in _REGISTRATION_AUTHORITIES or value[2:4] not in _PROVINCE_PREFIXES:
        return False
    if value[:-1].isdigit() and _resident_id_ok(value):
        return False
    return uscc.is_valid(value)


def _plate_ok(value: str) -> bool:
    return sum(char.isdigit() for char in value) >= 3


_DETECTORS: tuple[tuple[PiiKind, re.Pattern[str], Callable[[str], bool] | None], ...] = (
    (PiiKind.RESIDENT_ID, _RESIDENT_ID, _any_resident_id_ok),
    (PiiKind.CREDIT_CODE, _CREDIT_CODE, _credit_code_ok),
    (PiiKind.BANK_CARD, _BANK_CARD, _bank_card_ok),
    (PiiKind.MOBILE, _MOBILE, None),
    (PiiKind.LANDLINE, _LANDLINE, None),
    (PiiKind.EMAIL, _EMAIL, None),
    (PiiKind.PLATE, _PLATE, _plate_ok),
)
_PRIORITY = {kind: rank for rank, (kind, _, _) in enumerate(_DETECTORS)}
_PRIORITY[PiiKind.ADDRESS] = len(_PRIORITY)
_REFERENCE_CHECKED = frozenset({PiiKind.BANK_CARD, PiiKind.RESIDENT_ID, PiiKind.MOBILE, PiiKind.CREDIT_CODE})


def find_personal_data(text: str, *, kinds: Iterable[PiiKind | str] | None = None) -> list[PiiMatch]:
    """Return the personal data in text, in order, longest first where two candidates overlap."""
    wanted = set(PiiKind) if kinds is None else {PiiKind(kind) for kind in kinds}
    if not text or not wanted:
        return []
    found: list[PiiMatch] = []
    # An ID number is also a bank-card and a credit-code candidate; a span already taken needs no recheck.
    taken: set[tuple[int, int]] = set()
    for kind, pattern, is_valid in _DETECTORS:
        if kind not in wanted or (kind is PiiKind.EMAIL and "@" not in text):
            continue
        for match in pattern.finditer(text):
            if match.span() in taken:
                continue
            value = match.group()
            if is_valid is not None and not is_valid(value):
                continue
            if kind in _REFERENCE_CHECKED and _after_reference_word(text, match.start()):
                continue
            found.append(PiiMatch(kind, match.start(), match.end(), value))
            taken.add(match.span())
    if PiiKind.ADDRESS in wanted:
        found.extend(_addresses(text))
    found.sort(key=lambda m: (m.start, -(m.end - m.start), _PRIORITY[m.kind]))
    kept: list[PiiMatch] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def _after_reference_word(text: str, start: int) -> bool:
    return _REFERENCE_WORDS.search(text, max(0, start - _REFERENCE_WINDOW), start) is not None


def _addresses(text: str) -> list[PiiMatch]:
    """Return addresses as the place before the house number through the number; the start is approximate."""
    matches = []
    for match in _ADDRESS.finditer(text):
        left = max(0, match.start() - 24)
        place = _ADDRESS_PLACE.search(text, left, match.start())
        start = place.start() if place else match.start()
        if (broken := _ADDRESS_BREAK.match(text, start, match.start())) is not None:
            start = broken.end()
        matches.append(PiiMatch(PiiKind.ADDRESS, start, match.end(), text[start : match.end()]))
    return matches


def mask(text: str, *, kinds: Iterable[PiiKind | str] | None = None) -> str:
    """Return text with its personal data masked, e.g. 138****8000; restrict to some kinds with kinds."""
    matches = find_personal_data(text, kinds=kinds)
    if not matches:
        return text
    parts: list[str] = []
    cursor = 0
    for match in matches:
        parts.append(text[cursor : match.start])
        parts.append(mask_value(match.kind, match.value))
        cursor = match.end
    parts.append(text[cursor:])
    return "".join(parts)


def mask_value(kind: PiiKind | str, value: str) -> str:
    """Return the masked form of one value of the given kind."""
    kind = PiiKind(kind)
    if kind is PiiKind.EMAIL:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind is PiiKind.ADDRESS:
        house = _ADDRESS.search(value)
        cut = house.start("house") if house else len(value)
        return value[:cut] + re.sub(f"[{_NUMERAL}]", "*", value[cut:])
    compact = "".join(char for char in value if char.isalnum())
    if kind is PiiKind.PLATE:
        return compact[:2] + "*" * (len(compact) - 4) + compact[-2:]
    if kind is PiiKind.MOBILE:
        compact = compact[-11:]
        return f"{compact[:3]}****{compact[-4:]}"
    if kind is PiiKind.BANK_CARD:
        return "*" * (len(compact) - 4) + compact[-4:]
    if kind is PiiKind.LANDLINE:
        area = re.match(r"[(（]?(0\d{2,3})", value)
        prefix = f"{area.group(1)}-" if area else ""
        return f"{prefix}****{compact[-4:]}"
    return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]
