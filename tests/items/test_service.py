"""Storing items: one statement for a batch, ids back in the session, repeats and races skipped."""

from __future__ import annotations

from sqlalchemy import event, func, select

from minsheng.core.timeutil import utcnow
from minsheng.items import service
from minsheng.items.models import Item, item_department
from minsheng.items.schemas import ItemIn
from minsheng.text.analysis import TextEngine
from tests.factories import make_department
from tests.items.conftest import make_source


def _batch(n: int, prefix: str = "a") -> list[ItemIn]:
    return [
        ItemIn(
            id=f"{prefix}{i}",
            url=f"https://news.example/{prefix}/{i}",
            title=f"标题{i}",
            text=f"市住建局回应停水问题{i}",
        )
        for i in range(n)
    ]


def test_batch_is_inserted_at_once_and_stays_in_the_session(session, engine, monkeypatch):
    make_department(session, name="市住房和城乡建设局", aliases=["市住建局"])
    source = make_source(session)
    session.commit()
    text_engine = _engine(session)
    inserts = []

    def count_inserts(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO item "):
            inserts.append(statement)

    event.listen(engine, "before_cursor_execute", count_inserts)
    attached: list[Item] = []
    attach = service._attach
    monkeypatch.setattr(
        service, "_attach", lambda s, items, **k: (attached.extend(items), attach(s, items, **k))
    )
    report = service.store_items(session, source=source, items=_batch(50), engine=text_engine, now=utcnow())
    assert report.created == 50 and len(set(report.ids)) == 50
    assert len(inserts) <= 2  # one executemany (PostgreSQL may split it into pages), not fifty
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    stored = [session.get(Item, item_id) for item_id in report.ids]
    assert stored == attached
    assert all(item.analysed_at and item.event_id is None and item.dup_group_id is None for item in stored)
    assert statements == []  # the ids came back into the identity map with every column loaded
    linked = session.scalar(select(func.count()).select_from(item_department))
    assert linked == 50
    session.commit()
    again = service.store_items(session, source=source, items=_batch(50), engine=text_engine, now=utcnow())
    assert (again.created, again.unchanged) == (0, 50)


def test_an_item_stored_meanwhile_by_another_run_is_skipped(session, monkeypatch):
    source = make_source(session)
    other = make_source(session, name="另一个源")
    session.commit()
    text_engine = _engine(session)
    service.store_items(session, source=other, items=_batch(3)[1:2], engine=text_engine, now=utcnow())
    session.commit()
    # As if the other run's insert landed between our lookup and our insert.
    monkeypatch.setattr(service, "_existing", lambda *a, **k: ({}, {}))
    report = service.store_items(session, source=source, items=_batch(3), engine=text_engine, now=utcnow())
    assert (report.created, report.unchanged) == (2, 1)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Item)) == 3


def _engine(session) -> TextEngine:
    from minsheng.core.settings import Settings

    return TextEngine.from_settings(Settings(), session=session)
