"""Departments of the office's government and the regions of its jurisdiction."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin


class Department(TimestampMixin, Base):
    """A government department or unit that receives and handles work (e.g. 市经济和信息化委员会)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    region_code: Mapped[str | None] = mapped_column(String(12))
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Department | None] = relationship(remote_side=[id], lazy="raise")


class Region(Base):
    """An administrative division with its GB/T 2260 code (province down to township/street)."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    short_name: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[int] = mapped_column()
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
