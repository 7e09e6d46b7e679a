from __future__ import annotations

import codecs
import time

import pytest

from minsheng.core.errors import ValidationFailed
from minsheng.text.normalize import (
    BinaryContent,
    decode,
    fold_width,
    html_to_text,
    normalize_for_analysis,
    to_simplified,
)
from tests.conftest import SHARED, shared_missing

SEEDS = SHARED / "seeds"
PAGE = "关于进一步加强全县互联网宣传管理的意见：加强网络舆论的监控与引导，展示良好形象。"
TRADITIONAL = "關於進一步加強全縣互聯網宣傳管理的意見：加強網絡輿論的監控與引導。"


@pytest.fixture(scope="module")
def seed_text() -> str:
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        shared_missing("shared seed documents are not available")
    return seeds[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + PAGE.encode(), "utf-8"),
        (codecs.BOM_UTF16_LE + PAGE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + PAGE.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_decode_trusts_a_byte_order_mark(data: bytes, encoding: str) -> None:
    result = decode(data, content_type="text/html; charset=gbk")
    assert (result.text, result.encoding, result.method, result.lossy) == (PAGE, encoding, "bom", False)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030"])
def test_decode_detects_undeclared_chinese_encodings(seed_text: str, encoding: str) -> None:
    result = decode(seed_text[:2000].encode(encoding, errors="replace"))
    assert result.method == "detected"
    assert result.text == seed_text[:2000].encode(encoding, errors="replace").decode(encoding)


def test_decode_detects_big5() -> None:
    result = decode(TRADITIONAL.encode("big5"))
    assert result.text == TRADITIONAL
    assert result.encoding.startswith("big5")


def test_decode_reads_gb18030_only_characters_in_a_page_declared_gb2312() -> None:
    text = PAGE + "䶮"  # a CJK extension-A character outside GB2312 and GBK
    result = decode(text.encode("gb18030"), content_type="text/html; charset=GB2312")
    assert (result.text, result.encoding, result.method) == (text, "gb18030", "http")


def test_decode_precedence_declared_over_http_over_meta() -> None:
    body = b'<meta http-equiv="Content-Type" content="text/html; charset=big5">' + PAGE.encode("gbk")
    assert decode(body, content_type="text/html; charset=gbk").method == "http"
    assert decode(body, content_type="text/html; charset=gbk", declared="gb18030").method == "declared"
    meta = b'<html><head><meta charset="gbk"></head>' + PAGE.encode("gbk")
    assert decode(meta).method == "meta"
    assert PAGE in decode(meta).text


def test_decode_ignores_a_meta_charset_the_bytes_contradict() -> None:
    page = b'<meta charset="utf-8"><p>' + PAGE.encode("gbk") + b"</p>"
    result = decode(page)
    assert PAGE in result.text
    assert (result.encoding, result.method, result.ignored_declaration, result.lossy) == (
        "gb18030",
        "detected",
        "utf-8",
        False,
    )


def test_decode_never_raises_on_corrupt_bytes() -> None:
    data = PAGE.encode("utf-8")[:-1] + b"\xff\xfe\x80" + PAGE.encode("utf-8")
    result = decode(data)
    assert result.lossy
    assert "\ufffd" in result.text
    forced = decode(PAGE.encode("gbk"), declared="utf-8")
    assert (forced.method, forced.lossy) == ("declared", True)


def test_decode_empty_and_binary() -> None:
    assert decode(b"").text == ""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with pytest.raises(BinaryContent) as info:
        decode(png)
    assert isinstance(info.value, ValidationFailed)
    assert info.value.status_code == 422
    with pytest.raises(BinaryContent):
        decode(b"\x00\x01\x02\x00" * 1000)


def test_decode_ten_megabytes_quickly() -> None:
    data = (PAGE * 130_000).encode("gbk")
    assert len(data) > 10_000_000
    started = time.perf_counter()
    result = decode(data)
    assert time.perf_counter() - started < 5
    assert result.encoding == "gb18030"
    assert result.text.startswith(PAGE)


def test_fold_width_keeps_chinese_punctuation() -> None:
    assert fold_width("ＡＢＣ１２３　ｘｙｚ％＠") == "ABC123 xyz%@"
    assert fold_width("你好，世界！真的？是：对；（好）。") == "你好，世界！真的？是：对；（好）。"
    assert fold_width("") == ""


def test_to_simplified_leaves_the_original() -> None:
    original = "網絡詐騙與個人資訊洩露"
    assert to_simplified(original) == "网络诈骗与个人资讯泄露"
    assert original == "網絡詐騙與個人資訊洩露"


def test_normalize_for_analysis() -> None:
    text = "  網絡\u200b詐騙　舉報：１２３４５熱線\n\n ＡＰＰ  "
    assert normalize_for_analysis(text) == "网络诈骗 举报：12345热线 APP"
    assert normalize_for_analysis("") == ""
    assert normalize_for_analysis("a\ud800b 這") == "a\ufffdb 这"


def test_normalize_for_analysis_is_fast(seed_text: str) -> None:
    text = seed_text * (2_000_000 // len(seed_text) + 1)
    normalize_for_analysis("预热")
    started = time.perf_counter()
    normalize_for_analysis(text)
    assert len(text) / (time.perf_counter() - started) > 5_000_000


def test_html_to_text_keeps_paragraphs_and_drops_chrome() -> None:
    html = """<html><head><title>标题</title><style>p{color:red}</style></head>
    <body><nav>首页 | 政务公开</nav><div>通知<p>第一段&nbsp;内容</p><p>第二段</p></div>
    <script>var x = "不要";</script><ul><li>一</li><li>二</li></ul></body></html>"""
    assert html_to_text(html) == "通知\n第一段 内容\n第二段\n一\n二"
    assert html_to_text("") == ""
    assert html_to_text("纯文本\ud800") == "纯文本\ufffd"
