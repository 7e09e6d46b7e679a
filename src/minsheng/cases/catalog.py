"""The built-in case types, their type-specific fields and their default deadlines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

HARM_KINDS = [
    ("fraud", "网络诈骗"),
    ("gambling", "网络赌博"),
    ("pornography", "淫秽色情"),
    ("drugs", "涉毒"),
    ("weapons", "涉枪涉爆"),
    ("terrorism", "暴恐"),
    ("emergency_rumor", "涉突发事件谣言"),
    ("leaked_personal_data", "泄露个人信息"),
    ("infringement", "侵权"),
    ("other", "其他"),
]
INCIDENT_GRADES = [("I", "特别重大"), ("II", "重大"), ("III", "较大"), ("IV", "一般")]


def _choice(
    code: str, label: str, choices: list[tuple[str, str]], *, required: bool = True
) -> dict[str, Any]:
    return {
        "code": code,
        "label": label,
        "kind": "choice",
        "required": required,
        "choices": [{"key": k, "name": n} for k, n in choices],
    }


def _field(code: str, label: str, kind: str = "text", *, required: bool = False) -> dict[str, Any]:
    return {"code": code, "label": label, "kind": kind, "required": required, "choices": []}


# Deadlines: sign for within hours, first response within hours, resolve within working days.
BUILTIN_TYPES: list[dict[str, Any]] = [
    {
        "code": "complaint",
        "name": "投诉",
        "description": "对政府部门、公共服务或企业经营行为的投诉",
        "is_public": True,
        "allows_anonymous": False,
        "fields": [],
        "sla": (2, 8, 10),
    },
    {
        "code": "help",
        "name": "求助",
        "description": "生活中遇到困难需要政府部门帮助解决",
        "is_public": True,
        "allows_anonymous": False,
        "fields": [],
        "sla": (2, 8, 5),
    },
    {
        "code": "consultation",
        "name": "咨询",
        "description": "政策、办事流程等方面的咨询",
        "is_public": True,
        "allows_anonymous": False,
        "fields": [],
        "sla": (2, 8, 3),
    },
    {
        "code": "suggestion",
        "name": "建议",
        "description": "对城市管理和公共服务的意见建议",
        "is_public": True,
        "allows_anonymous": False,
        "fields": [],
        "sla": (4, 16, 15),
    },
    {
        "code": "illegal_content",
        "name": "举报",
        "description": (
            "举报网络违法和不良信息（诈骗、赌博、色情、涉毒、涉枪涉爆、暴恐、谣言、泄露个人信息、侵权）"
        ),
        "is_public": True,
        "allows_anonymous": True,
        "fields": [
            _choice("harm_kind", "举报类型", HARM_KINDS),
            _field("url", "网址或账号", required=True),
            _field("platform", "所在平台"),
        ],
        "sla": (2, 8, 5),
    },
    {
        "code": "security_incident",
        "name": "网络安全事件",
        "description": "网络安全事件报告（按特别重大、重大、较大、一般分级）",
        "is_public": True,
        "allows_anonymous": False,
        "fields": [
            _choice("grade", "事件级别", INCIDENT_GRADES),
            _field("system_name", "受影响系统"),
            _field("discovered_on", "发现日期", "date"),
        ],
        "sla": (0.5, 1, 1),
    },
    {
        "code": "data_breach",
        "name": "数据泄露",
        "description": "数据与个人信息泄露事件报告",
        "is_public": True,
        "allows_anonymous": False,
        "fields": [
            _field("organisation", "涉事单位", required=True),
            _field("affected_count", "涉及人数", "number"),
            _field("data_kinds", "泄露数据类型"),
            _field("discovered_on", "发现日期", "date"),
        ],
        "sla": (1, 4, 3),
    },
    {
        "code": "opinion_followup",
        "name": "舆情处置",
        "description": "监测预警转交的舆情处置任务",
        "is_public": False,
        "allows_anonymous": False,
        "fields": [],
        "sla": (1, 2, 1),
    },
    {
        "code": "supervision_task",
        "name": "督办任务",
        "description": "规划、方案中分解的督办任务",
        "is_public": False,
        "allows_anonymous": False,
        "fields": [],
        "sla": (8, 40, 20),
    },
]


def install_builtin_types(session: Session) -> int:
    """Add any built-in case type (with its default deadlines) the database lacks; return how many."""
    from minsheng.cases.models import CaseType, SlaPolicy

    present = set(session.scalars(select(CaseType.code)))
    added = 0
    for order, item in enumerate(BUILTIN_TYPES, start=1):
        if item["code"] in present:
            continue
        case_type = CaseType(
            code=item["code"],
            name=item["name"],
            description=item["description"],
            fields=item["fields"],
            is_public=item["is_public"],
            allows_anonymous=item["allows_anonymous"],
            sort_order=order,
        )
        session.add(case_type)
        session.flush()
        sign, response, resolve = item["sla"]
        session.add(
            SlaPolicy(
                type_id=case_type.id, sign_for_hours=sign, response_hours=response, resolve_days=resolve
            )
        )
        added += 1
    session.flush()
    return added
