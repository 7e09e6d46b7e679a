from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from minsheng.auth import service
from minsheng.auth.models import User
from minsheng.auth.passwords import verify_password
from minsheng.auth.schemas import UserCreate, UserUpdate
from minsheng.auth.scoping import scope_to_user, visible_department_ids
from minsheng.auth.tokens import authenticate_token, issue_token, revoke_token
from minsheng.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from minsheng.core.timeutil import utcnow
from tests.factories import PASSWORD, make_department, make_user


def test_create_user_hashes_password_with_argon2(session, settings):
    user = make_user(session, settings, roles=["analyst"])
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, "wrong")


def test_duplicate_username_is_a_conflict_regardless_of_case(session, settings):
    make_user(session, settings, roles=["handler"], username="zhang")
    with pytest.raises(Conflict):
        make_user(session, settings, roles=["handler"], username="ZHANG")


@pytest.mark.parametrize("password", ["short1A", "alllowercaseletters", "wang-Secret-123"])
def test_password_policy_rejects_weak_passwords(session, settings, password):
    dept = make_department(session)
    with pytest.raises(ValidationFailed):
        service.create_user(
            session,
            settings=settings,
            data=UserCreate(
                username="wang",
                display_name="王",
                password=password,
                roles=["handler"],
                department_id=dept.id,
            ),
        )


def test_unknown_role_and_bad_username_are_rejected():
    with pytest.raises(ValidationError):
        UserCreate(username="ok_name", display_name="x", password=PASSWORD, roles=["root"], department_id=1)
    with pytest.raises(ValidationError):
        UserCreate(username="<script>", display_name="x", password=PASSWORD, roles=["admin"], department_id=1)


def test_missing_department_is_rejected(session, settings):
    with pytest.raises(ValidationFailed):
        service.create_user(
            session,
            settings=settings,
            data=UserCreate(
                username="li", display_name="李", password=PASSWORD, roles=["handler"], department_id=999
            ),
        )


def test_authenticate_success_resets_failures(session, settings):
    user = make_user(session, settings, roles=["handler"], username="chen")
    with pytest.raises(service.LoginFailed):
        service.authenticate(session, username="chen", password="nope", settings=settings)
    assert user.failed_logins == 1
    assert service.authenticate(session, username="CHEN", password=PASSWORD, settings=settings) is user
    assert user.failed_logins == 0 and user.last_login_at is not None


def test_lockout_after_repeated_failures_and_expiry(session, settings):
    make_user(session, settings, roles=["handler"], username="zhao")
    now = utcnow()
    for _ in range(settings.login_max_failures - 1):
        with pytest.raises(service.LoginFailed):
            service.authenticate(session, username="zhao", password="bad", settings=settings, now=now)
    with pytest.raises(service.AccountLocked):
        service.authenticate(session, username="zhao", password="bad", settings=settings, now=now)
    with pytest.raises(service.AccountLocked):
        service.authenticate(session, username="zhao", password=PASSWORD, settings=settings, now=now)
    later = now + timedelta(minutes=settings.login_lockout_minutes, seconds=1)
    assert service.authenticate(session, username="zhao", password=PASSWORD, settings=settings, now=later)


def test_unknown_user_and_disabled_user_cannot_log_in(session, settings):
    user = make_user(session, settings, roles=["handler"], username="sun")
    service.set_active(session, user=user, is_active=False)
    with pytest.raises(service.LoginFailed):
        service.authenticate(session, username="sun", password=PASSWORD, settings=settings)
    with pytest.raises(service.LoginFailed):
        service.authenticate(session, username="nobody", password=PASSWORD, settings=settings)


def test_cannot_disable_self(session, settings):
    user = make_user(session, settings, roles=["admin"])
    with pytest.raises(ValidationFailed):
        service.set_active(session, user=user, is_active=False, acting_user_id=user.id)


def test_reset_password_forces_change(session, settings):
    user = make_user(session, settings, roles=["handler"], username="qian")
    new = service.reset_password(session, user=user)
    assert user.must_change_password
    assert service.authenticate(session, username="qian", password=new, settings=settings) is user
    service.change_password(session, user=user, current=new, new="Another-Good-99", settings=settings)
    assert not user.must_change_password
    with pytest.raises(ValidationFailed):
        service.change_password(session, user=user, current="wrong", new="Another-Good-98", settings=settings)


def test_update_user_changes_roles_and_department(session, settings):
    user = make_user(session, settings, roles=["handler"])
    other = make_department(session)
    service.update_user(
        session, user=user, data=UserUpdate(roles=["supervisor", "handler"], department_id=other.id)
    )
    assert user.roles == ["handler", "supervisor"]
    assert user.department_id == other.id
    with pytest.raises(NotFound):
        service.get_user(session, 12345)


def test_api_token_lifecycle(session, settings):
    user = make_user(session, settings, roles=["analyst"])
    plain, token = issue_token(session, user=user, name="热线对接", scopes=["read"], days=30)
    assert token.token_hash != plain and plain.startswith("msk_")
    found, found_token = authenticate_token(session, plain=plain)
    assert found.id == user.id and found_token.id == token.id
    with pytest.raises(ValidationFailed):
        issue_token(session, user=user, name="x", scopes=["admin"], days=None)
    with pytest.raises(ValidationFailed):
        issue_token(session, user=user, name="x", scopes=["everything"], days=None)
    revoke_token(session, user=user, token_id=token.id)
    with pytest.raises(NotAuthenticated):
        authenticate_token(session, plain=plain)
    with pytest.raises(NotAuthenticated):
        authenticate_token(session, plain="msk_forged")


def test_expired_token_is_rejected(session, settings):
    user = make_user(session, settings, roles=["analyst"])
    plain, token = issue_token(session, user=user, name="short", scopes=["read"], days=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    with pytest.raises(NotAuthenticated):
        authenticate_token(session, plain=plain)


def test_scoping_limits_handlers_to_their_department_tree(session, settings):
    city = make_department(session, name="市住建局")
    unit = make_department(session, name="市住建局物业科", parent_id=city.id)
    other = make_department(session, name="市交通局")
    handler = make_user(session, settings, roles=["handler"], department=city)
    supervisor = make_user(session, settings, roles=["supervisor"], department=other)
    make_user(session, settings, roles=["handler"], department=unit)
    assert visible_department_ids(session, handler) == {city.id, unit.id}
    assert visible_department_ids(session, supervisor) is None
    stmt = scope_to_user(select(User), session=session, user=handler, department_column=User.department_id)
    assert {u.department_id for u in session.scalars(stmt)} == {city.id, unit.id}
    everyone = scope_to_user(
        select(User), session=session, user=supervisor, department_column=User.department_id
    )
    assert len(session.scalars(everyone).all()) == 3
