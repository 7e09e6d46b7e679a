"""Find named places below township level: roads, housing estates, communities, villages and squares."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

LEVEL_LOCAL = 5
KIND_ROAD = "road"
KIND_ADDRESS = "address"
KIND_RESIDENTIAL = "residential"
KIND_COMMUNITY = "community"
KIND_VILLAGE = "village"
KIND_SQUARE = "square"

# Matching starts at the suffix, which is rare, and walks back over the name: far faster than a regex that
# has to try every start position of every run of Chinese characters.
_SUFFIX = re.compile(
    r"(?:花园|家园|新村)(?:小区|社区)?|小区|社区|广场|大道|苑(?:小区)?"
    r"|村(?![民庄级])|路(?![过灯费线面况])|街(?![道坊])|巷"
)
_HOUSE_NUMBER = re.compile(r"[0-9]{1,5}号(?:院|楼)?")
_MAX_STEM = 10
_MIN_STEM = 2
# Words that never belong to a place name: the name starts after the last of them.
_HARD_BREAKS = (
    "位于", "家住", "住在", "反映", "投诉", "举报", "附近", "门口", "对面", "旁边", "我们", "你们", "他们",
    "这个", "那个", "这条", "那条", "在", "住", "的", "我", "你", "他", "她", "这", "那", "是", "到", "从",
    "把", "被", "给", "让", "对", "请", "了", "着", "过", "说", "都", "也", "就", "还", "很",
)  # fmt: skip
# Conjunctions that also start real names (和平路, 于庄村): cut only when a two-character name remains.
_SOFT_BREAKS = ("和", "与", "及", "或", "至", "向", "往", "于", "去")
# Greedy `.*` lands each pattern on the last break in the stem.
_HARD_BREAK = re.compile("(?s).*(?:" + "|".join(_HARD_BREAKS) + ")")
_SOFT_BREAK = re.compile("(?s).*(?:" + "|".join(_SOFT_BREAKS) + ")(?=.{2})")
_GENERIC_STEMS = frozenset(
    {"老旧", "新建", "居民", "物业", "周边", "整个", "所在", "城市", "商业", "步行", "高速", "环城", "部分"}
)
_GENERIC_WORDS = frozenset(
    {
        "道路", "马路", "公路", "铁路", "线路", "电路", "思路", "出路", "门路", "走路", "水路", "小路",
        "大路", "山路", "土路", "网路", "一路", "上路", "逛街", "上街", "沿街", "临街", "当街", "满街",
        "农村", "乡村", "山村", "渔村", "进村", "全村", "本村", "该村", "各村", "同村", "小巷", "深巷",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LocalPlace:
    """A named place below township level, such as 柳园路 or 星光花园小区."""

    text: str
    start: int
    end: int
    kind: str


def find_local_places(text: str, taken: Sequence[tuple[int, int]] = ()) -> list[LocalPlace]:
    """Return the roads, estates, communities, villages and squares in text outside the taken spans."""
    places: list[LocalPlace] = []
    floor = 0
    span = 0
    for match in _SUFFIX.finditer(text):
        while span < len(taken) and taken[span][1] <= match.start():
            floor = max(floor, taken[span][1])
            span += 1
        stop = taken[span][0] if span < len(taken) else len(text)
        if match.end() > stop:
            continue
        left = match.start()
        limit = max(floor, left - _MAX_STEM)
        while left > limit and _is_name_char(text[left - 1]):
            left -= 1
        cut = _name_start(text[left : match.start()])
        if cut is None:
            continue
        left += cut
        stem, suffix = text[left : match.start()], match.group()
        if not _is_name(stem, suffix):
            continue
        end, kind = match.end(), _kind(suffix)
        if kind == KIND_ROAD and (number := _HOUSE_NUMBER.match(text, end, stop)):
            end, kind = number.end(), KIND_ADDRESS
        places.append(LocalPlace(text[left:end], left, end, kind))
        floor = end
    return places


def starts_local_suffix(text: str, position: int) -> bool:
    """Tell whether a road, estate, community or village suffix begins at this position."""
    return _SUFFIX.match(text, position) is not None


def _is_name_char(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or (char.isascii() and char.isalnum())


def _name_start(stem: str) -> int | None:
    """Return where the name begins inside the characters before the suffix, or None for no name."""
    if (hard := _HARD_BREAK.match(stem)) is not None:
        return hard.end() if len(stem) - hard.end() >= _MIN_STEM else None
    soft = _SOFT_BREAK.match(stem)
    return soft.end() if soft is not None else 0


def _is_name(stem: str, suffix: str) -> bool:
    if len(stem) < _MIN_STEM or stem in _GENERIC_STEMS or stem[-2:] in _GENERIC_STEMS:
        return False
    if stem[-1] + suffix in _GENERIC_WORDS:
        return False
    return any("\u4e00" <= char <= "\u9fff" for char in stem)


def _kind(suffix: str) -> str:
    if suffix.endswith("社区"):
        return KIND_COMMUNITY
    if suffix.endswith(("小区", "花园", "家园", "苑")):
        return KIND_RESIDENTIAL
    if suffix.endswith("村"):
        return KIND_VILLAGE
    if suffix == "广场":
        return KIND_SQUARE
    return KIND_ROAD
