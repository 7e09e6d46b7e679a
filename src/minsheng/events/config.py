"""The knobs of clustering, with the defaults measured in docs/monitoring.md (section Events)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from minsheng.core.settings import Settings


@dataclass(frozen=True)
class ClusterConfig:
    """How items are grouped into near-duplicate groups and events."""

    # An item is compared with copies and events seen this many hours before or after it.
    window_hours: float = 72.0
    # An event with no new item for this many hours is closed by the `events.close_quiet` sweep.
    quiet_hours: float = 48.0
    # Character 3-gram Jaccard similarity at or above which a post is a copy of an earlier one.
    duplicate_threshold: float = 0.5
    # Score (cosine of keyword vectors plus the place and category terms) to join an existing event.
    join_threshold: float = 0.3
    # Score two unclustered posts need to start an event together.
    seed_threshold: float = 0.35
    # Added when both name the same county-level area (or one inside the other); taken off when they name
    # different ones.
    place_bonus: float = 0.1
    # Added when both have the same category.
    category_bonus: float = 0.05
    # Terms kept in an event's centroid.
    centroid_terms: int = 64
    # Events read afresh for each item, best first by the cached centroids.
    candidates: int = 2
    # Posts kept in memory for matching (about 5 KB each); the oldest go first when there are more.
    capacity: int = 50_000
    # A post processed this recently stays in memory even when older than the window (archive imports).
    keep_seconds: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterConfig:
        """Take the window and the quiet period from the deployment's settings."""
        return cls(window_hours=settings.event_window_hours, quiet_hours=settings.event_quiet_hours)

    def but(self, **changes: float) -> ClusterConfig:
        return replace(self, **changes)


DEFAULT_CONFIG = ClusterConfig()
