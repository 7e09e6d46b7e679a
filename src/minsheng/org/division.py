"""Read the vendored china-division files into GB/T 2260 regions and derive their short names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from minsheng.core.errors import MinshengError, NotFound

DIVISION_DIR = Path(__file__).resolve().parent / "division"
DIVISION_FILES = ("provinces.json", "cities.json", "areas.json", "streets.json")

LEVEL_PROVINCE = 1
LEVEL_CITY = 2
LEVEL_COUNTY = 3
LEVEL_TOWNSHIP = 4

# Grouping rows that GB/T 2260 uses for directly governed districts and counties; they are not places.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# The 55 recognised minority nationalities, as they appear before 族 in autonomous division names.
_ETHNIC_NAMES = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|"
    "纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|"
    "鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺"
)
_ETHNIC_TAIL = re.compile(f"(?:(?:{_ETHNIC_NAMES})族|维吾尔)$")
# Suffixes an administrative name may end in, per level, tried in order; 开发区 and the like at township level
# are not administrative suffixes, so those names stay whole.
_SUFFIXES = {
    LEVEL_PROVINCE: ("特别行政区", "自治区", "省", "市"),
    LEVEL_CITY: ("自治州", "地区", "市", "盟"),
    LEVEL_COUNTY: ("自治县", "自治旗", "新区", "林区", "特区", "区", "县", "市", "旗"),
    LEVEL_TOWNSHIP: ("民族苏木", "民族乡", "街道", "苏木", "镇", "乡"),
}
_ETHNIC_SUFFIXES = frozenset({"自治区", "自治州", "自治县", "自治旗", "民族乡", "民族苏木", "乡", "苏木"})
_MIN_STEM = 2


class DivisionDataMissingError(MinshengError):
    status_code = 503
    default_message = "行政区划数据文件缺失，请先运行安装脚本（npm ci，再运行 scripts/vendor_assets.py）"


class UnknownRegionError(NotFound):
    default_message = "未知的行政区划代码"


@dataclass(frozen=True, slots=True)
class DivisionEntry:
    """One administrative division as read from the files, with its GB/T 2260 code."""

    code: str
    name: str
    short_name: str
    level: int
    parent_code: str | None


def normalize_region_code(code: str) -> str:
    """Expand a 2- or 4-digit china-division code to the 6-digit GB/T 2260 form; keep 6 and 9 digits."""
    code = code.strip()
    if not code.isascii() or not code.isdigit() or len(code) not in (2, 4, 6, 9):
        raise UnknownRegionError(f"行政区划代码格式不正确：{code}（应为 6 位或 9 位数字）")
    return code.ljust(6, "0") if len(code) < 6 else code


def short_region_name(name: str, level: int = LEVEL_COUNTY) -> str:
    """Return the name without its administrative suffix, keeping names whose stem would be one character."""
    for suffix in _SUFFIXES[level]:
        if not name.endswith(suffix):
            continue
        stem = name[: -len(suffix)]
        if suffix in _ETHNIC_SUFFIXES:
            stem = _strip_ethnic_names(stem)
        # 清新区 is 清新, not 清: fall through to the shorter suffix when the stem gets too short.
        if len(stem) >= _MIN_STEM:
            return stem
    return name


def _strip_ethnic_names(stem: str) -> str:
    """Drop the trailing ethnic group names of an autonomous division (围场满族蒙古族 → 围场)."""
    while (match := _ETHNIC_TAIL.search(stem)) and match.start() >= _MIN_STEM:
        stem = stem[: match.start()]
    return stem


def division_entries(directory: Path | None = None) -> dict[str, DivisionEntry]:
    """Return every division in the files keyed by GB/T 2260 code, placeholders left out."""
    return _read_entries(str(directory or DIVISION_DIR))


@lru_cache(maxsize=2)
def _read_entries(directory: str) -> dict[str, DivisionEntry]:
    base = Path(directory)
    missing = [name for name in DIVISION_FILES if not (base / name).is_file()]
    if missing:
        raise DivisionDataMissingError(
            f"行政区划数据文件缺失（{'、'.join(missing)}），请先运行安装脚本"
            "（npm ci 后执行 python scripts/vendor_assets.py）"
        )
    try:
        provinces, cities, areas, streets = (
            json.loads((base / name).read_text(encoding="utf-8")) for name in DIVISION_FILES
        )
    except (OSError, ValueError) as exc:
        raise DivisionDataMissingError(f"行政区划数据文件无法读取：{exc}，请重新运行安装脚本") from exc

    entries: dict[str, DivisionEntry] = {}
    skipped: set[str] = set()

    def add(row: dict[str, str], level: int, parents: list[str]) -> None:
        code = normalize_region_code(row["code"])
        if row["name"] in PLACEHOLDER_NAMES:
            skipped.add(code)
            return
        # A county under 市辖区 hangs from the province itself, so walk up past placeholders.
        parent = next((p for p in (normalize_region_code(c) for c in parents) if p not in skipped), None)
        name = row["name"]
        entries[code] = DivisionEntry(code, name, short_region_name(name, level), level, parent)

    for row in provinces:
        add(row, LEVEL_PROVINCE, [])
    for row in cities:
        add(row, LEVEL_CITY, [row["provinceCode"]])
    for row in areas:
        add(row, LEVEL_COUNTY, [row["cityCode"], row["provinceCode"]])
    for row in streets:
        add(row, LEVEL_TOWNSHIP, [row["areaCode"], row["cityCode"], row["provinceCode"]])
    return entries


def jurisdiction_entries(root_code: str, directory: Path | None = None) -> list[DivisionEntry]:
    """Return the root's ancestors, the root and its whole subtree, parents always before children."""
    entries = division_entries(directory)
    code = normalize_region_code(root_code)
    root = entries.get(code)
    if root is None:
        raise UnknownRegionError(f"行政区划代码 {root_code} 不存在或不是有效的省、市、县级区划")
    if root.level == LEVEL_TOWNSHIP:
        raise UnknownRegionError(f"辖区根节点应为省、市或县级区划，{root_code}（{root.name}）是乡镇街道")
    ancestors: list[DivisionEntry] = []
    parent = root.parent_code
    while parent is not None:
        ancestors.append(entries[parent])
        parent = entries[parent].parent_code
    inside = {root.code}
    subtree = [root]
    # Entries are ordered by level, so a parent is always seen before its children.
    for entry in sorted(entries.values(), key=lambda e: (e.level, e.code)):
        if entry.parent_code in inside:
            inside.add(entry.code)
            subtree.append(entry)
    return [*reversed(ancestors), *subtree]
