"""Department creation, changes, validation, lookup and the tree."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from minsheng.core.errors import Conflict, NotFound, ValidationFailed
from minsheng.org.regions import load_regions
from minsheng.org.schemas import DepartmentCreate, DepartmentRead, DepartmentUpdate, describe_validation_error
from minsheng.org.service import (
    activate_department,
    create_department,
    deactivate_department,
    department_snapshot,
    department_tree,
    get_department,
    get_department_by_code,
    list_departments,
    resolve_department,
    update_department,
)


def add(session: Session, code: str, name: str, **fields: object) -> int:
    change = create_department(session, data=DepartmentCreate(code=code, name=name, **fields))
    return change.department.id


def test_create_normalises_and_snapshots(session: Session) -> None:
    change = create_department(
        session,
        data=DepartmentCreate(
            code="ＪＸＷ",
            name="  市经济和信息化委员会　",
            aliases="市经信委、经信委；市经济和信息化委员会, 经信委",
        ),
    )
    session.commit()
    dept = get_department(session, department_id=change.department.id)
    assert (dept.code, dept.name) == ("JXW", "市经济和信息化委员会")
    assert dept.aliases == ["市经信委", "经信委"]
    assert change.action == "create"
    assert change.before is None
    assert change.after == department_snapshot(dept)
    assert change.after["aliases"] == ["市经信委", "经信委"]
    assert DepartmentRead.model_validate(dept).code == "JXW"


def test_get_missing_department(session: Session) -> None:
    for department_id in (0, 999, "abc"):
        with pytest.raises(NotFound):
            get_department(session, department_id=department_id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        get_department_by_code(session, code="nope")


def test_update_and_activation(session: Session) -> None:
    dept_id = add(session, "GAJ", "市公安局")
    change = update_department(
        session, department_id=dept_id, data=DepartmentUpdate(name="聊城市公安局", aliases=["市公安局"])
    )
    assert change.before is not None and change.before["name"] == "市公安局"
    assert change.after["name"] == "聊城市公安局"
    assert change.after["aliases"] == ["市公安局"]
    assert change.is_changed
    unchanged = update_department(session, department_id=dept_id, data=DepartmentUpdate(name=None))
    assert not unchanged.is_changed
    off = deactivate_department(session, department_id=dept_id)
    assert off.action == "deactivate"
    assert off.before == {**off.after, "is_active": True}
    assert activate_department(session, department_id=dept_id).department.is_active
    session.commit()


def test_unique_code_and_name(session: Session) -> None:
    add(session, "A", "甲局")
    with pytest.raises(Conflict, match="编码"):
        add(session, "A", "乙局")
    with pytest.raises(Conflict, match="名称"):
        add(session, "B", " 甲局 ")
    other = add(session, "B", "乙局")
    with pytest.raises(Conflict):
        update_department(session, department_id=other, data=DepartmentUpdate(code="A"))


def test_alias_conflicts(session: Session) -> None:
    add(session, "JXW", "市经济和信息化委员会", aliases=["市经信委"])
    with pytest.raises(Conflict, match="已被部门"):
        add(session, "GXJ", "市工业和信息化局", aliases=["市经信委"])
    with pytest.raises(Conflict, match="名称相同"):
        add(session, "GXJ", "市工业和信息化局", aliases=["市经济和信息化委员会"])
    with pytest.raises(Conflict, match="简称/别名"):
        add(session, "GXJ", "市经信委")
    gxj = add(session, "GXJ", "市工业和信息化局", aliases=["市工信局"])
    with pytest.raises(Conflict):
        update_department(session, department_id=gxj, data=DepartmentUpdate(aliases=["市工信局", "市经信委"]))


def test_parent_cycles_are_rejected(session: Session) -> None:
    top = add(session, "ZF", "市人民政府")
    mid = add(session, "BGS", "市政府办公室", parent_id=top)
    low = add(session, "XXK", "信息科", parent_id=mid)
    with pytest.raises(ValidationFailed, match="下级"):
        update_department(session, department_id=top, data=DepartmentUpdate(parent_id=low))
    with pytest.raises(ValidationFailed, match="下级"):
        update_department(session, department_id=mid, data=DepartmentUpdate(parent_id=mid))
    with pytest.raises(ValidationFailed, match="不存在"):
        add(session, "X", "某局", parent_id=12345)
    update_department(session, department_id=low, data=DepartmentUpdate(parent_id=None))
    assert get_department(session, department_id=low).parent_id is None


def test_region_code_must_be_loaded(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="行政区划"):
        add(session, "DCF", "东昌府区人民政府", region_code="371502")
    load_regions(session, root_code="371500")
    dept_id = add(session, "DCF", "东昌府区人民政府", region_code="371502")
    change = update_department(session, department_id=dept_id, data=DepartmentUpdate(region_code="3715"))
    assert change.after["region_code"] == "371500"


def test_schema_errors_are_chinese() -> None:
    with pytest.raises(ValidationError) as caught:
        DepartmentCreate(code=" ", name="", region_code="12")
    message = describe_validation_error(caught.value)
    assert "编码" in message and "名称不能为空" in message
    with pytest.raises(ValidationError) as caught:
        DepartmentCreate(code="A", name="甲", region_code="123")
    assert "行政区划代码" in describe_validation_error(caught.value)


def test_list_and_tree(session: Session) -> None:
    top = add(session, "ZF", "市人民政府", sort_order=1)
    add(session, "JXW", "市经济和信息化委员会", aliases=["市经信委"], parent_id=top)
    off = add(session, "OLD", "市旧局", parent_id=top)
    add(session, "GAJ", "市公安局")
    deactivate_department(session, department_id=off)
    session.commit()
    assert [d.code for d in list_departments(session)] == ["GAJ", "JXW", "OLD", "ZF"]
    assert [d.code for d in list_departments(session, is_active=False)] == ["OLD"]
    assert [d.code for d in list_departments(session, query="经信")] == ["JXW"]
    assert [d.code for d in list_departments(session, query="gaj")] == ["GAJ"]
    assert [d.code for d in list_departments(session, parent_id=top)] == ["JXW", "OLD"]
    assert [d.code for d in list_departments(session, top_level=True)] == ["GAJ", "ZF"]
    tree = department_tree(session, is_active=True)
    assert [node.department.code for node in tree] == ["GAJ", "ZF"]
    assert [node.department.code for node in tree[1].children] == ["JXW"]


def test_resolve_department(session: Session) -> None:
    jxw = add(session, "JXW", "市经济和信息化委员会", aliases=["市经信委", "经信委"])
    for text in ("市经信委", "市经济和信息化委员会", "ＪＸＷ", " 经信委 "):
        found = resolve_department(session, text)
        assert found is not None and found.id == jxw
    assert resolve_department(session, "市公安局") is None
    assert resolve_department(session, "") is None
