"""Accounts: creation, changes, password resets and login with throttling and lockout."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from minsheng.auth.models import User
from minsheng.auth.passwords import generate_password, hash_password, needs_rehash, verify_password
from minsheng.auth.schemas import UserCreate, UserUpdate
from minsheng.core.errors import Conflict, MinshengError, NotFound, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.org.models import Department


class LoginFailed(MinshengError):
    status_code = 401
    default_message = "用户名或密码错误"


class AccountLocked(MinshengError):
    status_code = 423
    default_message = "登录失败次数过多，账户已临时锁定，请稍后再试或联系管理员"


def user_snapshot(user: User) -> dict[str, object]:
    """Return the audited view of a user (never the password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": list(user.roles),
        "department_id": user.department_id,
        "email": user.email,
        "phone": user.phone,
        "is_active": user.is_active,
    }


def check_password_policy(password: str, *, settings: Settings, username: str = "") -> None:
    """Reject passwords that are short, single-class or contain the username."""
    if len(password) < settings.password_min_length:
        raise ValidationFailed(f"密码至少需要 {settings.password_min_length} 个字符", field="password")
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 2:
        raise ValidationFailed("密码需包含字母、数字或符号中的至少两类", field="password")
    if username and username.lower() in password.lower():
        raise ValidationFailed("密码不能包含用户名", field="password")


def get_user(session: Session, user_id: int) -> User:
    """Load a user with its department, or raise NotFound."""
    user = session.scalar(select(User).options(selectinload(User.department)).where(User.id == user_id))
    if user is None:
        raise NotFound("用户不存在")
    return user


def _require_department(session: Session, department_id: int) -> None:
    if session.get(Department, department_id) is None:
        raise ValidationFailed("所属部门不存在", field="department_id")


def create_user(session: Session, *, data: UserCreate, settings: Settings) -> User:
    """Create an account after checking uniqueness, department and password policy."""
    if session.scalar(select(User.id).where(func.lower(User.username) == data.username.lower())):
        raise Conflict(f"用户名 {data.username} 已存在", field="username")
    _require_department(session, data.department_id)
    check_password_policy(data.password, settings=settings, username=data.username)
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        roles=list(data.roles),
        department_id=data.department_id,
        email=data.email,
        phone=data.phone,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, *, user: User, data: UserUpdate) -> User:
    """Apply the given changes to an account."""
    changes = data.model_dump(exclude_unset=True)
    if "department_id" in changes and changes["department_id"] is not None:
        _require_department(session, changes["department_id"])
    for key, value in changes.items():
        if value is None and key in ("display_name", "roles", "department_id"):
            continue
        setattr(user, key, value)
    session.flush()
    return user


def set_active(session: Session, *, user: User, is_active: bool, acting_user_id: int | None = None) -> User:
    """Enable or disable an account; nobody may disable themselves."""
    if not is_active and acting_user_id == user.id:
        raise ValidationFailed("不能停用自己的账户")
    user.is_active = is_active
    if not is_active:
        user.end_sessions()
    if is_active:
        user.failed_logins = 0
        user.locked_until = None
    session.flush()
    return user


def reset_password(session: Session, *, user: User) -> str:
    """Give the user a new random password that must be changed at next login; return it once."""
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.end_sessions()
    user.failed_logins = 0
    user.locked_until = None
    user.password_changed_at = utcnow()
    session.flush()
    return password


def change_password(session: Session, *, user: User, current: str, new: str, settings: Settings) -> None:
    """Change one's own password after checking the current one."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed("当前密码不正确", field="current")
    check_password_policy(new, settings=settings, username=user.username)
    if verify_password(user.password_hash, new):
        raise ValidationFailed("新密码不能与当前密码相同", field="new")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    user.end_sessions()
    session.flush()


def find_user_id(session: Session, *, username: str) -> int | None:
    """Return the id of the account with this login name (any case), or None."""
    return session.scalar(select(User.id).where(func.lower(User.username) == username.strip().lower()))


def authenticate(
    session: Session, *, username: str, password: str, settings: Settings, now: datetime | None = None
) -> User:
    """Check credentials, counting failures and locking the account after too many."""
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)
        raise AccountLocked()
    if user is None or not verify_password(user.password_hash, password):
        if user is not None:
            _count_failure(user, settings=settings, now=now)
            session.flush()
            if user.locked_until is not None and user.locked_until > now:
                raise AccountLocked()
        raise LoginFailed()
    if not user.is_active:
        raise LoginFailed("账户已停用，请联系管理员")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user


def _count_failure(user: User, *, settings: Settings, now: datetime) -> None:
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins = 0
        user.locked_until = None
    user.failed_logins += 1
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)


def list_users(
    session: Session,
    *,
    query: str | None = None,
    role: str | None = None,
    department_id: int | None = None,
    is_active: bool | None = None,
) -> list[User]:
    """List accounts for the admin page, filtered."""
    stmt = select(User).options(selectinload(User.department)).order_by(User.username)
    if query:
        pattern = f"%{query.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    users = list(session.scalars(stmt))
    if role:
        users = [user for user in users if role in user.roles]
    return users


def count_users_by_role(session: Session) -> dict[str, int]:
    """Count active users per role (a user with two roles counts in both)."""
    counts: dict[str, int] = {}
    for roles in session.scalars(select(User.roles).where(User.is_active.is_(True))):
        for role in roles:
            counts[role] = counts.get(role, 0) + 1
    return counts
