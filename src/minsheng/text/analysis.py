"""One call that reads a text the way every module needs it: words, places, departments, signals."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.text.classify import Classifiers, Prediction
from minsheng.text.dedupe import signature
from minsheng.text.departments import DepartmentMention
from minsheng.text.gazetteer import Gazetteer
from minsheng.text.keywords import BackgroundModel, key_phrases, keywords
from minsheng.text.normalize import normalize_for_analysis, scrub_surrogates
from minsheng.text.numbers import DateMention, Quantity, find_dates, find_quantities
from minsheng.text.pii import PiiMatch, find_personal_data, mask
from minsheng.text.places import PlaceMention
from minsheng.text.segment import Segmenter, is_wordlike

# Texts longer than this are analysed on their first part only; whole-text steps (PII) still see everything.
ANALYSIS_CHAR_LIMIT = 20_000
TASKS = ("category", "sentiment", "emotion", "rumor", "harm")


@dataclass
class Analysis:
    """What the text engine found in one text."""

    text: str
    words: list[str]
    keywords: list[tuple[str, float]]
    key_phrases: list[str]
    places: list[PlaceMention]
    region_code: str | None
    departments: list[DepartmentMention]
    quantities: list[Quantity]
    dates: list[DateMention]
    personal_data: list[PiiMatch]
    masked_text: str
    predictions: dict[str, Prediction] = field(default_factory=dict)
    signature: bytes = b""

    @property
    def category(self) -> Prediction | None:
        return self.predictions.get("category")

    @property
    def sentiment(self) -> Prediction | None:
        return self.predictions.get("sentiment")

    @property
    def harm_signals(self) -> tuple[str, ...]:
        harm = self.predictions.get("harm")
        return harm.labels if harm else ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready view; personal data appears only by kind and position, never by value."""
        return {
            "text": self.masked_text,
            "words": self.words,
            "keywords": [[word, round(score, 4)] for word, score in self.keywords],
            "key_phrases": self.key_phrases,
            "places": [_plain(p) for p in self.places],
            "region_code": self.region_code,
            "departments": [_plain(d) for d in self.departments],
            "quantities": [_plain(q) for q in self.quantities],
            "dates": [_plain(d) for d in self.dates],
            "personal_data": [
                {"kind": str(m.kind), "start": m.start, "end": m.end} for m in self.personal_data
            ],
            "predictions": {task: _plain(p) for task, p in self.predictions.items()},
        }


def _plain(value: Any) -> dict[str, Any]:
    data = dataclasses.asdict(value)
    return {key: (item.isoformat() if hasattr(item, "isoformat") else item) for key, item in data.items()}


