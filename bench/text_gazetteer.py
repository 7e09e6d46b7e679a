"""Gazetteer and personal-data benchmark: build time of the automata and matching throughput.

Run: .venv/bin/python bench/text_gazetteer.py
Builds gazetteers over the 聊城市 jurisdiction, the whole of 山东省 and every division in the vendored
china-division files, then matches a synthetic complaint corpus (sentences naming places, departments, phone
numbers and addresses) of about 10 MB. Prints a table, then one JSON line.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TypeVar

from stdnum import luhn
from stdnum.cn import ric

from minsheng.org.division import division_entries, jurisdiction_entries
from minsheng.text.gazetteer import DepartmentRecord, Gazetteer
from minsheng.text.pii import find_personal_data, mask

T = TypeVar("T")
SEED = 7
CORPUS_CHARS = 10_000_000
DEPARTMENTS = [
    DepartmentRecord(1, "JXW", "聊城市经济和信息化委员会", ("市经信委", "经信委")),
    DepartmentRecord(2, "GA", "聊城市公安局", ("市公安局",)),
    DepartmentRecord(3, "ZJ", "聊城市住房和城乡建设局", ("市住建局", "住建局")),
    DepartmentRecord(4, "CG", "聊城市城市管理局", ("市城管局", "城管局")),
]
TEMPLATES = (
    "我家住在{county}{town}星光花园小区{n}号楼，楼下烧烤摊每天吵到半夜，向市城管局反映多次没人管。",
    "{town}{village}村的道路坑洼不平，雨天积水严重，希望住建局尽快维修。联系电话{phone}。",
    "{county}{road}路{n}号门口污水横流，已经一个多月了，请{department}协调处理。",
    "今天下午三点多在{town}附近被骗了{amount}元，银行卡号{card}，报警后市公安局说会处理。",
    "反映{county}供暖不热的问题，室内温度只有十二度，身份证号{resident_id}，诉求人姓王。",
)


def corpus(towns: list[tuple[str, str]], rng: random.Random) -> str:
    parts: list[str] = []
    size = 0
    while size < CORPUS_CHARS:
        county, town = rng.choice(towns)
        card = f"6222{rng.randrange(10**13, 10**14)}"
        birth = f"19{rng.randrange(50, 99)}0{rng.randrange(1, 9)}1{rng.randrange(0, 9)}"
        base = f"371502{birth}{rng.randrange(100, 999)}"
        sentence = rng.choice(TEMPLATES).format(
            county=county,
            town=town,
            village=rng.choice(["李海务", "王庄", "前屯", "后刘"]),
            road=rng.choice(["柳园", "东昌", "花园北", "建设"]),
            n=rng.randrange(1, 300),
            phone=f"13{rng.randrange(100000000, 999999999)}",
            department=rng.choice(["市经信委", "聊城市住房和城乡建设局", "城管局"]),
            amount=rng.randrange(100, 50000),
            card=card + luhn.calc_check_digit(card),
            resident_id=base + ric.calc_check_digit(base + "0"),
        )
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)


def timed(function: Callable[..., T], *args: object) -> tuple[T, float]:
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    rng = random.Random(SEED)
    sets = {
        "371500": jurisdiction_entries("371500"),
        "370000": jurisdiction_entries("370000"),
        "china": list(division_entries().values()),
    }
    builds = {}
    gazetteers = {}
    for name, regions in sets.items():
        gazetteers[name], seconds = timed(lambda r=regions: Gazetteer(regions=r, departments=DEPARTMENTS))
        builds[name] = {"regions": len(regions), "build_s": round(seconds, 3)}
    local = sets["371500"]
    names = {e.code: e.name for e in local}
    towns = [(names[e.parent_code], e.name) for e in local if e.level == 4 and e.parent_code in names]
    text = corpus(towns, rng)
    chars = len(text)
    results: dict[str, object] = {"corpus_chars": chars, "builds": builds}
    for name, gazetteer in gazetteers.items():
        regions, seconds_regions = timed(gazetteer.find_regions, text)
        places, seconds_places = timed(gazetteer.find_places, text)
        results[f"regions_{name}_mchars_s"] = round(chars / seconds_regions / 1e6, 1)
        results[f"places_{name}_mchars_s"] = round(chars / seconds_places / 1e6, 1)
        results[f"mentions_{name}"] = {
            "regions": len(regions),
            "resolved": sum(m.region_code is not None for m in regions),
            "with_local": len(places),
        }
    departments, seconds = timed(gazetteers["371500"].find_departments, text)
    results["departments_mchars_s"] = round(chars / seconds / 1e6, 1)
    results["department_mentions"] = len(departments)
    found, seconds = timed(find_personal_data, text)
    results["pii_find_mchars_s"] = round(chars / seconds / 1e6, 1)
    results["pii_matches"] = len(found)
    _, seconds = timed(mask, text)
    results["pii_mask_mchars_s"] = round(chars / seconds / 1e6, 1)
    for name, build in builds.items():
        print(f"build {name:>7}: {build['regions']:>6} regions in {build['build_s']:.3f} s")
    for key, value in results.items():
        if key.endswith("mchars_s"):
            print(f"{key:>28}: {value} M chars/s")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
