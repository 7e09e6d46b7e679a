"""Canonical URLs: one spelling per page."""

from __future__ import annotations

import pytest

from minsheng.items.canonical import canonical_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://News.Example.COM/a/b?b=2&a=1#comments", "https://news.example.com/a/b?a=1&b=2"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://example.com", "http://example.com/"),
        (
            "https://m.example.com/p?id=7&utm_source=wx&utm_medium=share&spm=a.b.c&from=timeline&share_id=9",
            "https://m.example.com/p?id=7",
        ),
        ("http://example.com/%e4%b8%ad%e6%96%87", "http://example.com/%E4%B8%AD%E6%96%87"),
        ("http://example.com/中文", "http://example.com/%E4%B8%AD%E6%96%87"),
        ("http://例子.中国/a", "http://xn--fsqu00a.xn--fiqs8s/a"),
        ("http://example.com/s?q=a+b&ref=x&isappinstalled=0", "http://example.com/s?q=a+b&ref=x"),
        ("http://example.com/?empty=&k=v", "http://example.com/?empty=&k=v"),
    ],
)
def test_canonical_url(raw, expected):
    assert canonical_url(raw) == expected


def test_canonical_url_is_idempotent():
    url = "HTTPS://Example.com/a%20b/中?x=1&utm_campaign=z#top"
    assert canonical_url(canonical_url(url)) == canonical_url(url)