class TextEngine:
    """The text engine of one deployment: its dictionary, gazetteer, background model and classifiers."""

    def __init__(
        self,
        *,
        gazetteer: Gazetteer | None = None,
        classifiers: Classifiers | None = None,
        background: BackgroundModel | None = None,
    ) -> None:
        self.gazetteer = gazetteer or Gazetteer()
        self.segmenter = Segmenter(user_words=self.gazetteer.names())
        self.classifiers = classifiers or Classifiers()
        self.background = background

    @classmethod
    def from_settings(cls, settings: Settings, *, session: Session | None = None) -> TextEngine:
        """Build the engine from the deployment's names (when a session is given) and trained models."""
        gazetteer = Gazetteer.from_session(session) if session is not None else Gazetteer()
        path = background_path(settings)
        background = BackgroundModel.load(path) if path.exists() else None
        return cls(gazetteer=gazetteer, classifiers=Classifiers.load(settings), background=background)

    def analyze(
        self, text: str, *, title: str | None = None, published_at: datetime | None = None
    ) -> Analysis:
        """Analyse one text (with its title, when it has one)."""
        return self.analyze_many([text], titles=[title], published_at=[published_at], phrases=True)[0]

    def analyze_many(
        self,
        texts: Sequence[str],
        *,
        titles: Sequence[str | None] | None = None,
        published_at: Sequence[datetime | None] | None = None,
        phrases: bool = False,
        tasks: Sequence[str] = TASKS,
    ) -> list[Analysis]:
        """Analyse a batch; the classifiers run once over the whole batch, which is the fast path.

        Key phrases (TextRank) cost as much as everything else together, so a batch computes them only when
        asked; events compute them over their merged text instead. `tasks` names the classifiers to run
        (all by default); a caller that reads only some of the predictions can spare the others.
        """
        titles = titles or [None] * len(texts)
        moments = published_at or [None] * len(texts)
        if len(titles) != len(texts) or len(moments) != len(texts):
            raise ValueError("titles and published_at must match texts in length")
        raw = [_combine(title, text) for title, text in zip(titles, texts, strict=True)]
        personal = [find_personal_data(text) for text in raw]
        # Everything downstream reads the masked text, so no word, keyword or number carries personal data.
        masked = [mask(text) if found else text for text, found in zip(raw, personal, strict=True)]
        clean = [normalize_for_analysis(text[:ANALYSIS_CHAR_LIMIT]) for text in masked]
        predictions = {task: self.classifiers.predict(task, clean) for task in tasks}
        return [
            self._one(
                clean[i],
                masked[i],
                personal[i],
                moments[i] or utcnow(),
                {t: predictions[t][i] for t in tasks},
                phrases=phrases,
            )
            for i in range(len(raw))
        ]

    def _one(
        self,
        text: str,
        masked: str,
        personal: list[PiiMatch],
        moment: datetime,
        predictions: dict[str, Prediction],
        *,
        phrases: bool,
    ) -> Analysis:
        places = self.gazetteer.find_places(text)
        tokens = self.segmenter.cut(text)
        stop = self.segmenter.stopwords
        words = [t for t in tokens if t not in stop and is_wordlike(t)]
        return Analysis(
            text=text,
            words=words,
            keywords=keywords(text, model=self.background, segmenter=self.segmenter, top_k=10, words=words),
            key_phrases=(
                key_phrases(text, segmenter=self.segmenter, top_k=5, tokens=tokens) if phrases else []
            ),
            places=places,
            region_code=self.gazetteer.region_of(places),
            departments=self.gazetteer.find_departments(text),
            quantities=find_quantities(text),
            dates=find_dates(text, reference=moment),
            personal_data=personal,
            masked_text=masked,
            predictions=predictions,
            signature=signature(text),
        )


def _combine(title: str | None, text: str) -> str:
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    text = scrub_surrogates(text)
    return f"{scrub_surrogates(title)}\n{text}" if title else text


def background_path(settings: Settings) -> Path:
    """Where the deployment's keyword background model lives."""
    return settings.data_dir / "text" / "background.json"


_default: TextEngine | None = None
_default_lock = threading.Lock()


def default_engine() -> TextEngine:
    """Return the process-wide engine (no deployment names, default or trained models of the settings)."""
    global _default
    with _default_lock:
        if _default is None:
            from minsheng.core.settings import get_settings

            _default = TextEngine(classifiers=Classifiers.load(get_settings()))
        return _default


def set_default_engine(engine: TextEngine | None) -> None:
    """Install the engine `analyze` uses (built from the deployment's data by the app or a worker)."""
    global _default
    with _default_lock:
        _default = engine


def analyze(text: str, *, title: str | None = None, published_at: datetime | None = None) -> Analysis:
    """Analyse one text with the default engine."""
    return default_engine().analyze(text, title=title, published_at=published_at)


def analyze_many(texts: Sequence[str], **kwargs: Any) -> list[Analysis]:
    """Analyse a batch with the default engine (the fast path)."""
    return default_engine().analyze_many(texts, **kwargs)


def engine_for_settings(settings: Settings) -> TextEngine:
    """Build the deployment's engine, with its names when its database is reachable and migrated."""
    from sqlalchemy.exc import SQLAlchemyError

    from minsheng.core.database import make_engine, make_sessionmaker

    database = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(database)() as session:
            return TextEngine.from_settings(settings, session=session)
    except SQLAlchemyError:
        return TextEngine.from_settings(settings)
    finally:
        database.dispose()
