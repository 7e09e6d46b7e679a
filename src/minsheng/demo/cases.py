"""The demo city's routing table and a few cases at different stages, so the case pages have content."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases import service
from minsheng.cases.catalog import install_builtin_types
from minsheng.cases.models import Case, RoutingRule
from minsheng.cases.schemas import ActionIn, CaseSubmit, ContactIn
from minsheng.core.settings import Settings
from minsheng.org.models import Department
from minsheng.text.engine_cache import EngineCache

# (kind, pattern, department code, priority); synthetic rules for the fictional demo city.
ROUTING: list[tuple[str, str, str, int]] = [
    ("keyword", "物业", "ZJJ", 10),
    ("keyword", "电梯", "ZJJ", 10),
    ("keyword", "公交", "JTJ", 10),
    ("keyword", "诈骗", "WAZD", 20),
    ("keyword", "赌博", "WAZD", 20),
    ("keyword", "占道经营", "CGJ", 10),
    ("keyword", "油烟", "HBJ", 10),
    ("keyword", "拖欠工资", "RSJ", 10),
    ("category", "城乡建设", "ZJJ", 0),
    ("category", "环境保护", "HBJ", 0),
    ("category", "交通运输", "JTJ", 0),
    ("category", "教育文体", "JYJ", 0),
    ("category", "劳动和社会保障", "RSJ", 0),
    ("category", "商贸旅游", "SCJG", 0),
    ("category", "卫生计生", "WJW", 0),
    ("region", "371502001", "DCF-GBJ", 5),
]

# (type, description, place, name, phone, how far it gets)
SAMPLES: list[tuple[str, str, str, str, str, str]] = [
    (
        "complaint",
        "小区电梯坏了两个月物业一直不修，老人上下楼非常困难，请住建部门督促。",
        "东昌府区古楼街道",
        "演示甲",
        "13900000001",
        "new",
    ),
    (
        "complaint",
        "5路公交车早高峰经常晚点半小时以上，希望增加班次。",
        "东昌府区",
        "演示乙",
        "13900000002",
        "assigned",
    ),
    (
        "help",
        "楼下烧烤店油烟直排，家里窗户都不敢开，请环保部门处理。",
        "东昌府区柳园街道",
        "演示丙",
        "13900000003",
        "replied",
    ),
    (
        "suggestion",
        "建议在古楼街道老旧小区增设电动车充电桩，方便居民。",
        "东昌府区古楼街道",
        "演示丁",
        "13900000004",
        "closed",
    ),
]


def _step(
    session: Session, settings: Settings, case: Case, user: User, action: str, **fields: object
) -> None:
    service.act(
        session, case_id=case.id, user=user, data=ActionIn(action=action, **fields), settings=settings
    )


def seed_cases(session: Session, settings: Settings, users: dict[str, User]) -> int:
    """Add the routing table and sample cases once; return how many cases were added."""
    install_builtin_types(session)
    departments = {d.code: d for d in session.scalars(select(Department))}
    if not session.scalar(select(func.count()).select_from(RoutingRule)):
        for kind, pattern, code, priority in ROUTING:
            if code in departments:
                session.add(
                    RoutingRule(
                        kind=kind, pattern=pattern, department_id=departments[code].id, priority=priority
                    )
                )
        session.flush()
    if session.scalar(select(func.count()).select_from(Case)):
        return 0
    engine = EngineCache(settings).get(session)
    dispatcher, handler = users["dispatcher"], users["handler"]
    for type_code, text, place, name, phone, stage in SAMPLES:
        data = CaseSubmit(
            type_code=type_code, description=text, place_text=place, contact=ContactIn(name=name, phone=phone)
        )
        case = service.submit(session, data=data, settings=settings, engine=engine).case
        if stage == "new":
            continue
        _step(session, settings, case, dispatcher, "assign", department_id=departments["ZJJ"].id)
        if stage == "assigned":
            continue
        _step(session, settings, case, handler, "sign_for")
        _step(session, settings, case, handler, "reply", public_note="已安排工作人员现场核实并督促整改。")
        if stage == "closed":
            _step(session, settings, case, dispatcher, "close")
    return len(SAMPLES)
