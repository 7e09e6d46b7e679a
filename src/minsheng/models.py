"""Import every domain's models so the metadata is complete (for Alembic and schema checks)."""

from minsheng.audit import models as audit_models
from minsheng.auth import models as auth_models
from minsheng.cases import models as cases_models
from minsheng.core.database import Base
from minsheng.jobs import models as jobs_models
from minsheng.org import models as org_models

__all__ = ["Base", "audit_models", "auth_models", "cases_models", "jobs_models", "org_models"]
