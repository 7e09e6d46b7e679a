"""Personal data in complaint texts: what is found, what is not, and how it is masked."""

from __future__ import annotations

import random
import time

import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from minsheng.text.pii import PiiKind, PiiMatch, find_personal_data, mask, mask_value


def resident_id(region: str = "371502", birth: str = "19900307", serial: str = "123") -> str:
    body = region + birth + serial
    return body + ric.calc_check_digit(body + "0")


def bank_card(prefix: str = "622202123456789012") -> str:
    return prefix + luhn.calc_check_digit(prefix)


def credit_code(body: str = "91371500MA3C4LL4X") -> str:
    return body + uscc.calc_check_digit(body)


def kinds(text: str) -> list[tuple[PiiKind, str]]:
    return [(m.kind, m.value) for m in find_personal_data(text)]


def test_generated_numbers_are_valid() -> None:
    assert ric.is_valid(resident_id("110101"))
    assert luhn.is_valid(bank_card())
    assert uscc.is_valid(credit_code())


def test_complaint_with_every_kind() -> None:
    number, card, code = resident_id(), bank_card(), credit_code()
    spaced = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    text = (
        f"我叫王某，身份证{number}，手机138-0013-8000，也可打+86 138 0013 8000或(0635)8234567，"
        f"邮箱wang.mou@example.com，退款请打到银行卡{spaced}。商户统一社会信用代码{code}，"
        f"车牌鲁P·12345，另一辆鲁PD12345。家住东昌府区柳园路88号3栋2单元501室。"
    )
    assert kinds(text) == [
        (PiiKind.RESIDENT_ID, number),
        (PiiKind.MOBILE, "138-0013-8000"),
        (PiiKind.MOBILE, "+86 138 0013 8000"),
        (PiiKind.LANDLINE, "(0635)8234567"),
        (PiiKind.EMAIL, "wang.mou@example.com"),
        (PiiKind.BANK_CARD, spaced),
        (PiiKind.CREDIT_CODE, code),
        (PiiKind.PLATE, "鲁P·12345"),
        (PiiKind.PLATE, "鲁PD12345"),
        (PiiKind.ADDRESS, "东昌府区柳园路88号3栋2单元501室"),
    ]
    assert all(text[m.start : m.end] == m.value for m in find_personal_data(text))
    masked = mask(text)
    assert number not in masked and card not in masked and code not in masked
    for expected in (
        f"{number[:6]}********{number[-4:]}",
        "138****8000，也可打138****8000",
        "0635-****4567",
        "w***@example.com",
        "*" * (len(card) - 4) + card[-4:],
        "鲁P***45，另一辆鲁P****45",
        "东昌府区柳园路**号*栋*单元***室",
    ):
        assert expected in masked


def test_mask_value_rules() -> None:
    assert mask_value(PiiKind.MOBILE, "0086-13800138000") == "138****8000"
    assert mask_value("resident_id", "37150219900307123X") == "371502********123X"
    assert mask_value(PiiKind.EMAIL, "a@b.cn") == "a***@b.cn"
    assert mask_value(PiiKind.BANK_CARD, "6222 0212 3456 7890 128") == "***************0128"
    assert mask_value(PiiKind.LANDLINE, "0635-8234567") == "0635-****4567"
    assert mask_value(PiiKind.ADDRESS, "星光花园小区3号楼2单元501室") == "星光花园小区*号楼*单元***室"


def test_legacy_fifteen_digit_id() -> None:
    assert kinds("老身份证号371502900307123") == [(PiiKind.RESIDENT_ID, "371502900307123")]
    assert kinds("号码371502901307123") == []  # month 13


def test_checksum_failures_and_reference_numbers_are_not_personal_data() -> None:
    number = resident_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    card = bank_card()
    bad_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert kinds(f"身份证{wrong}") == []
    assert kinds(f"卡号{bad_card}") == []
    assert kinds(f"订单号：{card}，运单号 {card}") == []
    assert kinds("2023年12月1日下午，金额13800元，合计￥12,345.00，日期2023-12-01，20231201") == []
    code = credit_code()
    assert kinds(f"代码{code[:-1]}{'0' if code[-1] != '0' else '1'}") == []


def test_phone_shapes() -> None:
    assert kinds("13800138000") == [(PiiKind.MOBILE, "13800138000")]
    assert kinds("0086 138 0013 8000") == [(PiiKind.MOBILE, "0086 138 0013 8000")]
    assert kinds("12800138000") == []  # no 12x mobile prefix
    assert kinds("电话0635-8234567转总机") == [(PiiKind.LANDLINE, "0635-8234567")]
    assert kinds("电话（010）62345678") == [(PiiKind.LANDLINE, "（010）62345678")]
    assert kinds("138001380001") == []  # twelve digits is no phone


def test_kinds_filter() -> None:
    text = "手机13800138000，邮箱a@example.com"
    assert mask(text, kinds=["email"]) == "手机13800138000，邮箱a***@example.com"
    assert mask(text, kinds=[PiiKind.MOBILE]) == "手机138****8000，邮箱a@example.com"
    assert mask(text, kinds=[]) == text
    with pytest.raises(ValueError):
        mask(text, kinds=["passport"])


def test_empty_and_digit_floods() -> None:
    assert find_personal_data("") == []
    assert mask("") == ""
    flood = "".join(random.Random(3).choices("0123456789", k=200_000))
    assert find_personal_data(flood) == []
    spaced = " ".join(flood[i : i + 9] for i in range(0, 50_000, 9))
    started = time.perf_counter()
    matches = find_personal_data(spaced)
    assert time.perf_counter() - started < 2
    assert all(isinstance(m, PiiMatch) for m in matches)


def test_ten_megabytes_finish_quickly() -> None:
    text = "我家住在东昌府区柳园路88号，电话13800138000，楼下烧烤摊每天吵到半夜，希望尽快处理。" * 230_000
    assert len(text) > 10_000_000
    started = time.perf_counter()
    masked = mask(text)
    assert time.perf_counter() - started < 15
    assert "13800138000" not in masked
    assert masked.count("138****8000") == 230_000
