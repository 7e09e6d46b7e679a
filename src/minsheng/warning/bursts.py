"""Burst detection: the latest window of items against the history before it, with a Poisson tail test.

An event is judged by its own rate (a new event drawing many items at once is a burst). Keywords, categories
and places are judged by their share of all items, so a new busy source or a general rise in volume does
not make everything burst at once (the approach of EMM and Meltwater: current window against history).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scipy.stats import poisson
from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from minsheng.core.database import UtcDateTime
from minsheng.core.settings import Settings
from minsheng.events.models import Event
from minsheng.items.models import Item
from minsheng.org.models import Region
from minsheng.warning.models import Burst, BurstKind

# Below this an expected count means "never seen": a floor keeps the test finite.
EXPECTED_FLOOR = 0.05
# Places burst at county level: finer codes are rolled up to their first six digits.
PLACE_DIGITS = 6
MAX_KEYWORD_CANDIDATES = 50
# At most this many keyword bursts a round: the strongest say what is going on, the rest is noise.
MAX_KEYWORD_BURSTS = 5


@dataclass(frozen=True)
class BurstParams:
    """The detector's knobs, read from settings."""

    window: timedelta
    history: timedelta
    min_items: int
    min_ratio: float
    max_p_value: float
    min_history_items: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> BurstParams:
        return cls(
            window=timedelta(minutes=settings.burst_window_minutes),
            history=timedelta(hours=settings.burst_history_hours),
            min_items=settings.burst_min_items,
            min_ratio=settings.burst_min_ratio,
            max_p_value=settings.burst_max_p_value,
            min_history_items=settings.burst_min_history_items,
        )


@dataclass(frozen=True)
class Finding:
    """One significant window: what burst, how many items came against how many were expected."""

    kind: BurstKind
    key: str
    observed: int
    expected: float
    p_value: float

    @property
    def score(self) -> float:
        """Standard deviations above expectation, the figure people read."""
        return (self.observed - self.expected) / max(self.expected, EXPECTED_FLOOR) ** 0.5


