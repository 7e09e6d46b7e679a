from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases.catalog import install_builtin_types
from minsheng.cases.models import RoutingRule
from minsheng.core.settings import Settings
from minsheng.org.models import Department
from minsheng.text.analysis import TextEngine
from minsheng.text.engine_cache import EngineCache
from tests.factories import make_department, make_user


@dataclass
class World:
    """Departments and a user for every role, with the built-in case types and a routing table."""

    housing: Department
    transport: Department
    dispatcher: User
    handler: User
    other_handler: User
    supervisor: User
    analyst: User
    engine: TextEngine


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    install_builtin_types(session)
    center = make_department(session, name="市12345热线服务中心", code="HOTLINE")
    housing = make_department(session, name="市住房和城乡建设局", code="ZJJ", aliases=["市住建局"])
    transport = make_department(session, name="市交通运输局", code="JTJ", aliases=["市交通局"])
    session.add_all(
        [
            RoutingRule(kind="keyword", pattern="物业", department_id=housing.id, priority=10),
            RoutingRule(kind="keyword", pattern="公交", department_id=transport.id, priority=10),
            RoutingRule(kind="category", pattern="城乡建设", department_id=housing.id),
            RoutingRule(kind="category", pattern="交通运输", department_id=transport.id),
        ]
    )
    world = World(
        housing=housing,
        transport=transport,
        dispatcher=make_user(session, settings, roles=["dispatcher"], department=center),
        handler=make_user(session, settings, roles=["handler"], department=housing),
        other_handler=make_user(session, settings, roles=["handler"], department=transport),
        supervisor=make_user(session, settings, roles=["supervisor"], department=center),
        analyst=make_user(session, settings, roles=["analyst"], department=center),
        engine=EngineCache(settings).get(session),
    )
    session.commit()
    return world
