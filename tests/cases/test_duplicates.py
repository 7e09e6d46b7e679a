"""The duplicate finder a server keeps between submissions sees every committed case, whatever its order."""

from __future__ import annotations

from datetime import timedelta

from minsheng.cases import service
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.models import Case
from minsheng.core.timeutil import utcnow
from tests.cases.test_intake import COMPLAINT, complaint


def _copy(session, template: Case, case_id: int) -> None:
    # Ids chosen by hand stand in for concurrent transactions committing out of id order, as on PostgreSQL.
    columns = {
        c.key: getattr(template, c.key) for c in Case.__table__.columns if c.key not in ("id", "tracking_no")
    }
    session.add(Case(**columns, id=case_id, tracking_no=f"copy-{case_id}"))
    session.commit()


def _found(finder: DuplicateFinder, session, settings, probe: Case, now=None) -> set[int]:
    found = finder.find(session, case=probe, settings=settings, now=now or utcnow())
    session.rollback()
    return {int(str(d["case_id"])) for d in found}


def test_a_case_committed_after_a_newer_one_is_still_proposed(session, settings, world):
    template = service.submit(session, data=complaint(), settings=settings, engine=world.engine).case
    session.commit()
    probe = Case(text_signature=template.text_signature, region_code=None, category=None)
    finder = DuplicateFinder()
    first = template.id
    _copy(session, template, first + 10)
    assert _found(finder, session, settings, probe) == {first, first + 10}
    _copy(session, template, first + 12)
    assert _found(finder, session, settings, probe) == {first, first + 10, first + 12}
    # Id 11 was handed out before 12 but committed after it was read.
    _copy(session, template, first + 11)
    assert _found(finder, session, settings, probe) == {first, first + 10, first + 11, first + 12}


def test_cases_leave_the_index_when_they_leave_the_window(session, settings, world):
    template = service.submit(session, data=complaint(), settings=settings, engine=world.engine).case
    session.commit()
    probe = Case(text_signature=template.text_signature, region_code=None, category=None)
    finder = DuplicateFinder()
    assert _found(finder, session, settings, probe) == {template.id}
    later = utcnow() + timedelta(days=settings.case_duplicate_days, hours=1)
    assert _found(finder, session, settings, probe, now=later) == set()
    assert len(finder._index) == 0


def test_a_kept_finder_proposes_what_a_fresh_one_proposes(session, settings, world):
    kept = DuplicateFinder()
    for n in range(8):
        data = complaint(description=f"{COMPLAINT}（第{n}次反映）")
        case = service.submit(
            session, data=data, settings=settings, engine=world.engine, duplicates=kept
        ).case
        session.commit()
        probe = Case(text_signature=case.text_signature, region_code=case.region_code, category=case.category)
        assert _found(kept, session, settings, probe) == _found(DuplicateFinder(), session, settings, probe)