def tail_probability(observed: int, expected: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(expected)."""
    return float(poisson.sf(observed - 1, max(expected, EXPECTED_FLOOR)))


def judge(kind: BurstKind, key: str, observed: int, expected: float, params: BurstParams) -> Finding | None:
    """Return a finding when the window is both large and improbable under the baseline."""
    expected = max(expected, EXPECTED_FLOOR)
    if observed < params.min_items or observed < params.min_ratio * expected:
        return None
    p_value = tail_probability(observed, expected)
    if p_value > params.max_p_value:
        return None
    return Finding(kind, key, observed, expected, p_value)


def judge_rates(
    kind: BurstKind,
    current: Counter[str],
    baseline: Counter[str],
    params: BurstParams,
    *,
    spans: dict[str, timedelta] | None = None,
) -> list[Finding]:
    """Compare each key's window count with its own average rate over the history it has had.

    `spans` gives, per key, how much of the history it existed for (an event first seen an hour ago has an
    hour of history, not a day); the rate is its history count over that span, never shorter than a window.
    """
    found = []
    for key, n in current.items():
        span = (spans or {}).get(key, params.history)
        span = min(max(span, params.window), params.history)
        finding = judge(kind, key, n, baseline.get(key, 0) * (params.window / span), params)
        if finding is not None:
            found.append(finding)
    return found


def judge_shares(
    kind: BurstKind,
    current: Counter[str],
    baseline: Counter[str],
    *,
    current_total: int,
    baseline_total: int,
    params: BurstParams,
) -> list[Finding]:
    """Compare each key's window count with what its share of the history predicts for this window's volume.

    The share is smoothed (add a half) so a key never seen before is expected at a small, non-zero rate.
    """
    found = []
    for key, n in current.items():
        share = (baseline.get(key, 0) + 0.5) / (baseline_total + 1)
        finding = judge(kind, key, n, current_total * share, params)
        if finding is not None:
            found.append(finding)
    return found


def _window(statement: Select[Any], start: datetime, end: datetime) -> Select[Any]:
    return statement.where(Item.published_at >= start, Item.published_at < end)


def _grouped(session: Session, column: Any, start: datetime, end: datetime) -> Counter[str]:
    statement = _window(select(column, func.count()).where(column.is_not(None)).group_by(column), start, end)
    return Counter({str(key): int(n) for key, n in session.execute(statement) if key not in (None, "")})


def _total(session: Session, start: datetime, end: datetime) -> int:
    return session.scalar(_window(select(func.count(Item.id)), start, end)) or 0


def _keyword_counts(
    session: Session, start: datetime, end: datetime, only: list[str] | None = None
) -> Counter[str]:
    """Count items per keyword (each item's keywords are a JSON list) in a time range."""
    # Expanding a JSON array into rows is spelt differently by the two databases.
    if session.get_bind().dialect.name == "sqlite":
        expand, value = "json_each(item.keywords) AS w", "w.value"
    else:
        expand, value = "json_array_elements_text(item.keywords) AS w(value)", "w.value"
    sql = (
        f"SELECT {value} AS word, count(*) FROM item, {expand} "  # noqa: S608 - fixed fragments only
        "WHERE item.published_at >= :start AND item.published_at < :end"
    )
    params: dict[str, Any] = {"start": start, "end": end}
    if only is not None:
        if not only:
            return Counter()
        names = [f":k{i}" for i in range(len(only))]
        sql += f" AND {value} IN ({', '.join(names)})"
        params.update({f"k{i}": word for i, word in enumerate(only)})
    sql += f" GROUP BY {value}"
    # Times are bound through the column type so SQLite compares them in the stored format.
    statement = text(sql).bindparams(
        bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime())
    )
    return Counter({str(word): int(n) for word, n in session.execute(statement, params)})


def _event_spans(session: Session, keys: list[str], start: datetime) -> dict[str, timedelta]:
    """How long before the window each event has existed (its history span)."""
    ids = [int(key) for key in keys]
    if not ids:
        return {}
    rows = session.execute(select(Event.id, Event.first_seen_at).where(Event.id.in_(ids)))
    return {str(event_id): start - first for event_id, first in rows}


def _keyword_events(
    session: Session, words: list[str], start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """For each keyword, the event holding most of its window items and how many that is."""
    if not words:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        expand = "json_each(item.keywords) AS w"
    else:
        expand = "json_array_elements_text(item.keywords) AS w(value)"
    names = ", ".join(f":k{i}" for i in range(len(words)))
    sql = (
        f"SELECT w.value, item.event_id, count(*) FROM item, {expand} "  # noqa: S608 - fixed fragments only
        f"WHERE item.published_at >= :start AND item.published_at < :end AND item.event_id IS NOT NULL "
        f"AND w.value IN ({names}) GROUP BY w.value, item.event_id"
    )
    statement = text(sql).bindparams(
        bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime())
    )
    params: dict[str, Any] = {"start": start, "end": end, **{f"k{i}": w for i, w in enumerate(words)}}
    best: dict[str, tuple[int, int]] = {}
    for word, event_id, n in session.execute(statement, params):
        if n > best.get(word, (0, 0))[1]:
            best[word] = (int(event_id), int(n))
    return best


def fold_keywords(findings: list[Finding], owners: dict[str, tuple[int, int]]) -> list[Finding]:
    """Drop keyword bursts that are mostly the words of one event, and keep only the strongest of the rest.

    A story lifts a dozen of its words at once; its event (with its own burst and rules) already says so.
    What is left are words spread over many posts that no event holds yet: a topic still forming.
    """
    kept = []
    for finding in findings:
        if finding.kind == BurstKind.keyword:
            owner = owners.get(finding.key)
            if owner and owner[1] * 2 >= finding.observed:
                continue
        kept.append(finding)
    words = sorted((f for f in kept if f.kind == BurstKind.keyword), key=lambda f: f.score, reverse=True)
    spare = {id(f) for f in words[MAX_KEYWORD_BURSTS:]}
    return [f for f in kept if id(f) not in spare]


def detect(session: Session, *, now: datetime, params: BurstParams) -> list[Finding]:
    """Find what bursts in the window ending now, by event, keyword, category and place.

    Nothing is judged until the history holds `min_history_items` items: on a new deployment every key
    would otherwise look new, and therefore bursting.
    """
    start = now - params.window
    history_start = start - params.history
    current_total = _total(session, start, now)
    if current_total < params.min_items:
        return []
    baseline_total = _total(session, history_start, start)
    if baseline_total < params.min_history_items:
        return []
    current_events = _grouped(session, Item.event_id, start, now)
    findings = judge_rates(
        BurstKind.event,
        current_events,
        _grouped(session, Item.event_id, history_start, start),
        params,
        spans=_event_spans(session, list(current_events), start),
    )
    place = func.substr(Item.region_code, 1, PLACE_DIGITS)
    for kind, column in ((BurstKind.category, Item.category), (BurstKind.place, place)):
        findings += judge_shares(
            kind,
            _grouped(session, column, start, now),
            _grouped(session, column, history_start, start),
            current_total=current_total,
            baseline_total=baseline_total,
            params=params,
        )
    current_words = _keyword_counts(session, start, now)
    candidates = [w for w, n in current_words.most_common(MAX_KEYWORD_CANDIDATES) if n >= params.min_items]
    findings += judge_shares(
        BurstKind.keyword,
        Counter({w: current_words[w] for w in candidates}),
        _keyword_counts(session, history_start, start, only=candidates),
        current_total=current_total,
        baseline_total=baseline_total,
        params=params,
    )
    words = [f.key for f in findings if f.kind == BurstKind.keyword]
    return fold_keywords(findings, _keyword_events(session, words, start, now))


def _labels(session: Session, findings: list[Finding]) -> dict[tuple[str, str], str]:
    """Name what burst: an event by its title, a place by its region name."""
    labels: dict[tuple[str, str], str] = {}
    event_ids = [int(f.key) for f in findings if f.kind == BurstKind.event]
    if event_ids:
        for event_id, title in session.execute(select(Event.id, Event.title).where(Event.id.in_(event_ids))):
            labels[(BurstKind.event, str(event_id))] = title
    codes = [f.key for f in findings if f.kind == BurstKind.place]
    if codes:
        prefixes = {code.ljust(PLACE_DIGITS, "0"): code for code in codes}
        for code, name in session.execute(
            select(Region.code, Region.name).where(Region.code.in_(list(prefixes)))
        ):
            labels[(BurstKind.place, prefixes[code])] = name
    return labels


def record(session: Session, findings: list[Finding], *, now: datetime, params: BurstParams) -> list[Burst]:
    """Store findings; a burst that goes on extends its open row instead of adding one per minute."""
    if not findings:
        return []
    labels = _labels(session, findings)
    open_since = now - params.window
    existing = {
        (b.kind, b.key): b
        for b in session.scalars(
            select(Burst).where(
                Burst.window_end >= open_since,
                Burst.kind.in_({f.kind.value for f in findings}),
                Burst.key.in_({f.key for f in findings}),
            )
        )
    }
    stored = []
    for finding in findings:
        burst = existing.get((finding.kind.value, finding.key))
        if burst is None:
            burst = Burst(
                kind=finding.kind.value,
                key=finding.key[:200],
                label=labels.get((finding.kind, finding.key), finding.key)[:200],
                window_start=now - params.window,
                window_end=now,
                observed=finding.observed,
                expected=finding.expected,
                score=finding.score,
                p_value=finding.p_value,
                detected_at=now,
                event_id=int(finding.key) if finding.kind == BurstKind.event else None,
            )
            session.add(burst)
        else:
            burst.window_end = now
            if finding.observed >= burst.observed:
                burst.observed, burst.expected = finding.observed, finding.expected
                burst.score, burst.p_value = finding.score, finding.p_value
        stored.append(burst)
    session.flush()
    return stored


def recent_bursts(session: Session, *, since: datetime, limit: int = 50) -> list[Burst]:
    """Bursts still open after `since`, strongest first."""
    statement = (
        select(Burst)
        .where(Burst.window_end >= since)
        .order_by(Burst.score.desc(), Burst.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))
