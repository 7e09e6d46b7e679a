"""What an item looks like coming in (from a feed, a push or a file) and going out (JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from minsheng.core.timeutil import UTC, local_zone
from minsheng.text.normalize import html_to_text, scrub_surrogates

MAX_TITLE = 500
MAX_TEXT = 100_000


class ItemIn(BaseModel):
    """One incoming item; `html` becomes `text` when no plain text is given. Naive times are Beijing time."""

    model_config = ConfigDict(populate_by_name=True, str_strip_whitespace=True)

    external_id: str | None = Field(default=None, alias="id", max_length=512)
    url: str | None = Field(default=None, max_length=2048)
    title: str = ""
    text: str = ""
    html: str | None = None
    published_at: datetime | None = None
    author: str | None = None

    @field_validator("external_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("链接必须以 http:// 或 https:// 开头")
        return value or None

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        # Chinese sites often omit the offset; they mean Beijing time.
        aware = value if value.tzinfo else value.replace(tzinfo=local_zone())
        return aware.astimezone(UTC)

    @model_validator(mode="after")
    def _tidy(self) -> ItemIn:
        if not self.text and self.html:
            self.text = html_to_text(self.html)
        self.html = None
        title = html_to_text(self.title) if "<" in self.title else self.title
        self.title = scrub_surrogates(" ".join(title.split()))[:MAX_TITLE]
        self.text = scrub_surrogates(self.text)[:MAX_TEXT]
        if self.author:
            self.author = self.author[:128]
        if not (self.title or self.text):
            raise ValueError("标题和正文不能都为空")
        if not (self.url or self.external_id):
            raise ValueError("需要链接 url 或编号 id")
        return self


class PushBatch(BaseModel):
    """A batch sent to POST /api/v1/items by a push source."""

    source: str = Field(min_length=1, max_length=128, description="推送源名称")
    items: list[ItemIn] = Field(min_length=1, max_length=500)


class StoreReport(BaseModel):
    """How a batch was stored: new items, changed items, repeats."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = Field(default_factory=list)
