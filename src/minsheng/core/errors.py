"""Domain errors: each carries its HTTP status and a message fit to show a user."""

from __future__ import annotations


class MinshengError(Exception):
    """Base of every error the platform reports to a user."""

    status_code = 400
    default_message = "请求无法完成"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)


class ValidationFailed(MinshengError):
    status_code = 422
    default_message = "输入有误"


class NotFound(MinshengError):
    status_code = 404
    default_message = "未找到所请求的内容"


class NotAuthenticated(MinshengError):
    status_code = 401
    default_message = "请先登录"


class PermissionDenied(MinshengError):
    status_code = 403
    default_message = "没有权限执行此操作"


class Conflict(MinshengError):
    status_code = 409
    default_message = "与现有数据冲突"


class TooManyRequests(MinshengError):
    status_code = 429
    default_message = "请求过于频繁，请稍后再试"
