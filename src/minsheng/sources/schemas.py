"""Input for creating a source."""

from __future__ import annotations

import codecs

from pydantic import BaseModel, Field, field_validator, model_validator
from selectolax.lexbor import LexborHTMLParser

from minsheng.sources.models import FETCHED_KINDS, SourceKind, SourceTier


class SourceCreate(BaseModel):
    """A new source; interval, timeout and size cap default from the settings when left out."""

    name: str = Field(min_length=1, max_length=128)
    kind: SourceKind
    url: str | None = Field(default=None, max_length=2048)
    tier: SourceTier = SourceTier.normal
    interval_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    timeout_seconds: float | None = Field(default=None, gt=0, le=300)
    max_kb: int | None = Field(default=None, ge=1, le=100 * 1024)
    encoding: str | None = Field(default=None, max_length=32)
    selector: str | None = Field(default=None, max_length=256)
    max_articles: int | None = Field(default=None, ge=1, le=1000)
    follow_offsite: bool = False

    @field_validator("name", "url", "encoding", "selector", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _url_for_feeds(self) -> SourceCreate:
        is_web = bool(self.url) and str(self.url).lower().startswith(("http://", "https://"))
        if self.kind in FETCHED_KINDS and not is_web:
            raise ValueError("订阅源需要以 http:// 或 https:// 开头的地址")
        if self.encoding:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(f"未知的字符编码：{self.encoding}") from None
        if self.kind == SourceKind.html:
            if not self.selector:
                raise ValueError("网页列表源需要文章链接的 CSS 选择器，例如 a.news-title")
            if not is_valid_selector(self.selector):
                raise ValueError(f"CSS 选择器无效：{self.selector}")
        return self


def is_valid_selector(selector: str) -> bool:
    """Tell whether the HTML parser accepts a CSS selector."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except Exception:
        # The parser reports a bad selector with a bare exception type that differs between versions.
        return False
    return True
