"""Input shapes of plan confirmation, measurements, status overrides and progress reports."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

from minsheng.cases.schemas import clean_text

COMPARATORS = {">=": "不低于", "=": "达到", "~": "约", "<=": "不超过"}
# A unit's choice on the review page: an existing department's id, or a new department named as written.
NEW_DEPARTMENT = "new"


class TaskDraft(BaseModel):
    """A task as the reviewer confirmed it; units are names as written, resolved on confirmation."""

    task_no: str = Field(default="", max_length=32)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20000)
    section: str = Field(default="", max_length=200)
    lead_units: list[str] = Field(min_length=1, max_length=20)
    partner_units: list[str] = Field(default_factory=list, max_length=40)
    deadline: date | None = None

    @field_validator("task_no", "title", "body", "section")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)


class TargetDraft(BaseModel):
    """A numeric target as the reviewer confirmed it."""

    indicator: str = Field(min_length=1, max_length=200)
    comparator: str = ">="
    value: float
    unit: str = Field(default="", max_length=32)
    year: int | None = Field(default=None, ge=1949, le=2100)
    baseline: float | None = None
    per_year: bool = False
    growth: bool = False
    quote: str = Field(default="", max_length=2000)

    @field_validator("indicator", "unit", "quote")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("comparator")
    @classmethod
    def _comparator(cls, value: str) -> str:
        if value not in COMPARATORS:
            raise ValueError("比较方式只能是 不低于、达到、约 或 不超过")
        return value


class PlanDraft(BaseModel):
    """A reviewed document ready to become a plan; `unit_choices` maps unknown unit names to departments."""

    title: str = Field(min_length=1, max_length=200)
    authority: str | None = Field(default=None, max_length=128)
    doc_number: str | None = Field(default=None, max_length=64)
    signed_on: date | None = None
    published_on: date | None = None
    source_name: str = Field(default="", max_length=200)
    text: str = ""
    tasks: list[TaskDraft] = Field(default_factory=list)
    targets: list[TargetDraft] = Field(default_factory=list)
    unit_choices: dict[str, str] = Field(default_factory=dict)

    @field_validator("title", "source_name")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("authority", "doc_number")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return clean_text(value) or None


class MeasurementIn(BaseModel):
    """A value a department reports for an indicator."""

    measured_on: date
    value: float
    note: str = Field(default="", max_length=2000)

    @field_validator("note")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)


class StatusOverrideIn(BaseModel):
    """A person's judgement replacing the computed status (empty status clears it), with the reason."""

    status: str = ""
    reason: str = Field(default="", max_length=2000)

    @field_validator("reason")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)


class ProgressIn(BaseModel):
    """A periodic progress report on a task."""

    period: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=5000)

    @field_validator("period", "text")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)


REPORT_CYCLES = {"quarter": "季度", "month": "月"}


def _number(value: object, *, label: str, whole: bool) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{label}应为数字") from None
    if number < 0 or number > 100:
        raise ValueError(f"{label}应在 0 到 100 之间")
    if whole and not number.is_integer():
        raise ValueError(f"{label}应为整数")
    return number


class AppraisalRuleIn(BaseModel):
    """Weights (whole points summing to 100), deductions and the reporting cycle of a plan's appraisal."""

    on_time_weight: int
    target_weight: int
    report_weight: int
    overdue_deduction: float
    supervision_deduction: float
    deduction_cap: float
    report_cycle: str = "quarter"
    report_grace_days: int = Field(default=10)

    @field_validator("on_time_weight", "target_weight", "report_weight", mode="before")
    @classmethod
    def _weight(cls, value: object) -> int:
        return int(_number(value, label="权重", whole=True))

    @field_validator("overdue_deduction", "supervision_deduction", "deduction_cap", mode="before")
    @classmethod
    def _deduction(cls, value: object) -> float:
        return _number(value, label="扣分", whole=False)

    @field_validator("report_grace_days", mode="before")
    @classmethod
    def _grace(cls, value: object) -> int:
        days = int(_number(value, label="报送宽限天数", whole=True))
        if days > 90:
            raise ValueError("报送宽限天数不能超过 90 天")
        return days

    @field_validator("report_cycle")
    @classmethod
    def _cycle(cls, value: str) -> str:
        if value not in REPORT_CYCLES:
            raise ValueError("报送周期只能是季度或月")
        return value

    @model_validator(mode="after")
    def _sums_to_100(self) -> AppraisalRuleIn:
        if self.on_time_weight + self.target_weight + self.report_weight != 100:
            raise ValueError("三项权重之和必须为 100")
        return self
